#!/usr/bin/env bats
# Self-test of the registry test tools: mkimage.py, checklayout.py, push.py,
# registry.bash (docker-registry without auth, with htpasswd, with token
# auth via tokenserver.py) and fakereg.py.
#
#   bats tests/registry/selftest.bats
#
# Needs docker-registry, apache2-utils, openssl, zstd, busybox-static, curl,
# jq, bats and /usr/bin/python3; no network beyond 127.0.0.1.

load registry

ACCEPT_ALL='application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'

# The images every test uses, built once (read-only afterwards).
setup_file() {
	export IMG=$BATS_FILE_TMPDIR/img ROOTFS=$BATS_FILE_TMPDIR/rootfs
	"$REGISTRY_TOOLS/../../scripts/make-rootfs" "$ROOTFS"
	local t
	while read -r t args; do
		# shellcheck disable=SC2086
		"${MKIMAGE[@]}" "$IMG" --rootfs "$ROOTFS" --tag "$t" $args >/dev/null || return 1
	done <<-'EOF'
		single --variant single
		multi --variant multi
		whiteout --variant whiteout
		index --variant whiteout --index
		docker --variant multi --format docker
		docker-index --variant single --format docker --index
		zstd --variant multi --compression zstd
		none --variant multi --compression none
		mixed --variant whiteout --compression gzip,zstd,none
		docker-mixed --variant whiteout --format docker --compression none,zstd,gzip
		evil --variant evil
	EOF
}

setup() {
	T=$BATS_TEST_TMPDIR
	# everything here is on 127.0.0.1: never through a proxy
	export no_proxy='*' NO_PROXY='*'
}

teardown() {
	registry_stop
}

# digest_of TAG: the digest index.json gives TAG in the shared layout.
digest_of() {
	jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$IMG/index.json"
}

# blob DIGEST: the path of a blob of the shared layout.
blob() {
	echo "$IMG/blobs/sha256/${1#sha256:}"
}

sha() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# header FILE NAME: the value of a header in a curl -D dump.
header() {
	tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr '[:upper:]' '[:lower:]')" 'tolower($1) == n":" { $1 = ""; sub(/^ /, ""); v = $0 } END { print v }'
}

# pull_verify BASE NAME REF WANT [curl options]: fetch the manifest REF
# (tag or digest) with every manifest type accepted, check its digest
# (body and Docker-Content-Digest) is WANT and its Content-Type is its
# mediaType, then the same for every child manifest and every blob.
pull_verify() {
	local base=$1 name=$2 ref=$3 want=$4
	shift 4
	local d=$T/pull/${want#sha256:}
	mkdir -p "$d" || return 1
	curl -sf --noproxy '*' -D "$d/h" -o "$d/m" -H "Accept: $ACCEPT_ALL" "$@" "$base/v2/$name/manifests/$ref" || {
		echo "GET manifest $ref failed" >&2
		return 1
	}
	if [ "$(sha "$d/m")" != "$want" ]; then
		echo "manifest $ref has digest $(sha "$d/m"), want $want" >&2
		return 1
	fi
	if [ "$(header "$d/h" Docker-Content-Digest)" != "$want" ]; then
		echo "manifest $ref: Docker-Content-Digest $(header "$d/h" Docker-Content-Digest), want $want" >&2
		return 1
	fi
	local mt
	mt=$(jq -r .mediaType "$d/m") || return 1
	if [ "$(header "$d/h" Content-Type)" != "$mt" ]; then
		echo "manifest $ref: Content-Type $(header "$d/h" Content-Type), mediaType $mt" >&2
		return 1
	fi
	local c size
	case "$mt" in
	*index* | *list*)
		for c in $(jq -r '.manifests[].digest' "$d/m"); do
			pull_verify "$base" "$name" "$c" "$c" "$@" || return 1
		done
		;;
	*)
		while read -r c size; do
			curl -sf --noproxy '*' -o "$d/b" "$@" "$base/v2/$name/blobs/$c" || {
				echo "GET blob $c failed" >&2
				return 1
			}
			if [ "$(sha "$d/b")" != "$c" ] || [ "$(stat -c %s "$d/b")" != "$size" ]; then
				echo "blob $c: digest $(sha "$d/b"), $(stat -c %s "$d/b") bytes (want $size)" >&2
				return 1
			fi
		done < <(jq -r '(.config, .layers[]) | "\(.digest) \(.size)"' "$d/m")
		;;
	esac
	[ -n "$mt" ] && [ "$mt" != null ] || {
		echo "manifest $ref has no mediaType" >&2
		return 1
	}
}

