#!/bin/bash
# quench profile on the real python test image (scripts/mkimage python):
#   - the workload's exit code and stdout pass through; the RBOM is written
#     and valid against docs/rbom.schema.json
#   - what ran is there and owned: python3.11 executed (python3.11-minimal),
#     re's modules read, libc loaded (libc6), a missing file probed, a
#     file written; packages used and never touched
#   - syscalls: observed ones (execve, openat) and the baseline (read)
#   - the lookup channel: lookups answered by the listener; traced under
#     another supervisor's listener (ptrace alone), the same RBOM
#   - ports: a TCP bind on 127.0.0.1; root needed for a bind to port 80
#   - --duration ends a long workload (exit 0); --probe-cmd runs inside the
#     sandbox and ends the profile; a failing probe is its exit code
#   - --probe-http / --probe-http-file: requests sent once the port accepts,
#     status codes recorded; a port that never accepts fails the probe
#   - --merge: the union of two profiles; profiles of other images refused
#   - --format table: a summary on stderr
#   - bad RBOMs: exit 3, named
#   - as an unprivileged user
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap jq
t_require_quench
t_require_root

t_python_image
R=$T_ROOT/rbom.json
has() { t_jq "$1" "$2" "${3:-$R}"; }   # the RBOM by default

q_run profile -o "$R" "$IMG" -- python3 -c 'import re, os
open("/tmp/written", "w").write("x")
os.path.exists("/no/such/file")
print(re.sub("o", "0", "ok"))'
[ "$Q_RC" = 0 ] && [ "$(cat "$Q_OUT")" = '0k' ] && pass "the workload runs; its stdout passes through" ||
	fail "profile: exit $Q_RC" "$(head -c 1500 "$Q_ERR"; cat "$Q_OUT")"
if python3 -c 'import jsonschema' 2>/dev/null; then
	check "the RBOM is valid against docs/rbom.schema.json" \
		python3 tests/unit/validate_schema.py docs/rbom.schema.json "$R"
fi
has "the image is named by its digest" '.image.manifestDigest | startswith("sha256:")'
has "python3.11 executed, owned by python3.11-minimal" \
	'.files[] | select(.path == "/usr/bin/python3.11") | (.uses | index("exec")) and (.package | test("python3.11-minimal"))'
has "argv0 of the executable" '.executables[] | select(.path == "/usr/bin/python3.11") | .argv0 == "python3"'
has "re's module read" '.files[] | select(.path == "/usr/lib/python3.11/re/__init__.py") | .uses | index("read")'
has "libc loaded as a library, owned by libc6" \
	'.libraries[] | select(.path | endswith("/libc.so.6")) | .package | test("libc6")'
has "every library loaded is the image's, owned by a package (none of quench's own)" \
	'(.libraries | length) > 0 and (.libraries | all(.package)) and ([.libraries[].path] | map(test("libjansson|libarchive|libcurl")) | any | not)'
has "a missing file probed" '.files[] | select(.path == "/no/such/file") | .uses == ["missing"]'
has "a file written" '.files[] | select(.path == "/tmp/written") | .uses | index("write")'
has "packages used: libc6, python3.11-minimal" \
	'[.packages.used[].name] | (index("libc6") != null) and (index("python3.11-minimal") != null)'
has "packages never touched: bash" '[.packages.unused[].name] | index("bash") != null'
has "syscalls observed: execve, openat" \
	'[.syscalls[] | select(.baseline == false) | .name] | (index("execve") != null) and (index("openat") != null)'
has "syscalls of the baseline: read" '.syscalls[] | select(.name == "read") | .baseline'
has "no root needed" '.workloads[0].needsRoot == false'

# The two channels of docs/tracer.md see the same: the lookups through the
# listener, or, under another supervisor's listener (tests/trace/tt_nested:
# one listener per filter chain), every call through ptrace.
case $(uname -r) in [1-4].* | 5.[0-9].* | 5.1[0-8].*) old_kernel=1 ;; *) old_kernel= ;; esac
[ -n "$old_kernel" ] || has "lookups answered by the listener" \
	'.workloads[0].tracer.lookups > 100 and .workloads[0].tracer.lookups <= .workloads[0].tracer.calls'
