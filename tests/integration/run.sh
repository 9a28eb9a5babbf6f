#!/bin/bash
# quench run on the real python test image (scripts/mkimage python) and on
# images made from it with quench import:
#   - exit codes (also 128+N for a signal), stdout and stderr pass through
#   - env, workdir and user from the config, and overridden; -- replaces the
#     cmd, --entrypoint the entrypoint (and drops the image's cmd)
#   - /dev nodes work, /tmp is writable, the image's rootfs is unchanged by
#     a run that writes and deletes files (overlayfs and --no-overlay)
#   - no network but loopback; --mount ro and rw
#   - --timeout kills the whole tree (124); SIGINT to quench and SIGKILL of
#     quench leave no process behind; pid 1 reaps orphans
#   - as an unprivileged user (when the kernel allows user namespaces)
#   - torch-cpu (with QUENCH_TEST_TORCH=1, ~1.2 GB): its inference prints
#     what it printed at build time
#   - a hostile image (symlinks for /etc/hosts, /proc, /dev, /tmp, a mount
#     target; a workdir with ..; a huge environment) never makes quench
#     write or mount outside its root
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap timeout pgrep setpriv
t_require_quench
t_require_root

refs=$(scripts/mkimage python 2>"$T_ROOT/mkimage.log") ||
	t_skip_all "scripts/mkimage python failed: $(tail -3 "$T_ROOT/mkimage.log")"
IMG=$(sed -n 1p <<<"$refs")
export XDG_CACHE_HOME=$T_QCACHE
# quench's temporary directories (the sandbox's writable layer) go here, to
# be checked and cleaned; what escapes would show as $PW* in /tmp.
PW=/tmp/quench-pwned-$$
export TMPDIR=$T_ROOT/tmp
mkdir -p "$TMPDIR"

# run WHAT EXPECTED_RC EXPECTED_STDOUT ARGS...: stdout compared exactly.
run() {
	local what=$1 rc=$2 out=$3
	shift 3
	q_run run "$@"
	if [ "$Q_RC" != "$rc" ]; then
		fail "$what: exit $Q_RC, expected $rc" "$(head -c 1500 "$Q_ERR")"
	elif [ "$(cat "$Q_OUT")" != "$out" ]; then
		fail "$what: stdout" "got: $(head -c 1500 "$Q_OUT")"$'\n'"expected: $out"
	else
		pass "$what"
	fi
}

# --- passthrough ------------------------------------------------------------
run "the image's cmd runs" 0 ok "$IMG"
run "exit code passes through" 7 "" "$IMG" -- sh -c 'exit 7'
run "death by signal is 128+N" 137 "" "$IMG" -- sh -c 'kill -9 $$'
run "--cpuset-cpus 0: the workload runs on CPU 0 alone" 0 "[0]" --cpuset-cpus 0 "$IMG" -- \
	python3 -c 'import os; print(sorted(os.sched_getaffinity(0)))'
q_run run --cpuset-cpus 0-x "$IMG"
[ "$Q_RC" = 2 ] && grep -q "cpuset-cpus '0-x'" "$Q_ERR" && pass "--cpuset-cpus: a bad list is a usage error" ||
	fail "--cpuset-cpus 0-x: exit $Q_RC" "$(cat "$Q_ERR")"
q_run run --cpuset-cpus 4096 "$IMG"
[ "$Q_RC" = 2 ] && grep -q "CPU 4096 is not available" "$Q_ERR" && pass "… and a CPU it may not use, named" ||
	fail "--cpuset-cpus 4096: exit $Q_RC" "$(cat "$Q_ERR")"
q_run run "$IMG" -- sh -c 'echo to-out; echo to-err >&2; printf "\0bin\n"'
[ "$(cat "$Q_ERR")" = to-err ] && cmp -s "$Q_OUT" <(printf 'to-out\n\0bin\n') &&
	pass "stdout and stderr pass through, byte for byte" ||
	fail "stdout/stderr" "$(cat -A "$Q_OUT" "$Q_ERR")"
echo from-stdin | { q_run run "$IMG" -- cat; }
[ "$(cat "$Q_OUT")" = from-stdin ] && pass "stdin passes through" || fail "stdin" "$(cat "$Q_ERR")"
q_run run "$IMG" -- no-such-program
[ "$Q_RC" = 127 ] && grep -q "exec 'no-such-program'" "$Q_ERR" &&
	pass "a missing command: 127 and one line naming it" || fail "missing command: $Q_RC" "$(cat "$Q_ERR")"