@test "mkimage: every variant is a valid OCI layout (digests, sizes, media types, diff_ids)" {
	run "${CHECKLAYOUT[@]}" "$IMG"
	echo "$output" | tail -20
	[ "$status" -eq 0 ]
	echo "$output" >"$T/sum.json"
	[ "$(jq '.refs | length' "$T/sum.json")" -eq 11 ]
	# media types per format and compression
	[ "$(jq -r '.refs[] | select(.tag == "docker") | .mediaType' "$T/sum.json")" = application/vnd.docker.distribution.manifest.v2+json ]
	[ "$(jq -r '.refs[] | select(.tag == "docker-index") | .mediaType' "$T/sum.json")" = application/vnd.docker.distribution.manifest.list.v2+json ]
	[ "$(jq -r '.refs[] | select(.tag == "index") | .mediaType' "$T/sum.json")" = application/vnd.oci.image.index.v1+json ]
	[ "$(jq -c '[.refs[] | select(.tag == "mixed") | .layers[].mediaType]' "$T/sum.json")" = \
		'["application/vnd.oci.image.layer.v1.tar+gzip","application/vnd.oci.image.layer.v1.tar+zstd","application/vnd.oci.image.layer.v1.tar"]' ]
	[ "$(jq -c '[.refs[] | select(.tag == "docker-mixed") | .layers[].mediaType]' "$T/sum.json")" = \
		'["application/vnd.docker.image.rootfs.diff.tar","application/vnd.docker.image.rootfs.diff.tar.zstd","application/vnd.docker.image.rootfs.diff.tar.gzip"]' ]
	[ "$(jq -r '.refs[] | select(.tag == "docker") | .layers[0].mediaType' "$T/sum.json")" = application/vnd.docker.image.rootfs.diff.tar.gzip ]
	[ "$(jq -r '[.refs[] | select(.tag == "single") | .layers[]] | length' "$T/sum.json")" -eq 1 ]
	[ "$(jq -r '[.refs[] | select(.tag == "whiteout") | .layers[]] | length' "$T/sum.json")" -eq 3 ]

	# independent of checklayout.py: every blob's name is its sha256, and
	# the system's gzip/zstd/tar read the layers
	local f
	for f in "$IMG"/blobs/sha256/*; do
		[ "$(sha256sum "$f" | cut -d' ' -f1)" = "${f##*/}" ]
	done
	local m l
	m=$(blob "$(digest_of mixed)")
	mapfile -t l < <(jq -r '.layers[].digest' "$m")
	tar -tzf "$(blob "${l[0]}")" >/dev/null
	zstd -dc <"$(blob "${l[1]}")" | tar -t >/dev/null
	tar -tf "$(blob "${l[2]}")" >/dev/null
	# diff_ids: the sha256 of the uncompressed layers
	local cfg diff
	cfg=$(blob "$(jq -r .config.digest "$m")")
	mapfile -t diff < <(jq -r '.rootfs.diff_ids[]' "$cfg")
	[ "${diff[0]}" = "sha256:$(gzip -dc <"$(blob "${l[0]}")" | sha256sum | cut -d' ' -f1)" ]
	[ "${diff[1]}" = "sha256:$(zstd -dc <"$(blob "${l[1]}")" | sha256sum | cut -d' ' -f1)" ]
	[ "${diff[2]}" = "${l[2]}" ]
}

@test "mkimage: the same image twice has the same digests (also without --rootfs)" {
	local a b
	read -r _ a < <("${MKIMAGE[@]}" "$T/again" --rootfs "$ROOTFS" --variant whiteout --index --tag index)
	[ "$a" = "$(digest_of index)" ]
	read -r _ b < <("${MKIMAGE[@]}" "$T/fresh" --variant multi --format docker)
	[ "$b" = "$(digest_of docker)" ]
	# nothing but the layout is left in the directory
	[ "$(ls -A "$T/fresh")" = "$(printf 'blobs\nindex.json\noci-layout')" ]
}

