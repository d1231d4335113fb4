#!/usr/bin/env bats
# berth-shim: create, start, state, kill, wait, the exit file, and what the
# shim leaves behind.

load helpers

setup_file() {
	shim_setup_file
}

setup() {
	setup_shim
}

teardown() {
	teardown_shim
}

@test "shim: create reports the init's pid, start runs it, the exit is recorded and the shim cleans up" {
	# The init of a pid namespace ignores signals it has no handler for.
	set_args sh -c 'trap "exit 42" TERM; echo started; sleep 1000 & wait'
	start_shim
	[ "$(runtime_status "$CID")" = created ]
	[ "$("$BERTH_RUNTIME" --root "$RROOT" state "$CID" | jq .pid)" = "$CTR_PID" ]
	pid_alive "$SHIM_PID"
	# The caller's process is gone; the shim is in a session of its own.
	[ "$(ps -o sid= -p "$SHIM_PID" | tr -d ' ')" = "$SHIM_PID" ]
	for f in control.sock attach.sock; do
		[ -S "$STATE/$f" ]
		[ "$(stat -c %a "$STATE/$f")" = 600 ]
	done
	[ "$(cat "$STATE/pid")" = "$CTR_PID" ]
	[ -f "$STATE/shim.log" ] && [ -f "$STATE/runtime.log" ]
	[ "$(ctl state)" = "running $CTR_PID" ]
	[ "$(ctl start)" = ok ]
	wait_for grep -q started "$LOG"
	[ "$(runtime_status "$CID")" = running ]
	wait_bg
	[ "$(ctl kill TERM)" = ok ]
	wait_result
	[ "$REPLY" = "exited 42" ]
	grep -Eqx '42 [0-9]{19}' "$STATE/exit"
	wait_gone "$SHIM_PID"
	# Sockets and the runtime's state are gone; the exit file and logs stay.
	[ ! -e "$STATE/control.sock" ] && [ ! -e "$STATE/attach.sock" ] && [ ! -e "$STATE/shim.pid" ]
	[ -z "$(ls -A "$RROOT")" ]
	[ -f "$STATE/exit" ] && [ -f "$LOG" ] && [ -f "$STATE/shim.log" ]
}

@test "shim: the exit code of 'exit 3', and the exit time" {
	set_args sh -c 'exit 3'
	start_shim
	before=$(date +%s%N)
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 3" ]
	read -r code nanos <"$STATE/exit"
	[ "$code" = 3 ]
	[ "$nanos" -ge "$before" ] && [ "$nanos" -le "$(date +%s%N)" ]
	wait_gone "$SHIM_PID"
}

@test "shim: a container killed with 'kill 9' exits 137" {
	start_shim
	[ "$(ctl start)" = ok ]
	wait_bg
	[ "$(ctl kill 9)" = ok ]
	wait_result
	[ "$REPLY" = "exited 137" ]
	grep -Eqx '137 [0-9]+' "$STATE/exit"
}

@test "shim: every wait is answered, before and after start; state and kill after the exit" {
	set_args sh -c 'read x; exit 0'
	start_shim --stdin
	"$PYTHON" "$SHIMCTL" request "$STATE/control.sock" wait >"$T/w1" &
	w1=$!
	"$PYTHON" "$SHIMCTL" request "$STATE/control.sock" wait >"$T/w2" &
	w2=$!
	[ "$(ctl start)" = ok ]
	"$PYTHON" "$SHIMCTL" request "$STATE/control.sock" wait >"$T/w3" &
	w3=$!
	sleep 0.2
	[ "$(ctl close-stdin)" = ok ]
	wait "$w1" "$w2" "$w3"
	[ "$(cat "$T/w1")" = "exited 0" ] && [ "$(cat "$T/w2")" = "exited 0" ] && [ "$(cat "$T/w3")" = "exited 0" ]
}

