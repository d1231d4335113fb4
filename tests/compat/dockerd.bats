#!/usr/bin/env bats
# dockerd --add-runtime berth=berth-runtime, driven by the docker CLI.

load helpers

setup() {
  make_image
  note_run_containerd
  K=$BATS_TEST_TMPDIR/docker
  mkdir -p "$K"
  # Its own everything; no networking changes on the host.  dockerd starts
  # its own containerd under --exec-root because /run/containerd holds no
  # containerd.sock.
  dockerd --data-root "$K/data" --exec-root "$K/exec" --pidfile "$K/pid" -H "unix://$K/docker.sock" \
    --ip-forward=false --iptables=false --ip-masq=false --bridge=none \
    --add-runtime "berth=$BERTH_RUNTIME" >"$K/log" 2>&1 &
  wait_for_socket "$K/docker.sock" 200
  DK=(docker -H "unix://$K/docker.sock")
  "${DK[@]}" load -i "$(image_dir)/docker.tar" >/dev/null
}

teardown() {
  "${DK[@]}" rm -f $("${DK[@]}" ps -aq) >/dev/null 2>&1 || true
  kill "$(cat "$K/pid")" 2>/dev/null || true
  for i in $(seq 100); do [ -e "$K/pid" ] && kill -0 "$(cat "$K/pid")" 2>/dev/null || break; sleep 0.1; done
  unmount_under "$BATS_TEST_TMPDIR"
  cleanup_run_containerd
}

@test "docker run --runtime berth with -m, --cpus, --pids-limit, --cap-drop" {
  run "${DK[@]}" run --runtime berth --rm -m 64m --cpus 0.5 --pids-limit 50 --cap-drop NET_RAW \
    localhost/berth-compat:latest sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes \
      /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; grep -E "^(CapEff|Seccomp):" /proc/self/status'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "67108864" ]
  [ "${lines[1]}" = "50000" ]
  [ "${lines[2]}" = "50" ]
  # docker's default capabilities less NET_RAW (bit 13), and docker's
  # default seccomp profile in force.
  [[ "${lines[3]}" == *"00000000a80405fb" ]]
  [[ "${lines[4]}" == *"2" ]]
}

@test "docker run --runtime berth with a seccomp profile denying mkdir" {
  cat > "$K/profile.json" <<'JSON'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}
JSON
  run "${DK[@]}" run --runtime berth --rm --security-opt "seccomp=$K/profile.json" localhost/berth-compat:latest \
    sh -c 'mkdir /tmp/x 2>&1; echo status=$?'
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" == *"status=1"* ]]
}

@test "docker exec, pause and unpause, stats, update on a berth container" {
  "${DK[@]}" run --runtime berth -d --name b1 -m 64m localhost/berth-compat:latest sleep 300
  run "${DK[@]}" exec b1 sh -c 'echo exec-ok'
  [ "$output" = "exec-ok" ]
  run "${DK[@]}" pause b1
  [ "$status" -eq 0 ]
  run "${DK[@]}" inspect -f '{{.State.Status}}' b1
  [ "$output" = "paused" ]
  run "${DK[@]}" unpause b1
  [ "$status" -eq 0 ]
  run "${DK[@]}" stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' b1
  [ "$status" -eq 0 ]
  [[ "$output" == *"64MiB"* ]]
  run "${DK[@]}" update --memory 96m --memory-swap 200m --pids-limit 33 b1
  [ "$status" -eq 0 ]
  run "${DK[@]}" exec b1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
  [ "${lines[0]}" = "100663296" ]
  [ "${lines[1]}" = "33" ]
}
