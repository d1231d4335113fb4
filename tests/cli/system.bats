#!/usr/bin/env bats
# berth version, info, events; the API version negotiation; connection and
# usage errors.

load helpers

setup_file() { images_build; }

setup() { cli_setup; }

teardown() { cli_teardown; }

# The part of an output from the line "Server:" on.
server_section() { sed -n '/^Server:/,$p'; }

# The API version the client should use: min(server's, 1.47).
expected_api() {
	local server
	server=$(curl -s --noproxy '*' --unix-socket "$DAEMON_SOCK" http://localhost/version | jq -r .ApiVersion)
	printf '%s\n1.47\n' "$server" | sort -V | head -n1
}

@test "the API version is negotiated: min(server, 1.47) prefixes every path" {
	daemon_start
	api=$(expected_api)
	run --separate-stderr berth -D images -q
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"GET http://localhost/_ping -> 200"* ]]
	[[ "$stderr" == *"GET http://localhost/v$api/images/json -> 200"* ]]
	# DOCKER_API_VERSION fixes the version and skips the ping
	run --separate-stderr env DOCKER_API_VERSION=1.40 "$BERTH_CLI" -D images -q
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"_ping"* ]]
	[[ "$stderr" == *"/v1.40/images/json -> 200"* ]]
}

@test "version: Client and Server sections like docker's" {
	daemon_start
	api=$(expected_api)
	run --separate-stderr berth version
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Client:" ]
	[[ "${lines[1]}" =~ ^\ Version:\ {11}[0-9]+\.[0-9]+\.[0-9]+ ]]
	if [ "$api" = 1.47 ]; then
		[ "${lines[2]}" = " API version:       1.47" ]
	else
		[ "${lines[2]}" = " API version:       $api (downgraded from 1.47)" ]
	fi
	printf '%s\n' "${lines[@]}" | grep -qx " OS/Arch:           linux/[a-z0-9]*"
	printf '%s\n' "${lines[@]}" | grep -qx " Engine:"
	printf '%s\n' "${lines[@]}" | grep -q "^  API version:      [0-9.]* (minimum version [0-9.]*)$"
	run berth version --format '{{.Server.Version}}|{{.Client.APIVersion}}|{{.Client.ApiVersion}}'
	[ "$output" = "$(curl -s --noproxy '*' --unix-socket "$DAEMON_SOCK" http://localhost/version | jq -r .Version)|$api|$api" ]
	run berth version --format '{{json .Client}}'
	[ "$(jq -r .Os <<<"$output")" = linux ]
	if command -v docker >/dev/null; then
		[ "$(berth version | server_section)" = "$(docker version | server_section)" ]
	fi
}

@test "info: docker's layout; the Server section is docker's own" {
	daemon_start
	registry_start "$BATS_TEST_TMPDIR/registry"
	push single test/single:v1 >/dev/null
	berth pull -q "$REGISTRY_ADDR/test/single:v1" >/dev/null
	run --separate-stderr berth info
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Client:" ]
	[[ "${lines[1]}" == " Version:    "* ]]
	[ "${lines[2]}" = " Context:    default" ]
	[ "${lines[3]}" = " Debug Mode: false" ]
	[ "${lines[4]}" = "Server:" ]
	printf '%s\n' "${lines[@]}" | grep -qx " Images: 1"
	printf '%s\n' "${lines[@]}" | grep -qx " Server Version: $(berth version --format '{{.Server.Version}}')"
	[ "$(berth info --format '{{.Images}}')" = 1 ]
	[ "$(berth system info --format '{{json .}}' | jq -r .ClientInfo.Context)" = default ]
	if command -v docker >/dev/null; then
		# (docker lists the runtimes in Go's random map order; berth sorts them)
		diff -u <(docker info 2>&1 | server_section | grep -v '^ Runtimes:') \
			<(berth info 2>&1 | server_section | grep -v '^ Runtimes:')
	fi
}