# --- config and overrides ----------------------------------------------------
# An image with entrypoint, cmd, env, workdir and user, from the same tree.
tree=$(t_dir tree)/rootfs
q_run unpack "$IMG" "$tree"
[ "$Q_RC" = 0 ] || t_skip_all "quench unpack failed: $(cat "$Q_ERR")"
CFG=oci:$T_ROOT/cfg:latest
q_run import --entrypoint '["sh","-c"]' --cmd '["echo default-cmd; id -un; pwd; echo $FOO"]' \
	--env FOO=from-config --env PATH=/usr/bin:/bin --user nobody --workdir /srv/app "$tree" "$CFG"
[ "$Q_RC" = 0 ] || fail "import the config image" "$(cat "$Q_ERR")"
run "entrypoint + cmd, user, workdir (created) and env from the config" 0 \
	$'default-cmd\nnobody\n/srv/app\nfrom-config' "$CFG"
run "-- replaces the cmd, the entrypoint stays" 0 "replaced" "$CFG" -- 'echo replaced'
run "--entrypoint replaces the entrypoint and drops the cmd" 0 "a b" \
	--entrypoint echo "$CFG" -- a b
run "--entrypoint as a JSON array" 0 "x y" --entrypoint '["echo","x"]' "$CFG" -- y
run "--env, --workdir, --user NAME override" 0 $'over\n/tmp\nroot\n0' \
	--env FOO=over --workdir /tmp --user root "$CFG" -- 'echo $FOO; pwd; id -un; id -g'
run "--user UID:GID (not in /etc/passwd)" 0 "1234 5678 1234" --user 1234:5678 "$IMG" -- sh -c \
	'touch /tmp/x; echo $(id -u) $(id -g) $(stat -c %u /tmp/x)'
run "HOME from /etc/passwd" 0 "/nonexistent" "$CFG" -- 'echo $HOME'
q_run run --user no-such-user "$IMG" -- true
[ "$Q_RC" = 3 ] && q_error_line run && grep -q "no-such-user" "$Q_ERR" &&
	pass "an unknown user: exit 3, one line naming it" || fail "unknown user: $Q_RC" "$(cat "$Q_ERR")"

# --- the filesystem --------------------------------------------------------
run "/dev nodes work" 0 "0 4096 zero-ok full-refused" "$IMG" -- sh -c \
	'echo x >/dev/null; printf "%s " $(head -c 4 /dev/null | wc -c) $(head -c 4096 /dev/urandom | wc -c)
	 head -c 8 /dev/zero | tr "\0" z | grep -q zzzzzzzz && printf "zero-ok "
	 { echo full >/dev/full; } 2>/dev/null || echo full-refused'
run "/tmp, /run and /dev/shm are writable tmpfs" 0 "tmpfs tmpfs tmpfs" "$IMG" -- sh -c \
	'touch /tmp/a /run/b /dev/shm/c && for d in /tmp /run /dev/shm; do stat -f -c %T $d; done | xargs'
run "/proc is the sandbox's (pid 1 is the init, the workload pid 2)" 0 "2" "$IMG" -- sh -c 'echo $$'
run "generated /etc/hosts" 0 "127.0.0.1	localhost" "$IMG" -- sh -c 'head -1 /etc/hosts'

cached=$(find "$T_QCACHE/quench/rootfs" -mindepth 2 -maxdepth 2 -name rootfs | head -1)
state() { (cd "$cached" && find . -printf '%p %y %s %m %T@\n' | LC_ALL=C sort | sha256sum); }
before=$(state)
for mode in "" --no-overlay; do
	run "a run that writes and deletes${mode:+ ($mode)}" 0 "done" $mode "$IMG" -- sh -c \
		'echo pwned >/etc/passwd; rm -rf /usr/lib/python3* /usr/bin/python3*; mkdir /newdir; echo done'
	[ "$(state)" = "$before" ] && pass "the image's rootfs is unchanged${mode:+ ($mode)}" ||
		fail "the cached rootfs changed after a run${mode:+ ($mode)}"
done
run "the next run sees the image as it was" 0 "ok root" "$IMG" -- sh -c \
	'python3 -c "print(\"ok\")" | tr "\n" " "; head -1 /etc/passwd | cut -d: -f1; test ! -e /newdir'
