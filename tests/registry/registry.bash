# registry.bash: registries, images and a faulty registry for berth's tests.
# Source it from a bats file:  load ../registry/registry
#
# The tools (all stdlib Python run by /usr/bin/python3, Debian's; nothing to
# install beyond docker-registry, apache2-utils, openssl, zstd,
# busybox-static, curl, jq):
#
#   mkimage.py LAYOUT [--variant single|multi|whiteout|evil|big] [--index]
#              [--format oci|docker] [--compression gzip|zstd|none[,...]]
#              [--tag TAG] [--rootfs DIR] [--layers N --size-mb S
#              --content-dir DIR] [--json]
#       deterministic images (busybox from scripts/make-rootfs) in an OCI
#       layout; prints "LAYOUT DIGEST".  See mkimage.py --help.
#   checklayout.py LAYOUT [--tag TAG] [--list]
#       checks a layout (digests, sizes, media types, diff_ids, history) and
#       prints a JSON summary (with --list, every tar member of every layer).
#   push.py LAYOUT HOST:PORT/NAME[:TAG] [--ref REF] [--user U:P] [-v]
#       pushes over the distribution API (no auth, basic or Bearer token);
#       prints the pushed digest.
#   tokenserver.py --key K --cert C --user U:P ...
#       a token service docker-registry's "auth: token" accepts.
#   fakereg.py LAYOUT --fault FAULT [...]
#       a faulty read-only registry; the faults are listed at its top.
#
# Shell functions (every process they start is remembered and stopped by
# registry_stop, which a teardown should call; they need no state outside
# the directories they are given):
#
#   registry_start DIR [--htpasswd USER:PASS] [--token-auth [USER:PASS]]
#                      [--token-key rsa|ec] [--pull-only-user USER:PASS]
#                      [--anonymous-pull] [--relative-urls]
#       Debian's docker-registry (distribution 2.8) on a free 127.0.0.1
#       port, config DIR/config.yml, storage DIR/storage, log
#       DIR/registry.log.  Returns once /v2/ answers.  Exports
#       REGISTRY_ADDR (127.0.0.1:PORT), REGISTRY_PID, REGISTRY_DIR,
#       REGISTRY_LOG, REGISTRY_AUTH (none|htpasswd|token) and, with auth,
#       REGISTRY_USER / REGISTRY_PASS.  --token-auth (default credentials
#       berth:berthpass) also starts tokenserver.py and exports
#       REGISTRY_TOKEN_ADDR, REGISTRY_TOKEN_PID, REGISTRY_TOKEN_LOG (its
#       JSON-lines request log), REGISTRY_TOKEN_REALM, REGISTRY_SERVICE,
#       REGISTRY_CA (the token-signing certificate).  --relative-urls: the
#       registry answers with relative Location headers.
#   registry_token SCOPE [USER:PASS]
#       prints a token for SCOPE (e.g. repository:img:pull) from the token
#       service, with REGISTRY_USER:REGISTRY_PASS unless given ("" for an
#       anonymous token).
#   fakereg_start DIR LAYOUT FAULT [fakereg.py options...]
#       fakereg.py on a free port; exports FAKEREG_ADDR, FAKEREG_PID,
#       FAKEREG_LOG (DIR/fakereg.log).
#   registry_stop
#       stops every registry, token service and fakereg started by the
#       functions above (TERM, then KILL after 2 s), and waits for them.
#
# Variables: REGISTRY_PYTHON (/usr/bin/python3), REGISTRY_TOOLS (this
# directory), MKIMAGE, PUSH, CHECKLAYOUT, FAKEREG, TOKENSERVER (the commands,
# as arrays: "${MKIMAGE[@]}" LAYOUT ...).

REGISTRY_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REGISTRY_PYTHON=${REGISTRY_PYTHON:-/usr/bin/python3}
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
# shellcheck disable=SC2034 # used by the files that source this one
MKIMAGE=("$REGISTRY_PYTHON" "$REGISTRY_TOOLS/mkimage.py")
# shellcheck disable=SC2034
PUSH=("$REGISTRY_PYTHON" "$REGISTRY_TOOLS/push.py")
# shellcheck disable=SC2034
CHECKLAYOUT=("$REGISTRY_PYTHON" "$REGISTRY_TOOLS/checklayout.py")
FAKEREG=("$REGISTRY_PYTHON" "$REGISTRY_TOOLS/fakereg.py")
TOKENSERVER=("$REGISTRY_PYTHON" "$REGISTRY_TOOLS/tokenserver.py")
_REGISTRY_PIDS=()

# _registry_wait_port FILE PID WHAT: waits (10 s) for FILE to hold a port
# number, written by PID once it listens; prints the port.
_registry_wait_port() {
	local file=$1 pid=$2 what=$3 n=200 port=
	while [ "$n" -gt 0 ]; do
		if [ -s "$file" ]; then
			read -r port <"$file" || true
			if [ -n "$port" ]; then
				echo "$port"
				return 0
			fi
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$what exited before listening" >&2
			return 1
		fi
		sleep 0.05
		n=$((n - 1))
	done
	echo "$what did not start listening" >&2
	return 1
}

