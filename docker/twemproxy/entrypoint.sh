#!/bin/sh
# Writes twemproxy's config from TWEMPROXY_* variables, checks it, and runs nutcracker in the
# foreground as PID 1 (logs to stderr; JSON stats on 127.0.0.1:22222, inside the container only).
#
#   TWEMPROXY_SERVERS        the servers, "host:port" separated by spaces or commas (required).
#                            Each is placed on the hash ring by that text (e.g. haus1:9888, with
#                            the compose service name), not by the address it resolves to: a
#                            server that comes back with another IP keeps its keys. The order
#                            does not matter; renaming a server moves its keys.
#   TWEMPROXY_PORT           port the proxy listens on, all interfaces (default 22121)
#   TWEMPROXY_REDIS_AUTH     the servers' password (Haus's --requirepass): sent with AUTH on each
#                            connection to a server, and asked of every client (default none)
#   TWEMPROXY_HASH           key hash (default murmur; fnv1a_64, twemproxy's usual example,
#                            clumps keys that differ in their last digits), ketama distribution
#   TWEMPROXY_HASH_TAG       two characters around the part of a key that alone is hashed
#                            (default {}: {user:7}:name and {user:7}:mail land on one server,
#                            as in Redis Cluster); empty to hash whole keys
#   TWEMPROXY_AUTO_EJECT     true (default): a failed server leaves the ring for a while and its
#                            keys go to the others; false: its keys get errors until it is back
#                            (no stale reads of old copies when it returns)
#   TWEMPROXY_FAILURE_LIMIT  failures in a row that eject a server (default 1)
#   TWEMPROXY_RETRY_MS       how long an ejected server stays out before it is tried again
#                            (default 2000)
#   TWEMPROXY_TIMEOUT_MS     a server that takes longer to answer counts as failed (default 2000)
#   TWEMPROXY_VERBOSITY      nutcracker's -v, 0..11 (default 5, notices)
set -eu

servers=$(printf '%s' "${TWEMPROXY_SERVERS:-}" | tr ',' ' ')
if [ -z "$(printf '%s' "$servers" | tr -d ' ')" ]; then
  echo 'twemproxy: set TWEMPROXY_SERVERS, e.g. "haus1:9888 haus2:9888 haus3:9888"' >&2
  exit 2
fi
port=${TWEMPROXY_PORT:-22121}
config=/tmp/nutcracker.yml
# printf, not echo: sh's echo would read backslashes in the password.
{
  printf '%s\n' 'haus:' \
    "  listen: 0.0.0.0:$port" \
    '  redis: true' \
    "  hash: ${TWEMPROXY_HASH:-murmur}" \
    '  distribution: ketama' \
    "  auto_eject_hosts: ${TWEMPROXY_AUTO_EJECT:-true}" \
    "  server_failure_limit: ${TWEMPROXY_FAILURE_LIMIT:-1}" \
    "  server_retry_timeout: ${TWEMPROXY_RETRY_MS:-2000}" \
    "  timeout: ${TWEMPROXY_TIMEOUT_MS:-2000}" \
    '  server_connections: 1' \
    '  preconnect: true'
  hash_tag=${TWEMPROXY_HASH_TAG-\{\}}
  if [ -n "$hash_tag" ]; then
    printf '  hash_tag: "%s"\n' "$hash_tag"
  fi
  if [ -n "${TWEMPROXY_REDIS_AUTH:-}" ]; then
    # A double-quoted YAML string: its backslashes and quotes escaped.
    escaped=$(printf '%s' "$TWEMPROXY_REDIS_AUTH" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf '  redis_auth: "%s"\n' "$escaped"
  fi
  printf '%s\n' '  servers:'
  for server in $servers; do
    case $server in
      ?*:[0-9]*) ;;
      *)
        echo "twemproxy: '$server' in TWEMPROXY_SERVERS is not host:port" >&2
        exit 2
        ;;
    esac
    printf '    - %s:1 %s\n' "$server" "$server"
  done
} >"$config"
chmod 600 "$config"
if ! nutcracker --test-conf --conf-file="$config" >/dev/null 2>&1; then
  nutcracker --test-conf --conf-file="$config" >&2 || true
  echo "twemproxy: the config written from TWEMPROXY_* is not valid (above)" >&2
  exit 2
fi
# shellcheck disable=SC2086 # one word per server
echo "twemproxy: listening on port $port, servers:$(printf ' %s' $servers)" >&2
# Debian's build logs to /var/log/nutcracker by default; an empty --output means stderr.
exec nutcracker --conf-file="$config" --output= --stats-addr=127.0.0.1 --stats-port=22222 \
  --verbose="${TWEMPROXY_VERBOSITY:-5}" "$@"