nested=$(dirname "$QUENCH")/tests/trace/tt_nested
if [ -x "$nested" ]; then
	script='import json, ssl, sqlite3, email.utils; print(json.dumps(1))'
	"$QUENCH" profile -q -o "$T_ROOT/listener.json" "$IMG" -- python3 -c "$script" >/dev/null &&
		"$nested" "$QUENCH" profile -q -o "$T_ROOT/ptrace.json" "$IMG" -- python3 -c "$script" >/dev/null
	st=$?
	same() { jq -c "$1" "$T_ROOT/listener.json" | sort >"$T_ROOT/l.txt"
		 jq -c "$1" "$T_ROOT/ptrace.json" | sort >"$T_ROOT/p.txt"
		 cmp -s "$T_ROOT/l.txt" "$T_ROOT/p.txt"; }
	if [ "$st" = 0 ] && jq -e '.workloads[0].tracer.lookups == 0' "$T_ROOT/ptrace.json" >/dev/null &&
	   same '.files[] | [.path, .uses, .linkTarget]' && same '.syscalls[] | .name' &&
	   same '.libraries[] | .path' && same '.executables[] | [.path, .argv0]'; then
		pass "listener and ptrace alone: the same files, uses, libraries, executables and syscalls"
	else
		fail "listener vs ptrace alone (exit $st)" "$(diff "$T_ROOT/l.txt" "$T_ROOT/p.txt" | head -20)"
	fi
else
	skip "listener vs ptrace alone: $nested is not built"
fi

q_run profile -o "$T_ROOT/exit.json" "$IMG" -- sh -c 'exit 7'
[ "$Q_RC" = 7 ] && has "exit code passes through, and is in the RBOM" '.workloads[0].exitCode == 7' "$T_ROOT/exit.json" ||
	fail "exit code: $Q_RC" "$(cat "$Q_ERR")"

q_run profile -o "$T_ROOT/ports.json" "$IMG" -- python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 8123)); s.listen()
t = socket.socket(); t.bind(("0.0.0.0", 80))'
has "a TCP bind on 127.0.0.1:8123" '.ports[] | select(.kind == "bind" and .port == 8123 and .protocol == "tcp" and .address == "127.0.0.1")' "$T_ROOT/ports.json"
has "root needed: the bind to port 80" '.workloads[0].needsRoot and (.workloads[0].rootReasons | map(test("80")) | any)' "$T_ROOT/ports.json"

start=$(date +%s)
q_run profile --duration 2 -o "$T_ROOT/dur.json" "$IMG" -- sleep 100
took=$(($(date +%s) - start))
[ "$Q_RC" = 0 ] && [ "$took" -lt 30 ] && pass "--duration 2 ends a 100 s workload (exit 0, ${took} s)" ||
	fail "--duration: exit $Q_RC after $took s" "$(cat "$Q_ERR")"
has "… and its RBOM shows sleep ran" '.executables[] | select(.path | endswith("/sleep"))' "$T_ROOT/dur.json"

q_run profile --probe-cmd 'test -x /usr/bin/python3.11 && cat /etc/os-release >/dev/null' \
	-o "$T_ROOT/probe.json" "$IMG" -- sleep 100
[ "$Q_RC" = 0 ] && pass "--probe-cmd runs inside the sandbox and ends the profile" ||
	fail "--probe-cmd: exit $Q_RC" "$(cat "$Q_ERR")"
has "the RBOM names the probe and its exit" '.workloads[0].probes[0] | test("^cmd: test -x .* \\(exit 0\\)$")' "$T_ROOT/probe.json"
has "the probe itself is not traced" '[.files[].path] | index("/etc/os-release") == null' "$T_ROOT/probe.json"
q_run profile --probe-cmd 'exit 3' -o "$T_ROOT/probe2.json" "$IMG" -- sleep 100
[ "$Q_RC" = 3 ] && grep -q "a probe failed (exit 3)" "$Q_ERR" && [ -s "$T_ROOT/probe2.json" ] &&
	pass "a failing probe: its exit code, said, and the RBOM still written" ||
	fail "failing probe: exit $Q_RC" "$(cat "$Q_ERR")"

# HTTP probes: a server that starts listening after a second; the probes
# wait for the port, then send a GET and a POST from the requests file.
server='import socket, time
time.sleep(1)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8000)); s.listen()
while True:
    c, _ = s.accept(); req = c.recv(65536).decode()
    code = "201 Created" if req.startswith("POST /x") and req.endswith("{\"n\": 1}") else "200 OK"
    c.sendall(("HTTP/1.0 " + code + "\r\nContent-Length: 2\r\n\r\nhi").encode()); c.close()'
printf '[{"method": "POST", "url": "http://127.0.0.1:8000/x", "headers": {"Content-Type": "application/json"}, "body": "{\\"n\\": 1}"}]' \
	>"$T_ROOT/reqs.json"
q_run profile --probe-http http://127.0.0.1:8000/ --probe-http-file "$T_ROOT/reqs.json" \
	-o "$T_ROOT/http.json" "$IMG" -- python3 -c "$server"
[ "$Q_RC" = 0 ] && pass "--probe-http: the profile ends after the requests (exit 0)" ||
	fail "--probe-http: exit $Q_RC" "$(cat "$Q_ERR")"
