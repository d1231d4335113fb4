#!/usr/bin/env bats
# podman --runtime berth-runtime: run, memory limit, exec.

load helpers

setup() {
  make_image
  P=(podman --root "$BATS_TEST_TMPDIR/store" --runroot "$BATS_TEST_TMPDIR/run" --cgroup-manager cgroupfs
     --events-backend file --runtime "$BERTH_RUNTIME")
  "${P[@]}" load -i "$(image_dir)/oci.tar" >/dev/null
}

teardown() {
  "${P[@]}" rm -a -f >/dev/null 2>&1 || true
  "${P[@]}" system reset -f >/dev/null 2>&1 || true
  unmount_under "$BATS_TEST_TMPDIR"
}

@test "podman run --rm with berth-runtime" {
  run "${P[@]}" run --rm "${PODMAN_ULIMITS[@]}" localhost/berth-compat:latest sh -c 'echo hello from berth; echo pid $$'
  [ "$status" -eq 0 ]
  [[ "$output" == *"hello from berth"* ]]
  [[ "$output" == *"pid 1"* ]]
}

@test "podman run -m 64m: the limit is in the container's memory cgroup" {
  run "${P[@]}" run --rm "${PODMAN_ULIMITS[@]}" -m 64m localhost/berth-compat:latest \
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "67108864" ]
}

@test "podman exec joins the container started by berth-runtime" {
  run "${P[@]}" run -d --name berth-exec "${PODMAN_ULIMITS[@]}" localhost/berth-compat:latest sleep 300
  [ "$status" -eq 0 ]
  init_ns=$("${P[@]}" exec berth-exec readlink /proc/1/ns/pid)
  run "${P[@]}" exec berth-exec sh -c 'readlink /proc/self/ns/pid; echo exec-ok'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$init_ns" ]
  [ "${lines[1]}" = "exec-ok" ]
  run "${P[@]}" stop -t 1 berth-exec
  [ "$status" -eq 0 ]
}
