#!/usr/bin/env bash
# bench/shim-rss.sh [N]: the memory an idle container monitor costs.
#
# Starts N (default 20) busybox `sleep` containers, each under its own
# berth-shim (with berth-runtime), waits until they are idle, and prints the
# median VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup) per shim.
# Pss shares each page among the processes that map it, so it is the figure
# that adds up across N shims; VmRSS counts every mapped page in full.
# If Debian's conmon is installed, the same for N conmons (with runc, as
# podman runs them).  Run as root.
#
# Env: BERTH_BUILD (build directory, default build), or BERTH_SHIM and
# BERTH_RUNTIME for the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${1:-20}
build=${BERTH_BUILD:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
shim=${BERTH_SHIM:-$build/src/shim/berth-shim}
runtime=${BERTH_RUNTIME:-$build/src/runtime-main/berth-runtime}
python=$(command -v /usr/bin/python3 || command -v python3)
for f in "$shim" "$runtime"; do
  [ -x "$f" ] || { echo "shim-rss: $f is missing (build first, or set BERTH_BUILD)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/berth-shim-rss.XXXXXX)
cleanup() {
  local d
  for d in "$work"/rt-berth/*; do
    [ -e "$d" ] && "$runtime" --root "$work/rt-berth" delete --force "${d##*/}" >/dev/null 2>&1
  done
  for d in "$work"/rt-runc/*; do
    [ -e "$d" ] && runc --root "$work/rt-runc" delete --force "${d##*/}" >/dev/null 2>&1
  done
  # The monitors end with their containers; give them a moment.
  sleep 0.5
  for f in "$work"/*/shim.pid "$work"/*/conmon.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

scripts/make-rootfs "$work/bundle/rootfs" >/dev/null
"$runtime" spec --bundle "$work/bundle"
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["sleep", "100000"]' \
  "$work/bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure PID-FILES...: "VmRSS-median Pss-median" in kB over the processes.
measure() {
  local f pid rss=() pss=()
  for f in "$@"; do
    pid=$(cat "$f")
    rss+=("$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")")
    pss+=("$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")")
  done
  echo "$(printf '%s\n' "${rss[@]}" | median) $(printf '%s\n' "${pss[@]}" | median)"
}

echo "starting $n containers under berth-shim ($(file -b "$shim" | grep -o 'static-pie linked\|dynamically linked'))"
for i in $(seq "$n"); do
  mkdir -p "$work/s$i"
  "$shim" --bundle "$work/bundle" --state-dir "$work/s$i" --runtime "$runtime" --runtime-root "$work/rt-berth" \
    --log-path "$work/s$i/ctr.log" "shim-rss-$i" >/dev/null
  r=$("$python" tests/shim/shimctl.py request "$work/s$i/control.sock" start)
  [ "$r" = ok ] || { echo "start shim-rss-$i: $r" >&2; exit 1; }
done
sleep 1
read -r shim_rss shim_pss < <(measure "$work"/s*/shim.pid)

have_conmon=false
if command -v conmon >/dev/null && command -v runc >/dev/null; then
  have_conmon=true
  echo "starting $n containers under $(conmon --version | head -1) (runtime runc)"
  for i in $(seq "$n"); do
    d=$work/c$i
    mkdir -p "$d/exit" "$d/sock"
    conmon --api-version 1 -c "conmon-rss-$i" -u "conmon-rss-$i" -n "conmon-rss-$i" -r "$(command -v runc)" \
      -b "$work/bundle" -p "$d/pid" -P "$d/conmon.pid" -l "k8s-file:$d/ctr.log" --exit-dir "$d/exit" \
      --socket-dir-path "$d/sock" --runtime-arg "--root=$work/rt-runc" --log-level error --syslog=false \
      </dev/null >/dev/null 2>&1
    for _ in $(seq 100); do
      [ "$(runc --root "$work/rt-runc" state "conmon-rss-$i" 2>/dev/null | jq -r .status)" = created ] && break
      sleep 0.05
    done
    runc --root "$work/rt-runc" start "conmon-rss-$i"
  done
  sleep 1
  read -r conmon_rss conmon_pss < <(measure "$work"/c*/conmon.pid)
fi

printf '\n%-14s %4s %18s %16s\n' monitor n "VmRSS median kB" "Pss median kB"
printf '%-14s %4s %18s %16s\n' berth-shim "$n" "$shim_rss" "$shim_pss"
if $have_conmon; then
  printf '%-14s %4s %18s %16s\n' conmon "$n" "$conmon_rss" "$conmon_pss"
else
  echo "(conmon or runc is not installed: no comparison)"
fi
