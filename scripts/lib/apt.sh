# shellcheck shell=bash
# Installs what a script needs with apt-get, once, bounded: waits (at most APT_WAIT s, default 600) for another
# apt/dpkg run to finish, runs `apt-get update` once, and bounds each apt-get by APT_TIMEOUT (default 900 s).
#
#   source "$REPO_ROOT/scripts/lib/load.sh" apt
#   apt_need curl:curl wrk:wrk openssl:openssl     # COMMAND:PACKAGE, installed where COMMAND is missing
#
# Not root: apt-get runs through sudo -n (it fails rather than asks for a password).

apt_busy() {
    local comm f
    for f in /proc/[0-9]*/comm; do
        comm="$(cat "$f" 2>/dev/null)" || continue
        case "$comm" in
            apt | apt-get | aptitude | dpkg | unattended-upgr) return 0 ;;
        esac
    done
    return 1
}

wait_for_apt() {
    local waited=0
    while apt_busy; do
        ((waited == 0)) && echo "# waiting for another apt/dpkg run to finish (at most ${APT_WAIT:-600}s)"
        if ((waited >= ${APT_WAIT:-600})); then
            echo "# apt/dpkg still busy after ${APT_WAIT:-600}s; going on"
            return 0
        fi
        sleep 2
        waited=$((waited + 2))
    done
}

apt_get() {
    local sudo=()
    ((EUID == 0)) || sudo=(sudo -n)
    DEBIAN_FRONTEND=noninteractive timeout -k 10 "${APT_TIMEOUT:-900}" \
        "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 -y -qq "$@" </dev/null
}

APT_UPDATED=0
apt_update_once() {
    ((APT_UPDATED)) && return 0
    APT_UPDATED=1
    apt_get update >/dev/null || echo "# apt-get update failed"
}

# apt_need COMMAND:PACKAGE...: installs the packages whose command is missing; false if one is still missing.
apt_need() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("$pair")
    done
    ((${#missing[@]} == 0)) && return 0
    wait_for_apt
    local packages=()
    for pair in "${missing[@]}"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || packages+=("${pair#*:}")
    done
    ((${#packages[@]} == 0)) && return 0
    echo "# installing: ${packages[*]}"
    apt_update_once
    apt_get install "${packages[@]}" >/dev/null || echo "# apt-get install ${packages[*]} failed"
    for pair in "${missing[@]}"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || return 1
    done
}