@test "mkimage: multi-layer content (links, fifo, setuid, xattr, owners, mtimes)" {
	"${CHECKLAYOUT[@]}" "$IMG" --tag multi --list >"$T/l.json"
	e() { jq -c --arg n "$1" '.refs[0].layers[1].entries[] | select(.name == $n)' "$T/l.json"; }
	[ "$(e opt/berth/hardlink-to-hello | jq -r '.type + " " + .linkname')" = "hardlink opt/berth/hello.txt" ]
	[ "$(e opt/berth/symlink-to-hello | jq -r '.type + " " + .linkname')" = "symlink hello.txt" ]
	[ "$(e opt/berth/abs-symlink | jq -r .linkname)" = /etc/passwd ]
	[ "$(e opt/berth/fifo | jq -r .type)" = fifo ]
	[ "$(e opt/berth/setuid | jq -r .mode)" = 4755 ]
	[ "$(e opt/berth/sticky | jq -r .mode)" = 1777 ]
	[ "$(e opt/berth/xattr | jq -c .xattrs)" = '{"user.berth":"1"}' ]
	[ "$(e home/u/owned-by-u | jq -r '"\(.uid):\(.gid) \(.mode)"')" = "1000:1000 0640" ]
	[ "$(e home/u/private | jq -r '"\(.type) \(.uid):\(.gid) \(.mode)"')" = "dir 1000:1000 0700" ]
	[ "$(e opt/berth/mtime-2000 | jq -r .mtime)" = 946684800 ]
	[ "$(e opt/berth/hello.txt | jq -r .mtime)" = 1500000000 ]
	[ -n "$(e "opt/berth/long-$(printf 'n%.0s' {1..120})")" ]
	# the base layer is the busybox rootfs: bin/sh -> busybox, the real binary
	[ "$(jq -r '.refs[0].layers[0].entries[] | select(.name == "bin/sh") | .linkname' "$T/l.json")" = busybox ]
	[ "$(jq -r '.refs[0].layers[0].entries[] | select(.name == "bin/busybox") | .size' "$T/l.json")" = "$(stat -c %s /bin/busybox)" ]

	# GNU tar extracts it with the xattr, the owner, the modes
	local m l
	m=$(blob "$(digest_of multi)")
	l=$(jq -r '.layers[1].digest' "$m")
	mkdir "$T/x"
	tar --xattrs --xattrs-include='user.*' --numeric-owner -xzpf "$(blob "$l")" -C "$T/x"
	if [ "$(id -u)" = 0 ]; then
		[ "$(stat -c %a "$T/x/opt/berth/setuid")" = 4755 ]
		[ "$(stat -c %u:%g "$T/x/home/u/owned-by-u")" = 1000:1000 ]
	fi
	[ -p "$T/x/opt/berth/fifo" ]
	[ "$(stat -c %i "$T/x/opt/berth/hello.txt")" = "$(stat -c %i "$T/x/opt/berth/hardlink-to-hello")" ]
	[ "$(stat -c %Y "$T/x/opt/berth/mtime-2000")" = 946684800 ]
	# (tmpfs or a filesystem without user xattrs: only the tar entry is checked)
	if "$REGISTRY_PYTHON" -c 'import os,sys; os.setxattr(sys.argv[1], "user.t", b"1")' "$T/x/opt/berth/empty" 2>/dev/null; then
		[ "$("$REGISTRY_PYTHON" -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.berth").decode())' "$T/x/opt/berth/xattr")" = 1 ]
	fi
}

@test "mkimage: whiteout layer (file, directory, opaque directory with a new file)" {
	"${CHECKLAYOUT[@]}" "$IMG" --tag whiteout --list >"$T/l.json"
	names() { jq -r ".refs[0].layers[$1].entries[].name" "$T/l.json"; }
	names 1 | grep -qx opt/berth/delete-me
	names 1 | grep -qx opt/berth/gone-dir/inner
	names 1 | grep -qx opt/berth/opaque-dir/old-sub/old-b
	names 2 >"$T/l2"
	grep -qx opt/berth/.wh.delete-me "$T/l2"
	grep -qx opt/berth/.wh.gone-dir "$T/l2"
	grep -qx bin/.wh.vi "$T/l2"
	grep -qx opt/berth/opaque-dir/.wh..wh..opq "$T/l2"
	grep -qx opt/berth/opaque-dir/new-file "$T/l2"
	# the opaque marker comes before the new file in the same directory
	[ "$(grep -n opaque-dir/ "$T/l2" | cut -d: -f2 | tr '\n' ' ')" = "opt/berth/opaque-dir/.wh..wh..opq opt/berth/opaque-dir/new-file " ]
	# whiteouts are empty regular files
	[ "$(jq -r '[.refs[0].layers[2].entries[] | select(.name | test("\\.wh\\.")) | "\(.type)\(.size)"] | unique | join(",")' "$T/l.json")" = file0 ]
}

