#!/usr/bin/env bash
# bench/runtime-run.sh: `run` of a busybox /bin/true bundle with
# berth-runtime, crun and runc (Debian's) in one hyperfine run; prints each
# median, its ratio to crun, and each runtime's peak RSS.
#
# crun 1.8.1 refuses this host's hybrid cgroup layout (the empty v2 tree
# offers hugetlb), so the whole benchmark runs in one private mount
# namespace with /dev/null over /sys/fs/cgroup/unified/cgroup.controllers:
# every runtime, berth-runtime included, runs under the same conditions.
# The "unshare" row is the kernel's floor: the same namespaces, no rootfs.
#
# Env: RUNS (default 200), WARMUP (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup
scripts/build build-bench -Dtests=false

if [ "${BERTH_BENCH_INNER:-}" != 1 ]; then
  exec unshare --mount --propagation private env BERTH_BENCH_INNER=1 "$0" "$@"
fi
mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers

runs=${RUNS:-200}
warmup=${WARMUP:-20}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
berth="$root/build-bench/src/runtime-main/berth-runtime"

scripts/make-rootfs "$work/bundle/rootfs"
"$berth" spec --bundle "$work/bundle"
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' "$work/bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

declare -A cmd=(
  [berth-runtime]="$berth --root $work/s-berth run --bundle $work/bundle bench"
  [crun]="crun --root $work/s-crun run --bundle $work/bundle bench"
  [runc]="runc --root $work/s-runc run --bundle $work/bundle bench"
  [unshare-floor]="unshare --fork --pid --net --ipc --uts --mount --cgroup /bin/true"
)
order=(berth-runtime crun runc unshare-floor)

args=()
for n in "${order[@]}"; do args+=(-n "$n" "${cmd[$n]}"); done
hyperfine -N --style basic --warmup "$warmup" --runs "$runs" --export-json "$work/times.json" "${args[@]}" >&2

# Peak RSS (max resident set of the runtime and what it waited for): the
# median over 21 runs of GNU time's %M.
peak_rss() {
  local i out=()
  for i in $(seq 21); do
    out+=("$(/usr/bin/time -f %M ${cmd[$1]} 2>&1 >/dev/null | tail -1)")
  done
  printf '%s\n' "${out[@]}" | sort -n | sed -n 11p
}

crun_ms=$(jq -r '.results[] | select(.command == "crun") | .median * 1000' "$work/times.json")
crun_rss=$(peak_rss crun)
printf '\n%-14s %10s %8s %14s %8s\n' runtime "median ms" "vs crun" "peak RSS KiB" "vs crun"
for n in "${order[@]}"; do
  ms=$(jq -r --arg n "$n" '.results[] | select(.command == $n) | .median * 1000' "$work/times.json")
  rss=$(peak_rss "$n")
  printf '%-14s %10.2f %7.2fx %14s %7.2fx\n' "$n" "$ms" "$(echo "$ms / $crun_ms" | bc -l)" "$rss" \
    "$(echo "$rss / $crun_rss" | bc -l)"
done