leftover=$(find "$TMPDIR" -mindepth 1 -maxdepth 1)
[ -z "$leftover" ] && pass "temporary directories are removed" || fail "left behind" "$leftover"

# --- network ----------------------------------------------------------------
netprobe='
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept(); c.sendall(b"hi")
print("loopback", a.recv(2).decode())
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3); print("host reachable")
except OSError:
    print("host unreachable")'
hostport_dir=$(t_dir net)
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
while True: s.accept()' >"$hostport_dir/port" &
listener=$!
for _ in $(seq 50); do [ -s "$hostport_dir/port" ] && break; sleep 0.1; done
port=$(cat "$hostport_dir/port")
run "loopback works, a host port is unreachable" 0 $'loopback hi\nhost unreachable' \
	"$IMG" -- python3 -c "$netprobe" 127.0.0.1 "$port"
run "--net host reaches the host's port" 0 $'loopback hi\nhost reachable' \
	--net host "$IMG" -- python3 -c "$netprobe" 127.0.0.1 "$port"
kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null

# --- --mount -----------------------------------------------------------------
m=$(t_dir mounts)
mkdir -p "$m/ro" "$m/rw" && echo weights >"$m/ro/model.bin" && echo single >"$m/file.txt"
run "--mount ro: readable, not writable" 0 $'weights\nro-refused' --mount "$m/ro:/models:ro" \
	"$IMG" -- sh -c 'cat /models/model.bin; touch /models/x 2>/dev/null || echo ro-refused'
run "--mount rw (and a file, at a new deep path)" 0 "single" --mount "$m/rw:/data" \
	--mount "$m/file.txt:/a/b/c.txt:ro" "$IMG" -- sh -c 'echo written >/data/out; cat /a/b/c.txt'
[ "$(cat "$m/rw/out" 2>/dev/null)" = written ] && pass "a rw mount writes through" || fail "rw mount"
q_run run --mount "$m/missing:/x" "$IMG" -- true
[ "$Q_RC" = 3 ] && q_error_line run && pass "a missing mount source: exit 3, one line" ||
	fail "missing mount source: $Q_RC" "$(cat "$Q_ERR")"
q_run run --mount "nocolon" "$IMG" -- true
[ "$Q_RC" = 2 ] && pass "a bad --mount is a usage error" || fail "bad --mount: $Q_RC"

# --- process lifetime -------------------------------------------------------
marker=$((RANDOM % 50000 + 100000))   # unique sleep lengths to find with pgrep
# Anchored: quench's own command line holds the same words.
gone() { ! pgrep -f "^sleep $1" >/dev/null; }
wait_for() { for _ in $(seq 100); do pgrep -f "^sleep $1" >/dev/null && return 0; sleep 0.1; done; return 1; }

start=$SECONDS
run "--timeout: exit 124" 124 "" --timeout 2 "$IMG" -- sh -c "sleep $((marker + 1)) & sleep $((marker + 2))"
grep -q "timed out after 2 s" "$Q_ERR" && [ $((SECONDS - start)) -lt 15 ] &&
	pass "--timeout says so on stderr, in time" || fail "--timeout message" "$(cat "$Q_ERR")"
gone $((marker + 1)) && gone $((marker + 2)) && pass "--timeout killed the whole tree" ||
	fail "processes left after --timeout" "$(pgrep -af "sleep $((marker + 1))|sleep $((marker + 2))")"

"$QUENCH" run "$IMG" -- sh -c "(setsid sleep $((marker + 3)) &); exec sleep $((marker + 4))" \
	>/dev/null 2>&1 &
qpid=$!
wait_for $((marker + 3)) && wait_for $((marker + 4)) || fail "SIGINT case: the workload did not start"
kill -INT "$qpid"
wait "$qpid"
rc=$?
[ "$rc" = 130 ] && pass "SIGINT is forwarded: the workload dies of it (130)" || fail "SIGINT: exit $rc"
sleep 0.3
gone $((marker + 3)) && gone $((marker + 4)) && pass "after SIGINT no process is left (a setsid daemon too)" ||
	fail "left after SIGINT" "$(pgrep -af "sleep $((marker + 3))")"

