#!/usr/bin/env bats
# Healthchecks through the real docker CLI: probes run as execs in the
# container, State.Health (status, failing streak, the last 5 results), the
# probe's timeout, NONE, an image's HEALTHCHECK merged with the request's,
# the events, docker ps's status and health filter, the state kept across a
# berthd kill -9, and berth's create body against docker's.
#
#   bats tests/daemon/health.bats

load helpers

setup_file() {
	require_binaries || return 1
	busybox_tar_setup || return 1
	export BERTH_CLI=${BERTH_CLI:-$_BERTH_TOP/build/src/cli/berth}
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
	dk import "$ROOTFS_TAR" bb >/dev/null
}

teardown() {
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	daemon_teardown
}

health() {
	dk inspect --format "{{${2:-.State.Health.Status}}}" "$1"
}

# wait_health NAME STATUS: up to 10 s
wait_health() {
	local i=0
	while [ "$(health "$1")" != "$2" ]; do
		[ $i -lt 100 ] || {
			echo "$1: health $(health "$1" '.State.Health'), want $2" >&2
			return 1
		}
		sleep 0.1
		i=$((i + 1))
	done
}

@test "health: a passing probe makes it healthy: inspect, ps status and filter, events" {
	dk run -d --name h --health-cmd 'echo ok $HOSTNAME; echo to-stderr >&2' --health-interval 1s bb sleep 300 >/dev/null
	dk run -d --name plain bb sleep 300 >/dev/null
	assert_eq "$(health h)" starting
	[[ "$(dk ps --filter name=h --format '{{.Status}}')" == "Up "*" (health: starting)" ]]
	assert_eq "$(dk ps --filter health=starting --format '{{.Names}}')" h
	wait_health h healthy
	[[ "$(dk ps --filter name=h --format '{{.Status}}')" == "Up "*" (healthy)" ]]
	assert_eq "$(dk ps --filter health=healthy --format '{{.Names}}')" h
	assert_eq "$(dk ps --filter health=none --format '{{.Names}}')" plain
	assert_eq "$(dk ps --filter health=unhealthy --format '{{.Names}}')" ""
	run dk ps --filter health=sick
	[ "$status" -ne 0 ]
	assert_contains "$output" "Unrecognised filter value for health: sick"
	# the probe ran in the container: its hostname, both streams
	local host
	host=$(dk inspect --format '{{.Config.Hostname}}' h)
	assert_eq "$(health h 'json (index .State.Health.Log 0).Output')" "\"ok $host\\nto-stderr\\n\""
	assert_eq "$(health h '(index .State.Health.Log 0).ExitCode')" 0
	assert_eq "$(health h .State.Health.FailingStreak)" 0
	assert_eq "$(dk inspect --format '{{.State.Health}}' plain)" "<nil>"
	run dk events --since 0 --until "$(date +%s.%N)" --filter container=h --format '{{.Action}}'
	echo "$output"
	assert_contains "$output" "health_status: healthy"
	assert_contains "$output" 'exec_create: /bin/sh -c echo ok $HOSTNAME; echo to-stderr >&2'
	assert_contains "$output" 'exec_start: /bin/sh -c echo ok $HOSTNAME; echo to-stderr >&2'
	assert_contains "$output" "exec_die"
	# no file per probe is left in the shim's state directory
	[ -z "$(ls "$BERTHD_EXEC/containers/$(dk inspect --format '{{.Id}}' h)" | grep '^exec-')" ]
}

