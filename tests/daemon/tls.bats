#!/usr/bin/env bats
# A registry over HTTPS with a CA of its own: berthd verifies it with the
# CA in --registry-certs-dir/HOST:PORT/ca.crt, as dockerd does with
# /etc/docker/certs.d, and refuses it without.  The registry's name
# resolves to 127.0.0.1 through an /etc/hosts that only berthd sees (a
# private mount namespace), since a loopback address itself is always an
# insecure registry, as in docker.
#
#   bats tests/daemon/tls.bats

load helpers

NAME=registry.berth.test

setup_file() {
	require_binaries || return 1
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	export no_proxy='*' NO_PROXY='*'
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" || return 1
	build_layout "$IMG" plain --variant single || return 1
	registry_start "$BATS_FILE_TMPDIR/registry" --tls "$NAME" || return 1
	export REG=$REGISTRY_ADDR REGISTRY_TLS_CA
	# push.py speaks plain HTTP: push through curl's trust of the CA
	SSL_CERT_FILE=$REGISTRY_TLS_CA push_tag "$IMG" plain "$REG/test/plain:latest" --scheme https >/dev/null || return 1
	# berthd, in a mount namespace of its own where NAME is 127.0.0.1
	printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$NAME" >"$BATS_FILE_TMPDIR/hosts"
	cat >"$BATS_FILE_TMPDIR/berthd-hosts" <<WRAP
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount --bind "$BATS_FILE_TMPDIR/hosts" /etc/hosts && exec "\$0" "\$@"' "$BERTHD" "\$@"
WRAP
	chmod +x "$BATS_FILE_TMPDIR/berthd-hosts"
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

@test "tls: a registry's own CA in certs.d/HOST:PORT/ca.crt is trusted; without it the pull is refused" {
	local port=${REG##*:} real=$BERTHD
	BERTHD=$BATS_FILE_TMPDIR/berthd-hosts
	berthd_start
	run dk pull "$NAME:$port/test/plain"
	echo "$output"
	[ "$status" -ne 0 ]
	assert_contains "$output" "certificate"
	assert_nothing_stored
	mkdir -p "$BD/certs.d/$NAME:$port"
	cp "$REGISTRY_TLS_CA" "$BD/certs.d/$NAME:$port/ca.crt"
	run dk pull -q "$NAME:$port/test/plain"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$NAME:$port/test/plain:latest"
	BERTHD=$real
}
