#!/usr/bin/env bash
# bench/engine.sh: `docker run --rm IMAGE true` through berthd and through
# dockerd (Debian's docker.io, its own data root, exec root and socket),
# and `podman run --rm IMAGE true` (its own root, runc), taking turns in a
# shuffled order; then memory: the daemon plus every per-container process
# (berthd + berth-shim; dockerd + containerd + containerd-shim; podman's
# conmon) with 0 and with N idle containers, as RSS and as PSS.
# The image is a busybox-static one made here and served by a local
# registry (Debian's docker-registry on 127.0.0.1).
# Env: RUNS (default 20), IDLE (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${RUNS:-20}
idle=${IDLE:-50}

if [ "${BERTH_BENCH_INNER:-}" != 1 ]; then
  scripts/setup
  [ -f build-bench/build.ninja ] || meson setup build-bench -Dbuildtype=release >/dev/null
  # as installed: berth-shim a static PIE (static_deps)
  meson configure build-bench -Dtests=false -Dbuildtype=release -Dstatic_deps=true >/dev/null
  ninja -C build-bench src/daemon/berthd src/shim/berth-shim src/runtime-main/berth-runtime >/dev/null
  # dockerd silently uses /run/containerd/containerd.sock when there is
  # one: in a mount namespace of its own, that path is empty.
  exec unshare --mount --propagation private env BERTH_BENCH_INNER=1 "$0" "$@"
fi
mkdir -p /run/containerd && mount -t tmpfs tmpfs /run/containerd

work=$(mktemp -d /tmp/berth-engine-bench.XXXXXX)
# shellcheck source=../tests/registry/registry.bash
source tests/registry/registry.bash
B=(docker -H "unix://$work/b.sock")
D=(docker -H "unix://$work/d.sock")
P=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay --cgroup-manager cgroupfs
  --events-backend file --runtime runc)

cleanup() {
  set +e
  "${B[@]}" rm -f $("${B[@]}" ps -aq) >/dev/null 2>&1
  "${D[@]}" rm -f $("${D[@]}" ps -aq) >/dev/null 2>&1
  "${P[@]}" rm -af >/dev/null 2>&1
  [ -f "$work/berthd.pid" ] && kill "$(cat "$work/berthd.pid")" 2>/dev/null
  [ -f "$work/docker.pid" ] && kill "$(cat "$work/docker.pid")" 2>/dev/null
  registry_stop
  sleep 2
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

"$root/scripts/make-rootfs" "$work/rootfs" >/dev/null
ROOTFS=$work/rootfs "${MKIMAGE[@]}" "$work/layout" --variant single --entrypoint '[]' --cmd '["sh"]' --tag bb >/dev/null
registry_start "$work/registry" >/dev/null
"${PUSH[@]}" "$work/layout" "$REGISTRY_ADDR/bench/busybox:latest" --ref bb >/dev/null
image=$REGISTRY_ADDR/bench/busybox:latest

"$root/build-bench/src/daemon/berthd" --root "$work/berth" --exec-root "$work/berth-run" \
  -H "unix://$work/b.sock" --pidfile "$work/berthd.pid" >"$work/berthd.log" 2>&1 &
dockerd --data-root "$work/docker" --exec-root "$work/docker-run" --pidfile "$work/docker.pid" \
  -H "unix://$work/d.sock" --ip-forward=false --iptables=false --ip-masq=false --bridge=none \
  >"$work/dockerd.log" 2>&1 &
for s in b d; do
  for _ in $(seq 300); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done
done
"${B[@]}" pull -q "$image" >/dev/null
"${D[@]}" pull -q "$image" >/dev/null
"${P[@]}" pull -q --tls-verify=false "$image" >/dev/null

declare -A cmd=(
  [berthd]="${B[*]} run --rm --network none $image true"
  [dockerd]="${D[*]} run --rm --network none $image true"
  [podman]="${P[*]} run --rm --network none --ulimit nofile=20000 --ulimit nproc=4096 $image true"
)
order=(berthd dockerd podman)
for n in "${order[@]}"; do ${cmd[$n]} >/dev/null; done # warm up
for i in $(seq "$runs"); do
  for n in $(printf '%s\n' "${order[@]}" | shuf); do
    s=$(date +%s%N)
    ${cmd[$n]} >/dev/null
    echo "$n $(( ($(date +%s%N) - s) / 1000000 ))" >>"$work/times"
  done
done
median() { awk -v n="$1" '$1 == n { print $2 }' "$work/times" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '\nrun --rm %s true, %s rounds\n' "$image" "$runs"
printf '%-9s %10s %12s %12s\n' engine "median ms" "vs dockerd" "vs podman"
dm=$(median dockerd)
pm=$(median podman)
for n in "${order[@]}"; do
  m=$(median "$n")
  printf '%-9s %10s %11.2fx %11.2fx\n' "$n" "$m" "$(echo "$m / $dm" | bc -l)" "$(echo "$m / $pm" | bc -l)"
done

# kB of RSS and PSS summed over the processes whose command matches
mem() { # regex -> "rss pss"
  local pid rss=0 pss=0 r p
  for pid in $(pgrep -f "$1"); do
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    p=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0}))
    pss=$((pss + ${p:-0}))
  done
  echo "$rss $pss"
}
declare -A pattern=(
  [berthd]="(berthd --root $work/berth|berth-shim .*$work/berth-run)"
  [dockerd]="(dockerd --data-root $work/docker|containerd --config $work/docker-run|containerd-shim-runc-v2 .*$work/docker-run|containerd-shim.*-namespace moby)"
  [podman]="conmon .*$work/podman"
)
declare -A start=(
  [berthd]="${B[*]} run -d --network none $image sleep 100000"
  [dockerd]="${D[*]} run -d --network none $image sleep 100000"
  [podman]="${P[*]} run -d --network none --ulimit nofile=20000 --ulimit nproc=4096 $image sleep 100000"
)
sleep 2
declare -A m0 m1
for n in "${order[@]}"; do m0[$n]=$(mem "${pattern[$n]}"); done
for n in "${order[@]}"; do
  for _ in $(seq "$idle"); do ${start[$n]} >/dev/null; done
done
sleep 3
for n in "${order[@]}"; do m1[$n]=$(mem "${pattern[$n]}"); done
printf '\nmemory (kB): the daemon and its per-container processes, idle, 0 and %s containers\n' "$idle"
printf '%-9s %10s %10s %12s %12s %14s %14s\n' engine "RSS 0" "PSS 0" "RSS $idle" "PSS $idle" "RSS/container" "PSS/container"
for n in "${order[@]}"; do
  read -r r0 p0 <<<"${m0[$n]}"
  read -r r1 p1 <<<"${m1[$n]}"
  printf '%-9s %10s %10s %12s %12s %14s %14s\n' "$n" "$r0" "$p0" "$r1" "$p1" "$(( (r1 - r0) / idle ))" \
    "$(( (p1 - p0) / idle ))"
done
echo "($(uname -r); $(nproc) cpus)"
