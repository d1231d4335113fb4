#!/usr/bin/env bats
# Containers through the real docker CLI: run (attached and detached), the
# exit code, logs, ps, inspect, wait, stop, kill, rm, and what a container
# sees inside (its config.json made as dockerd makes it).
#
#   bats tests/daemon/containers.bats

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" plain --variant single --entrypoint '[]' --cmd '["sh"]' || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export REG=$REGISTRY_ADDR
	push_tag "$IMG" plain "$REG/test/plain:latest" >/dev/null || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
	dk pull -q "$REG/test/plain" >/dev/null
	export BB=$REG/test/plain
}

teardown() {
	# containers first: their shims and mounts are the daemon's to clean
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

@test "containers: docker run prints the output and returns the exit code" {
	run dk run "$BB" echo hello from berth
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hello from berth"
	run dk run "$BB" sh -c 'echo out; echo err >&2; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	assert_contains "$output" out
	assert_contains "$output" err
}

@test "containers: run -d, ps, logs, stop with the program's own exit, rm leaves nothing" {
	run dk run -d --name web "$BB" sh -c 'echo started; trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done'
	echo "$output"
	[ "$status" -eq 0 ]
	local id=$output
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	assert_eq "$(dk ps --format '{{.Names}} {{.Status}}')" "web Up Less than a second" || \
		[[ "$(dk ps --format '{{.Names}} {{.Status}}')" == "web Up "* ]]
	local i=0
	while [ "$(dk logs web)" != started ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(dk logs web)" started
	# dockerd's Command: an argument with a space in single quotes
	assert_eq "$(api /containers/json | jq -r '.[0].Command')" \
		"sh -c 'echo started; trap \"echo bye; exit 7\" TERM; while :; do sleep 0.1; done'"
	# the root is an overlay mount while it runs
	grep -q " $BERTHD_ROOT/containers/$id/rootfs " /proc/self/mountinfo
	run dk stop -t 5 web
	[ "$status" -eq 0 ]
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' web)" "exited 7 false"
	assert_eq "$(dk logs web | tail -1)" bye
	assert_eq "$(dk ps -q)" ""
	! grep -q " $BERTHD_ROOT/containers/$id/rootfs " /proc/self/mountinfo
	run dk rm web
	[ "$status" -eq 0 ]
	assert_eq "$(dk ps -aq)" ""
	[ ! -e "$BERTHD_ROOT/containers/$id" ]
	[ ! -e "$BERTHD_EXEC/containers/$id" ]
	! pgrep -f "berth-shim.*$id"
}

@test "containers: inside, the container is set up as dockerd sets it up" {
	run dk run --rm -h box -e FOO=bar -w /tmp -u 1000:1000 -m 64m "$BB" \
		sh -c 'hostname; echo $FOO; pwd; id -u; id -g; grep -E "^(CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; cat /proc/self/cgroup | grep -c berth'
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "${lines[0]}" box
	assert_eq "${lines[1]}" bar
	assert_eq "${lines[2]}" /tmp
	assert_eq "${lines[3]}" 1000
	assert_eq "${lines[4]}" 1000
	# docker's 14 default capabilities
	assert_eq "${lines[5]}" "CapBnd:	00000000a80425fb"
	# the default seccomp profile is loaded (filter mode)
	assert_eq "${lines[7]}" "Seccomp:	2"
	# the memory limit on the container's cgroup
	local cg
	cg=$(dk run --rm -m 64m "$BB" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')
	assert_eq "$cg" 67108864
	# --rm: nothing left
	assert_eq "$(dk ps -aq)" ""
}

@test "containers: wait, kill, rm -f of a running container, and docker's refusals" {
	dk run -d --name w "$BB" sleep 1000 >/dev/null
	run dk rm w
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "container is running"
	dk kill w >/dev/null
	run dk wait w
	assert_eq "$output" 137
	assert_eq "$(dk inspect -f '{{.State.ExitCode}}' w)" 137
	dk rm w >/dev/null
	dk run -d --name w2 "$BB" sleep 1000 >/dev/null
	run dk rm -f w2
	[ "$status" -eq 0 ]
	assert_eq "$(dk ps -aq)" ""
	run dk stop nothere
	[ "$status" -ne 0 ]
	assert_contains "$output" "No such container: nothere"
	local rc=0
	dk run "$BB" /no/such/program 2>"$BATS_TEST_TMPDIR/err" || rc=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$rc" -ne 0 ]
	assert_contains "$(cat "$BATS_TEST_TMPDIR/err")" "/no/such/program"
	assert_eq "$(dk ps -q)" ""
}

@test "containers: kill -9 of berthd: the container keeps running, is re-adopted, and stops" {
	local id
	id=$(dk run -d "$BB" sh -c 'trap "exit 5" TERM; echo up; while :; do sleep 0.1; done')
	berthd_kill9
	berthd_start
	assert_eq "$(dk inspect -f '{{.State.Running}}' "$id")" true
	run dk stop -t 5 "$id"
	[ "$status" -eq 0 ]
	assert_eq "$(dk inspect -f '{{.State.ExitCode}}' "$id")" 5
	assert_eq "$(dk logs "$id")" up
	# an exit while berthd is away is found at the next start
	id=$(dk run -d "$BB" sh -c 'sleep 0.5; exit 9')
	berthd_kill9
	sleep 1
	berthd_start
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" "exited 9"
}

@test "containers: docker exec joins the container: output, exit code, -e, -w, -u, -d" {
	dk run -d --name x -h exechost "$BB" sleep 1000 >/dev/null
	run dk exec x hostname
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" exechost
	run dk exec -e A=1 -w /tmp -u 1000 x sh -c 'echo $A $(pwd) $(id -u); exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	assert_eq "$output" "1 /tmp 1000"
	# the same pid namespace: the container's sleep is there
	run dk exec x ps
	assert_contains "$output" "sleep 1000"
	run dk exec -d x sh -c 'echo later > /tmp/marker'
	[ "$status" -eq 0 ]
	local i=0
	while ! dk exec x cat /tmp/marker >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(dk exec x cat /tmp/marker)" later
	# a command that cannot run: the reason in the stream, a shell's status
	run -127 dk exec x /nonexistent
	assert_contains "$output" 'OCI runtime exec failed: exec: "/nonexistent"'
	run -126 dk exec -t x /etc
	assert_contains "$output" "permission denied"
	dk rm -f x >/dev/null
	run dk exec x true
	[ "$status" -ne 0 ]
	assert_contains "$output" "No such container: x"
}

@test "containers: pause freezes, unpause thaws; restart, rename, top, container prune" {
	dk run -d --name p "$BB" sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/n.t; mv /tmp/n.t /tmp/n; sleep 0.05; done' >/dev/null
	sleep 0.3
	dk pause p >/dev/null
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' p)" "paused true"
	local a b
	a=$(cat "$BERTHD_ROOT/containers/$(dk inspect -f '{{.Id}}' p)/upper/tmp/n")
	run dk exec p true
	[ "$status" -ne 0 ]
	assert_contains "$output" "is paused"

	sleep 0.5
	b=$(cat "$BERTHD_ROOT/containers/$(dk inspect -f '{{.Id}}' p)/upper/tmp/n")
	assert_eq "$b" "$a" "the counter moved while paused"
	run dk pause p
	[ "$status" -ne 0 ]
	assert_contains "$output" "already paused"
	dk unpause p >/dev/null
	# a paused container stops too (thawed first)
	dk run -d --name frozen "$BB" sleep 1000 >/dev/null
	dk pause frozen >/dev/null
	run dk stop -t 1 frozen
	[ "$status" -eq 0 ]
	assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.Paused}}' frozen)" "exited false"
	dk rm frozen >/dev/null
	sleep 0.3
	[ "$(cat "$BERTHD_ROOT/containers/$(dk inspect -f '{{.Id}}' p)/upper/tmp/n")" -gt "$b" ]
	# top: the container's processes
	run dk top p
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "while :"
	# restart: a new start
	local started
	started=$(dk inspect -f '{{.State.StartedAt}}' p)
	dk restart -t 1 p >/dev/null
	assert_eq "$(dk inspect -f '{{.State.Running}}' p)" true
	[ "$(dk inspect -f '{{.State.StartedAt}}' p)" != "$started" ]
	dk rename p q
	assert_eq "$(dk inspect -f '{{.Name}}' q)" /q
	run dk inspect p
	[ "$status" -ne 0 ]
	# prune: only the stopped ones
	dk run --name done1 "$BB" true
	run dk container prune -f
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "Deleted Containers:"
	assert_eq "$(dk ps -a --format '{{.Names}}')" q
}

# The OCI runtime is swappable: the core of docker run with runc and crun.
core_run_checks() {
	run dk run --rm "$BB" sh -c 'echo out; echo err >&2; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	assert_contains "$output" out
	assert_contains "$output" err
	local id
	id=$(dk run -d -m 64m "$BB" sh -c 'trap "exit 5" TERM; echo up; while :; do sleep 0.1; done')
	local i=0
	while [ "$(dk logs "$id")" != up ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(dk logs "$id")" up
	assert_eq "$(dk exec "$id" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max')" 67108864
	dk stop -t 5 "$id" >/dev/null
	assert_eq "$(dk inspect -f '{{.State.ExitCode}}' "$id")" 5
	dk rm "$id" >/dev/null
	assert_eq "$(dk ps -aq)" ""
}

@test "containers: berthd --runtime runc runs the same containers" {
	command -v runc >/dev/null || skip "no runc"
	berthd_stop
	berthd_start --runtime "$(command -v runc)"
	core_run_checks
}

@test "containers: berthd --runtime crun runs the same containers" {
	command -v crun >/dev/null || skip "no crun"
	# crun 1.8 refuses this host's hybrid cgroups (the empty v2 tree offers
	# hugetlb): each call runs with /dev/null over that file, privately
	local wrap=$BATS_TEST_TMPDIR/crun
	cat >"$wrap" <<'WRAP'
#!/bin/sh
if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
	exec unshare --mount --propagation private sh -c \
		'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers && exec crun "$@"' crun "$@"
fi
exec crun "$@"
WRAP
	chmod +x "$wrap"
	berthd_stop
	berthd_start --runtime "$wrap"
	core_run_checks
}

@test "containers: -v NAME:/dir makes the volume, keeps the data, and holds it while the container exists" {
	dk run --name v1 -v data:/data "$BB" sh -c 'echo kept > /data/f' >/dev/null
	assert_eq "$(dk volume ls -q)" data
	assert_eq "$(cat "$(dk volume inspect -f '{{.Mountpoint}}' data)/f")" kept
	run dk run --rm -v data:/data:ro "$BB" sh -c 'cat /data/f; touch /data/g'
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" kept
	assert_contains "$output" "Read-only file system"
	run dk volume rm data
	[ "$status" -ne 0 ]
	assert_contains "$output" "volume is in use"
	dk rm v1 >/dev/null
	dk volume rm data >/dev/null
	assert_eq "$(dk volume ls -q)" ""
}

@test "containers: restart policies: on-failure:2 retries twice, always comes back, stop ends it; and after a reboot" {
	dk run -d --name f --restart on-failure:2 "$BB" sh -c 'exit 3' >/dev/null
	local i=0
	while [ "$(dk inspect -f '{{.RestartCount}} {{.State.Running}}' f)" != "2 false" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
	assert_eq "$(dk inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' f)" "2 exited 3"
	# always: an exit of its own brings it back
	dk run -d --name a --restart always "$BB" sh -c 'sleep 0.3; exit 0' >/dev/null
	i=0
	while [ "$(dk inspect -f '{{.RestartCount}}' a)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(dk inspect -f '{{.RestartCount}}' a)" -ge 2 ]
	dk stop -t 1 a >/dev/null
	local n
	n=$(dk inspect -f '{{.RestartCount}}' a)
	sleep 1
	assert_eq "$(dk inspect -f '{{.RestartCount}} {{.State.Running}}' a)" "$n false"
	# a "reboot": berthd and every shim gone; always comes back at start
	dk run -d --name boot --restart always "$BB" sleep 1000 >/dev/null
	local id
	id=$(dk inspect -f '{{.Id}}' boot)
	berthd_kill9
	pkill -9 -f "berth-shim.*$id"
	"$BERTH_RUNTIME" --root "$BERTHD_EXEC/runtime" delete -f "$id" >/dev/null 2>&1 || true
	berthd_start
	assert_eq "$(dk inspect -f '{{.State.Running}}' boot)" true
	dk rm -f boot >/dev/null
}

@test "containers: /events filters: container by name and ID prefix, volume, label, image, and a bad key refused" {
	local t0 id
	t0=$(date +%s)
	id=$(dk run -d --name evweb -l tier=web "$BB" true)
	dk wait evweb >/dev/null
	dk run --rm --name evother "$BB" true
	dk volume create evvol >/dev/null
	dk volume rm evvol >/dev/null
	local until=$(($(date +%s) + 1)) fmt='{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
	run dk events --since "$t0" --until "$until" --filter container=evweb --format "$fmt"
	echo "$output"
	assert_eq "$output" "container create evweb
container start evweb
container die evweb"
	run dk events --since "$t0" --until "$until" --filter "container=${id:0:12}" --filter event=die \
		--format '{{.Action}} {{.Actor.Attributes.exitCode}}'
	assert_eq "$output" "die 0"
	run dk events --since "$t0" --until "$until" --filter volume=evvol --format '{{.Type}} {{.Action}} {{.Actor.ID}}'
	assert_eq "$output" "volume create evvol
volume destroy evvol"
	run dk events --since "$t0" --until "$until" --filter label=tier=web --filter event=start --format "$fmt"
	assert_eq "$output" "container start evweb"
	run dk events --since "$t0" --until "$until" --filter image="$BB" --filter event=destroy --format "$fmt"
	assert_eq "$output" "container destroy evother"
	# a container's volumes: mount at its start, unmount at its end
	dk run --rm --name evvols -v evdata:/data:ro "$BB" true
	until=$(($(date +%s) + 1))
	run dk events --since "$t0" --until "$until" --filter volume=evdata --filter event=mount --filter event=unmount \
		--format '{{.Action}} {{.Actor.Attributes.destination}} {{index .Actor.Attributes "read/write"}}'
	assert_eq "$output" "mount /data false
unmount /data false"
	dk volume rm evdata >/dev/null
	# exec events as dockerd words them, with the exec's ID
	dk run -d --name evexec "$BB" sleep 1000 >/dev/null
	dk exec evexec sh -c 'exit 3' || true
	until=$(($(date +%s) + 1))
	run dk events --since "$t0" --until "$until" --filter container=evexec --filter event=exec_create \
		--filter event=exec_start --filter event=exec_die --format '{{.Action}} {{.Actor.Attributes.exitCode}}'
	assert_eq "$output" "exec_create: sh -c exit 3 <no value>
exec_start: sh -c exit 3 <no value>
exec_die 3"
	[ "$(dk events --since "$t0" --until "$until" --filter event=exec_die --format '{{json .}}' | jq -r '.Actor.Attributes.execID | length')" = 64 ]
	run dk events --since "$t0" --until "$until" --filter colour=red
	[ "$status" -ne 0 ]
	assert_contains "$output" "invalid filter 'colour'"
}

@test "containers: anonymous volumes: the image's VOLUME and -v /path get one each, copied up from the image, kept across restarts, removed by rm -v and --rm" {
	local tar=$BATS_TEST_TMPDIR/seeded.tar
	mkdir -p "$BATS_TEST_TMPDIR/extra/seed"
	echo from-image >"$BATS_TEST_TMPDIR/extra/seed/file"
	tar -C "$ROOTFS" -cf "$tar" . && tar -C "$BATS_TEST_TMPDIR/extra" -rf "$tar" seed
	dk import -c 'VOLUME /seed' -c 'CMD ["sh"]' "$tar" seeded:v1 >/dev/null
	dk run -d --name av -v /scratch seeded:v1 sh -c 'echo written >> /seed/file; echo s > /scratch/s; sleep 1000'
	# one anonymous volume per path, mounted (a mount point in the container)
	run dk inspect -f '{{range .Mounts}}{{.Type}} {{.Destination}} {{.Driver}} {{len .Name}}{{"\n"}}{{end}}' av
	echo "$output"
	[[ "$output" == *"volume /seed local 64"* ]]
	[[ "$output" == *"volume /scratch local 64"* ]]
	run dk exec av sh -c 'grep -c " /seed \| /scratch " /proc/self/mountinfo; cat /seed/file'
	assert_eq "$output" "2
from-image
written"
	local seed
	seed=$(dk inspect -f '{{range .Mounts}}{{if eq .Destination "/seed"}}{{.Name}}{{end}}{{end}}' av)
	assert_eq "$(dk volume inspect -f '{{index .Labels "com.docker.volume.anonymous"}}|{{.Name}}' "$seed")" "|$seed"
	# berthd's own bookkeeping stays out of inspect's HostConfig
	[[ "$(dk inspect -f '{{json .HostConfig}}' av)" != *Berth* ]]
	# a restart mounts the same volumes: the data is still there, not copied again
	dk restart -t 0 av >/dev/null
	assert_eq "$(dk exec av cat /seed/file)" "from-image
written
written"
	# the volumes are in use; rm -v removes them with the container
	run dk volume rm "$seed"
	[ "$status" -ne 0 ]
	dk rm -fv av >/dev/null
	run dk volume ls -q
	assert_eq "$output" ""
	# without -v they stay; --rm removes its anonymous volumes
	dk run --name keepvol seeded:v1 true
	dk rm keepvol >/dev/null
	assert_eq "$(dk volume ls -q | wc -l)" 1
	dk volume prune -f >/dev/null
	dk run --rm -v /tmpvol seeded:v1 true
	assert_eq "$(dk volume ls -q | wc -l)" 0
	# a named volume is copied up the same way, unless nocopy
	assert_eq "$(dk run --rm -v named:/seed seeded:v1 cat /seed/file)" from-image
	assert_eq "$(dk run --rm -v empty:/seed:nocopy seeded:v1 ls /seed)" ""
	dk volume rm named empty >/dev/null
}

@test "containers: ps -s and inspect -s: what the container wrote, and with its image" {
	dk run --name sized "$BB" sh -c 'head -c 300000 /dev/zero > /big'
	local image
	image=$(dk image inspect -f '{{.Size}}' "$BB")
	run api '/containers/json?all=1&size=1'
	assert_eq "$(echo "$output" | jq '.[0].SizeRw')" 300000
	assert_eq "$(echo "$output" | jq '.[0].SizeRootFs')" "$((300000 + image))"
	run api /containers/sized/json?size=1
	assert_eq "$(echo "$output" | jq '.SizeRw')" 300000
	# without size=1, no walk of the container's files and no sizes
	assert_eq "$(api /containers/sized/json | jq '.SizeRw')" null
	run dk ps -as --format '{{.Names}} {{.Size}}'
	assert_contains "$output" "sized 300kB (virtual "
}
