#!/usr/bin/env bats
# berth pull against a daemon pulling from a local registry.

load helpers

setup_file() { images_build; }

setup() {
	cli_setup
	daemon_start
	registry_start "$BATS_TEST_TMPDIR/registry"
}

teardown() { cli_teardown; }

@test "pull: docker's plain progress lines, every layer complete, digest, status, the reference" {
	digest=$(push multi test/multi:v1)
	run --separate-stderr berth pull "$REGISTRY_ADDR/test/multi:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "v1: Pulling from test/multi" ]
	# no progress bars and no terminal control off a terminal
	[[ "$output" != *"["*"=>"* ]]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *$'\r'* ]]
	# every layer that was announced reaches "Pull complete"
	local ids=() id
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^([0-9a-f]{12}):\ Pulling\ fs\ layer$ ]] && ids+=("${BASH_REMATCH[1]}")
	done
	[ "${#ids[@]}" -eq 2 ]
	for id in "${ids[@]}"; do
		printf '%s\n' "${lines[@]}" | grep -qx "$id: Pull complete"
		printf '%s\n' "${lines[@]}" | grep -qx "$id: Download complete"
	done
	# the status lines are plain: "<id>: <status>" and nothing else
	for l in "${lines[@]:1:${#lines[@]}-4}"; do
		[[ "$l" =~ ^[0-9a-f]{12}:\ (Pulling\ fs\ layer|Waiting|Verifying\ Checksum|Download\ complete|Pull\ complete|Already\ exists)$ ]]
	done
	n=${#lines[@]}
	[ "${lines[n - 3]}" = "Digest: $digest" ]
	[ "${lines[n - 2]}" = "Status: Downloaded newer image for $REGISTRY_ADDR/test/multi:v1" ]
	[ "${lines[n - 1]}" = "$REGISTRY_ADDR/test/multi:v1" ]
	[ -z "$stderr" ]

	# again: nothing to download
	run --separate-stderr berth pull "$REGISTRY_ADDR/test/multi:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "v1: Pulling from test/multi" ]
	[ "${lines[1]}" = "Digest: $digest" ]
	[ "${lines[2]}" = "Status: Image is up to date for $REGISTRY_ADDR/test/multi:v1" ]
	[ "${lines[3]}" = "$REGISTRY_ADDR/test/multi:v1" ]
}

@test "pull -q prints only the reference; no tag means latest" {
	push single test/single:latest >/dev/null
	run --separate-stderr berth pull -q "$REGISTRY_ADDR/test/single"
	[ "$status" -eq 0 ]
	[ "$output" = "$REGISTRY_ADDR/test/single:latest" ]
	[ -z "$stderr" ]
	run --separate-stderr berth image pull "$REGISTRY_ADDR/test/single"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Using default tag: latest" ]
	[ "${lines[1]}" = "latest: Pulling from test/single" ]
	[ "${lines[-1]}" = "$REGISTRY_ADDR/test/single:latest" ]
}

@test "pull by digest prints the canonical reference" {
	digest=$(push single test/single:v1)
	run --separate-stderr berth pull "$REGISTRY_ADDR/test/single@$digest"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"$digest: Pulling from test/single" ]]
	[ "${lines[-2]}" = "Status: Downloaded newer image for $REGISTRY_ADDR/test/single@$digest" ]
	[ "${lines[-1]}" = "$REGISTRY_ADDR/test/single@$digest" ]
	run berth images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
	[ "$output" = "$REGISTRY_ADDR/test/single <none> $digest" ]
}

@test "pull errors: a missing tag, a bad reference, -a with a tag" {
	push single test/single:v1 >/dev/null
	run --separate-stderr berth pull "$REGISTRY_ADDR/test/single:nope"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == "Error response from daemon: manifest for $REGISTRY_ADDR/test/single:nope not found"* ]]
	run --separate-stderr berth pull 'BAD:ref'
	[ "$status" -eq 1 ]
	[ "$stderr" = "invalid reference format: repository name (library/BAD) must be lowercase" ]
	run --separate-stderr berth pull -a "$REGISTRY_ADDR/test/single:v1"
	[ "$status" -eq 1 ]
	[ "$stderr" = "tag can't be used with --all-tags/-a" ]
	run --separate-stderr berth pull
	[ "$status" -eq 1 ]
	[ "${stderr_lines[0]}" = "berth: 'berth pull' requires 1 argument" ]
}
