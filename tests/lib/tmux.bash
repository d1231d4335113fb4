# A terminal for tests that need one: tmux on a socket of the test's own
# (never the user's server), driven with send-keys and read back with
# capture-pane.  Shared by tests/cli and tests/daemon.
#
#   tm ARGS...          tmux on $BATS_TEST_TMPDIR/tmux
#   screen_has TEXT     wait (5 s) until the pane shows TEXT
#   tm_cleanup          end the test's tmux server (in teardown)

tm() { tmux -S "$BATS_TEST_TMPDIR/tmux" "$@"; }

screen_has() {
	local i=0
	while ! tm capture-pane -p | grep -qF -- "$1"; do
		[ $i -lt 50 ] || {
			tm capture-pane -p >&2
			return 1
		}
		sleep 0.1
		i=$((i + 1))
	done
}

tm_cleanup() {
	[ -S "$BATS_TEST_TMPDIR/tmux" ] && tmux -S "$BATS_TEST_TMPDIR/tmux" kill-server 2>/dev/null
	return 0
}
