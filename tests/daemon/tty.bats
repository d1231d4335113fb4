#!/usr/bin/env bats
# `docker run -it`, `docker attach` and `docker exec -it` with the real
# docker CLI on a real terminal (tmux on a socket of the test's own):
# the shell's prompt, commands typed, the pane's size inside (stty size)
# and after a resize, ctrl-d and exit with their exit codes, ctrl-p
# ctrl-q detaching while the shell runs on.
#
#   bats tests/daemon/tty.bats

load helpers
load ../lib/tmux

setup_file() {
	require_binaries || return 1
	command -v tmux >/dev/null || {
		echo "tmux is not installed (scripts/setup installs it)" >&2
		return 1
	}
	busybox_tar_setup || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
	dk import -c 'CMD ["sh"]' "$ROOTFS_TAR" ttytest/bb:latest >/dev/null
	export BB=ttytest/bb:latest
}

teardown() {
	tm_cleanup
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

# in_pane NAME DOCKER-ARGS: the shell command a tmux window runs: the
# docker CLI on this test's daemon, then its exit status into $T/NAME.rc
# (the window stays, for capture-pane).
in_pane() {
	local name=$1
	shift
	echo "env DOCKER_CONFIG='$DOCKER_CONFIG' '$DOCKER' -H 'unix://$BERTHD_SOCK' $*; echo rc=\$? >'$T/$name.rc'; sleep 60"
}

# rc_is NAME CODE: wait (5 s) for the pane's docker command to end with CODE.
rc_is() {
	local i=0
	while [ "$(cat "$T/$1.rc" 2>/dev/null)" != "rc=$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(cat "$T/$1.rc" 2>/dev/null)" "rc=$2" "the exit status of $1"
}

# size_is ROWS COLS: type a loop that waits (5 s) for the terminal inside to
# have that size (a resize reaches it a moment after the window's), then
# shows what it has.
size_is() {
	tm send-keys "for i in \$(seq 50); do s=\$(stty size); [ \"\$s\" = '$1 $2' ] && break; sleep 0.1; done; echo \"size:\$s\"" Enter
	screen_has "size:$1 $2"
}

@test "docker run -it: a prompt, commands, the pane's size inside and after a resize, exit's code" {
	tm new-session -d -x 100 -y 30 "$(in_pane run run -it --name it1 "$BB" sh)"
	tm set-option window-size manual
	screen_has "/ #"
	size_is 30 100
	tm send-keys 'echo typed-$((6 * 7)); tty; echo term=$TERM' Enter
	screen_has "typed-42"
	screen_has "/dev/pts/0"
	screen_has "term=xterm"
	tm resize-window -x 120 -y 40
	size_is 40 120
	assert_eq "$(dk inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}} {{.State.Running}}' it1)" "true true true"
	tm send-keys "exit 3" Enter
	rc_is run 3
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' it1)" "exited 3"
}

@test "docker run -it: ctrl-d ends the shell; ctrl-p ctrl-q detaches, the shell runs on, docker attach takes it back" {
	tm new-session -d -x 80 -y 24 "$(in_pane eof run -it --name eof "$BB" sh)"
	screen_has "/ #"
	tm send-keys C-d
	rc_is eof 0
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' eof)" "exited 0"

	tm new-window "$(in_pane det run -it --name det "$BB" sh)"
	screen_has "/ #"
	tm send-keys 'echo $$ >/tmp/shell.pid; echo before-detach' Enter
	screen_has "before-detach"
	tm send-keys C-p C-q
	# the CLI leaves quietly; the shell is still there, its input open
	rc_is det 0
	assert_eq "$(dk inspect -f '{{.State.Running}}' det)" true
	assert_eq "$(dk exec det cat /tmp/shell.pid)" 1

	tm new-window "$(in_pane att attach det)"
	sleep 0.3
	tm send-keys 'echo after-$((1 + 1))' Enter
	screen_has "after-2"
	tm send-keys "exit 4" Enter
	rc_is att 4
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' det)" "exited 4"
}

@test "docker exec -it: a prompt, the size and a resize, ctrl-d, exit's code; ctrl-p ctrl-q leaves the shell running" {
	dk run -d --name ex "$BB" sleep 1000 >/dev/null
	tm new-session -d -x 90 -y 25 "$(in_pane ex1 exec -it -e FROM_EXEC=yes -w /tmp ex sh)"
	tm set-option window-size manual
	screen_has "/tmp #"
	size_is 25 90
	tm send-keys 'echo $FROM_EXEC-$((2 * 3)); tty' Enter
	screen_has "yes-6"
	screen_has "/dev/pts/"
	tm resize-window -x 110 -y 35
	size_is 35 110
	tm send-keys C-d
	rc_is ex1 0

	tm new-window "$(in_pane ex2 exec -it ex sh)"
	screen_has "/ #"
	tm send-keys "exit 5" Enter
	rc_is ex2 5

	tm new-window "$(in_pane ex3 exec -it ex sh -c \''echo in-exec; exec sleep 1000'\')"
	screen_has "in-exec"
	tm send-keys C-p C-q
	# the CLI reports the detach of an exec as docker attach does
	screen_has "read escape sequence"
	rc_is ex3 1
	# the exec's process goes on in the container after the detach
	local i=0
	while ! dk top ex | grep -q "sleep 1000" && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	assert_eq "$(dk top ex | grep -c 'sleep 1000')" 2
	assert_eq "$(dk inspect -f '{{.State.Running}}' ex)" true
}
