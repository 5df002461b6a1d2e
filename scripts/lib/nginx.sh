# shellcheck shell=bash
# A private nginx for comparisons: its own generated config, pid and logs in $WORK/NAME, on 127.0.0.1 and a free
# port; the system nginx and /etc/nginx are never touched. Needs process.sh, and apt.sh for nginx_ensure.
#
#   nginx_ensure && NGINX="$(nginx_bin)"   # installs nginx-light (else nginx) when there is none
#   nginx_start NAME ROOT on|off [tls]     # sendfile on or off; tls listens with ssl and $TLS_CERT/$TLS_KEY
#
# NGINX_EXTRA_SERVER adds directives to the server block (e.g. "autoindex on;"), NGINX_EXTRA_HTTP to the http block
# before it (a log_format, a map, an upstream), NGINX_WORKERS (default auto) and
# NGINX_CONNECTIONS (default 8192) size it, NGINX_LIFETIME (default 1800 s) bounds it. Sets NGINX_URL
# (scheme://127.0.0.1:PORT/), NGINX_PORT, NGINX_DIR, NGINX_WRAPPER (timeout's PID, tracked for the exit) and
# NGINX_MASTER (the master process). Returns 1, with the error log on stderr, when it did not start within 30 s.

# nginx_bin: the nginx binary, or nothing.
nginx_bin() {
    command -v nginx 2>/dev/null || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true
}

# nginx_ensure: installs nginx-light (else nginx) when there is no nginx; false if there still is none.
nginx_ensure() {
    [[ -n "$(nginx_bin)" ]] && return 0
    wait_for_apt
    [[ -n "$(nginx_bin)" ]] && return 0
    echo "# installing: nginx-light"
    apt_update_once
    if ! { apt-cache show nginx-light >/dev/null 2>&1 && apt_get install nginx-light >/dev/null; }; then
        echo "# nginx-light not installable; installing nginx"
        apt_get install nginx >/dev/null || echo "# apt-get install nginx failed"
    fi
    [[ -n "$(nginx_bin)" ]]
}

nginx_start() {
    local root="$2" sendfile="$3" tls="${4:-}" dir="$WORK/$1" attempt i scheme=http ssl_flag="" ssl_lines="" user_line=""
    local nginx eflag=()
    nginx="$(nginx_bin)"
    [[ -n "$nginx" ]] || { echo "nginx is not installed" >&2; return 1; }
    mkdir -p "$dir/tmp"
    # Workers of a root master run as nobody by default, which cannot enter a private work dir.
    ((EUID == 0)) && user_line="user root;"
    if [[ "$tls" == tls ]]; then
        scheme=https ssl_flag=" ssl"
        ssl_lines="ssl_certificate $TLS_CERT; ssl_certificate_key $TLS_KEY; ssl_protocols TLSv1.2 TLSv1.3;"
    fi
    # nginx ≥ 1.19.5 takes the error log's path before it reads the config: nothing goes to /var/log/nginx.
    "$nginx" -h 2>&1 | grep -q -- '-e filename' && eflag=(-e "$dir/error.log")
    for ((attempt = 0; attempt < 5; attempt++)); do
        NGINX_PORT="$(lib_free_port)" || return 1
        cat >"$dir/nginx.conf" <<CONF
# Private instance for ${0##*/}; nothing from /etc/nginx is included.
daemon off;
master_process on;
$user_line
worker_processes ${NGINX_WORKERS:-auto};
worker_rlimit_nofile 16384;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections ${NGINX_CONNECTIONS:-8192}; }
http {
    access_log off;
    sendfile $sendfile;
    tcp_nopush on;
    keepalive_timeout 75s;
    default_type application/octet-stream;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    ${NGINX_EXTRA_HTTP:-}
    server {
        listen 127.0.0.1:$NGINX_PORT$ssl_flag;
        server_name localhost;
        $ssl_lines
        root $root;
        ${NGINX_EXTRA_SERVER:-}
    }
}
CONF
        timeout -k 5 "${NGINX_LIFETIME:-1800}" "$nginx" "${eflag[@]}" -p "$dir" -c "$dir/nginx.conf" \
            </dev/null >"$dir/stdout" 2>"$dir/stderr" &
        NGINX_WRAPPER=$!
        lib_track "$NGINX_WRAPPER"
        # shellcheck disable=SC2034 # for the caller
        NGINX_DIR="$dir" NGINX_URL="$scheme://127.0.0.1:$NGINX_PORT/"
        for ((i = 0; i < 300; i++)); do
            kill -0 "$NGINX_WRAPPER" 2>/dev/null || break
            NGINX_MASTER="$(lib_child "$NGINX_WRAPPER")"
            # Listening, with the workers up (the master has children).
            if lib_listening "$NGINX_PORT" && [[ -n "$NGINX_MASTER" && -n "$(lib_child "$NGINX_MASTER")" ]]; then
                return 0
            fi
            sleep 0.1
        done
        lib_stop_pid "$NGINX_WRAPPER" || true
        # Lost the port to another process: try another.
        grep -q "Address already in use" "$dir/error.log" "$dir/stderr" 2>/dev/null || break
    done
    tail -n 20 "$dir/error.log" "$dir/stderr" >&2 2>/dev/null || true
    return 1
}
