#!/usr/bin/env bats
# The Engine API through a second client, written independently of the
# docker CLI: Debian's python3-docker (docker-py).  Each test is one area
# of dockerpy_suite.py (system, images, run, logs, exec, lifecycle, list,
# inspect, volumes, prune, events) against a daemon of its own, and
# fails with the first answer that differs from dockerd's.
#
#   bats tests/daemon/dockerpy.bats

load helpers

setup_file() {
	require_binaries || return 1
	"$REGISTRY_PYTHON" -c 'import docker' 2>/dev/null || {
		echo "python3-docker is not installed for $REGISTRY_PYTHON (scripts/setup installs it)" >&2
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
	dk import -c 'CMD ["sh"]' "$ROOTFS_TAR" pytest/bb:latest >/dev/null
}

teardown() {
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

# suite AREA: that area of dockerpy_suite.py, against this test's berthd.
suite() {
	run timeout 120 "$REGISTRY_PYTHON" "$_DAEMON_TESTS/dockerpy_suite.py" "$BERTHD_SOCK" pytest/bb:latest "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "${lines[-1]}" "ok: $1"
}

@test "docker-py: ping, version, info (the counts of containers and images)" {
	suite system
}

@test "docker-py: images get, list, inspect, tag, remove, history; rmi of an image in use" {
	suite images
}

@test "docker-py: containers.run attached and detached, its output, errors and stdin" {
	suite run
}

@test "docker-py: logs: stdout and stderr apart, tail, timestamps, since, until, a followed stream" {
	suite logs
}

@test "docker-py: exec_run: demuxed output, exit code, environment, workdir, user, tty; exec create/start/inspect" {
	suite exec
}

@test "docker-py: exec_run's output written at once is never lost (the exec starts after the 101)" {
	suite exec_output_first
}

@test "docker-py: top, pause, unpause, rename, restart, stop, kill, wait, remove" {
	suite lifecycle
}

@test "docker-py: containers.list with filters, limit and summary fields" {
	suite list
}

@test "docker-py: container attrs: State, Config, HostConfig, Mounts, and the settings inside" {
	suite inspect
}

@test "docker-py: volumes create, get, list, remove, prune" {
	suite volumes
}

@test "docker-py: containers.prune with label filters" {
	suite prune
}

@test "docker-py: events with filters, since and until, decoded; a live event" {
	suite events
}
