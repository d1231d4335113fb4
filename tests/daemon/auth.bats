#!/usr/bin/env bats
# Registries that want credentials: docker-registry with htpasswd (HTTP
# basic auth) and with token auth (tests/registry/tokenserver.py, the Bearer
# flow).  docker login goes through berthd (POST /auth checks the
# credentials with the registry); pulls carry them in X-Registry-Auth, from
# the CLI's config after a login or set by hand.
#
#   bats tests/daemon/auth.bats

load helpers

# Two registries for the whole file, each holding auth/single:
#   $BASIC  htpasswd, user alice:wonderland
#   $TOKEN  token auth, user berth:berthpass (and a pull-only user reader)
setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" single --variant single || return 1
	registry_start "$BATS_FILE_TMPDIR/basic" --htpasswd alice:wonderland || return 1
	export BASIC=$REGISTRY_ADDR BASIC_LOG=$REGISTRY_LOG
	push_tag "$IMG" single "$BASIC/auth/single:latest" --user alice:wonderland >/dev/null || return 1
	registry_start "$BATS_FILE_TMPDIR/token" --token-auth berth:berthpass --pull-only-user reader:readpass || return 1
	export TOKEN=$REGISTRY_ADDR TOKEN_LOG=$REGISTRY_TOKEN_LOG
	push_tag "$IMG" single "$TOKEN/auth/single:latest" --user berth:berthpass >/dev/null || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
	berthd_start
}

teardown() {
	daemon_teardown
}

# dk_login USER PASSWORD SERVER: docker login with the password on stdin.
dk_login() {
	printf '%s\n' "$2" | timeout "$DK_TIMEOUT" "$DOCKER" -H "unix://$BERTHD_SOCK" login -u "$1" --password-stdin "$3"
}

# x_registry_auth USER PASSWORD SERVER: the header value the CLI sends.
x_registry_auth() {
	jq -cn --arg u "$1" --arg p "$2" --arg s "$3" '{username: $u, password: $p, serveraddress: $s}' |
		base64 -w0 | tr '+/' '-_'
}

# stored_auth SERVER: the credentials docker's config.json holds for SERVER.
stored_auth() {
	jq -r --arg s "$1" '.auths[$s].auth // empty' "$DOCKER_CONFIG/config.json" 2>/dev/null | base64 -d 2>/dev/null
}

single_id() {
	layout_config "$IMG" single
}

@test "auth: basic: docker login checks the password with the registry, then the pull uses it" {
	# a wrong password: refused in dockerd's words, nothing stored by the CLI
	run dk_login alice nope "$BASIC"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "Error response from daemon: login attempt to http://$BASIC/v2/ failed with status: 401 Unauthorized"
	assert_eq "$(stored_auth "$BASIC")" "" "stored credentials"
	# the raw API: 401 and the message
	api_status -XPOST -H 'Content-Type: application/json' \
		-d "{\"username\":\"alice\",\"password\":\"nope\",\"serveraddress\":\"$BASIC\"}" /auth
	assert_eq "$API_STATUS $API_BODY" "401 {\"message\":\"login attempt to http://$BASIC/v2/ failed with status: 401 Unauthorized\"}"

	local mark
	mark=$(wc -l <"$BASIC_LOG")
	run dk_login alice wonderland "$BASIC"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "Login Succeeded"
	assert_eq "$(stored_auth "$BASIC")" "alice:wonderland" "stored credentials"
	# the registry saw the login: /v2/ answered 401, then, authorized, 200
	sleep 0.2 # the registry writes its access log after the answer
	run log_from "$BASIC_LOG" "$mark"
	echo "$output"
	grep -q '"GET /v2/ HTTP/1.1" 401' <<<"$output"
	grep -q 'msg="authorized request".* http.request.uri=/v2/ ' <<<"$output"
	grep -q '"GET /v2/ HTTP/1.1" 200' <<<"$output"

	run dk pull "$BASIC/auth/single"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "Status: Downloaded newer image for $BASIC/auth/single:latest"
	assert_eq "$(dk image inspect --format '{{.Id}}' "$BASIC/auth/single")" "$(single_id)"
	assert_blobs_verified

	# after docker logout the CLI sends nothing: refused again
	dk logout "$BASIC"
	dk rmi "$BASIC/auth/single" >/dev/null
	run dk pull "$BASIC/auth/single"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "pull access denied for $BASIC/auth/single"
	assert_nothing_stored
}

