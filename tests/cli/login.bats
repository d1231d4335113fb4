#!/usr/bin/env bats
# berth login / logout against a registry with htpasswd authentication, and
# pulls with the stored credentials (X-Registry-Auth).

load helpers

setup_file() { images_build; }

setup() {
	cli_setup
	daemon_start
	registry_start "$BATS_TEST_TMPDIR/registry" --htpasswd alice:s3cret
	CONFIG=$DOCKER_CONFIG/config.json
}

teardown() { cli_teardown; }

@test "login -u -p stores the credentials, pull uses them, logout removes them" {
	push single private/app:v1 >/dev/null
	run --separate-stderr berth pull -q "$REGISTRY_ADDR/private/app:v1"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "Error response from daemon: "* ]]

	run --separate-stderr berth login -u alice -p s3cret "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "${stderr_lines[0]}" = "WARNING! Using --password via the CLI is insecure. Use --password-stdin." ]
	[[ "$stderr" == *"WARNING! Your credentials are stored unencrypted in '$CONFIG'."* ]]
	[ "$(jq -r --arg r "$REGISTRY_ADDR" '.auths[$r].auth' "$CONFIG")" = "$(printf 'alice:s3cret' | base64)" ]
	[ "$(stat -c %a "$CONFIG")" = 600 ]

	run --separate-stderr berth pull "$REGISTRY_ADDR/private/app:v1"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$REGISTRY_ADDR/private/app:v1" ]

	run --separate-stderr berth logout "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $REGISTRY_ADDR" ]
	[ "$(jq -r --arg r "$REGISTRY_ADDR" '.auths[$r]' "$CONFIG")" = null ]
	berth rmi -f "$REGISTRY_ADDR/private/app:v1" >/dev/null
	run --separate-stderr berth pull -q "$REGISTRY_ADDR/private/app:v1"
	[ "$status" -eq 1 ]
	# logging out twice is not an error (docker's behaviour)
	run berth logout "http://$REGISTRY_ADDR/"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $REGISTRY_ADDR" ]
}

@test "a wrong password fails with docker's message and keeps what was stored" {
	echo s3cret | berth login -u alice --password-stdin "$REGISTRY_ADDR" >/dev/null 2>&1
	before=$(cat "$CONFIG")
	run --separate-stderr berth login -u alice -p wrong "$REGISTRY_ADDR"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${stderr_lines[-1]}" = "Error response from daemon: login attempt to http://$REGISTRY_ADDR/v2/ failed with status: 401 Unauthorized" ]
	[ "$(cat "$CONFIG")" = "$before" ]
}

@test "login --password-stdin; login again with the stored credentials; non-TTY errors" {
	run --separate-stderr berth login -u alice --password-stdin "$REGISTRY_ADDR" <<<"s3cret"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[[ "$stderr" != *"--password via the CLI"* ]]

	# no user, no password: the stored ones are tried, no new warning
	run --separate-stderr berth login "$REGISTRY_ADDR" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded" ]
	[ "${stderr_lines[0]}" = "Authenticating with existing credentials... [Username: alice]" ]
	[[ "$stderr" != *"stored unencrypted"* ]]

	berth logout "$REGISTRY_ADDR" >/dev/null
	run --separate-stderr berth login "$REGISTRY_ADDR" </dev/null
	[ "$status" -eq 1 ]
	[ "$stderr" = "Error: Cannot perform an interactive login from a non TTY device" ]
	run --separate-stderr berth login --password-stdin "$REGISTRY_ADDR" <<<"s3cret"
	[ "$status" -eq 1 ]
	[ "$stderr" = "Must provide --username with --password-stdin" ]
	run --separate-stderr berth login -u alice -p x --password-stdin "$REGISTRY_ADDR" <<<"s3cret"
	[ "$status" -eq 1 ]
	[ "${stderr_lines[-1]}" = "--password and --password-stdin are mutually exclusive" ]
}

@test "--config DIR: credentials go to DIR/config.json, which docker reads too" {
	dir=$BATS_TEST_TMPDIR/other-config
	run --separate-stderr berth --config "$dir" login -u alice -p s3cret "$REGISTRY_ADDR"
	[ "$status" -eq 0 ]
	[ -f "$dir/config.json" ]
	[ ! -e "$CONFIG" ]
	push single private/app:v1 >/dev/null
	run --separate-stderr berth --config "$dir" pull -q "$REGISTRY_ADDR/private/app:v1"
	[ "$status" -eq 0 ]
	if command -v docker >/dev/null; then
		run docker --config "$dir" pull -q "$REGISTRY_ADDR/private/app:v1"
		[ "$status" -eq 0 ]
	fi
}
