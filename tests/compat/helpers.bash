# Shared setup for the compatibility tests: podman, containerd and dockerd
# (Debian's) driving berth-runtime.  Every test has its own roots, state
# directories and sockets under its temp dir, and removes them.

BERTH_ROOT=${BERTH_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BERTH_RUNTIME=${BERTH_RUNTIME:-$BERTH_ROOT/build/src/runtime-main/berth-runtime}

# This host lacks CAP_SYS_RESOURCE: no runtime can raise a hard rlimit above
# what podman's own process has, so the limits podman would ask for by
# default (nofile and nproc at 1048576) are set to values it can grant.
PODMAN_ULIMITS=(--ulimit nofile=20000 --ulimit nproc=4096)

# One busybox image per run, imported into a podman store and exported as an
# OCI archive (for ctr) and a docker archive (for docker load).
image_dir() { echo "$BATS_RUN_TMPDIR/compat-image"; }

make_image() {
  local dir
  dir=$(image_dir)
  [ -f "$dir/ready" ] && return 0
  mkdir -p "$dir"
  "$BERTH_ROOT/scripts/make-rootfs" "$dir/rootfs"
  tar -C "$dir/rootfs" -c . | podman --root "$dir/store" --runroot "$dir/run" --cgroup-manager cgroupfs \
    --events-backend file import - localhost/berth-compat:latest >/dev/null
  podman --root "$dir/store" --runroot "$dir/run" --cgroup-manager cgroupfs --events-backend file \
    save --format oci-archive -o "$dir/oci.tar" localhost/berth-compat:latest 2>/dev/null
  podman --root "$dir/store" --runroot "$dir/run" --cgroup-manager cgroupfs --events-backend file \
    save --format docker-archive -o "$dir/docker.tar" localhost/berth-compat:latest 2>/dev/null
  touch "$dir/ready"
}

# containerd 1.6 puts shim sockets in /run/containerd/s whatever it is told
# (a compile-time constant, containerd#12444).  Note whether we made the
# directory, so that teardown removes it only then; nothing else of
# /run/containerd is touched, and no containerd.sock is ever made there
# (dockerd would adopt it).
note_run_containerd() {
  if [ -e /run/containerd ]; then
    touch "$BATS_TEST_TMPDIR/run-containerd-existed"
  fi
}

cleanup_run_containerd() {
  if [ ! -e "$BATS_TEST_TMPDIR/run-containerd-existed" ] && [ -d /run/containerd ] &&
     [ ! -e /run/containerd/containerd.sock ]; then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
  fi
}

wait_for_socket() { # path [tries]
  local i
  for i in $(seq "${2:-100}"); do
    [ -S "$1" ] && return 0
    sleep 0.1
  done
  echo "no socket at $1" >&2
  return 1
}

# Unmount whatever the daemons left under the test's directory.
unmount_under() {
  grep " $1" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}