registry_start() {
	local dir=${1:?registry_start DIR [options]}
	shift
	local auth=none creds='' keytype=rsa pull_only='' anon_pull='' relurls=false tls_name='' tlsconf=''
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls)
			tls_name=${2:?--tls HOSTNAME}
			shift 2
			;;
		--htpasswd)
			auth=htpasswd creds=${2:?--htpasswd USER:PASS}
			shift 2
			;;
		--token-auth)
			auth=token
			shift
			if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
				creds=$1
				shift
			fi
			;;
		--token-key)
			keytype=${2:?--token-key rsa|ec}
			shift 2
			;;
		--pull-only-user)
			pull_only=$2
			shift 2
			;;
		--anonymous-pull)
			anon_pull=1
			shift
			;;
		--relative-urls)
			relurls=true
			shift
			;;
		*)
			echo "registry_start: unknown option $1" >&2
			return 1
			;;
		esac
	done
	[ "$auth" = token ] && [ -z "$creds" ] && creds=berth:berthpass
	mkdir -p "$dir/storage" || return 1
	dir=$(cd "$dir" && pwd)
	REGISTRY_DIR=$dir
	REGISTRY_LOG=$dir/registry.log
	REGISTRY_AUTH=$auth
	REGISTRY_USER=${creds%%:*}
	REGISTRY_PASS=${creds#*:}
	if [ -z "$creds" ]; then
		REGISTRY_USER=''
		REGISTRY_PASS=''
	fi

	local authconf=
	case "$auth" in
	htpasswd)
		htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASS" >"$dir/htpasswd" || return 1
		if [ -n "$pull_only" ]; then
			htpasswd -Bbn "${pull_only%%:*}" "${pull_only#*:}" >>"$dir/htpasswd" || return 1
		fi
		authconf="auth:
  htpasswd:
    realm: berth-test-registry
    path: $dir/htpasswd"
		;;
	token)
		mkdir -p "$dir/token" || return 1
		local newkey=(-newkey rsa:2048)
		[ "$keytype" = ec ] && newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
		openssl req -x509 "${newkey[@]}" -nodes -sha256 -days 3 \
			-subj "/CN=berth-test-token-issuer" \
			-keyout "$dir/token/key.pem" -out "$dir/token/cert.pem" >"$dir/token/openssl.log" 2>&1 || {
			cat "$dir/token/openssl.log" >&2
			return 1
		}
		REGISTRY_SERVICE=berth-test-registry
		REGISTRY_CA=$dir/token/cert.pem
		REGISTRY_TOKEN_LOG=$dir/token/requests.log
		local targs=(--key "$dir/token/key.pem" --cert "$dir/token/cert.pem"
			--issuer berth-test-issuer --service "$REGISTRY_SERVICE"
			--user "$creds" --port-file "$dir/token/port" --log "$REGISTRY_TOKEN_LOG")
		[ -n "$pull_only" ] && targs+=(--pull-only-user "$pull_only")
		[ -n "$anon_pull" ] && targs+=(--anonymous-pull)
		rm -f "$dir/token/port"
		"${TOKENSERVER[@]}" "${targs[@]}" >"$dir/token/stdout" 2>"$dir/token/stderr" </dev/null 3>&- &
		REGISTRY_TOKEN_PID=$!
		_REGISTRY_PIDS+=("$REGISTRY_TOKEN_PID")
		local tport
		tport=$(_registry_wait_port "$dir/token/port" "$REGISTRY_TOKEN_PID" tokenserver) || {
			cat "$dir/token/stderr" >&2
			return 1
		}
		REGISTRY_TOKEN_ADDR=127.0.0.1:$tport
		REGISTRY_TOKEN_REALM=http://$REGISTRY_TOKEN_ADDR/token
		authconf="auth:
  token:
    realm: $REGISTRY_TOKEN_REALM
    service: $REGISTRY_SERVICE
    issuer: berth-test-issuer
    rootcertbundle: $dir/token/cert.pem"
		export REGISTRY_TOKEN_ADDR REGISTRY_TOKEN_PID REGISTRY_TOKEN_LOG REGISTRY_TOKEN_REALM \
			REGISTRY_SERVICE REGISTRY_CA
		;;
	esac

	if [ -n "$tls_name" ]; then
		# a CA of the test's own and a server certificate for tls_name
		# (and 127.0.0.1): REGISTRY_TLS_CA is what a client must trust
		mkdir -p "$dir/tls"
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
			-keyout "$dir/tls/ca.key" -out "$dir/tls/ca.crt" >"$dir/tls/openssl.log" 2>&1 &&
			openssl req -newkey rsa:2048 -nodes -subj "/CN=$tls_name" -keyout "$dir/tls/server.key" \
				-out "$dir/tls/server.csr" >>"$dir/tls/openssl.log" 2>&1 &&
			printf 'subjectAltName=DNS:%s,IP:127.0.0.1\n' "$tls_name" >"$dir/tls/ext.cnf" &&
			openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/tls/ca.crt" -CAkey "$dir/tls/ca.key" \
				-CAcreateserial -days 2 -extfile "$dir/tls/ext.cnf" -out "$dir/tls/server.crt" \
				>>"$dir/tls/openssl.log" 2>&1 || {
			cat "$dir/tls/openssl.log" >&2
			return 1
		}
		REGISTRY_TLS_CA=$dir/tls/ca.crt
		export REGISTRY_TLS_CA
		tlsconf=$(printf 'tls:\n    certificate: %s\n    key: %s' "$dir/tls/server.crt" "$dir/tls/server.key")
	fi

	cat >"$dir/config.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		  formatter: text
		  accesslog:
		    disabled: false
		storage:
		  filesystem:
		    rootdirectory: $dir/storage
		  delete:
		    enabled: true
		  maintenance:
		    uploadpurging:
		      enabled: false
		http:
		  addr: 127.0.0.1:0
		  secret: berth-test-secret
		  relativeurls: $relurls
		  headers:
		    X-Content-Type-Options: [nosniff]
		  $tlsconf
		$authconf
	EOF

	: >"$REGISTRY_LOG"
	# No environment variable may override the config (REGISTRY_HTTP_ADDR...).
	local unenv=() v
	for v in $(compgen -e); do
		case "$v" in REGISTRY_*) unenv+=(-u "$v") ;; esac
	done
	env "${unenv[@]}" "$REGISTRY_BIN" serve "$dir/config.yml" >"$REGISTRY_LOG" 2>&1 </dev/null 3>&- &
	REGISTRY_PID=$!
	_REGISTRY_PIDS+=("$REGISTRY_PID")
	# distribution logs "listening on 127.0.0.1:PORT" with the real port.
	local n=200 port=
	while [ "$n" -gt 0 ]; do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$REGISTRY_LOG" | head -n1)
		[ -n "$port" ] && break
		if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
			echo "docker-registry exited:" >&2
			cat "$REGISTRY_LOG" >&2
			return 1
		fi
		sleep 0.05
		n=$((n - 1))
	done
	if [ -z "$port" ]; then
		echo "docker-registry did not start listening:" >&2
		cat "$REGISTRY_LOG" >&2
		return 1
	fi
	REGISTRY_ADDR=127.0.0.1:$port
	n=100
	local code=
	while [ "$n" -gt 0 ]; do
		if [ -n "$tls_name" ]; then
			code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --cacert "$REGISTRY_TLS_CA" \
				"https://$REGISTRY_ADDR/v2/" 2>/dev/null)
		else
			code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' "http://$REGISTRY_ADDR/v2/" 2>/dev/null)
		fi
		case "$code" in 200 | 401) break ;; esac
		sleep 0.05
		n=$((n - 1))
	done
	case "$code" in
	200 | 401) ;;
	*)
		echo "docker-registry at $REGISTRY_ADDR: /v2/ answers '$code'" >&2
		cat "$REGISTRY_LOG" >&2
		return 1
		;;
	esac
	export REGISTRY_ADDR REGISTRY_PID REGISTRY_DIR REGISTRY_LOG REGISTRY_AUTH REGISTRY_USER REGISTRY_PASS
}

