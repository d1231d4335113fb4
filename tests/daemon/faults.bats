#!/usr/bin/env bats
# Faults: berthd killed (-9) in the middle of create, start, stop and a log
# flood; a container's shim killed; a full disk under the logs; and 200
# containers made and removed with nothing leaked (mounts, cgroups, shims,
# processes, fds, rows, directories).
#
#   bats tests/daemon/faults.bats
#
# Other tests run on this machine at the same time: every check is scoped to
# this test's daemon (its root and exec-root, its pid, the IDs it created).

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
	# a token in the containers' command lines: their processes are ours
	TOKEN=$((7000000 + $$ % 1000000))
	BB=faults/bb
	IDS_FILE=$T/ids
	: >"$IDS_FILE"
}

teardown() {
	if [ -n "${BERTHD_PID:-}" ]; then
		dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	fi
	# whatever a failed test left running of ours
	local id
	for id in $(sort -u "$IDS_FILE" 2>/dev/null); do
		"$BERTH_RUNTIME" --root "$BERTHD_EXEC/runtime" delete -f "$id" >/dev/null 2>&1 || true
	done
	kill_our_shims
	daemon_teardown
	[ -z "${TMPFS:-}" ] || umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS" 2>/dev/null || true
}

start_and_import() {
	berthd_start "$@" || return 1
	dk import "$ROOTFS_TAR" "$BB" >/dev/null
}

# wait_for DESCRIPTION SECONDS CMD...: until CMD succeeds.
wait_for() {
	local what=$1 n=$(($2 * 20))
	shift 2
	while ! "$@"; do
		n=$((n - 1))
		if [ "$n" -le 0 ]; then
			echo "timed out waiting for $what" >&2
			return 1
		fi
		sleep 0.05
	done
}

# our_shims: pids of berth-shim processes serving this daemon.
our_shims() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		[ "${exe##*/}" = berth-shim ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$BERTHD_EXEC/" && echo "${p#/proc/}"
	done
	return 0
}

kill_our_shims() {
	local p
	for p in $(our_shims); do kill -KILL "$p" 2>/dev/null || true; done
}

# our_procs: pids of our containers' processes (their command line holds
# the token).
our_procs() {
	pgrep -f "sleep $TOKEN" || true
}

procs_running() {
	[ -n "$(our_procs)" ]
}

no_procs() {
	[ -z "$(our_procs)" ]
}

some_container_dir() {
	[ -n "$(ls "$BERTHD_ROOT/containers" 2>/dev/null)" ]
}

logs_are() {
	[ "$(dk logs "$1" 2>&1)" = "$2" ]
}

disk_full() {
	[ "$(df --output=avail "$1" | tail -1)" -lt 8 ]
}

# remember IDS...: containers this test made (for the cgroup check).
remember() {
	printf '%s\n' "$@" >>"$IDS_FILE"
}

# leaks: print what the daemon left that belongs to no container; empty
# when clean.  Call after every container was removed.
leaks() {
	local id d
	grep -F " $BD/" /proc/self/mountinfo | awk -v t="${TMPFS:-}" '$5 != t { print "mount: " $5 }'
	for id in $(sort -u "$IDS_FILE"); do
		for d in /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id"; do
			[ -e "$d" ] && echo "cgroup: $d"
		done
	done
	for id in $(our_shims); do echo "shim: $id $(tr '\0' ' ' <"/proc/$id/cmdline")"; done
	for id in $(our_procs); do echo "process: $id $(tr '\0' ' ' <"/proc/$id/cmdline" 2>/dev/null)"; done
	for d in "$BERTHD_ROOT/containers" "$BERTHD_EXEC/containers" "$BERTHD_EXEC/runtime"; do
		find "$d" -mindepth 1 -maxdepth 1 ! -name "@*" ! -name filler 2>/dev/null |
			while read -r l; do echo "dir: $l $(ls "$l" | tr '\n' ' ')"; done
	done
	db_query 'SELECT id, name FROM containers' | sed 's/^/row: /'
	db_query 'SELECT * FROM volume_refs' | sed 's/^/volume ref: /'
}

assert_no_leaks() {
	local l
	l=$(leaks)
	if [ -n "$l" ]; then
		echo "leaked:" >&2
		echo "$l" >&2
		return 1
	fi
}

# rm_all: docker rm -f of every container; each must succeed.
rm_all() {
	local ids
	ids=$(dk ps -aq --no-trunc) || return 1
	[ -z "$ids" ] && return 0
	# shellcheck disable=SC2086
	dk rm -f $ids >/dev/null
}

# consistent: every container listed has its files; every directory under
# ROOT/containers is a listed container's.
consistent() {
	local ids id d
	ids=$(dk ps -aq --no-trunc | sort) || return 1
	for id in $ids; do
		[ -f "$BERTHD_ROOT/containers/$id/hostname" ] || {
			echo "container $id is listed without its files" >&2
			return 1
		}
	done
	for d in "$BERTHD_ROOT"/containers/*; do
		[ -e "$d" ] || continue
		grep -qx "${d##*/}" <<<"$ids" || {
			echo "$d belongs to no container" >&2
			return 1
		}
	done
}