@test "auth: token: docker login gets a token for the user, the pull a token with the pull scope" {
	local mark
	mark=$(wc -l <"$TOKEN_LOG")
	run dk_login berth berthpass "$TOKEN"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_contains "$output" "Login Succeeded"
	# the login asked the token service, as berth, for no repository
	run log_from "$TOKEN_LOG" "$mark"
	echo "$output"
	jq -se 'map(select(.user == "berth" and .auth == "basic" and .status == 200 and .scopes == [])) | length >= 1' <<<"$output"

	mark=$(wc -l <"$TOKEN_LOG")
	run dk pull "$TOKEN/auth/single"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$(dk image inspect --format '{{.Id}}' "$TOKEN/auth/single")" "$(single_id)"
	# the pull's token: berth's, for repository:auth/single:pull, granted
	run log_from "$TOKEN_LOG" "$mark"
	echo "$output"
	jq -se 'length >= 1 and all(.user == "berth" and .auth == "basic" and .status == 200 and
		.scopes == ["repository:auth/single:pull"] and
		.access == [{"type": "repository", "name": "auth/single", "actions": ["pull"]}])' <<<"$output"
	assert_blobs_verified
}

@test "auth: token: a wrong password is refused clearly, by login and by pull" {
	run dk_login berth wrong "$TOKEN"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "Error response from daemon: registry $TOKEN: token service: unauthorized"
	assert_eq "$(stored_auth "$TOKEN")" "" "stored credentials"
	api_status -XPOST -H 'Content-Type: application/json' \
		-d "{\"username\":\"berth\",\"password\":\"wrong\",\"serveraddress\":\"http://$TOKEN\"}" /auth
	assert_eq "$API_STATUS" 401
	assert_contains "$(jq -r .message <<<"$API_BODY")" "unauthorized: bad credentials"
	# the token service saw the bad credentials
	[ "$(jq -c 'select(.auth == "bad-credentials" and .status == 401)' "$TOKEN_LOG" | wc -l)" -ge 1 ]

	# a pull with the wrong password in X-Registry-Auth: an error, not a
	# 401 (the CLI would start an interactive login on one)
	api_status -XPOST -H "X-Registry-Auth: $(x_registry_auth berth wrong "$TOKEN")" \
		"/images/create?fromImage=$TOKEN/auth/single&tag=latest"
	assert_eq "$API_STATUS" 404
	assert_eq "$(jq -r .message <<<"$API_BODY")" \
		"pull access denied for $TOKEN/auth/single, repository does not exist or may require 'docker login': registry $TOKEN: token service: unauthorized: bad credentials"
	assert_nothing_stored
}

@test "auth: X-Registry-Auth on POST /images/create, without any login (basic and token)" {
	local reg user pass
	for reg in BASIC TOKEN; do
		case "$reg" in
		BASIC) user=alice pass=wonderland ;;
		TOKEN) user=reader pass=readpass ;;
		esac
		run api -XPOST -H "X-Registry-Auth: $(x_registry_auth "$user" "$pass" "${!reg}")" \
			"/images/create?fromImage=${!reg}/auth/single&tag=latest"
		echo "$output"
		[ "$status" -eq 0 ]
		assert_eq "$(jq -r 'select(.error) | .error' <<<"$output")" "" "errors of the $reg pull"
		assert_eq "$(tail -1 <<<"$output" | jq -r .status)" "Status: Downloaded newer image for ${!reg}/auth/single:latest"
	done
	run dk images --format '{{.Repository}}'
	assert_eq "$(sort <<<"$output")" "$(printf '%s\n' "$BASIC/auth/single" "$TOKEN/auth/single" | sort)"
	# the pull-only user got a pull token
	jq -se 'map(select(.user == "reader" and .status == 200)) | length >= 1 and
		all(.access == [{"type": "repository", "name": "auth/single", "actions": ["pull"]}])' "$TOKEN_LOG"
	# the wrong password for basic auth: refused, nothing stored
	dk rmi "$BASIC/auth/single" "$TOKEN/auth/single" >/dev/null
	api_status -XPOST -H "X-Registry-Auth: $(x_registry_auth alice nope "$BASIC")" \
		"/images/create?fromImage=$BASIC/auth/single&tag=latest"
	assert_eq "$API_STATUS" 404
	assert_contains "$(jq -r .message <<<"$API_BODY")" "pull access denied for $BASIC/auth/single, repository does not exist or may require 'docker login'"
	assert_contains "$(jq -r .message <<<"$API_BODY")" "unauthorized: authentication required"
	assert_nothing_stored
	assert_eq "$(ingest_files)" ""
}

@test "auth: a pull without credentials from either registry fails clearly, at once, and stores nothing" {
	local reg
	for reg in "$BASIC" "$TOKEN"; do
		SECONDS=0
		run dk pull "$reg/auth/single"
		echo "$output"
		[ "$status" -ne 0 ]
		# no interactive login prompt: the daemon did not answer 401
		[[ "$output" != *"Username"* ]]
		[ "$SECONDS" -lt 10 ]
		assert_eq "$output" "Using default tag: latest
Error response from daemon: pull access denied for $reg/auth/single, repository does not exist or may require 'docker login': manifest for $reg/auth/single:latest: unauthorized: authentication required"
		assert_nothing_stored
		assert_eq "$(ingest_files)" ""
	done
	# the token service was asked anonymously and granted nothing
	jq -se 'map(select(.user == "" and .auth == "none")) | length >= 1 and all(.access == [])' "$TOKEN_LOG"
}