for sig in USR1 TERM HUP; do
	"$QUENCH" run "$IMG" -- sh -c "trap 'echo got-$sig; exit 0' $sig; sleep $((marker + 6)) & wait" \
		>"$T_ROOT/sig.out" 2>&1 &
	qpid=$!
	wait_for $((marker + 6)) || fail "$sig: the workload did not start"
	kill -"$sig" "$qpid"
	wait "$qpid"
	rc=$?
	[ "$rc" = 0 ] && [ "$(cat "$T_ROOT/sig.out")" = "got-$sig" ] &&
		pass "SIG$sig is forwarded to the workload" || fail "SIG$sig: exit $rc" "$(cat "$T_ROOT/sig.out")"
	sleep 0.3
	gone $((marker + 6)) || fail "SIG$sig: processes left" "$(pgrep -af "sleep $((marker + 6))")"
done

"$QUENCH" run "$IMG" -- sh -c "trap '' INT TERM; sleep $((marker + 5)) & wait" >/dev/null 2>&1 &
qpid=$!
wait_for $((marker + 5)) || fail "SIGKILL case: the workload did not start"
{ kill -KILL "$qpid"; wait "$qpid"; } 2>/dev/null
sleep 0.5
gone $((marker + 5)) && pass "quench killed with SIGKILL: the sandbox dies with it" ||
	fail "left after quench was killed" "$(pgrep -af "sleep $((marker + 5))")"
chmod -R u+rwx "$TMPDIR" && rm -rf "${TMPDIR:?}"/*   # what a killed quench could not remove

run "pid 1 reaps orphans (no zombie after a double fork)" 0 "zombies: 0" "$IMG" -- sh -c \
	'sh -c "sleep 0.2 & exit 0"; sleep 1; n=0; for f in /proc/[0-9]*/stat; do
	 read -r _ _ st _ <"$f" 2>/dev/null; [ "$st" = Z ] && n=$((n + 1)); done; echo "zombies: $n"'

# --- --gpu ------------------------------------------------------------------
# No GPU here: a real shared library named like a driver one, from
# --gpu-driver-dir, must be bound read-only into the image's library
# directory, known to its loader (its ldconfig ran), and listed as injected.
if command -v cc >/dev/null; then
	g=$(t_dir gpu)
	printf 'int quench_gpu_probe(void) { return 42; }\n' >"$g/probe.c"
	cc -shared -fPIC -Wl,-soname,libnvidia-quenchtest.so.1 -o "$g/libnvidia-quenchtest.so.1.2.3" "$g/probe.c"
	lib=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/libnvidia-quenchtest.so.1.2.3
	run "--gpu-driver-dir: a driver library bound read-only and known to the loader" 0 \
		$'libnvidia-quenchtest.so.1.2.3\nro' -v --gpu-driver-dir "$g" "$IMG" -- sh -c \
		"ldconfig -p | grep -q 'libnvidia-quenchtest.so.1 ' && readlink \${0%.2.3}; { echo >>\$0; } 2>/dev/null || echo ro" "$lib"
	grep -q "injected $g/libnvidia-quenchtest.so.1.2.3 as $lib" "$Q_ERR" &&
		pass "--gpu: the injected file is reported" || fail "--gpu: injected list" "$(cat "$Q_ERR")"
else
	skip "--gpu-driver-dir" "no C compiler to make a library"
fi
run "--gpu without a GPU: the sandbox still runs" 0 "ok" --gpu "$IMG" -- echo ok

# --- unprivileged -------------------------------------------------------------
if t_nobody_setup "$IMG"; then
	u=$T_NOBODY uimg=$T_NOBODY_IMG
	out=$(as_nobody "$QUENCH" run "$uimg" -- sh -c 'id -u; echo hi >/tmp/f && cat /tmp/f; exit 4' 2>"$u/err")
	rc=$?
	[ "$rc" = 4 ] && [ "$out" = $'0\nhi' ] && pass "as nobody: runs as root of its user namespace, exit code passes" ||
		fail "as nobody: exit $rc" "$out $(cat "$u/err")"
	out=$(as_nobody "$QUENCH" run --user 1000 "$uimg" -- id -u 2>"$u/err")
	[ "$out" = 1000 ] && pass "as nobody: --user 1000" || fail "as nobody --user 1000" "$out $(cat "$u/err")"
fi