@test "mkimage: index with linux/amd64 (busybox) and linux/arm64 (dummy); config fields" {
	local idx
	idx=$(blob "$(digest_of index)")
	[ "$(jq -r .mediaType "$idx")" = application/vnd.oci.image.index.v1+json ]
	# the first platform is the host's (the real busybox), the second a dummy
	local host=amd64 other=arm64
	if [ "$(uname -m)" = aarch64 ]; then
		host=arm64 other=amd64
	fi
	[ "$(jq -c '[.manifests[].platform | "\(.os)/\(.architecture)"]' "$idx")" = "[\"linux/$host\",\"linux/$other\"]" ]
	local arm amd
	arm=$(blob "$(jq -r --arg a "$other" '.manifests[] | select(.platform.architecture == $a) | .digest' "$idx")")
	amd=$(blob "$(jq -r --arg a "$host" '.manifests[] | select(.platform.architecture == $a) | .digest' "$idx")")
	[ "$(jq '.layers | length' "$arm")" -eq 1 ]
	[ "$(tar -xzOf "$(blob "$(jq -r '.layers[0].digest' "$arm")")" arch.txt)" = "$other" ]
	[ "$(jq -r .architecture "$(blob "$(jq -r .config.digest "$arm")")")" = "$other" ]
	[ "$(jq -r .architecture "$(blob "$(jq -r .config.digest "$amd")")")" = "$host" ]
	# the Docker manifest list has the same platforms
	idx=$(blob "$(digest_of docker-index)")
	[ "$(jq -r '.manifests[].mediaType' "$idx" | sort -u)" = application/vnd.docker.distribution.manifest.v2+json ]
	[ "$(jq -c '[.manifests[].platform.architecture]' "$idx")" = "[\"$host\",\"$other\"]" ]

	# the config of the busybox image
	local cfg
	cfg=$(blob "$(jq -r .config.digest "$amd")")
	jq -e '.config.Env | index("BERTH_TEST=1")' "$cfg"
	jq -e '.config.Env[] | select(startswith("PATH="))' "$cfg"
	[ "$(jq -c .config.Entrypoint "$cfg")" = '["/bin/sh","-c"]' ]
	[ "$(jq -c .config.Cmd "$cfg")" = '["echo hello from berth"]' ]
	[ "$(jq -r .config.WorkingDir "$cfg")" = /root ]
	[ "$(jq -r '.config.Labels["io.berth.test"]' "$cfg")" = yes ]
	[ "$(jq -c '.config.ExposedPorts | keys' "$cfg")" = '["53/udp","8080/tcp"]' ]
	[ "$(jq -r .rootfs.type "$cfg")" = layers ]
	[ "$(jq '.rootfs.diff_ids | length' "$cfg")" -eq 3 ]
	[ "$(jq '[.history[] | select(.empty_layer)] | length' "$cfg")" -ge 1 ]
	[ "$(jq '[.history[] | select(.empty_layer | not)] | length' "$cfg")" -eq 3 ]
	jq -e '.history[] | select(.created_by | startswith("ENV"))' "$cfg"

	# config overrides
	"${MKIMAGE[@]}" "$T/o" --rootfs "$ROOTFS" --cmd '["sleep","5"]' --entrypoint '[]' \
		--workdir /tmp --env BERTH_TEST=2 --label a=b --user 1000:1000 >/dev/null
	local om
	om=$T/o/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/o/index.json" | cut -d: -f2)
	cfg=$T/o/blobs/sha256/$(jq -r .config.digest "$om" | cut -d: -f2)
	[ "$(jq -c .config.Cmd "$cfg")" = '["sleep","5"]' ]
	[ "$(jq -r '.config.Entrypoint // "none"' "$cfg")" = none ]
	[ "$(jq -r .config.WorkingDir "$cfg")" = /tmp ]
	[ "$(jq -r .config.User "$cfg")" = 1000:1000 ]
	[ "$(jq -r '.config.Labels.a' "$cfg")" = b ]
	[ "$(jq -c '[.config.Env[] | select(startswith("BERTH_TEST"))]' "$cfg")" = '["BERTH_TEST=2"]' ]
}

