# shellcheck shell=bash
# Sources the named parts of the scripts' library, in the order given (process first: the others use it):
#
#   source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver
#
# process     track, stop and clean up processes; ports, memory and descriptors             (needs WORK)
# apt         install a missing tool with apt-get, once, bounded
# nginx       a private nginx on a free port with a generated config                       (process, apt)
# fileserver  build the CLI, loadgen or another project; start a FileServer   (process; WORK, REPO_ROOT)
# tls         a self-signed certificate for localhost
# check       "ok - NAME" / "not ok - NAME" and the closing "N passed, N failed"             (needs WORK)
# args        --help from the header comment; --name VALUE options
#
# Each part is named here by its path (from the repository's root, where shellcheck runs) so that shellcheck
# follows them all.

for _lib_part in "$@"; do
    case "$_lib_part" in
        process)
            # shellcheck source=scripts/lib/process.sh
            source "${BASH_SOURCE[0]%/*}/process.sh" ;;
        apt)
            # shellcheck source=scripts/lib/apt.sh
            source "${BASH_SOURCE[0]%/*}/apt.sh" ;;
        nginx)
            # shellcheck source=scripts/lib/nginx.sh
            source "${BASH_SOURCE[0]%/*}/nginx.sh" ;;
        fileserver)
            # shellcheck source=scripts/lib/fileserver.sh
            source "${BASH_SOURCE[0]%/*}/fileserver.sh" ;;
        tls)
            # shellcheck source=scripts/lib/tls.sh
            source "${BASH_SOURCE[0]%/*}/tls.sh" ;;
        check)
            # shellcheck source=scripts/lib/check.sh
            source "${BASH_SOURCE[0]%/*}/check.sh" ;;
        args)
            # shellcheck source=scripts/lib/args.sh
            source "${BASH_SOURCE[0]%/*}/args.sh" ;;
        *) echo "scripts/lib/load.sh: no part '$_lib_part'" >&2; exit 2 ;;
    esac
done
unset _lib_part