running_of() {
	dk inspect -f '{{.State.Running}}' "$1"
}

is_running() {
	[ "$(running_of "$1")" = true ]
}

is_exited() {
	[ "$(dk inspect -f '{{.State.Status}}' "$1")" = exited ]
}

# a runtime wrapper that holds `VERB` until the file $T/go exists, after
# saying so in $T/held.VERB: a hook point inside a start
slow_runtime() {
	local verb=$1 w=$T/slow-runtime
	cat >"$w" <<-EOF
		#!/bin/sh
		for a in "\$@"; do
			if [ "\$a" = $verb ]; then
				: >"$T/held.$verb"
				i=0
				while [ ! -e "$T/go" ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done
				break
			fi
		done
		exec "$BERTH_RUNTIME" "\$@"
	EOF
	chmod +x "$w"
	echo "$w"
}

@test "faults: kill -9 of berthd while creates are in flight: each container has its files or is gone; rm -f works" {
	start_and_import
	local i pids=()
	for i in $(seq 1 12); do
		dk create --name "c$i" "$BB" sleep "$TOKEN" >/dev/null 2>&1 &
		pids+=($!)
	done
	wait_for "a first create" 20 some_container_dir
	berthd_kill9
	for i in "${pids[@]}"; do wait "$i" || true; done
	remember $(ls "$BERTHD_ROOT/containers")
	start_and_import
	consistent
	remember $(dk ps -aq --no-trunc)
	# the survivors work: start one, then remove all
	local first
	first=$(dk ps -aq | head -1)
	[ -n "$first" ]
	dk start "$first" >/dev/null
	is_running "$first"
	rm_all
	assert_eq "$(dk ps -aq)" ""
	assert_no_leaks
}

@test "faults: kill -9 of berthd in the middle of a start: after the restart the container is not left running behind berthd's back, starts again, and rm -f leaves nothing" {
	local wrap
	wrap=$(slow_runtime start)
	start_and_import --runtime "$wrap"
	local id
	id=$(dk create "$BB" sh -c "echo up; exec sleep $TOKEN")
	remember "$id"
	dk start "$id" >"$T/start.out" 2>&1 &
	local client=$!
	# the shim has created the container and asked the runtime to start it
	wait_for "the held start" 20 test -e "$T/held.start"
	berthd_kill9
	: >"$T/go"
	wait "$client" || true
	# the start goes through behind the dead berthd's back
	wait_for "the container's process" 20 procs_running
	berthd_start --runtime "$wrap"
	# berthd never recorded it as running: it must not run unseen
	assert_eq "$(running_of "$id")" false "Running after the restart"
	wait_for "the orphan's end" 10 no_procs
	assert_eq "$(our_shims)" "" "shims"
	# it starts again (the stale state is not in the way), runs and stops
	run dk start "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	is_running "$id"
	[ "$(our_procs | wc -l)" -eq 1 ]
	dk stop -t 1 "$id" >/dev/null
	rm_all
	assert_no_leaks
}

@test "faults: kill -9 of berthd in the middle of a stop of a container that ignores SIGTERM: re-adopted, stops, rm -f works" {
	start_and_import
	local id
	id=$(dk run -d --stop-timeout 30 "$BB" sh -c "trap '' TERM; echo up; exec sleep $TOKEN")
	remember "$id"
	wait_for "the log" 10 logs_are "$id" up
	dk stop "$id" >"$T/stop.out" 2>&1 &
	local client=$!
	# the SIGTERM went and was ignored (the stop waits for its timeout)
	sleep 0.5
	berthd_kill9
	wait "$client" || true
	berthd_start
	is_running "$id"
	[ "$(our_procs | wc -l)" -eq 1 ]
	run dk stop -t 1 "$id"
	[ "$status" -eq 0 ]
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" "exited 137"
	[ -z "$(our_procs)" ]
	assert_eq "$(dk logs "$id")" up
	rm_all
	assert_no_leaks
}

# valid_json_lines FILE...: every line of every file is a JSON object with
# log, stream and time.
valid_json_lines() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		jq -e -c 'select((.log | type) != "string" or (.stream | type) != "string" or (.time | type) != "string")' \
			"$f" >"$T/bad" 2>&1 && {
			echo "$f: entries without log, stream or time:" >&2
			head -3 "$T/bad" >&2
			return 1
		}
		jq -c . "$f" >/dev/null || {
			echo "$f: lines that are not JSON" >&2
			return 1
		}
	done
	return 0
}