@test "events: a pull appears live and between --since and --until" {
	daemon_start
	registry_start "$BATS_TEST_TMPDIR/registry"
	push single test/single:v1 >/dev/null
	since=$(date +%s)
	"$BERTH_CLI" events --filter type=image >"$BATS_TEST_TMPDIR/events.out" 2>&1 3>&- &
	bg_track $!
	"$BERTH_CLI" events --format '{{.Type}} {{.Action}} {{.ID}} {{.Actor.Attributes.name}}' \
		>"$BATS_TEST_TMPDIR/events-fmt.out" 2>&1 3>&- &
	bg_track $!
	# both listening (the daemon counts them), or 5 s
	n=50
	while [ "$(berth info --format '{{.NEventsListener}}' 2>/dev/null)" != 2 ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	berth pull -q "$REGISTRY_ADDR/test/single:v1" >/dev/null
	ref=$REGISTRY_ADDR/test/single:v1
	n=100
	while ! grep -q " image pull " "$BATS_TEST_TMPDIR/events.out" && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	line=$(grep " image pull " "$BATS_TEST_TMPDIR/events.out")
	# "2026-11-23T10:00:00.000000000Z image pull REF (k=v, ..., name=REPO, ...)"
	[[ "$line" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})\ image\ pull\ "$ref"\ \(.*name=$REGISTRY_ADDR/test/single.*\)$ ]]
	grep -qx "image pull $ref $REGISTRY_ADDR/test/single" "$BATS_TEST_TMPDIR/events-fmt.out"

	# a bounded query ends by itself
	run --separate-stderr timeout 20 "$BERTH_CLI" events --since "$since" --until "$(($(date +%s) + 1))" \
		--filter event=pull
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]}" = "$line" ]
	run --separate-stderr timeout 20 "$BERTH_CLI" events --since 1m --until "$(($(date +%s) + 1))" --format json --filter event=pull
	[ "$status" -eq 0 ]
	[ "$(jq -r .Actor.ID <<<"$output")" = "$ref" ]
	run --separate-stderr berth events --since yesterday
	[ "$status" -eq 1 ]
	[ "$stderr" = 'failed to parse value as time or duration: "yesterday"' ]
}

@test "no daemon: docker's 'Cannot connect' message, for -H and DOCKER_HOST, unix and tcp" {
	run --separate-stderr berth -H "unix://$BATS_TEST_TMPDIR/none.sock" images
	[ "$status" -eq 1 ]
	[ "$stderr" = "Cannot connect to the berth daemon at unix://$BATS_TEST_TMPDIR/none.sock. Is the daemon running?" ]
	run --separate-stderr env DOCKER_HOST="unix://$BATS_TEST_TMPDIR/none.sock" "$BERTH_CLI" pull busybox
	[ "$status" -eq 1 ]
	[ "${stderr_lines[-1]}" = "Cannot connect to the berth daemon at unix://$BATS_TEST_TMPDIR/none.sock. Is the daemon running?" ]
	port=$("$REGISTRY_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run --separate-stderr berth -H "tcp://127.0.0.1:$port" version
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "Client:" ]
	[ "$stderr" = "Cannot connect to the berth daemon at tcp://127.0.0.1:$port. Is the daemon running?" ]
	run --separate-stderr berth -H "ssh://host" images
	[ "$status" -eq 1 ]
}

@test "usage: unknown commands and flags, missing arguments, --help, -v" {
	run --separate-stderr berth nosuch
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: unknown command: berth nosuch" ]
	run --separate-stderr berth images --nosuch
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "unknown flag: --nosuch" ]
	[ "${stderr_lines[1]}" = "Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]" ]
	[ "${stderr_lines[2]}" = "Run 'berth images --help' for more information" ]
	run --separate-stderr berth image ls -x
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "unknown shorthand flag: 'x' in -x" ]
	run --separate-stderr berth images --format
	[ "$status" -eq 125 ]
	[ "${stderr_lines[0]}" = "flag needs an argument: --format" ]
	run --separate-stderr berth history
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: 'berth history' requires 1 argument" ]
	run --separate-stderr berth tag a
	[ "${stderr_lines[0]}" = "berth: 'berth tag' requires 2 arguments" ]
	run --separate-stderr berth rmi
	[ "${stderr_lines[0]}" = "berth: 'berth rmi' requires at least 1 argument" ]
	run --separate-stderr berth version extra
	[ "${stderr_lines[0]}" = "berth: 'berth version' accepts no arguments" ]
	run --separate-stderr berth history -H=maybe x
	[ "$status" -eq 125 ]
	[[ "${stderr_lines[0]}" == 'invalid argument "maybe" for "-H, --human" flag: '* ]]
	run berth pull --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Usage:  berth pull [OPTIONS] NAME[:TAG|@DIGEST]" ]
	run berth --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage:  berth [OPTIONS] COMMAND"* ]]
	run berth image
	[[ "$output" == *"Usage:  berth image COMMAND"* ]]
	run berth -v
	[[ "$output" =~ ^berth\ version\ [0-9]+\.[0-9]+\.[0-9]+,\ build\  ]]
}