@test "shim: bad control requests get an error line" {
	start_shim
	[[ "$(ctl frobnicate)" == "error unknown request"* ]]
	[[ "$(ctl kill NOSUCHSIG)" == "error kill: invalid signal"* ]]
	[[ "$(ctl resize 10)" == "error usage: resize ROWS COLS" ]]
	[[ "$(ctl resize 40 100)" == "error container $CID has no terminal" ]]
	[[ "$(ctl exec ../x /p.json)" == "error invalid exec id"* ]]
	[[ "$(ctl wait-exec nosuch)" == "error no exec session nosuch" ]]
	[ "$(ctl state)" = "running $CTR_PID" ]
}

@test "shim: it survives SIGKILL of the process that started it" {
	set_args sh -c 'echo alive; sleep 1000'
	# The caller: a process group that starts the shim and stays, as
	# berthd would; then the whole group is SIGKILLed.
	setsid bash -c '"$0" --bundle "$1" --state-dir "$2" --runtime "$3" --runtime-root "$4" --log-path "$5" --sync-fd 5 "$6" 5>"$7" </dev/null >/dev/null 2>&1; exec sleep 1000' \
		"$BERTH_SHIM" "$BUNDLE" "$STATE" "$BERTH_RUNTIME" "$RROOT" "$LOG" "$CID" "$T/sync" 3>&- &
	caller=$!
	wait_for grep -q '^ok' "$T/sync"
	SHIM_PID=$(cat "$STATE/shim.pid")
	kill -KILL -- "-$caller"
	wait "$caller" || true
	pid_alive "$SHIM_PID"
	[ "$(ctl start)" = ok ]
	wait_for grep -q alive "$LOG"
	wait_bg
	[ "$(ctl kill KILL)" = ok ]
	wait_result
	[ "$REPLY" = "exited 137" ]
}

@test "shim: no descriptor leaks into the container, nor the caller's into the shim" {
	# "; true": a last command would be exec'ed, listing ls's own fds.
	set_args sh -c 'ls /proc/$$/fd; true'
	exec 7>"$T/leak-me"
	start_shim
	exec 7>&-
	# The shim holds nothing of its caller's (the leaked fd 7, the sync fd).
	! ls -l "/proc/$SHIM_PID/fd" | grep -q -e "$T/leak-me" -e "$T/sync"
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 0" ]
	[ "$(log_text "$LOG" | sort -n | tr '\n' ' ')" = "0 1 2 " ]
}

@test "shim: --runtime runc runs the container" {
	command -v runc >/dev/null || skip "runc is not installed"
	set_args sh -c 'echo from-runc; echo err-runc >&2; exit 4'
	SHIM_RUNTIME=runc start_shim
	[ "$(runc --root "$RROOT" state "$CID" | jq -r .status)" = created ]
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 4" ]
	[ "$(jq -r 'select(.stream == "stdout") | .log' "$LOG")" = from-runc ]
	[ "$(jq -r 'select(.stream == "stderr") | .log' "$LOG")" = err-runc ]
	wait_gone "$SHIM_PID"
	[ -z "$(ls -A "$RROOT")" ]
}

@test "shim: --runtime crun runs the container" {
	command -v crun >/dev/null || skip "crun is not installed"
	update_config '.ociVersion = "1.0.2"'
	set_args sh -c 'echo from-crun; exit 6'
	# crun 1.8 refuses this host's hybrid cgroup layout (v2 controllers
	# next to v1): the shim runs where the v2 tree offers none, as
	# bench/runtime-run.sh does for crun.
	status=0
	unshare --mount --propagation private sh -c \
		'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; exec "$@"' sh \
		"$BERTH_SHIM" --bundle "$BUNDLE" --state-dir "$STATE" --runtime crun --runtime-root "$RROOT" \
		--log-path "$LOG" --sync-fd 5 "$CID" 5>"$T/sync" </dev/null 3>&- || status=$?
	echo "status $status: $(cat "$T/sync")"
	[ "$status" -eq 0 ]
	wait_bg
	[ "$(ctl start)" = ok ]
	wait_result
	[ "$REPLY" = "exited 6" ]
	[ "$(jq -r .log "$LOG")" = from-crun ]
}
