#!/bin/bash
# HEALTHCHECK of the proxy image: AUTH (when TWEMPROXY_REDIS_AUTH is set) and PING over RESP on
# the proxy's port, answered by twemproxy itself; exit 0 only on +PONG.
set -u
port=${TWEMPROXY_PORT:-22121}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
reply() { # the next reply line, without its \r
  local line
  IFS= read -r -t 2 line <&3 || exit 1
  printf '%s' "${line%$'\r'}"
}
password=${TWEMPROXY_REDIS_AUTH:-}
if [[ -n $password ]]; then
  bytes=$(LC_ALL=C; printf '%s' "${#password}")
  printf '*2\r\n$4\r\nAUTH\r\n$%s\r\n%s\r\n' "$bytes" "$password" >&3
  [[ $(reply) == +OK ]] || exit 1
fi
printf '*1\r\n$4\r\nPING\r\n' >&3
[[ $(reply) == +PONG ]]
