#!/usr/bin/env bash
# What a user installs, from this checkout:
#   1. dotnet pack makes the library package (FileServer) and the .NET tool (FileServer.Cli, command fileserver);
#   2. dotnet tool install --tool-path puts the tool in a folder from that local package source;
#   3. the installed fileserver says its name, version and commit (--version, and --help's usage line), serves a
#      directory on port 0 with --ready-file, and a download with curl has the file's SHA-256;
#   4. the public API is declared: a copy of the library with one public class more, not in PublicAPI.*.txt, fails to
#      build with RS0016.
#
#   bash scripts/package.sh [--smoke]      (the same either way: about a minute; part of the test command)
#
# Ends with "package: N passed, N failed".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-package.XXXXXX")"
LIB_NAME=package
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver check
CHECK_LINES=20
lib_on_exit
apt_need curl:curl || lib_die "curl is missing"

# 1. The packages, built in Release into the work dir (its own obj/ and bin/, so the tree's builds are left alone).
for project in src/FileServer src/FileServer.Cli; do
    timeout -k 10 600 dotnet pack "$REPO_ROOT/$project" -c Release -o "$WORK/packages" --nologo -v quiet --disable-build-servers \
        --artifacts-path "$WORK/artifacts" </dev/null >"$WORK/pack.log" 2>&1 || { tail -n 30 "$WORK/pack.log"; lib_die "dotnet pack $project failed"; }
done
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$REPO_ROOT/Directory.Build.props" | head -n 1)"
check "dotnet pack made the library package FileServer.$version.nupkg" test -f "$WORK/packages/FileServer.$version.nupkg"
check "and the tool package FileServer.Cli.$version.nupkg" test -f "$WORK/packages/FileServer.Cli.$version.nupkg"

# 2. The tool, from the local folder.
timeout -k 10 300 dotnet tool install --tool-path "$WORK/tool" --add-source "$WORK/packages" FileServer.Cli --version "$version" \
    </dev/null >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; lib_die "dotnet tool install failed"; }
check "dotnet tool install --tool-path put the command fileserver there" test -x "$WORK/tool/fileserver"

# 3. The installed command.
commit="$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null | cut -c1-7)"
said="$("$WORK/tool/fileserver" --version)"
echo "# fileserver --version: $said"
check "--version says 'fileserver $version (commit $commit)'" test "$said" = "fileserver $version (commit $commit)"
check "--help's usage line names the command fileserver" bash -c "'$WORK/tool/fileserver' --help | grep -qx '  fileserver \[<root>\] \[options\]'"
mkdir -p "$WORK/root"
head -c $((32 << 20)) /dev/urandom >"$WORK/root/artefact.bin"
timeout -k 5 300 "$WORK/tool/fileserver" "$WORK/root" --host 127.0.0.1 --port 0 --ready-file "$WORK/ready" \
    </dev/null >"$WORK/tool.out" 2>"$WORK/tool.err" &
server=$!
lib_track "$server"
fs_wait "$WORK/ready" "$server" 60 || { cat "$WORK/tool.err"; lib_die "the installed fileserver did not start"; }
url="$(head -n 1 "$WORK/ready")"
curl -q -sf --max-time 60 -o "$WORK/download.bin" "${url}artefact.bin" || true
expected="$(sha256sum <"$WORK/root/artefact.bin" | cut -d' ' -f1)"
got="$(sha256sum <"$WORK/download.bin" 2>/dev/null | cut -d' ' -f1)"
echo "# $url artefact.bin: sha256 $got"
check "the installed fileserver serves a 32 MiB download with the right SHA-256" test "$expected" = "$got"
rc=0
lib_stop_pid "$server" || rc=$?
check "and stops on SIGTERM with exit code 0" test "$rc" -eq 0

# 4. An undeclared public member fails the build.
mkdir -p "$WORK/api/src"
cp "$REPO_ROOT/Directory.Build.props" "$REPO_ROOT/Directory.Packages.props" "$WORK/api/"
cp -r "$REPO_ROOT/src/FileServer" "$WORK/api/src/"
rm -rf "$WORK/api/src/FileServer/bin" "$WORK/api/src/FileServer/obj"
cat >"$WORK/api/src/FileServer/Undeclared.cs" <<'CS'
namespace FileServer.Hosting;

/// <summary>A public type nobody declared in PublicAPI.Unshipped.txt.</summary>
public static class Undeclared
{
    /// <summary>A public member.</summary>
    public static int Answer => 42;
}
CS
api_rc=0
timeout -k 10 600 dotnet build "$WORK/api/src/FileServer" --nologo -v quiet --disable-build-servers </dev/null >"$WORK/api.log" 2>&1 || api_rc=$?
grep -m 2 'RS0016' "$WORK/api.log" | sed 's/^/# /' || true
check "a public type missing from PublicAPI.*.txt fails the build" test "$api_rc" -ne 0
check "and the error is RS0016 naming it" grep -q "RS0016.*FileServer.Hosting.Undeclared" "$WORK/api.log"
check_summary package
