# Shared setup for berthd's integration tests (tests/daemon/*.bats).
#
#   bats tests/daemon                   (BERTHD=/path/to/berthd to pick a build)
#
# Every test gets its own daemon directory ($BD, under bats' per-test temp
# dir) with the daemon's root ($BERTHD_ROOT), exec-root, socket
# ($BERTHD_SOCK), pidfile and log, and its own docker CLI configuration
# ($DOCKER_CONFIG): ~/.docker, /run/docker.sock, /run/containerd and the
# system's berthd are never touched.  Registries (tests/registry) and the
# images they serve are shared per file (setup_file / teardown_file).
#
# Functions:
#   daemon_setup / daemon_teardown          per-test setup and teardown
#   daemon_teardown_file                    per-file teardown
#   berthd_start [BERTHD FLAGS...]           start berthd on $BD (again: same root)
#   berthd_stop                             SIGTERM, wait; returns berthd's status
#   berthd_kill9                            SIGKILL, wait
#   dk ARGS...                              the docker CLI on $BERTHD_SOCK
#   api [CURL ARGS...] PATH                 curl on $BERTHD_SOCK (http://berthd PATH)
#   overlay_mount LOWERDIRS MNT             overlayfs with a fresh upper/work dir
#   build_layout LAYOUT TAG MKIMAGE-ARGS... an image of tests/registry/mkimage.py
#   push_tag LAYOUT TAG HOST/REPO[:TAG]      push.py, prints the pushed digest
#   layout_digest, layout_manifest, layout_layers, layout_config  (see below)
#   blobs / snapshot_dirs / ingest_files    what ROOT holds
#   db_query SQL                            read berth.db (read-only)
#   assert_nothing_stored                   no blob, snapshot or image
#   short_id DIGEST                         the 12-hex short form

_DAEMON_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_BERTH_TOP=$(cd "$_DAEMON_TESTS/../.." && pwd)
# shellcheck source=../registry/registry.bash
source "$_DAEMON_TESTS/../registry/registry.bash"

BERTHD=${BERTHD:-$_BERTH_TOP/build/src/daemon/berthd}
BERTH_RUNTIME=${BERTH_RUNTIME:-$(dirname "$(dirname "$BERTHD")")/runtime-main/berth-runtime}
BERTH_SHIM=${BERTH_SHIM:-$(dirname "$(dirname "$BERTHD")")/shim/berth-shim}
DOCKER=${DOCKER:-/usr/local/bin/docker}
EVILIMAGE=("$REGISTRY_PYTHON" "$_DAEMON_TESTS/evilimage.py")
# How long one docker command may take before the test gives up on it: a
# hung daemon must fail the test, not hang the suite.
DK_TIMEOUT=${DK_TIMEOUT:-60}

# require_binaries: in setup_file; a missing build is one clear failure.
require_binaries() {
	local b
	for b in "$BERTHD" "$DOCKER"; do
		if [ ! -x "$b" ]; then
			echo "missing $b: build berth (meson setup build && ninja -C build) or set BERTHD=" >&2
			return 1
		fi
	done
	snapshot_binaries
}

# snapshot_binaries: the whole run tests one build: the binaries are copied
# once into the run's temp dir (a rebuild during the run would otherwise
# make single tests fail while they are relinked).
snapshot_binaries() {
	local src dst dir=$BATS_RUN_TMPDIR/daemon-tests-bin
	# side by side, as installed: berthd finds berth-runtime and berth-shim
	# next to itself
	mkdir -p "$dir"
	for src in "$BERTHD" "$BERTH_RUNTIME" "$BERTH_SHIM"; do
		[ -x "$src" ] || continue
		dst=$dir/$(basename "$src")
		[ "$src" = "$dst" ] && continue
		if [ ! -x "$dst" ]; then
			cp "$src" "$dst.tmp.$$" && chmod 0755 "$dst.tmp.$$" && mv "$dst.tmp.$$" "$dst" || {
				rm -f "$dst.tmp.$$"
				continue
			}
		fi
		case "$src" in
		"$BERTHD") BERTHD=$dst ;;
		"$BERTH_SHIM") BERTH_SHIM=$dst ;;
		*) BERTH_RUNTIME=$dst ;;
		esac
	done
	export BERTHD BERTH_RUNTIME BERTH_SHIM
}

# ---------------------------------------------------------------- per test

