#!/usr/bin/env bats
# /etc/containers/registries.conf (here --registries-conf): a registry that
# cannot be reached is served by its mirror; the image keeps the name it
# was asked for.
#
#   bats tests/daemon/mirrors.bats

load helpers

setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" plain --variant single || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" || return 1
	export REG=$REGISTRY_ADDR
	push_tag "$IMG" plain "$REG/test/plain:latest" >/dev/null || return 1
}

teardown_file() {
	daemon_teardown_file
}

setup() {
	daemon_setup
}

teardown() {
	daemon_teardown
}

@test "mirrors: a pull of an unreachable registry's image comes from its mirror, under the name asked for" {
	cat >"$BD/registries.conf" <<EOF2
[[registry]]
prefix = "unreachable.berth.test"
location = "unreachable.berth.test"

[[registry.mirror]]
location = "$REG"
insecure = true
EOF2
	berthd_start
	run dk pull -q unreachable.berth.test/test/plain
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" "unreachable.berth.test/test/plain:latest"
	assert_eq "$(dk images --format '{{.Repository}}:{{.Tag}}')" "unreachable.berth.test/test/plain:latest"
	# the mirror really served it
	grep -q 'GET /v2/test/plain/manifests/latest' "$REGISTRY_LOG"
	# without the mirror, the same pull fails
	berthd_stop
	: >"$BD/registries.conf"
	dk_rmi_all() { dk rmi -f $(dk images -q) >/dev/null 2>&1 || true; }
	berthd_start
	dk_rmi_all
	run dk pull -q unreachable.berth.test/test/plain
	[ "$status" -ne 0 ]
}
