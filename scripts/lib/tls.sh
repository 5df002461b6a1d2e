# shellcheck shell=bash
# A certificate for the TLS servers of a run: the kind FileServer's --tls-self-signed makes (P-256, self-signed,
# for localhost and 127.0.0.1), so that nginx and FileServer can serve the same one; a client trusts it with
# curl --cacert or loadgen --ca.
#
#   tls_self_signed CERT KEY >LOG 2>&1 || ...     # bounded: 60 s

tls_self_signed() {
    timeout 60 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2" -out "$1" \
        -days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" </dev/null
}
