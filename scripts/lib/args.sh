# shellcheck shell=bash
# Command-line options, read alike by every script that sources this: -h/--help prints the script's header comment,
# an option that takes a value is given as "--name VALUE" or "--name=VALUE", anything unknown is an error (exit 2).
# Set LIB_NAME first: it begins every error.
#
#   lib_parse_args "--smoke:SMOKE=1 --keep:KEEP=1 --phases=PHASES" "$@"
#
# "--flag:VAR=VALUE" sets VAR to VALUE when --flag is given; "--name=VAR" sets VAR to the option's value. Options
# are taken in order, so the last of two that set one variable wins.

lib_parse_args() {
    local specs spec arg known
    read -r -a specs <<<"$1"
    shift
    while (($# > 0)); do
        arg="$1"
        [[ "$arg" == -h || "$arg" == --help ]] && { lib_usage; exit 0; }
        known=""
        for spec in "${specs[@]}"; do
            if [[ "$spec" == "$arg:"* ]]; then
                spec="${spec#*:}"
                printf -v "${spec%%=*}" '%s' "${spec#*=}"
                known=1
            elif [[ "$spec" == "${arg%%=*}="* ]]; then
                if [[ "$arg" == *=* ]]; then
                    printf -v "${spec#*=}" '%s' "${arg#*=}"
                else
                    (($# >= 2)) || lib_usage_error "$arg needs a value"
                    printf -v "${spec#*=}" '%s' "$2"
                    shift
                fi
                known=1
            fi
        done
        [[ -n "$known" ]] || lib_usage_error "unknown argument '$arg' (see --help)"
        shift
    done
}

# lib_usage: the comment block at the top of the running script, after the #! line and up to its first line of
# code or shellcheck directive, without the "# ": what --help prints.
lib_usage() {
    awk 'NR == 1 { next } !/^#/ || /^# shellcheck/ { exit } { sub(/^# ?/, ""); print }' "$0"
}

# lib_usage_error MESSAGE: "NAME: MESSAGE" on stderr, exit 2.
lib_usage_error() {
    echo "${LIB_NAME:-${0##*/}}: $*" >&2
    exit 2
}