@test "health: a failing probe makes it unhealthy after its retries; the log keeps 5; stop ends the probes" {
	dk run -d --name u --health-cmd 'echo nope; exit 3' --health-interval 100ms --health-retries 2 bb sleep 300 >/dev/null
	wait_health u unhealthy
	[ "$(health u .State.Health.FailingStreak)" -ge 2 ]
	[[ "$(dk ps --filter name=u --format '{{.Status}}')" == "Up "*" (unhealthy)" ]]
	assert_eq "$(health u '(index .State.Health.Log 0).ExitCode')" 3
	assert_eq "$(health u 'json (index .State.Health.Log 0).Output')" '"nope\n"'
	local i=0
	while [ "$(health u '.State.Health.FailingStreak')" -lt 7 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(health u '(len .State.Health.Log)')" 5
	run dk events --since 0 --until "$(date +%s.%N)" --filter container=u --format '{{.Action}}'
	assert_contains "$output" "health_status: unhealthy"
	dk stop -t 1 u >/dev/null
	local streak
	streak=$(health u .State.Health.FailingStreak)
	sleep 0.5
	assert_eq "$(health u .State.Health.FailingStreak)" "$streak" "probes after the stop"
	# a new start: starting again, the log kept
	dk start u >/dev/null
	assert_eq "$(health u)" starting
	assert_eq "$(health u '(len .State.Health.Log)')" 5
}

@test "health: a probe past its timeout is killed and fails with docker's message" {
	dk run -d --name t --health-cmd 'echo partial; sleep 30' --health-interval 100ms --health-timeout 300ms \
		--health-retries 1 bb sleep 300 >/dev/null
	wait_health t unhealthy
	assert_eq "$(health t '(index .State.Health.Log 0).ExitCode')" -1
	assert_eq "$(health t 'json (index .State.Health.Log 0).Output')" '"Health check exceeded timeout (300ms): partial\n"'
	# it was not waited for: the result came well before the probe's 30 s
	local start end
	start=$(date -d "$(health t 'json (index .State.Health.Log 0).Start' | tr -d '"')" +%s%N)
	end=$(date -d "$(health t 'json (index .State.Health.Log 0).End' | tr -d '"')" +%s%N)
	[ $(((end - start) / 1000000)) -lt 3000 ]
	[ $(((end - start) / 1000000)) -ge 300 ]
}

@test "health: the image's HEALTHCHECK, merged with the request's; NONE; dockerd's checks" {
	dk import --change 'HEALTHCHECK --interval=150ms --retries=4 CMD ["sh", "-c", "exit 0"]' "$ROOTFS_TAR" hc >/dev/null
	dk run -d --name img hc sleep 300 >/dev/null
	assert_eq "$(dk inspect --format '{{json .Config.Healthcheck}}' img)" \
		'{"Test":["CMD","sh","-c","exit 0"],"Interval":150000000,"Retries":4}'
	wait_health img healthy
	# the request's fields over the image's
	dk run -d --name merged --health-retries 9 --health-timeout 2s hc sleep 300 >/dev/null
	assert_eq "$(dk inspect --format '{{json .Config.Healthcheck}}' merged)" \
		'{"Test":["CMD","sh","-c","exit 0"],"Interval":150000000,"Timeout":2000000000,"Retries":9}'
	# NONE: no probe, no State.Health (the image's other fields merged in, as dockerd does)
	dk run -d --name none --no-healthcheck hc sleep 300 >/dev/null
	assert_eq "$(dk inspect --format '{{json .Config.Healthcheck}}' none)" \
		'{"Test":["NONE"],"Interval":150000000,"Retries":4}'
	assert_eq "$(dk inspect --format '{{.State.Health}}' none)" "<nil>"
	[[ "$(dk ps --filter name=none --format '{{.Status}}')" != *"("* ]]
	assert_eq "$(dk ps --filter health=none --format '{{.Names}}')" none
	run dk create --health-interval 500us bb true
	[ "$status" -ne 0 ]
	assert_contains "$output" "Interval in Healthcheck cannot be less than 1ms"
	run dk create --health-retries -1 bb true
	[ "$status" -ne 0 ]
	assert_contains "$output" "cannot be negative"
}

# newest_probe NAME: when its last probe started, in ns since the epoch
newest_probe() {
	date -d "$(dk inspect --format '{{json .State.Health.Log}}' "$1" | jq -r '.[-1].Start')" +%s%N
}

@test "health: the status survives berthd kill -9, and the probes resume" {
	dk run -d --name k --health-cmd 'exit 1' --health-interval 200ms --health-retries 3 bb sleep 300 >/dev/null
	wait_health k unhealthy
	berthd_kill9
	local before
	before=$(date +%s%N)
	berthd_start
	# kept, not recomputed (that would start over from "starting")
	assert_eq "$(health k)" unhealthy
	[ "$(health k .State.Health.FailingStreak)" -ge 3 ]
	local i=0
	while [ "$(newest_probe k)" -le "$before" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(newest_probe k)" -gt "$before" ]
}

@test "health: berth create sends docker's Healthcheck, and words its errors as docker" {
	local flags=(--health-cmd 'curl -f x' --health-interval 1m30s --health-timeout 1.5s --health-retries 4
		--health-start-period 2s --health-start-interval 250ms)
	dk create --name d "${flags[@]}" bb true >/dev/null
	"$BERTH_CLI" -H "unix://$BERTHD_SOCK" create --name b "${flags[@]}" bb true >/dev/null
	assert_eq "$(dk inspect --format '{{json .Config.Healthcheck}}' b)" \
		"$(dk inspect --format '{{json .Config.Healthcheck}}' d)"
	dk create --name d2 --no-healthcheck bb true >/dev/null
	"$BERTH_CLI" -H "unix://$BERTHD_SOCK" create --name b2 --no-healthcheck bb true >/dev/null
	assert_eq "$(dk inspect --format '{{json .Config.Healthcheck}}' b2)" '{"Test":["NONE"]}'
	local args
	for args in "--no-healthcheck --health-retries 2" "--health-interval -1s" "--health-timeout x"; do
		run dk create $args bb true
		local want=$output want_status=$status
		run "$BERTH_CLI" -H "unix://$BERTHD_SOCK" create $args bb true
		assert_eq "$status" "$want_status" "status of create $args"
		assert_eq "$(echo "${output#berth: }" | head -1)" "$(echo "${want#docker: }" | head -1)" "create $args"
	done
}