registry_token() {
	local scope=$1 creds=${2-$REGISTRY_USER:$REGISTRY_PASS} u=()
	[ -n "$creds" ] && u=(-u "$creds")
	curl -sf --noproxy '*' "${u[@]}" -G "$REGISTRY_TOKEN_REALM" \
		--data-urlencode "service=$REGISTRY_SERVICE" --data-urlencode "scope=$scope" |
		jq -er .token
}

fakereg_start() {
	local dir=${1:?fakereg_start DIR LAYOUT FAULT [options]} layout=${2:?} fault=${3:?}
	shift 3
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	FAKEREG_LOG=$dir/fakereg.log
	rm -f "$dir/port"
	: >"$FAKEREG_LOG"
	"${FAKEREG[@]}" "$layout" --fault "$fault" --port-file "$dir/port" --log "$FAKEREG_LOG" "$@" \
		>"$dir/stdout" 2>"$dir/stderr" </dev/null 3>&- &
	FAKEREG_PID=$!
	_REGISTRY_PIDS+=("$FAKEREG_PID")
	local port
	port=$(_registry_wait_port "$dir/port" "$FAKEREG_PID" fakereg) || {
		cat "$dir/stderr" >&2
		return 1
	}
	FAKEREG_ADDR=127.0.0.1:$port
	export FAKEREG_ADDR FAKEREG_PID FAKEREG_LOG
}

registry_stop() {
	local pid n
	for pid in "${_REGISTRY_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${_REGISTRY_PIDS[@]}"; do
		n=40
		while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.05
			n=$((n - 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	_REGISTRY_PIDS=()
	return 0
}
