#!/usr/bin/env bats
# containerd's runc shim (io.containerd.runc.v2) with berth-runtime as its binary.

load helpers

setup() {
  make_image
  note_run_containerd
  D=$BATS_TEST_TMPDIR/containerd
  mkdir -p "$D"
  cat > "$D/config.toml" <<CONF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[debug]
  address = "$D/debug.sock"
CONF
  containerd --config "$D/config.toml" >"$D/log" 2>&1 &
  echo $! > "$D/pid"
  wait_for_socket "$D/containerd.sock"
  C=(ctr --address "$D/containerd.sock" -n berth-compat)
  RUN=(--runc-binary "$BERTH_RUNTIME" --runc-root "$D/runtime" --fifo-dir "$D/fifo")
  "${C[@]}" images import --base-name localhost/berth-compat "$(image_dir)/oci.tar" >/dev/null
}

teardown() {
  for t in $("${C[@]}" task ls -q 2>/dev/null); do "${C[@]}" task kill -s SIGKILL "$t" 2>/dev/null; done
  sleep 0.2
  for t in $("${C[@]}" task ls -q 2>/dev/null); do "${C[@]}" task rm -f "$t" 2>/dev/null; done
  for c in $("${C[@]}" containers ls -q 2>/dev/null); do "${C[@]}" containers rm "$c" 2>/dev/null; done
  kill "$(cat "$D/pid")" 2>/dev/null || true
  wait "$(cat "$D/pid")" 2>/dev/null || true
  unmount_under "$BATS_TEST_TMPDIR"
  cleanup_run_containerd
  # containerd puts containers under /<namespace>/<id>: the leaves went
  # with the containers, the namespace's own directory is ours to remove.
  rmdir /sys/fs/cgroup/*/berth-compat 2>/dev/null || true
}

@test "ctr run --rm through the runc shim and berth-runtime" {
  run "${C[@]}" run --rm "${RUN[@]}" localhost/berth-compat:latest t1 sh -c 'echo hello from berth; echo pid $$'
  [ "$status" -eq 0 ]
  [[ "$output" == *"hello from berth"* ]]
  [[ "$output" == *"pid 1"* ]]
  # The shim called berth-runtime with its own root: the state went there.
  [ -d "$D/runtime/berth-compat" ]
}

@test "ctr: exec, pause and resume a running container" {
  "${C[@]}" run -d "${RUN[@]}" localhost/berth-compat:latest t2 sleep 300
  run "${C[@]}" task exec --fifo-dir "$D/fifo" --exec-id e1 t2 sh -c 'echo exec-ok'
  [ "$status" -eq 0 ]
  [ "$output" = "exec-ok" ]
  run "${C[@]}" task pause t2
  [ "$status" -eq 0 ]
  run "${C[@]}" task ls
  [[ "$output" == *"PAUSED"* ]]
  # berth-runtime reports the same state to anyone who asks.
  run "$BERTH_RUNTIME" --root "$D/runtime/berth-compat" state t2
  [[ "$output" == *'"status": "paused"'* ]]
  "${C[@]}" task resume t2
  run "${C[@]}" task ls
  [[ "$output" == *"RUNNING"* ]]
}
