# Shared by the integration tests: source it first thing.
#
#   source "$(dirname "$0")/lib.sh"
#   t_require jq skopeo            # exit 77 (skipped) when a tool is missing
#   d=$(t_dir NAME)                # a fresh directory, removed at exit
#   check "what" CMD ARGS...       # pass when CMD succeeds
#   pass "what"; fail "what" ["detail"]; skip "what" "why"
#   q_run [--limits] VERB ARGS...  # quench, its exit code in Q_RC, stdout in
#                                  # $Q_OUT, stderr in $Q_ERR (files)
#   t_finish                       # "NAME: N passed, N failed[, N skipped]"
#
# Each script runs alone from anywhere (`bash tests/integration/x.sh`): this
# file moves to the repository root. QUENCH names the binary (build/quench);
# quench's own cache goes to the test's temporary directory, never the
# user's. Exit status: 0 when nothing failed, 1 when something did, 77 when
# everything was skipped. QUENCH_TEST_KEEP=1 keeps the temporary directory.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
T_TOP=$PWD
T_NAME=${T_NAME:-$(basename "$0" .sh)}
QUENCH=${QUENCH:-build/quench}
case $QUENCH in /*) ;; */*) QUENCH=$T_TOP/$QUENCH ;; *) QUENCH=$(command -v "$QUENCH" || echo "$QUENCH") ;; esac
export QUENCH

T_PASS=0 T_FAIL=0 T_SKIP=0
T_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/quench-$T_NAME-XXXXXX") || exit 1
T_QCACHE=$T_ROOT/.quench-cache   # XDG_CACHE_HOME for every quench run

t_cleanup() {
	if [ -n "${QUENCH_TEST_KEEP:-}" ]; then
		echo "$T_NAME: kept $T_ROOT" >&2
		return
	fi
	# Trees made by hostile images can hold unwritable directories.
	chmod -R u+rwx "$T_ROOT" 2>/dev/null
	rm -rf "$T_ROOT"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

_t_color() { [ -t 1 ] && printf '\033[%sm' "$1"; }
pass() { T_PASS=$((T_PASS + 1)); printf '%sok%s   %s\n' "$(_t_color 32)" "$(_t_color 0)" "$1"; }
fail() {
	T_FAIL=$((T_FAIL + 1))
	printf '%sFAIL%s %s\n' "$(_t_color 31)" "$(_t_color 0)" "$1"
	[ $# -lt 2 ] || [ -z "$2" ] || printf '%s\n' "$2" | head -n 20 | sed 's/^/     | /'
}
skip() { T_SKIP=$((T_SKIP + 1)); printf 'skip %s%s\n' "$1" "${2:+ ($2)}"; }

# check WHAT CMD...: pass if CMD exits 0; on failure, show what it printed.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "$out"
	fi
}

# The last line every script prints; the exit status the runner reads.
t_finish() {
	local line="$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_SKIP" = 0 ] || line+=", $T_SKIP skipped"
	echo "$line"
	[ "$T_FAIL" = 0 ] || exit 1
	[ "$T_PASS" != 0 ] || exit 77
	exit 0
}

# Skip the whole script.
t_skip_all() {
	echo "$T_NAME: skipped: $*"
	T_SKIP=$((T_SKIP + 1))
	t_finish
}

t_require() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || t_skip_all "$tool is not installed"
	done
}

t_require_root() { [ "$(id -u)" = 0 ] || t_skip_all "needs root"; }

t_require_quench() {
	[ -x "$QUENCH" ] || t_skip_all "no quench binary at $QUENCH (ninja -C build, or set QUENCH)"
}

# t_dir NAME: a new empty directory under the test's temporary directory.
t_dir() {
	local d=$T_ROOT/$1
	rm -rf "$d"
	mkdir -p "$d" && printf '%s\n' "$d"
}

# Limits for quench on hostile input: wall time, address space, file size.
# Address-space limits break sanitizer builds (ASan maps terabytes), so the
# memory limit is dropped when the binary cannot even print its version
# under it.
T_TIMEOUT=${T_TIMEOUT:-60}
T_MEM_KB=${T_MEM_KB:-1048576}                 # 1 GiB
T_FSIZE_KB=${T_FSIZE_KB:-$((2560 * 1024))}    # 2.5 GiB: room for one 2 GiB sparse file
if ! { (ulimit -v "$T_MEM_KB" && exec "$QUENCH" --version) >/dev/null 2>&1; } 2>/dev/null; then
	[ ! -x "$QUENCH" ] || echo "$T_NAME: $QUENCH cannot run under ulimit -v (a sanitizer build?); no memory limit" >&2
	T_MEM_KB=unlimited
