#!/usr/bin/env bash
# bench/runtime-run.sh: berth-runtime against crun and runc (Debian's), each
# scenario one hyperfine run with every runtime in it:
#   run      `run` of a busybox /bin/true bundle (plus the kernel's floor:
#            unshare of the same namespaces, no rootfs)
#   limited  the same with a 64 MiB memory limit and docker's default
#            seccomp profile (containers-common's, converted to OCI form)
#   exec     `exec /bin/true` into a running container
# Prints each median, its ratio to crun, and (for run and limited) each
# runtime's peak RSS.
#
# crun 1.8.1 refuses this host's hybrid cgroup layout (the empty v2 tree
# offers hugetlb), so the whole benchmark runs in one private mount
# namespace with /dev/null over /sys/fs/cgroup/unified/cgroup.controllers:
# every runtime runs under the same conditions.
#
# berth-runtime is built as it would be installed (release, stripped) into
# build-bench/.  Env: RUNS (default 200), WARMUP (default 20).
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

runs=${RUNS:-200}
warmup=${WARMUP:-20}
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
berth="$root/build-bench/src/runtime-main/berth-runtime"
cleanup() {
  "$berth" --root "$work/s-berth" delete -f exec-target >/dev/null 2>&1 || true
  crun --root "$work/s-crun" delete -f exec-target >/dev/null 2>&1 || true
  runc --root "$work/s-runc" delete -f exec-target >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# One bundle per scenario; ociVersion 1.0.2 so that crun 1.8 takes it.
make_bundle() { # dir jq-filter
  scripts/make-rootfs "$1/rootfs"
  "$berth" spec --bundle "$1"
  jq ".ociVersion = \"1.0.2\" | .process.terminal = false | .process.args = [\"/bin/true\"] | $2" \
    "$1/config.json" > "$work/c.json"
  mv "$work/c.json" "$1/config.json"
}
make_bundle "$work/run" '.'
jq -f bench/docker-seccomp-to-oci.jq /usr/share/containers/seccomp.json > "$work/seccomp.json"
make_bundle "$work/limited" ".";
jq --slurpfile p "$work/seccomp.json" '.linux.resources.memory = {limit: 67108864} | .linux.seccomp = $p[0]' \
  "$work/run/config.json" > "$work/limited/config.json"
make_bundle "$work/exec" '.process.args = ["/bin/sleep", "100000"]'

declare -A cmd
for rt in berth-runtime crun runc; do
  bin=$rt
  [ "$rt" = berth-runtime ] && bin=$berth
  s="$work/s-${rt%%-*}"
  cmd[run/$rt]="$bin --root $s run --bundle $work/run bench"
  cmd[limited/$rt]="$bin --root $s run --bundle $work/limited bench"
  cmd[exec/$rt]="$bin --root $s exec exec-target /bin/true"
  $bin --root "$s" run -d --bundle "$work/exec" exec-target >/dev/null </dev/null
done
cmd[run/unshare-floor]="unshare --fork --pid --net --ipc --uts --mount --cgroup /bin/true"

peak_rss() { # median of 21 runs of GNU time's %M (the largest resident set it waited for)
  local i out=()
  for i in $(seq 21); do
    out+=("$(/usr/bin/time -f %M ${cmd[$1]} 2>&1 >/dev/null | tail -1)")
  done
  printf '%s\n' "${out[@]}" | sort -n | sed -n 11p
}

report() { # scenario rss? runtimes...
  local scenario=$1 rss=$2 n crun_ms crun_rss ms r
  shift 2
  local args=()
  for n in "$@"; do args+=(-n "$n" "${cmd[$scenario/$n]}"); done
  hyperfine -N --style none --warmup "$warmup" --runs "$runs" --export-json "$work/$scenario.json" "${args[@]}" \
    >/dev/null 2>&1
  crun_ms=$(jq -r '.results[] | select(.command == "crun") | .median * 1000' "$work/$scenario.json")
  [ "$rss" = yes ] && crun_rss=$(peak_rss "$scenario/crun")
  for n in "$@"; do
    ms=$(jq -r --arg n "$n" '.results[] | select(.command == $n) | .median * 1000' "$work/$scenario.json")
    if [ "$rss" = yes ]; then
      r=$(peak_rss "$scenario/$n")
      printf '%-8s %-14s %9.2f %7.2fx %9s %7.2fx\n' "$scenario" "$n" "$ms" "$(echo "$ms / $crun_ms" | bc -l)" \
        "$r" "$(echo "$r / $crun_rss" | bc -l)"
    else
      printf '%-8s %-14s %9.2f %7.2fx %9s %8s\n' "$scenario" "$n" "$ms" "$(echo "$ms / $crun_ms" | bc -l)" - -
    fi
  done
}

printf '%-8s %-14s %9s %8s %9s %8s\n' scenario runtime "median ms" "vs crun" "RSS KiB" "vs crun"
report run yes berth-runtime crun runc unshare-floor
report limited yes berth-runtime crun runc
report exec no berth-runtime crun runc
echo "(runs=$runs warmup=$warmup; $(uname -r); $(nproc) cpus)"
