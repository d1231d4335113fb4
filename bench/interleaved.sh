#!/usr/bin/env bash
# bench/interleaved.sh: `run` of a busybox /bin/true bundle, berth-runtime,
# crun and runc taking turns in a shuffled order every round, so that all
# see the same machine.  On a cgroup v1 host the first task migration after
# a quiet spell waits for an RCU grace period (several ms, whatever the
# runtime); hyperfine's back-to-back blocks, or a fixed order (where one
# runtime always follows slow runc), hand that cost to one runtime more
# often than to another.  Prints median, mean and p90 per runtime, and the
# ratio of medians to crun.  Env: RUNS (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ "${BERTH_BENCH_INNER:-}" != 1 ]; then
  scripts/setup
  scripts/build build-bench -Dtests=false -Dbuildtype=release \
    -Dc_args='-ffunction-sections -fdata-sections' -Dc_link_args='-Wl,--gc-sections -s'
  exec unshare --mount --propagation private env BERTH_BENCH_INNER=1 "$0" "$@"
fi
mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
runs=${RUNS:-300}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
berth="$root/build-bench/src/runtime-main/berth-runtime"
scripts/make-rootfs "$work/bundle/rootfs"
"$berth" spec --bundle "$work/bundle"
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' \
  "$work/bundle/config.json" > "$work/c.json" && mv "$work/c.json" "$work/bundle/config.json"

declare -A cmd=(
  [berth-runtime]="$berth --root $work/s1 run --bundle $work/bundle x"
  [crun]="crun --root $work/s2 run --bundle $work/bundle x"
  [runc]="runc --root $work/s3 run --bundle $work/bundle x"
)
order=(berth-runtime crun runc)
for n in "${order[@]}"; do for i in 1 2 3 4 5; do ${cmd[$n]} >/dev/null; done; done # warm up
for i in $(seq "$runs"); do
  for n in $(printf '%s\n' "${order[@]}" | shuf); do
    s=$(date +%s%N)
    ${cmd[$n]} >/dev/null
    echo "$n $(( ($(date +%s%N) - s) / 1000 ))" >> "$work/times"
  done
done
stats() { # runtime -> "median mean p90" in ms
  awk -v n="$1" '$1 == n { print $2 }' "$work/times" | sort -n |
    awk '{ a[NR] = $1; s += $1 } END { printf "%.2f %.2f %.2f", a[int((NR + 1) / 2)] / 1000, s / NR / 1000, a[int(NR * 0.9)] / 1000 }'
}
crun_median=$(stats crun | cut -d' ' -f1)
printf '%-14s %10s %9s %9s %8s\n' runtime "median ms" "mean ms" "p90 ms" "vs crun"
for n in "${order[@]}"; do
  read -r med mean p90 <<<"$(stats "$n")"
  printf '%-14s %10s %9s %9s %7.2fx\n' "$n" "$med" "$mean" "$p90" "$(echo "$med / $crun_median" | bc -l)"
done
echo "(shuffled rounds, runs=$runs each; $(uname -r); $(nproc) cpus)"