@test "mkimage: big mode (N layers of about S MB from a content dir) and the evil variant" {
	local content
	content=$("$REGISTRY_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
	"${MKIMAGE[@]}" "$T/big" --rootfs "$ROOTFS" --variant big --layers 4 --size-mb 6 \
		--content-dir "$content" --json >"$T/big.json"
	"${CHECKLAYOUT[@]}" "$T/big" >/dev/null
	[ "$(jq '.images[0].layers | length' "$T/big.json")" -eq 4 ]
	local total
	total=$(jq '[.images[0].layers[].tar_size] | add' "$T/big.json")
	[ "$total" -gt 5000000 ]
	[ "$total" -lt 9000000 ]
	# every content layer got some of it, gzip compressed it
	[ "$(jq '[.images[0].layers[1:][] | select(.tar_size > 500000)] | length' "$T/big.json")" -eq 3 ]
	[ "$(jq '[.images[0].layers[] | select(.size < .tar_size)] | length' "$T/big.json")" -eq 4 ]

	"${CHECKLAYOUT[@]}" "$IMG" --tag evil --list >"$T/evil.json"
	jq -r '.refs[0].layers[1].entries[].name' "$T/evil.json" | grep -qx '../escape-dotdot'
	jq -r '.refs[0].layers[1].entries[].name' "$T/evil.json" | grep -qx '/abs-escape'
	jq -r '.refs[0].layers[1].entries[].linkname' "$T/evil.json" | grep -qx '../../../../etc/shadow'
}

@test "push: no auth; index, children and blobs come back with their digests" {
	registry_start "$T/reg"
	local d
	d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/index:v1" --ref index)
	[ "$d" = "$(digest_of index)" ]
	pull_verify "http://$REGISTRY_ADDR" berth/index v1 "$d"
	# the index comes back by tag with the index media type only
	curl -sf -D "$T/h" -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$REGISTRY_ADDR/v2/berth/index/manifests/v1"
	[ "$(header "$T/h" Content-Type)" = application/vnd.oci.image.index.v1+json ]

	# a second push of the same image uploads nothing (HEAD finds every blob)
	run "${PUSH[@]}" -v "$IMG" "$REGISTRY_ADDR/berth/index:v2" --ref index
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'POST')" -eq 0 ]
	[ "$(echo "$output" | grep -c 'exists')" -eq 6 ]
	pull_verify "http://$REGISTRY_ADDR" berth/index v2 "$d"

	# push by tag = the layout's ref name
	d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/single:single")
	pull_verify "http://$REGISTRY_ADDR" berth/single single "$(digest_of single)"
	# an unknown ref fails
	run "${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/single:nosuchref"
	[ "$status" -ne 0 ]

	# a registry that answers with relative Location headers
	registry_start "$T/rel" --relative-urls
	curl -s -D "$T/h" -o /dev/null -X POST "http://$REGISTRY_ADDR/v2/berth/rel/blobs/uploads/"
	[[ "$(header "$T/h" Location)" == /v2/berth/rel/blobs/uploads/* ]]
	d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/rel:whiteout")
	pull_verify "http://$REGISTRY_ADDR" berth/rel whiteout "$(digest_of whiteout)"
}

@test "push: Docker schema 2, manifest list, zstd and uncompressed layers" {
	registry_start "$T/reg"
	local t d
	for t in docker docker-index docker-mixed zstd none mixed whiteout; do
		d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:$t")
		[ "$d" = "$(digest_of "$t")" ]
		pull_verify "http://$REGISTRY_ADDR" berth/img "$t" "$d"
	done
	curl -sf -D "$T/h" -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REGISTRY_ADDR/v2/berth/img/manifests/docker"
	[ "$(header "$T/h" Content-Type)" = application/vnd.docker.distribution.manifest.v2+json ]
	curl -sf -D "$T/h" -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
		"http://$REGISTRY_ADDR/v2/berth/img/manifests/docker-index"
	[ "$(header "$T/h" Content-Type)" = application/vnd.docker.distribution.manifest.list.v2+json ]
	curl -sf "http://$REGISTRY_ADDR/v2/berth/img/tags/list" | jq -e '.tags | index("docker-mixed")'
}

@test "push: htpasswd basic auth" {
	registry_start "$T/reg" --htpasswd alice:s3cret
	[ "$REGISTRY_AUTH" = htpasswd ]
	[ "$REGISTRY_USER" = alice ]
	[ "$REGISTRY_PASS" = s3cret ]
	grep -q '^alice:\$2y\$' "$T/reg/htpasswd"
	run "${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:multi"
	[ "$status" -ne 0 ]
	[[ "$output" == *"basic auth"* ]]
	run "${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:multi" --user alice:wrong
	[ "$status" -ne 0 ]
	local d
	d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:multi" --user alice:s3cret)
	[ "$d" = "$(digest_of multi)" ]
	curl -s -D "$T/h" -o /dev/null "http://$REGISTRY_ADDR/v2/berth/img/manifests/multi"
	head -n1 "$T/h" | grep -q ' 401'
	[[ "$(header "$T/h" WWW-Authenticate)" == Basic* ]]
	pull_verify "http://$REGISTRY_ADDR" berth/img multi "$d" -u alice:s3cret
}

@test "push: token auth (RS256, x5c), the token service's log shows the flow" {
	registry_start "$T/reg" --token-auth --pull-only-user reader:rpass
	[ "$REGISTRY_AUTH" = token ]
	[ "$REGISTRY_USER" = berth ]
	[ "$REGISTRY_PASS" = berthpass ]
	# the challenge
	curl -s -D "$T/h" -o /dev/null "http://$REGISTRY_ADDR/v2/berth/img/manifests/index"
	head -n1 "$T/h" | grep -q ' 401'
	local ch
	ch=$(header "$T/h" WWW-Authenticate)
	[[ "$ch" == "Bearer realm=\"$REGISTRY_TOKEN_REALM\""* ]]
	[[ "$ch" == *"service=\"$REGISTRY_SERVICE\""* ]]
	[[ "$ch" == *'scope="repository:berth/img:pull"'* ]]

	run "${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:index"
	[ "$status" -ne 0 ]
	run "${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:index" --user berth:wrong
	[ "$status" -ne 0 ]
	[[ "$output" == *"token service"*401* ]]
	run "${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:index" --user reader:rpass
	[ "$status" -ne 0 ]
	: >"$REGISTRY_TOKEN_LOG"
	local d
	d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:index" --user berth:berthpass)
	[ "$d" = "$(digest_of index)" ]
	# push.py asked the token service once, with basic credentials, for push
	[ "$(wc -l <"$REGISTRY_TOKEN_LOG")" -eq 1 ]
	jq -e 'select(.user == "berth" and .auth == "basic" and .status == 200
		and (.scopes | index("repository:berth/img:pull,push"))
		and (.access[] | select(.name == "berth/img") | .actions | index("push")))' "$REGISTRY_TOKEN_LOG"

	# pull with curl: a token for pull, then manifests and blobs
	local tok
	tok=$(registry_token repository:berth/img:pull)
	pull_verify "http://$REGISTRY_ADDR" berth/img index "$d" -H "Authorization: Bearer $tok"
	# the pull-only user can pull too
	tok=$(registry_token repository:berth/img:pull reader:rpass)
	pull_verify "http://$REGISTRY_ADDR" berth/img index "$d" -H "Authorization: Bearer $tok"
	# an anonymous token has no access: 401 insufficient_scope
	tok=$(registry_token repository:berth/img:pull "")
	curl -s -D "$T/h" -o /dev/null -H "Authorization: Bearer $tok" "http://$REGISTRY_ADDR/v2/berth/img/manifests/index"
	head -n1 "$T/h" | grep -q ' 401'
	[[ "$(header "$T/h" WWW-Authenticate)" == *insufficient_scope* ]]
	# a forged token (signature of another text) is refused
	tok=$(registry_token repository:berth/img:pull)
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${tok%.*}.AAAA" \
		"http://$REGISTRY_ADDR/v2/berth/img/manifests/index" | grep -qx 401
	# the OAuth2 form (POST) flow works too
	curl -sf -d grant_type=password -d username=berth -d password=berthpass -d client_id=t \
		-d "service=$REGISTRY_SERVICE" -d scope=repository:berth/img:pull "$REGISTRY_TOKEN_REALM" |
		jq -er .access_token >"$T/tok"
	pull_verify "http://$REGISTRY_ADDR" berth/img index "$d" -H "Authorization: Bearer $(cat "$T/tok")"
}

@test "push: token auth with an EC key (ES256) and anonymous pull" {
	registry_start "$T/reg" --token-auth pusher:pw --token-key ec --anonymous-pull
	local d tok
	d=$("${PUSH[@]}" "$IMG" "$REGISTRY_ADDR/berth/img:docker-index" --user pusher:pw)
	[ "$d" = "$(digest_of docker-index)" ]
	tok=$(registry_token repository:berth/img:pull,push "")
	# the JWT header: ES256 and an x5c chain; anonymous gets pull only
	"$REGISTRY_PYTHON" -c 'import base64, json, sys
h = sys.argv[1].split(".")[0]
print(json.dumps(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))))' "$tok" >"$T/jwt-header"
	jq -e '.alg == "ES256" and (.x5c | length) == 1' "$T/jwt-header"
	pull_verify "http://$REGISTRY_ADDR" berth/img docker-index "$d" -H "Authorization: Bearer $tok"
	tail -n1 "$REGISTRY_TOKEN_LOG" | jq -e '.auth == "none" and (.access[0].actions == ["pull"])'
}

# --- fakereg

# fr FAULT [options]: a fakereg serving the shared layout's "multi" image.
fr() {
	local f=$1
	shift
	fakereg_start "$T/fr-$f-$RANDOM" "$IMG" "$f" --ref multi "$@"
	M=$(digest_of multi)
	L0=$(jq -r '.layers[0].digest' "$(blob "$M")")
	L0SIZE=$(stat -c %s "$(blob "$L0")")
	CFG=$(jq -r '.config.digest' "$(blob "$M")")
	URL=http://$FAKEREG_ADDR/v2/any/name
}

@test "fakereg: none serves the image correctly, with Range" {
	fr none
	pull_verify "http://$FAKEREG_ADDR" some/repo latest "$M"
	curl -sf -H 'Range: bytes=100-' -D "$T/h" -o "$T/part" "$URL/blobs/$L0"
	head -n1 "$T/h" | grep -q ' 206'
	[ "$(header "$T/h" Content-Range)" = "bytes 100-$((L0SIZE - 1))/$L0SIZE" ]
	cmp "$T/part" <(tail -c +101 "$(blob "$L0")")
	curl -sf -r 10-19 -o "$T/part" "$URL/blobs/$L0"
	[ "$(stat -c %s "$T/part")" -eq 10 ]
	curl -s -o /dev/null -w '%{http_code}' -r "$L0SIZE-" "$URL/blobs/$L0" | grep -qx 416
	curl -s -o /dev/null -w '%{http_code}' "$URL/blobs/sha256:$(printf '0%.0s' {1..64})" | grep -qx 404
	curl -sfI "$URL/blobs/$L0" | tr -d '\r' | grep -qi "^content-length: $L0SIZE$"
	# an index is served as well
	fakereg_start "$T/fr-index" "$IMG" none --ref index
	pull_verify "http://$FAKEREG_ADDR" a/b latest "$(digest_of index)"
}

@test "fakereg: bad-digest, truncated, blob-404" {
	fr bad-digest
	curl -sf -D "$T/h" -o "$T/b" "$URL/blobs/$L0"
	[ "$(stat -c %s "$T/b")" -eq "$L0SIZE" ]
	[ "$(sha "$T/b")" != "$L0" ]
	[ "$(header "$T/h" Docker-Content-Digest)" = "$L0" ]
	[ "$(cmp -l "$T/b" "$(blob "$L0")" | wc -l)" -eq 1 ]
	# the config is not a target: correct
	curl -sf -o "$T/c" "$URL/blobs/$CFG"
	[ "$(sha "$T/c")" = "$CFG" ]

	fr truncated
	run curl -s -o "$T/t" "$URL/blobs/$L0"
	[ "$status" -eq 18 ] # partial file
	[ "$(stat -c %s "$T/t")" -eq $((L0SIZE / 2)) ]
	fr truncated --drop-at 1000
	run curl -s -o "$T/t" "$URL/blobs/$L0"
	[ "$status" -eq 18 ]
	[ "$(stat -c %s "$T/t")" -eq 1000 ]

	fr blob-404
	curl -s -o "$T/e" -w '%{http_code}' "$URL/blobs/$L0" | grep -qx 404
	jq -e '.errors[0].code == "BLOB_UNKNOWN"' "$T/e"
	curl -sI -o /dev/null -w '%{http_code}' "$URL/blobs/$L0" | grep -qx 404
	curl -sf -o /dev/null "$URL/blobs/$CFG"
}

@test "fakereg: descriptor sizes and diff_ids that lie" {
	local m real
	for f in desc-size-small desc-size-large; do
		fr "$f"
		curl -sf -D "$T/h" -o "$T/m" "$URL/manifests/latest"
		[ "$(sha "$T/m")" = "$(header "$T/h" Docker-Content-Digest)" ]
		[ "$(sha "$T/m")" != "$M" ]
		# same blobs, other sizes
		[ "$(jq -r '.layers[0].digest' "$T/m")" = "$L0" ]
		m=$(jq -r '.layers[0].size' "$T/m")
		curl -sf -o "$T/b" "$URL/blobs/$L0"
		real=$(stat -c %s "$T/b")
		[ "$real" -eq "$L0SIZE" ]
		if [ "$f" = desc-size-small ]; then
			[ "$m" -eq $((real - 1)) ]
		else
			[ "$m" -eq $((real + 1000)) ]
		fi
		# the rewritten manifest is also there by its digest
		curl -sf -o /dev/null "$URL/manifests/$(sha "$T/m")"
	done

	fr bad-diffid
	curl -sf -o "$T/m" "$URL/manifests/latest"
	curl -sf -o "$T/c" "$URL/blobs/$(jq -r .config.digest "$T/m")"
	[ "$(sha "$T/c")" = "$(jq -r .config.digest "$T/m")" ]
	curl -sf -o "$T/b" "$URL/blobs/$L0"
	[ "$(jq -r '.rootfs.diff_ids[0]' "$T/c")" != "sha256:$(gzip -dc <"$T/b" | sha256sum | cut -d' ' -f1)" ]
	# the other diff_ids are right
	[ "$(jq -r '.rootfs.diff_ids[1]' "$T/c")" = "$(jq -r '.rootfs.diff_ids[1]' "$(blob "$CFG")")" ]
}

@test "fakereg: drop-resume cuts the first GET and honours Range on the retry" {
	fr drop-resume
	run curl -s -o "$T/b" "$URL/blobs/$L0"
	[ "$status" -eq 18 ]
	local got
	got=$(stat -c %s "$T/b")
	[ "$got" -eq $((L0SIZE / 2)) ]
	curl -sf -C - -o "$T/b" "$URL/blobs/$L0"
	[ "$(sha "$T/b")" = "$L0" ]
	# the log has the Range the client sent and the 206
	jq -se --arg r "bytes=$got-" '[.[] | select(.path | endswith("/blobs/'"$L0"'"))] |
		(.[0].status == 200 and .[0].fault == "drop-resume: cut" and .[0].range == null and
		 .[1].status == 206 and .[1].range == $r)' "$FAKEREG_LOG"
	# a second whole GET is not cut any more
	curl -sf -o "$T/b2" "$URL/blobs/$L0"
	[ "$(sha "$T/b2")" = "$L0" ]
}

@test "fakereg: redirect (absolute, relative) and redirect-loop" {
	fr redirect
	curl -s -D "$T/h" -o /dev/null "$URL/blobs/$L0"
	head -n1 "$T/h" | grep -q ' 307'
	[[ "$(header "$T/h" Location)" == "http://$FAKEREG_ADDR/_redirected/"* ]]
	curl -sfL -o "$T/b" "$URL/blobs/$L0"
	[ "$(sha "$T/b")" = "$L0" ]
	curl -sfL -r 5- -o "$T/p" "$URL/blobs/$L0"
	[ "$(stat -c %s "$T/p")" -eq $((L0SIZE - 5)) ]
	jq -se '[.[] | select(.path | startswith("/_redirected/"))] | length == 2' "$FAKEREG_LOG"

	fr redirect --redirect-relative
	curl -s -D "$T/h" -o /dev/null "$URL/blobs/$L0"
	[[ "$(header "$T/h" Location)" == /_redirected/* ]]
	curl -sfL -o "$T/b" "$URL/blobs/$L0"
	[ "$(sha "$T/b")" = "$L0" ]

	fr redirect-loop
	run curl -sL --max-redirs 5 -o /dev/null "$URL/blobs/$L0"
	[ "$status" -eq 47 ] # too many redirects
}

@test "fakereg: 500-first-n and 429-first-n then success" {
	fr 500-first-n --count 2
	curl -s -o /dev/null -w '%{http_code}' "$URL/blobs/$L0" | grep -qx 500
	# HEAD and other blobs do not count
	curl -sfI -o /dev/null "$URL/blobs/$L0"
	curl -sf -o /dev/null "$URL/blobs/$CFG"
	curl -s -o /dev/null -w '%{http_code}' "$URL/blobs/$L0" | grep -qx 500
	curl -sf -o "$T/b" "$URL/blobs/$L0"
	[ "$(sha "$T/b")" = "$L0" ]

	fr 429-first-n --count 1
	curl -s -D "$T/h" -o /dev/null "$URL/blobs/$L0"
	head -n1 "$T/h" | grep -q ' 429'
	[ "$(header "$T/h" Retry-After)" = 1 ]
	curl -sf -o "$T/b" "$URL/blobs/$L0"
	[ "$(sha "$T/b")" = "$L0" ]
}

@test "fakereg: slow (rate limited) and stall" {
	fr slow --rate 100000
	local n
	run curl -s --max-time 1 -o "$T/b" "$URL/blobs/$L0"
	[ "$status" -eq 28 ] # timeout
	n=$(stat -c %s "$T/b")
	[ "$n" -gt 20000 ]
	[ "$n" -lt 300000 ]
	# manifests and the config are not slowed
	curl -sf --max-time 2 -o /dev/null "$URL/blobs/$CFG"

	fr stall --drop-at 1000
	run curl -s --max-time 1 -o "$T/s" "$URL/blobs/$L0"
	[ "$status" -eq 28 ]
	[ "$(stat -c %s "$T/s")" -eq 1000 ]
}

@test "fakereg: manifest faults (huge, bad JSON, schema 1, bad digest, artifact, 401)" {
	fr huge-manifest --huge-size 16777216
	curl -sI "$URL/manifests/latest" | tr -d '\r' | grep -qi '^content-length: 16777216$'
	curl -sf -o "$T/huge" "$URL/manifests/latest"
	[ "$(stat -c %s "$T/huge")" -eq 16777216 ]
	jq -e '.schemaVersion == 2 and (.annotations.pad | length) > 16000000' "$T/huge" >/dev/null
	# the default is 64 MiB
	fr huge-manifest
	[ "$(curl -sf -o /dev/null -w '%{size_download}' "$URL/manifests/latest")" -eq 67108864 ]

	fr bad-json
	curl -sf -D "$T/h" -o "$T/m" "$URL/manifests/latest"
	[ "$(header "$T/h" Content-Type)" = application/vnd.oci.image.manifest.v1+json ]
	run jq . "$T/m"
	[ "$status" -ne 0 ]

	fr schema1
	curl -sf -D "$T/h" -o "$T/m" "$URL/manifests/latest"
	[ "$(header "$T/h" Content-Type)" = application/vnd.docker.distribution.manifest.v1+prettyjws ]
	jq -e '.schemaVersion == 1 and (.fsLayers | length) == 1 and (.signatures | length) == 1' "$T/m"

	fr manifest-bad-digest
	curl -sf -D "$T/h" -o "$T/m" "$URL/manifests/latest"
	[ "$(header "$T/h" Docker-Content-Digest)" = "$M" ]
	[ "$(sha "$T/m")" != "$M" ]
	curl -sf -o "$T/m2" "$URL/manifests/$M"
	[ "$(sha "$T/m2")" != "$M" ]
	jq -e . "$T/m2" >/dev/null

	fr artifact
	curl -sf -D "$T/h" -o "$T/m" "$URL/manifests/latest"
	[ "$(header "$T/h" Content-Type)" = application/vnd.oci.image.manifest.v1+json ]
	[ "$(jq -r .config.mediaType "$T/m")" = application/vnd.berth.test.config.v1+json ]
	jq -e '.artifactType' "$T/m"
	pull_verify "http://$FAKEREG_ADDR" x latest "$(sha "$T/m")"
	# the layout's image is still there by digest
	pull_verify "http://$FAKEREG_ADDR" x "$M" "$M"

	fr 401-no-challenge
	for p in /v2/ /v2/x/manifests/latest "/v2/x/blobs/$L0"; do
		curl -s -D "$T/h" -o /dev/null "http://$FAKEREG_ADDR$p"
		head -n1 "$T/h" | grep -q ' 401'
		[ -z "$(header "$T/h" WWW-Authenticate)" ]
	done
}

@test "registry_stop leaves nothing running" {
	registry_start "$T/a" --token-auth
	local pids=("$REGISTRY_PID" "$REGISTRY_TOKEN_PID")
	fakereg_start "$T/f" "$IMG" stall --ref multi
	pids+=("$FAKEREG_PID")
	M=$(digest_of multi)
	L0=$(jq -r '.layers[0].digest' "$(blob "$M")")
	# a client stuck in a stalled blob does not keep fakereg alive
	curl -s --max-time 30 -o /dev/null "http://$FAKEREG_ADDR/v2/x/blobs/$L0" 3>&- &
	local curlpid=$!
	sleep 0.3
	registry_stop
	local p
	for p in "${pids[@]}"; do
		run kill -0 "$p"
		[ "$status" -ne 0 ]
	done
	wait "$curlpid" || true
	# and it can be called again
	registry_stop
}