daemon_setup() {
	T=$BATS_TEST_TMPDIR
	# everything here is on 127.0.0.1: never through a proxy
	export no_proxy='*' NO_PROXY='*'
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY DOCKER_HOST DOCKER_CONTEXT \
		DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
	_BERTHD_PIDS=()
	_SHORT_DIRS=()
	BD=$T/d
	# A unix socket path must stay under 108 bytes (100 here, for margin).
	if [ ${#BD} -gt 80 ]; then
		BD=$(mktemp -d /tmp/bd.XXXXXX) || return 1
		_SHORT_DIRS+=("$BD")
	fi
	mkdir -p "$BD" "$T/docker-config" || return 1
	BERTHD_ROOT=$BD/root
	BERTHD_EXEC=$BD/exec
	BERTHD_SOCK=$BD/s.sock
	BERTHD_PIDFILE=$BD/berthd.pid
	BERTHD_LOG=$BD/berthd.log
	export DOCKER_CONFIG=$T/docker-config
	# no system configuration leaks in: an empty registries.conf, no certs
	: >"$BD/registries.conf"
	mkdir -p "$BD/certs.d"
	BERTHD_DEFAULT_FLAGS=(--registries-conf "$BD/registries.conf" --registry-certs-dir "$BD/certs.d")
}

# berthd_start [FLAGS...]: berthd on $BD in the background; returns once it
# answers /_ping.  Exports BERTHD_PID.
berthd_start() {
	: >>"$BERTHD_LOG"
	echo "--- berthd_start $*" >>"$BERTHD_LOG"
	"$BERTHD" --root "$BERTHD_ROOT" --exec-root "$BERTHD_EXEC" -H "unix://$BERTHD_SOCK" \
		--pidfile "$BERTHD_PIDFILE" "${BERTHD_DEFAULT_FLAGS[@]}" "$@" \
		>>"$BERTHD_LOG" 2>&1 </dev/null 3>&- 4>&- &
	BERTHD_PID=$!
	_BERTHD_PIDS+=("$BERTHD_PID")
	local n=200
	while [ "$n" -gt 0 ]; do
		if [ -S "$BERTHD_SOCK" ] && [ "$(api -o /dev/null -w '%{http_code}' /_ping 2>/dev/null)" = 200 ]; then
			export BERTHD_PID
			return 0
		fi
		if ! kill -0 "$BERTHD_PID" 2>/dev/null; then
			echo "berthd exited before serving:" >&2
			cat "$BERTHD_LOG" >&2
			return 1
		fi
		sleep 0.05
		n=$((n - 1))
	done
	echo "berthd does not answer on $BERTHD_SOCK:" >&2
	cat "$BERTHD_LOG" >&2
	return 1
}

# berthd_wait PID SECONDS: wait for a berthd of ours to exit; its status.
berthd_wait() {
	local pid=$1 n=$(($2 * 20))
	while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.05
		n=$((n - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "berthd $pid still runs after $2 s" >&2
		return 124
	fi
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

berthd_stop() {
	[ -n "${BERTHD_PID:-}" ] || return 0
	kill -TERM "$BERTHD_PID" 2>/dev/null || true
	local rc=0
	berthd_wait "$BERTHD_PID" 20 || rc=$?
	[ "$rc" -eq 124 ] && kill -KILL "$BERTHD_PID" 2>/dev/null
	BERTHD_PID=
	return "$rc"
}

berthd_kill9() {
	[ -n "${BERTHD_PID:-}" ] || return 0
	kill -KILL "$BERTHD_PID" 2>/dev/null || true
	berthd_wait "$BERTHD_PID" 10 || true
	BERTHD_PID=
}

# dk ARGS...: the real docker CLI, on our socket only, never on a terminal.
dk() {
	timeout "$DK_TIMEOUT" "$DOCKER" -H "unix://$BERTHD_SOCK" "$@" </dev/null
}

# api [CURL OPTIONS...] PATH: the Engine API over our socket.
api() {
	local path=${*: -1}
	curl -sS --max-time "$DK_TIMEOUT" --unix-socket "$BERTHD_SOCK" "${@:1:$#-1}" "http://berthd$path"
}

# api_status [CURL OPTIONS...] PATH: sets API_STATUS and API_BODY.
api_status() {
	local out
	out=$(api -w '\n%{http_code}' "$@") || return 1
	API_STATUS=${out##*$'\n'}
	API_BODY=${out%$'\n'*}
	# without the newline dockerd ends a JSON answer with
	API_BODY=${API_BODY%$'\n'}
}

# overlay_mount LOWERDIRS MNT: LOWERDIRS as `image inspect` gives them (top
# first, ':'-separated), a fresh upper and work dir next to MNT.
overlay_mount() {
	local lower=$1 mnt=$2
	mkdir -p "$mnt" "$mnt.upper" "$mnt.work" || return 1
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$mnt.upper,workdir=$mnt.work" "$mnt"
}

# unmount_under DIR: every mount at or below DIR, deepest first.
unmount_under() {
	local dir=$1 m
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd -P)
	# mountinfo's 5th field, with its octal escapes (\040...) decoded
	while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done < <(awk '{ print $5 }' /proc/self/mountinfo | while read -r p; do printf '%b\n' "$p"; done |
		awk -v d="$dir" 'index($0, d "/") == 1 || $0 == d { print length($0) " " $0 }' |
		sort -rn | cut -d' ' -f2-)
}

daemon_teardown() {
	local pid
	for pid in "${_BERTHD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${_BERTHD_PIDS[@]}"; do
		berthd_wait "$pid" 10 >/dev/null 2>&1 || {
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		}
	done
	_BERTHD_PIDS=()
	# containers a failed test left behind
	if [ -d "$T/rt" ] && [ -x "$BERTH_RUNTIME" ]; then
		local id
		for id in $("$BERTH_RUNTIME" --root "$T/rt" list -q 2>/dev/null); do
			"$BERTH_RUNTIME" --root "$T/rt" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	registry_stop
	unmount_under "$T"
	local d
	for d in "${_SHORT_DIRS[@]}"; do
		unmount_under "$d"
		rm -rf "$d"
	done
	# bats shows a teardown's output when the test failed: what berthd said
	if [ -s "${BERTHD_LOG:-}" ] && [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		echo "--- berthd log (last 40 lines):"
		tail -40 "$BERTHD_LOG"
	fi
	unmount_under "$T"
	rm -rf "$T/d" "$T/mnt"* 2>/dev/null || true
	return 0
}

daemon_teardown_file() {
	registry_stop
	unmount_under "$BATS_FILE_TMPDIR"
	return 0
}

# ---------------------------------------------------------------- images

# build_layout LAYOUT TAG ARGS...: mkimage.py into LAYOUT (busybox from
# $ROOTFS when set); prints nothing.
# busybox_tar_setup (in setup_file): a busybox root filesystem from Debian's
# busybox-static in $ROOTFS and as a tar in $ROOTFS_TAR, for a file whose
# tests import their image instead of pulling it (docker import is faster
# than a registry for one layer).
busybox_tar_setup() {
	export ROOTFS=$BATS_FILE_TMPDIR/rootfs ROOTFS_TAR=$BATS_FILE_TMPDIR/rootfs.tar
	"$_BERTH_TOP/scripts/make-rootfs" "$ROOTFS" >/dev/null || return 1
	tar -C "$ROOTFS" -cf "$ROOTFS_TAR" .
}

build_layout() {
	local layout=$1 tag=$2
	shift 2
	local rootfs=()
	[ -n "${ROOTFS:-}" ] && rootfs=(--rootfs "$ROOTFS")
	"${MKIMAGE[@]}" "$layout" "${rootfs[@]}" --tag "$tag" "$@" >/dev/null
}

# push_tag LAYOUT TAG DEST [push.py options]: the layout's TAG to DEST.
push_tag() {
	local layout=$1 tag=$2 dest=$3
	shift 3
	"${PUSH[@]}" "$layout" "$dest" --ref "$tag" "$@"
}

# layout_digest LAYOUT TAG: the digest index.json gives TAG (the index for
# an --index image).
layout_digest() {
	jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$1/index.json"
}

# layout_blob LAYOUT DIGEST: the path of a blob.
layout_blob() {
	echo "$1/blobs/sha256/${2#sha256:}"
}

# layout_manifest LAYOUT TAG [ARCH]: the image manifest's digest (for an
# index: the entry for ARCH, default the host's).
layout_manifest() {
	local layout=$1 tag=$2 arch=${3:-$(host_arch)} d
	d=$(layout_digest "$layout" "$tag")
	case "$(jq -r .mediaType "$(layout_blob "$layout" "$d")")" in
	*index* | *list*)
		jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest' \
			"$(layout_blob "$layout" "$d")"
		;;
	*) echo "$d" ;;
	esac
}

# layout_config LAYOUT TAG [ARCH]: the config digest (= the image ID).
layout_config() {
	jq -r .config.digest "$(layout_blob "$1" "$(layout_manifest "$@")")"
}

# layout_layers LAYOUT TAG [ARCH]: the layer digests, one a line, base first.
layout_layers() {
	jq -r '.layers[].digest' "$(layout_blob "$1" "$(layout_manifest "$@")")"
}

# layout_diff_ids LAYOUT TAG [ARCH]: the config's diff_ids as a JSON array.
layout_diff_ids() {
	jq -c .rootfs.diff_ids "$(layout_blob "$1" "$(layout_config "$@")")"
}

host_arch() {
	case "$(uname -m)" in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# other_arch: the second platform of mkimage's --index images.
other_arch() {
	if [ "$(host_arch)" = arm64 ]; then echo amd64; else echo arm64; fi
}

short_id() {
	local h=${1#sha256:}
	echo "${h:0:12}"
}

# ---------------------------------------------------------------- the root

blobs() {
	find "$BERTHD_ROOT/content/blobs" -type f 2>/dev/null | sort
}

ingest_files() {
	find "$BERTHD_ROOT/content/ingest" -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

snapshot_dirs() {
	find "$BERTHD_ROOT/snapshots" -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

# db_query SQL: rows of berth.db, '|'-separated, read-only (the daemon may
# be running).
db_query() {
	"$REGISTRY_PYTHON" - "$BERTHD_ROOT/berth.db" "$1" <<-'EOF'
		import sqlite3, sys
		db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
		for row in db.execute(sys.argv[2]):
		    print("|".join("" if v is None else str(v) for v in row))
	EOF
}

# assert_nothing_stored: no verified blob, no snapshot, no image.
assert_nothing_stored() {
	local b s i
	b=$(blobs)
	s=$(snapshot_dirs)
	i=$(dk images -aq) || {
		echo "docker images failed: $i" >&2
		return 1
	}
	if [ -n "$b" ] || [ -n "$s" ] || [ -n "$i" ]; then
		echo "stored after a failed pull:" >&2
		echo "blobs: $b" >&2
		echo "snapshots: $s" >&2
		echo "images: $i" >&2
		return 1
	fi
	# and no snapshot row (a 'preparing' one would be a half-made layer)
	[ "$(db_query 'SELECT count(*) FROM snapshots')" = 0 ] || {
		echo "snapshot rows: $(db_query 'SELECT id, key, state FROM snapshots')" >&2
		return 1
	}
}

# sha256_of FILE: "sha256:HEX".
sha256_of() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# assert_blobs_verified: every blob's name is the sha256 of its content.
assert_blobs_verified() {
	local f
	for f in $(blobs); do
		if [ "$(sha256_of "$f")" != "sha256:${f##*/}" ]; then
			echo "blob $f hashes to $(sha256_of "$f")" >&2
			return 1
		fi
	done
}

# getxattr PATH NAME: the value of an extended attribute (exit 1 if none).
getxattr() {
	"$REGISTRY_PYTHON" -c 'import os, sys
try:
    sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())
except OSError:
    sys.exit(1)' "$1" "$2"
}

# count_registry_gets LOG PATH-SUBSTRING: GETs in a docker-registry access log.
count_registry_gets() {
	grep -c "\"GET [^ ]*$2[^ ]* HTTP" "$1" || true
}

# count_fakereg_gets PATH-SUBSTRING: GETs of a fakereg log (FAKEREG_LOG).
count_fakereg_gets() {
	jq -r --arg p "$1" 'select(.method == "GET" and (.path | contains($p))) | .path' "$FAKEREG_LOG" | wc -l
}

# assert_eq ACTUAL WANT [WHAT]: equal, or a message naming WHAT.
assert_eq() {
	if [ "$1" != "$2" ]; then
		echo "${3:-value}: got '$1', want '$2'" >&2
		return 1
	fi
}

# assert_contains TEXT NEEDLE [WHAT]
assert_contains() {
	if [[ "$1" != *"$2"* ]]; then
		echo "${3:-output} does not contain '$2':" >&2
		echo "$1" >&2
		return 1
	fi
}

# log_from FILE LINE: FILE from line LINE+1 on (what was logged after
# `wc -l` said LINE).
log_from() {
	tail -n +"$(($2 + 1))" "$1"
}

# run_container ROOTFS ID ARGS...: berth-runtime runs ARGS in a bundle whose
# rootfs is ROOTFS (writable), with the image's environment when IMAGE_ENV
# (a JSON array) and IMAGE_CWD are set; prints the container's output.
run_container() {
	local rootfs=$1 id=$2
	shift 2
	local bundle=$T/bundle-$id args
	mkdir -p "$bundle" "$T/rt" || return 1
	(cd "$bundle" && "$BERTH_RUNTIME" spec) || return 1
	args=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .)
	jq --arg root "$rootfs" --argjson args "$args" --argjson env "${IMAGE_ENV:-null}" \
		--arg cwd "${IMAGE_CWD:-/}" '
		.process.terminal = false | .process.args = $args | .root.path = $root |
		.root.readonly = false | .process.cwd = $cwd |
		(if $env then .process.env = $env else . end) |
		.hostname = "berthd-test"' "$bundle/config.json" >"$bundle/config.json.new" &&
		mv "$bundle/config.json.new" "$bundle/config.json" || return 1
	(cd "$bundle" && timeout 60 "$BERTH_RUNTIME" --root "$T/rt" run "$id" </dev/null)
}