@test "faults: kill -9 of berthd during a log flood: the logs stay valid json-file lines, docker logs works, rm -f leaves nothing" {
	start_and_import
	local id dir
	id=$(dk run -d --log-opt max-size=512k --log-opt max-file=3 "$BB" \
		sh -c "exec 3>&1; while :; do echo 'flood <&> \"quoted\" line $TOKEN'; echo 'to stderr' >&2; done")
	remember "$id"
	dir=$BERTHD_ROOT/containers/$id
	wait_for "a rotation" 20 test -e "$dir/$id-json.log.1"
	berthd_kill9
	berthd_start
	is_running "$id"
	# the flood went on while berthd was away
	wait_for "a second rotation" 20 test -e "$dir/$id-json.log.2"
	dk stop -t 1 "$id" >/dev/null
	valid_json_lines "$dir/$id-json.log" "$dir/$id-json.log.1" "$dir/$id-json.log.2"
	# docker logs reads the rotated files too, oldest first (the live
	# file alone may hold a single entry just after a rotation)
	local entries
	entries=$(cat "$dir/$id-json.log.2" "$dir/$id-json.log.1" "$dir/$id-json.log" | wc -l)
	assert_eq "$(dk logs "$id" 2>&1 | wc -l)" "$entries" "lines of docker logs"
	assert_eq "$(dk logs "$id" 2>/dev/null | head -1)" \
		"$(jq -r 'select(.stream == "stdout") | .log' "$dir/$id-json.log.2" | head -1)" "the first line"
	run dk logs --tail 3 "$id"
	[ "$status" -eq 0 ]
	assert_eq "${#lines[@]}" 3 "lines of --tail 3"
	local l
	for l in "${lines[@]}"; do
		[ "$l" = "flood <&> \"quoted\" line $TOKEN" ] || [ "$l" = "to stderr" ]
	done
	# max-size as docker reads it (512k: 512000 bytes, not 512): no file
	# is over it, a rotated one is full up to it
	for f in "$dir/$id-json.log"*; do
		[ "$(stat -c %s "$f")" -le 512000 ]
	done
	[ "$(stat -c %s "$dir/$id-json.log.1")" -gt 500000 ]
	rm_all
	assert_no_leaks
}

@test "faults: kill -9 of a container's shim: the container exits 137, its processes are killed, rm works, nothing leaks" {
	start_and_import
	local id shim
	id=$(dk run -d "$BB" sh -c "echo up; sleep $TOKEN; echo after")
	remember "$id"
	wait_for "the log" 10 logs_are "$id" up
	shim=$(cat "$BERTHD_EXEC/containers/$id/shim.pid")
	[ -n "$shim" ]
	assert_eq "$(our_shims)" "$shim" "our shims"
	kill -KILL "$shim"
	wait_for "the exit" 10 is_exited "$id"
	assert_eq "$(dk inspect -f '{{.State.ExitCode}}' "$id")" 137
	assert_contains "$(dk inspect -f '{{.State.Error}}' "$id")" "shim"
	# as containerd does when a shim dies: the container is killed, not
	# left running with nobody reading its output or reaping it
	wait_for "the container's processes to go" 10 no_procs
	run dk rm "$id"
	[ "$status" -eq 0 ]
	assert_no_leaks
	# and the same through a berthd restart: the shim dies while berthd is away
	id=$(dk run -d "$BB" sh -c "echo up; sleep $TOKEN")
	remember "$id"
	wait_for "the log" 10 logs_are "$id" up
	shim=$(cat "$BERTHD_EXEC/containers/$id/shim.pid")
	berthd_kill9
	kill -KILL "$shim"
	berthd_start
	assert_eq "$(dk inspect -f '{{.State.Status}}' "$id")" exited
	wait_for "the container's processes to go" 10 no_procs
	dk rm "$id" >/dev/null
	assert_no_leaks
}