# --- hostile images -----------------------------------------------------------
# The tree's own links must only ever resolve inside it.
ht=$(t_dir hostile)/rootfs
cp -a "$tree" "$ht"
rm -f "$ht/etc/hosts" "$ht/etc/resolv.conf"
ln -s "/../../../../..$PW-hosts" "$ht/etc/hosts"
ln -s /proc/self/root/etc/passwd "$ht/etc/resolv.conf"
rm -rf "${ht:?}/proc" "${ht:?}/dev" "${ht:?}/tmp" "${ht:?}/run"
ln -s "../../../..$PW-proc" "$ht/proc"
ln -s "/../..$PW-dev" "$ht/dev"
ln -s /etc "$ht/tmp"
echo not-a-dir >"$ht/run"
ln -s "/../../..$PW-data" "$ht/data"
ln -s "/../../../../srv" "$ht/data2"
mkdir -p "$ht/app"
HOST=oci:$T_ROOT/hostile-img:latest
bigenv=$(python3 -c 'print("A" * 100000)')
q_run import --env "BIG=$bigenv" --workdir "/app/../../../..$PW-wd" --cmd '["sh","-c","echo ran"]' \
	--env PATH=/usr/bin:/bin "$ht" "$HOST"
[ "$Q_RC" = 0 ] || fail "import the hostile image" "$(cat "$Q_ERR")"
hosts_before=$(stat -c '%i %s %Y' /etc/hosts /etc/resolv.conf /etc/passwd 2>/dev/null)
mkdir -p "$m/src" && echo m >"$m/src/f"
run "hostile links: the workload runs, with its own /etc/hosts, /proc, /dev, /tmp" 0 \
	$'ran\n127.0.0.1\tlocalhost\n2\n0\ntmpfs\n100000\nm' --mount "$m/src:/data2/sub" "$HOST" -- sh -c \
	'echo ran; head -1 /etc/hosts; echo $$; head -c 4 /dev/null | wc -c; stat -f -c %T /tmp
	 printf %s "$BIG" | wc -c; cat /srv/sub/f'
q_run run --mount "$m/src:/data/sub" "$HOST"
[ "$Q_RC" = 3 ] && q_error_line run && grep -q "/data/sub" "$Q_ERR" &&
	pass "a mount target through a link out of the root: refused, one line" ||
	fail "mount through an outward link: $Q_RC" "$(cat "$Q_ERR")"
p=$(compgen -G "$PW*")
[ -z "$p" ] && pass "nothing written or mounted outside the root" || fail "escaped" "$p"
[ "$(stat -c '%i %s %Y' /etc/hosts /etc/resolv.conf /etc/passwd 2>/dev/null)" = "$hosts_before" ] &&
	pass "the host's /etc files are untouched" || fail "host /etc changed"
q_run run --user ../../etc/passwd "$HOST" -- true
[ "$Q_RC" = 3 ] && q_error_line run && pass "a user name like a path: one error line" ||
	fail "user path: $Q_RC" "$(cat "$Q_ERR")"
# 40 variables of 100 kB: more than execve takes (the config allows 8 MiB).
python3 -c 'import json; print(json.dumps({"Env": ["V%d=%s" % (i, "B" * 100000) for i in range(40)],
	"Cmd": ["true"]}))' >"$T_ROOT/huge-config.json"
q_run import --config "$T_ROOT/huge-config.json" "$ht" "oci:$T_ROOT/huge-img:latest"
[ "$Q_RC" = 0 ] || fail "import the huge-env image" "$(cat "$Q_ERR")"
q_run run "oci:$T_ROOT/huge-img:latest"
[ "$Q_RC" = 126 ] && grep -q "Argument list too long" "$Q_ERR" &&
	pass "an environment too big for execve: 126, one line" || fail "huge env: $Q_RC" "$(head -c 300 "$Q_ERR")"

# --- a real workload ------------------------------------------------------------
if [ -n "${QUENCH_TEST_TORCH:-}" ]; then
	trefs=$(scripts/mkimage torch-cpu 2>"$T_ROOT/mkimage-torch.log")
	timg=$(sed -n 1p <<<"$trefs")
	tdir=$(dirname "${timg#oci:}")
	tdir=${tdir%/oci}
	if [ -z "$timg" ]; then
		fail "build torch-cpu" "$(tail -3 "$T_ROOT/mkimage-torch.log")"
	else
		run "torch-cpu: the inference prints what it printed at build time" 0 \
			"$(cat "$tdir/expected-output")" "$timg"
	fi
else
	skip "torch-cpu" "QUENCH_TEST_TORCH=1 runs it"
fi

t_finish