has "the GET's status is recorded" '.workloads[0].probes | index("http: GET http://127.0.0.1:8000/ -> 200") != null' "$T_ROOT/http.json"
has "the POST (method, header, body from the file) got its 201" '.workloads[0].probes | index("http: POST http://127.0.0.1:8000/x -> 201") != null' "$T_ROOT/http.json"
has "the server's bind is in the RBOM" '.ports[] | select(.kind == "bind" and .port == 8000)' "$T_ROOT/http.json"
q_run profile --probe-http http://127.0.0.1:8001/ --probe-wait 2 -o "$T_ROOT/http2.json" "$IMG" -- sleep 100
[ "$Q_RC" = 1 ] && grep -q "a probe failed" "$Q_ERR" &&
	has "a port that never accepts: the probe fails, said in the RBOM" '.workloads[0].probes[0] | test("^http: GET http://127.0.0.1:8001/: ")' "$T_ROOT/http2.json" ||
	fail "unanswered probe: exit $Q_RC" "$(cat "$Q_ERR")"
printf '[{"url": "ftp://x"}]' >"$T_ROOT/badreqs.json"
q_run profile --probe-http-file "$T_ROOT/badreqs.json" -o "$T_ROOT/http3.json" "$IMG" -- true
[ "$Q_RC" = 3 ] && grep -q "badreqs.json.*request 0" "$Q_ERR" && [ ! -e "$T_ROOT/http3.json" ] &&
	pass "a bad requests file: exit 3 before anything runs" || fail "bad requests: $Q_RC" "$(cat "$Q_ERR")"

q_run profile --merge "$R" "$T_ROOT/exit.json" "$T_ROOT/ports.json" -o "$T_ROOT/merged.json"
[ "$Q_RC" = 0 ] && pass "--merge" || fail "--merge: exit $Q_RC" "$(cat "$Q_ERR")"
has "merged: three workloads" '.workloads | length == 3' "$T_ROOT/merged.json"
has "merged: files of each" \
	'[.files[].path] | (index("/no/such/file") != null) and (index("/tmp/written") != null)' "$T_ROOT/merged.json"
has "merged: ports of the third" '.ports | map(.port) | index(8123) != null' "$T_ROOT/merged.json"
if python3 -c 'import jsonschema' 2>/dev/null; then
	check "the merged RBOM is valid too" python3 tests/unit/validate_schema.py docs/rbom.schema.json "$T_ROOT/merged.json"
fi
jq '.image.manifestDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"' "$R" >"$T_ROOT/other.json"
q_run profile --merge "$R" "$T_ROOT/other.json" -o "$T_ROOT/bad.json"
[ "$Q_RC" = 3 ] && grep -q "different images" "$Q_ERR" && [ ! -e "$T_ROOT/bad.json" ] &&
	pass "--merge refuses profiles of different images, writes nothing" || fail "merge of other images: $Q_RC" "$(cat "$Q_ERR")"
printf '{"schema": "something-else"}' >"$T_ROOT/notrbom.json"
q_run profile --merge "$T_ROOT/notrbom.json" -o "$T_ROOT/bad.json"
[ "$Q_RC" = 3 ] && grep -q "notrbom.json.*not a quench-rbom/1" "$Q_ERR" && pass "not an RBOM: exit 3, named" ||
	fail "not an RBOM: $Q_RC" "$(cat "$Q_ERR")"

q_run profile --format table -o "$T_ROOT/t.json" "$IMG" -- true
grep -q "^packages: .* used, .* never touched" "$Q_ERR" && grep -q "^syscalls: " "$Q_ERR" &&
	grep -q "^ *traced: [0-9]* calls, [0-9]* of them lookups" "$Q_ERR" &&
	pass "--format table: a summary on stderr" || fail "table" "$(cat "$Q_ERR")"
q_run profile "$IMG"
[ "$Q_RC" = 2 ] && pass "no -o: usage error" || fail "no -o: exit $Q_RC"
# As an unprivileged user (user namespaces; ptrace of its own descendants).
if command -v setpriv >/dev/null && t_nobody_setup "$IMG"; then
	u=$T_NOBODY
	out=$(as_nobody "$QUENCH" profile -o "$u/home/r.json" "$T_NOBODY_IMG" -- sh -c 'cat /etc/passwd >/dev/null; echo hi; exit 4' 2>"$u/err")
	rc=$?
	[ "$rc" = 4 ] && [ "$out" = hi ] && jq -e '.files[] | select(.path == "/etc/passwd") | .uses | index("read")' "$u/home/r.json" >/dev/null &&
		pass "as nobody: profiled, exit code and output pass, the RBOM has what it read" ||
		fail "as nobody: exit $rc" "$out $(cat "$u/err")"
fi
t_finish