@test "faults: a full disk under the logs: the container runs on, berthd answers, docker logs works, logging resumes once there is room" {
	TMPFS=$BERTHD_ROOT/containers
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=3m tmpfs "$TMPFS"
	start_and_import
	# room that can be given back later
	head -c 512k /dev/zero >"$TMPFS/filler"
	local id dir
	id=$(dk run -d "$BB" sh -c "f=1; trap 'f=0' USR1
		while [ \$f = 1 ]; do echo 'filling the disk $TOKEN'; done
		i=0; while :; do i=\$((i + 1)); echo tick \$i, a line longer than the lines that filled the disk; sleep 0.05; done")
	remember "$id"
	dir=$BERTHD_ROOT/containers/$id
	wait_for "a full disk" 30 disk_full "$TMPFS"
	wait_for "the shim to notice" 10 grep -q 'dropping log entries' "$BERTHD_EXEC/containers/$id/shim.log"
	# the container is not blocked: it leaves the flood when told
	dk kill -s USR1 "$id" >/dev/null
	is_running "$id"
	assert_eq "$(api /_ping)" OK
	run dk logs --tail 2 "$id"
	[ "$status" -eq 0 ]
	assert_contains "$output" "filling the disk"
	valid_json_lines "$dir/$id-json.log"
	# ticks are dropped while the disk is full
	sleep 0.3
	! grep -q '"tick ' "$dir/$id-json.log"
	rm "$TMPFS/filler"
	wait_for "logging to resume" 10 grep -q '"tick ' "$dir/$id-json.log"
	wait_for "the shim to notice" 10 grep -q 'writing again' "$BERTHD_EXEC/containers/$id/shim.log"
	is_running "$id"
	run dk logs --tail 1 "$id"
	[[ "$output" == "tick "* ]]
	valid_json_lines "$dir/$id-json.log"
	rm_all
	assert_no_leaks
}

# the API's create + start + forced remove, n times (prints failures)
cycle() {
	local n=$1 i id
	for i in $(seq 1 "$n"); do
		id=$(api -X POST -H 'Content-Type: application/json' \
			-d "{\"Image\":\"$BB\",\"Cmd\":[\"sleep\",\"$TOKEN\"]}" /containers/create | jq -r .Id)
		[ -n "$id" ] && [ "$id" != null ] || { echo "create failed"; continue; }
		echo "$id" >>"$IDS_FILE"
		[ "$(api -o /dev/null -w '%{http_code}' -X POST "/containers/$id/start")" = 204 ] || echo "start $id failed"
		[ "$(api -o /dev/null -w '%{http_code}' -X DELETE "/containers/$id?force=1")" = 204 ] || echo "rm $id failed"
	done
}

@test "faults: 200 containers created, started and removed: no leaked mounts, cgroups, shims, processes, fds, rows or directories" {
	start_and_import
	# warm up: the daemon's lazily made state (threads, caches)
	cycle 4 >"$T/warm.out"
	assert_eq "$(cat "$T/warm.out")" "" "warm-up"
	local fds_before rss_before fds_after rss_after
	fds_before=$(ls "/proc/$BERTHD_PID/fd" | wc -l)
	rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$BERTHD_PID/status")
	local w pids=()
	for w in 1 2 3 4; do
		cycle 49 >"$T/cycle.$w" 2>&1 &
		pids+=($!)
	done
	for w in "${pids[@]}"; do wait "$w"; done
	cat "$T"/cycle.*
	assert_eq "$(cat "$T"/cycle.*)" "" "failures"
	assert_eq "$(sort -u "$IDS_FILE" | wc -l)" 200 "containers made"
	fds_after=$(ls "/proc/$BERTHD_PID/fd" | wc -l)
	rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$BERTHD_PID/status")
	echo "# berthd fds $fds_before -> $fds_after, RSS ${rss_before} KiB -> ${rss_after} KiB" >&3
	[ "$fds_after" -le $((fds_before + 2)) ]
	# no unbounded growth: a leak of a few KiB per container would show
	[ "$rss_after" -le $((rss_before + 4096)) ]
	assert_eq "$(dk ps -aq)" ""
	assert_no_leaks
}
