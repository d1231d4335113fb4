#!/usr/bin/env bats
# berth stats, update and system df against the test's daemon
# (BERTH_TEST_DAEMON=berthd, or dockerd by default): the figures read from
# what the containers did, the limits from inspect.
#
# One daemon for the whole file; the image is a busybox rootfs imported
# with the docker CLI (both daemons take it).

load helpers

setup_file() {
	export DOCKER_CONFIG=$BATS_FILE_TMPDIR/config
	"$BATS_TEST_DIRNAME/../../scripts/make-rootfs" "$BATS_FILE_TMPDIR/rootfs" >/dev/null || return 1
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_start || return 1
	tar -C "$BATS_FILE_TMPDIR/rootfs" -c . | timeout 60 /usr/local/bin/docker import - statsbb >/dev/null || return 1
}

teardown_file() {
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR daemon_stop
}

setup() {
	cli_setup
	export DOCKER_HOST
}

teardown() {
	local ids
	ids=$(berth ps -aq 2>/dev/null) || true
	[ -z "$ids" ] || berth rm -f $ids >/dev/null 2>&1 || true
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${DAEMON_LOG:-}" ]; then
		echo "--- $BERTH_TEST_DAEMON log (last 30 lines):"
		tail -30 "$DAEMON_LOG"
	fi
	return 0
}

# wait_ready NAME: until the container touched /ready
wait_ready() {
	local i=0
	while ! berth exec "$1" test -e /ready 2>/dev/null && ! /usr/local/bin/docker exec "$1" test -e /ready 2>/dev/null; do
		[ $i -lt 100 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

@test "berth stats --no-stream: the table, memory used and processes started; --format, -a, --no-trunc" {
	berth run -d --name st1 -m 64m statsbb sh -c \
		'dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null; sleep 1000 & sleep 1000 & touch /ready; wait' >/dev/null
	berth create --name st2 statsbb true >/dev/null
	wait_ready st1
	local id
	id=$(berth inspect -f '{{.Id}}' st1)
	run berth stats --no-stream
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^${id:0:12}\ +st1\ +[0-9]+\.[0-9]{2}%\ +2[0-9](\.[0-9]+)?MiB\ /\ 64MiB\ +[34][0-9]\.[0-9]{2}%\ .*\ 3$ ]]
	run berth stats --no-stream -a --no-trunc --format '{{.ID}} {{.Name}} {{.PIDs}}'
	echo "$output"
	[[ "$output" == *"$id st1 3"* ]]
	[[ "$output" == *" st2 0"* ]]
	run berth stats --no-stream --format '{{.Container}}: {{.MemPerc}}' st1
	[[ "$output" =~ ^st1:\ [34][0-9]\.[0-9]{2}%$ ]]
	run berth stats --no-stream nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such container"* ]]
}

@test "berth update: limits shown by inspect; the daemon's refusal; no flags" {
	berth run -d --name up1 -m 64m statsbb sleep 1000 >/dev/null
	run berth update -m 32m --memory-swap 64m --cpus 0.5 --cpu-shares 256 --pids-limit 15 --restart always up1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = up1 ]
	run berth inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' up1
	[ "$output" = "33554432 67108864 500000000 256 15 always" ]
	run berth update -m 64m --memory-swap 32m up1
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: Minimum memoryswap limit should be larger than memory limit, see usage" ]
	run berth update up1
	[ "$status" -eq 1 ]
	[ "$output" = "you must provide one or more flags when using this command" ]
	run berth update -m lots up1
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid argument "lots" for "-m, --memory" flag'* ]]
}

@test "berth system df: the summary counts what is there; -v lists the volume with its size" {
	berth volume create dfvol >/dev/null
	berth run -d --name df1 -v dfvol:/data statsbb sh -c 'head -c 4000 /dev/zero > /data/f; touch /ready; sleep 1000' >/dev/null
	wait_ready df1
	run berth system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Images 1 1" ]
	[ "${lines[1]}" = "Containers 1 1" ]
	[ "${lines[2]}" = "Local Volumes 1 1" ]
	[ "${lines[3]}" = "Build Cache 0 0" ]
	run berth system df
	[[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
	[[ "${lines[3]}" =~ ^Local\ Volumes\ +1\ +1\ +4kB\ +0B\ \(0%\)$ ]]
	run berth system df -v
	echo "$output"
	[[ "$output" == *"Local Volumes space usage:"* ]]
	[[ "$output" =~ dfvol\ +1\ +4kB ]]
}
