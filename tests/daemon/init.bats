#!/usr/bin/env bats
# docker run --init through the real docker CLI: a static init (tini) bound
# in at /sbin/docker-init runs as PID 1 and the command as its child; it
# reaps orphans and forwards signals; a missing or unusable init binary is
# a clear error.
#
#   bats tests/daemon/init.bats

load helpers

setup_file() {
	require_binaries || return 1
	busybox_tar_setup || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
}

teardown() {
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

start() {
	berthd_start "$@"
	dk import "$ROOTFS_TAR" bb
}

@test "init: docker-init is PID 1, the command its child; HostConfig.Init" {
	start
	run dk run --rm --init bb sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo ppid $PPID; readlink /proc/1/exe'
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "${lines[0]}" "/sbin/docker-init -- sh -c tr \"\\0\" \" \" </proc/1/cmdline; echo; echo ppid \$PPID; readlink /proc/1/exe "
	assert_eq "${lines[1]}" "ppid 1"
	assert_eq "${lines[2]}" "/sbin/docker-init"
	dk create --name c --init bb true >/dev/null
	assert_eq "$(dk inspect --format '{{.HostConfig.Init}} {{.Path}}' c)" "true true"
	# without --init the command is PID 1
	assert_eq "$(dk run --rm bb cat /proc/1/cmdline | tr '\0' ' ')" "cat /proc/1/cmdline "
	assert_eq "$(dk run --rm --init bb cat /proc/1/cmdline | tr '\0' ' ')" "/sbin/docker-init -- cat /proc/1/cmdline "
}

# zombies NAME: the zombie processes in the container
zombies() {
	dk exec "$1" ps -o stat,pid,args | awk '$1 ~ /^Z/'
}

@test "init: an orphan that exits is reaped (and is a zombie without --init)" {
	start
	# the orphan's parent exits at once; PID 1 is sleep (it reaps no one) or the init
	dk run -d --name with --init bb sh -c '(sleep 0.3 &); exec sleep 300' >/dev/null
	dk run -d --name without bb sh -c '(sleep 0.3 &); exec sleep 300' >/dev/null
	local i=0
	while [ -z "$(zombies without)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -n "$(zombies without)" ]
	# the same orphan has exited in "with" by now: gone, not a zombie
	i=0
	while dk exec with ps -o args | grep -q '^sleep 0.3' && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(zombies with)" ""
	dk exec with ps -o args | grep -v '^sleep 0.3'
}

@test "init: docker stop's signal reaches the command: a quick exit 143" {
	start
	dk run -d --name s --init bb sh -c 'sleep 300 & wait' >/dev/null
	local t0=$SECONDS
	dk stop -t 20 s >/dev/null
	[ $((SECONDS - t0)) -lt 10 ]
	assert_eq "$(dk inspect --format '{{.State.ExitCode}}' s)" 143
}

@test "init: a missing or dynamic init binary is a clear error" {
	start --init-path /nonexistent/docker-init
	run dk run --rm --init bb true
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "init binary /nonexistent/docker-init"
	# without --init nothing needs it
	run dk run --rm bb true
	[ "$status" -eq 0 ]
	berthd_stop
	local dyn
	dyn=$(command -v tini || echo /usr/bin/tini)
	if [ -x "$dyn" ] && readelf -l "$dyn" 2>/dev/null | grep -q INTERP; then
		berthd_start --init-path "$dyn"
		run dk create --init bb true
		echo "$output"
		[ "$status" -ne 0 ]
		assert_contains "$output" "dynamically linked"
	fi
}
