#!/usr/bin/env bash
# bench/pull.sh: `docker pull` of a ~200 MB, 6-layer image from a local
# registry (Debian's docker-registry on 127.0.0.1), by berthd, dockerd
# (Debian's docker.io, its own data root and socket) and podman (its own
# root), taking turns in a shuffled order each round.  Every pull starts
# from nothing (the image and its layers removed, caches of the registry's
# files warm for all).  Then the unpack part alone: berth's layer unpacker
# against `tar -xzf` on the same layer files.  Prints medians and ratios.
# Env: RUNS (default 5), SIZE_MB (200), LAYERS (6).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${RUNS:-5}
scripts/setup
[ -f build-bench/build.ninja ] || meson setup build-bench -Dbuildtype=release >/dev/null
meson configure build-bench -Dtests=true -Dbuildtype=release >/dev/null
ninja -C build-bench src/daemon/berthd tests/helpers/berth-test-unpack >/dev/null
work=$(mktemp -d /tmp/berth-pull-bench.XXXXXX)
# shellcheck source=../tests/registry/registry.bash
source tests/registry/registry.bash

cleanup() {
  set +e
  docker -H "unix://$work/b.sock" image prune -af >/dev/null 2>&1
  [ -f "$work/berthd.pid" ] && kill "$(cat "$work/berthd.pid")" 2>/dev/null
  [ -f "$work/docker.pid" ] && kill "$(cat "$work/docker.pid")" 2>/dev/null
  registry_stop
  sleep 2
  podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay rmi -af >/dev/null 2>&1
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the image (${SIZE_MB:-200} MB, ${LAYERS:-6} layers)..." >&2
"${MKIMAGE[@]}" "$work/layout" --variant big --layers "${LAYERS:-6}" --size-mb "${SIZE_MB:-200}" \
  --content-dir /usr/lib --content-dir /usr/share --tag big >/dev/null
registry_start "$work/registry" >/dev/null
"${PUSH[@]}" "$work/layout" "$REGISTRY_ADDR/bench/big:latest" --ref big >/dev/null
image=$REGISTRY_ADDR/bench/big:latest

"$root/build-bench/src/daemon/berthd" --root "$work/berth" --exec-root "$work/berth-run" \
  -H "unix://$work/b.sock" --pidfile "$work/berthd.pid" >"$work/berthd.log" 2>&1 &
dockerd --data-root "$work/docker" --exec-root "$work/docker-run" --pidfile "$work/docker.pid" \
  -H "unix://$work/d.sock" --ip-forward=false --iptables=false --ip-masq=false --bridge=none \
  >"$work/dockerd.log" 2>&1 &
for s in b d; do
  for _ in $(seq 200); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done
done
PODMAN=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay --cgroup-manager cgroupfs
  --events-backend file)

declare -A pull=(
  [berthd]="docker -H unix://$work/b.sock pull -q $image"
  [dockerd]="docker -H unix://$work/d.sock pull -q $image"
  [podman]="${PODMAN[*]} pull -q --tls-verify=false $image"
)
declare -A clean=(
  [berthd]="docker -H unix://$work/b.sock image prune -af"
  [dockerd]="docker -H unix://$work/d.sock image prune -af"
  [podman]="${PODMAN[*]} rmi -af"
)
order=(berthd dockerd podman)
for i in $(seq "$runs"); do
  for n in $(printf '%s\n' "${order[@]}" | shuf); do
    ${clean[$n]} >/dev/null 2>&1 || true
    sync
    s=$(date +%s%N)
    ${pull[$n]} >/dev/null
    echo "$n $(( ($(date +%s%N) - s) / 1000000 ))" >>"$work/times"
  done
done

median() { awk -v n="$1" '$1 == n { print $2 }' "$work/times" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
compressed=$(du -sm "$work/layout/blobs" | cut -f1)
printf '\npull of %s (%s MB compressed, %s layers), %s rounds\n' "$image" "$compressed" "${LAYERS:-6}" "$runs"
printf '%-9s %10s %12s %12s\n' engine "median ms" "vs dockerd" "vs podman"
dm=$(median dockerd)
pm=$(median podman)
for n in "${order[@]}"; do
  m=$(median "$n")
  printf '%-9s %10s %11.2fx %11.2fx\n' "$n" "$m" "$(echo "$m / $dm" | bc -l)" "$(echo "$m / $pm" | bc -l)"
done

# The unpack alone: every layer blob of the image, one after the other,
# by berth's unpacker and by tar -xzf (gzip inside tar, one core each).
layers=$(jq -r '.layers[].digest' "$work/layout/blobs/sha256/$(jq -r '.manifests[0].digest' \
  "$work/layout/index.json" | cut -d: -f2)" | cut -d: -f2)
for i in $(seq 3); do
  for tool in berth tar; do
    rm -rf "$work/unpack" && mkdir -p "$work/unpack" && sync
    s=$(date +%s%N)
    n=0
    for l in $layers; do
      n=$((n + 1))
      mkdir "$work/unpack/$n"
      if [ "$tool" = berth ]; then
        "$root/build-bench/tests/helpers/berth-test-unpack" "$work/layout/blobs/sha256/$l" "$work/unpack/$n" >/dev/null
      else
        tar -xzf "$work/layout/blobs/sha256/$l" -C "$work/unpack/$n"
      fi
    done
    echo "$tool $(( ($(date +%s%N) - s) / 1000000 ))" >>"$work/unpack-times"
  done
done
um() { awk -v n="$1" '$1 == n { print $2 }' "$work/unpack-times" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
bu=$(um berth)
tu=$(um tar)
uncompressed=$(du -sm "$work/unpack" | cut -f1)
printf '\nunpack of the same %s layers (%s MB on disk), 3 rounds\n' "${LAYERS:-6}" "$uncompressed"
printf '%-9s %10s %10s\n' tool "median ms" "vs tar"
printf '%-9s %10s %9.2fx\n' berth "$bu" "$(echo "$bu / $tu" | bc -l)"
printf '%-9s %10s %9.2fx\n' "tar -xzf" "$tu" 1
echo "($(uname -r); $(nproc) cpus; storage overlay on $(findmnt -no FSTYPE -T "$work"))"