fi

Q_OUT=$T_ROOT/.q-stdout
Q_ERR=$T_ROOT/.q-stderr
# q_run [--limits] ARGS...: run quench; Q_RC holds its exit status (124 on
# timeout, 128+N when killed by signal N).
q_run() {
	local limits=
	[ "${1:-}" != --limits ] || { limits=1; shift; }
	if [ -n "$limits" ]; then
		(
			ulimit -v "$T_MEM_KB" -f "$T_FSIZE_KB" || exit 99
			trap '' XFSZ   # a file over the limit is EFBIG, an error to report
			exec env XDG_CACHE_HOME="$T_QCACHE" timeout -k 5 "$T_TIMEOUT" "$QUENCH" "$@"
		) >"$Q_OUT" 2>"$Q_ERR"
	else
		XDG_CACHE_HOME="$T_QCACHE" "$QUENCH" "$@" >"$Q_OUT" 2>"$Q_ERR"
	fi
	Q_RC=$?
	return 0
}

# q_ok WHAT ARGS...: run quench; pass when it exits 0.
q_ok() {
	local what=$1
	shift
	q_run "$@"
	if [ "$Q_RC" = 0 ]; then
		pass "$what"
	else
		fail "$what" "exit $Q_RC: $(head -c 2000 "$Q_ERR")"
	fi
	[ "$Q_RC" = 0 ]
}

# q_error_line VERB: the stderr of the last q_run is one line "quench: VERB: ...".
q_error_line() {
	[ "$(wc -l <"$Q_ERR")" = 1 ] && grep -q "^quench: $1: " "$Q_ERR"
}

# t_nobody_setup IMG: a copy of the OCI image IMG that nobody can read, in
# $T_NOBODY (removed at exit); sets T_NOBODY_IMG and defines as_nobody CMD…
# (runs CMD as nobody with its own HOME, cache and TMPDIR). Returns 1, after
# a skip line, when nobody cannot run quench here (no unprivileged user
# namespaces, or the binary is not reachable).
t_nobody_setup() {
	T_NOBODY=$(mktemp -d /tmp/quench-test-unpriv-XXXXXX)
	chmod 755 "$T_NOBODY"
	trap 'rm -rf "$T_NOBODY"; t_cleanup' EXIT
	local img=$1 u=$T_NOBODY
	cp -r "${img#oci:}" "$u/img" 2>/dev/null || cp -r "$(dirname "${img#oci:}")/oci" "$u/img"
	chmod -R a+rX "$u/img"
	mkdir "$u/home" && chown nobody "$u/home"
	T_NOBODY_IMG="oci:$u/img"
	[ "${img##*:}" != "${img#oci:}" ] && T_NOBODY_IMG="oci:$u/img:${img##*:}"
	as_nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env HOME="$T_NOBODY/home" XDG_CACHE_HOME="$T_NOBODY/home/cache" TMPDIR="$T_NOBODY/home" "$@"
	}
	if ! as_nobody unshare -U true 2>/dev/null; then
		skip "unprivileged runs" "this kernel refuses unprivileged user namespaces"
		return 1
	elif ! as_nobody test -x "$QUENCH"; then
		skip "unprivileged runs" "nobody cannot execute $QUENCH"
		return 1
	fi
}

# t_python_image: the python test image (scripts/mkimage python) in $IMG,
# quench's cache and temporary files in the test's directory; skips the
# whole test when the image cannot be built here.
t_python_image() {
	local refs
	refs=$(scripts/mkimage python 2>"$T_ROOT/mkimage.log") ||
		t_skip_all "scripts/mkimage python failed: $(tail -3 "$T_ROOT/mkimage.log")"
	IMG=$(sed -n 1p <<<"$refs")
	export XDG_CACHE_HOME=$T_QCACHE TMPDIR=$T_ROOT/tmp
	mkdir -p "$TMPDIR"
}

# t_jq WHAT JQ-FILTER FILE: pass when the filter gives true on FILE.
t_jq() {
	if jq -e "$2" "$3" >/dev/null; then
		pass "$1"
	else
		fail "$1" "$(jq -c "$2" "$3" 2>&1 | head -c 600)"
	fi
}

# t_podman_conf: podman set up for the tests (cgroupfs, no default ulimits)
# through a containers.conf in the test's directory, in CONTAINERS_CONF.
t_podman_conf() {
	printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$T_ROOT/containers.conf"
	export CONTAINERS_CONF=$T_ROOT/containers.conf
}
