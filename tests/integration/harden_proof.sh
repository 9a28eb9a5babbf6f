#!/bin/bash
# quench harden end to end, profiling by itself (no --rbom), on real
# workloads of the python test image (and torch-cpu with QUENCH_TEST_TORCH=1):
#   - a script using json, ssl and sqlite3: profiled, hardened, validated;
#     the hardened image runs it as 65532, has no shell, its RBOM is written
#     beside it; its findings fall, each one left is reachable (with the
#     file that made it so) or present; the OpenVEX beside it (valid) makes
#     a scan of it show only the reachable ones
#   - a small HTTP model server (http.server answering POST /predict and GET
#     /health) exercised by --probe-http-file: validation replays the
#     requests on the hardened image and compares the status codes (and,
#     with compareBody, the answers); the hardened server answers the same
#     under `quench run`; a server whose answer changes as nonroot fails
#   - validation that fails: the report (and its HTML page) says so and names
#     the file the hardened image lacks (from a re-trace), exit 1, no image
#   - --validate-cmd runs in both images, without a shell where there is none
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap jq
t_require_quench
t_require_root

t_python_image
q_ok "db import (Debian OVAL)" db --db "$T_ROOT/vuln.db" import tests/data/advisories/debian-oval/*.xml.bz2

# --- json, ssl, sqlite3 ------------------------------------------------------------
script='import json, ssl, sqlite3
ctx = ssl.create_default_context()
db = sqlite3.connect(":memory:")
db.execute("create table t (k text, v integer)")
db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2)])
rows = db.execute("select k, v from t order by k").fetchall()
print(json.dumps({"rows": rows, "tls": ctx.protocol.name, "verify": ctx.verify_mode.name}))'
H=oci:$T_ROOT/script:1
q_run harden --db "$T_ROOT/vuln.db" -o "$T_ROOT/script.json" "$IMG" "$H" -- python3 -c "$script"
[ "$Q_RC" = 0 ] && pass "json/ssl/sqlite3: profiled, hardened and validated with no --rbom" ||
	fail "harden the script: exit $Q_RC" "$(cat "$Q_ERR")"
[ -s "$T_ROOT/script.rbom.json" ] &&
	t_jq "… its RBOM is written beside the image, and the report names it" \
		"(.rbom == \"$T_ROOT/script.rbom.json\") and .validation == \"passed\"" "$T_ROOT/script.json" ||
	fail "no RBOM beside the image" "$(ls "$T_ROOT")"
t_jq "… the RBOM shows the three modules and libsqlite3 loaded" \
	'([.files[].path] | any(test("/json/__init__.py$")) and any(test("/ssl.py$")) and any(test("/sqlite3/__init__.py$"))) and ([.libraries[].path] | any(test("libsqlite3")))' \
	"$T_ROOT/script.rbom.json"
want='{"rows": [["a", 1], ["b", 2]], "tls": "PROTOCOL_TLS_CLIENT", "verify": "CERT_REQUIRED"}'
q_run run "$H" -- python3 -c "$script"
[ "$Q_RC" = 0 ] && [ "$(cat "$Q_OUT")" = "$want" ] && pass "the hardened image runs it, same output" ||
	fail "run the script hardened: exit $Q_RC" "$(cat "$Q_OUT" "$Q_ERR")"
t_jq "… as 65532, with no shell and no package manager" \
	'.hardened.user == "65532:65532" and .hardened.shells == [] and .hardened.packageManagers == []' "$T_ROOT/script.json"
t_jq "findings: fewer after, and every one left is reachable or present; reachable ones name their file" \
	'.findings | .after < .before and .removed > 0 and (.left | all(.class == "reachable" or .class == "present")) and ([.left[] | select(.class == "reachable") | .evidence] | all(test("^(executed|loaded|read) /")))' \
	"$T_ROOT/script.json"
t_jq "… a data file read is not code running: libc-bin (locale data) and openssl (its config) are present, libc6 and libssl3 reachable" \
	'[.findings.left[] | select(.package == "libc-bin" or .package == "openssl") | .class] | (length > 0 and all(. == "present"))' "$T_ROOT/script.json"
t_jq "… libc6, libssl3 and libsqlite3-0 are reachable, loaded" \
	'[.findings.left[] | select(.class == "reachable") | .package] | (index("libc6") != null) and (index("libssl3") != null) and (index("libsqlite3-0") != null)' "$T_ROOT/script.json"
V=$T_ROOT/script.openvex.json
t_jq "the hardened image's OpenVEX is written beside it: removed not present, present not in the execute path, reachable affected" \
	'[.statements[] | .justification // .status] | (index("vulnerable_code_not_present") != null) and (index("vulnerable_code_not_in_execute_path") != null) and (index("affected") != null)' "$V"
if python3 -c 'import jsonschema' 2>/dev/null; then
	check "… valid OpenVEX 0.2.0" python3 tests/unit/validate_schema.py tests/data/schemas/openvex-0.2.0.schema.json "$V"
fi
"$QUENCH" scan --db "$T_ROOT/vuln.db" --max-db-age 0 --vex "$V" --format json "$H" >"$T_ROOT/scanvex.json" 2>/dev/null
open=$(jq .findings.open "$T_ROOT/script.json")
t_jq "scanning the hardened image with it leaves the $open open findings the workload reaches; the present ones suppressed" \
	"(.findings | length) == $open and (.suppressed | length) == $(jq .findings.present "$T_ROOT/script.json")" "$T_ROOT/scanvex.json"
before=$(jq .findings.before "$T_ROOT/script.json") after=$(jq .findings.after "$T_ROOT/script.json")
echo "     (json/ssl/sqlite3: $before findings before, $after after, $open open)"

# --- an HTTP model server --------------------------------------------------------------
server='import json, http.server
W = [0.5, -1.0, 2.0]
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        self.reply(200 if self.path == "/health" else 404, {"ok": self.path == "/health"})
    def do_POST(self):
        try:
            x = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["x"]
            self.reply(200, {"y": sum(w * v for w, v in zip(W, x))})
        except Exception as e:
            self.reply(400, {"error": str(e)})
http.server.HTTPServer(("127.0.0.1", 8080), H).serve_forever()'
cat >"$T_ROOT/requests.json" <<'EOF'
[ { "method": "GET", "url": "http://127.0.0.1:8080/health" },
  { "method": "POST", "url": "http://127.0.0.1:8080/predict",
    "headers": { "Content-Type": "application/json" }, "body": "{\"x\": [1, 2, 3]}",
    "compareBody": true },
  { "method": "POST", "url": "http://127.0.0.1:8080/predict", "body": "not json" },
  { "method": "GET", "url": "http://127.0.0.1:8080/nowhere" } ]
EOF
S=oci:$T_ROOT/serve:1
q_run harden --probe-http-file "$T_ROOT/requests.json" --validate-cmd 'python3 -V' \
	-o "$T_ROOT/serve.json" "$IMG" "$S" -- python3 -c "$server"
[ "$Q_RC" = 0 ] && pass "model server: profiled through its HTTP probes, hardened, validated" ||
	fail "harden the server: exit $Q_RC" "$(cat "$Q_ERR")"
t_jq "… the probes' status codes are in its RBOM: 200, 200 (and its answer's digest), 400, 404" \
	'.workloads[0].probes | (index("http: GET http://127.0.0.1:8080/health -> 200") != null) and (any(test("^http: POST http://127.0.0.1:8080/predict -> 200, body sha256:[0-9a-f]{64}$"))) and (index("http: POST http://127.0.0.1:8080/predict -> 400") != null) and (index("http: GET http://127.0.0.1:8080/nowhere -> 404") != null)' \
	"$T_ROOT/serve.rbom.json"
t_jq "… and the server's bind on 8080" '.ports | any(.kind == "bind" and .port == 8080)' "$T_ROOT/serve.rbom.json"
# The hardened server answers under quench run, on the host's network.
"$QUENCH" run --net host --timeout 60 "$S" -- python3 -c "${server/8080/18080}" \
	>"$T_ROOT/served.out" 2>"$T_ROOT/served.err" &
spid=$!
reply=$(python3 - <<'PY'
import time, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen("http://127.0.0.1:18080/health"); break
    except OSError:
        time.sleep(0.1)
r = urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:18080/predict", b'{"x": [1, 2, 3]}'))
print(r.status, r.read().decode())
PY
)
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
[ "$reply" = '200 {"y": 4.5}' ] && pass "the hardened server predicts: POST /predict -> 200 {\"y\": 4.5}" ||
	fail "hardened server: $reply" "$(cat "$T_ROOT/served.err")"
q_run run "$S" -- sh -c true
[ "$Q_RC" = 127 ] && pass "… and has no shell" || fail "sh in the hardened server: exit $Q_RC"

# --- validation that fails -------------------------------------------------------------
q_run harden --probe-http-file "$T_ROOT/requests.json" --exclude '/usr/lib/python3.11/json/*' \
	--probe-wait 5 -o "$T_ROOT/broken.json" "$IMG" "oci:$T_ROOT/broken:1" -- python3 -c "$server"
[ "$Q_RC" = 1 ] && [ ! -e "$T_ROOT/broken" ] && pass "json excluded: validation fails, exit 1, no image" ||
	fail "broken server: exit $Q_RC" "$(cat "$Q_ERR")"
t_jq "… the report says it failed, with both runs' probe results" \
	'.validation == "failed" and (.differences.source.probes | index("http: GET http://127.0.0.1:8080/health -> 200") != null) and (.differences.hardened.probes != .differences.source.probes)' \
	"$T_ROOT/broken.json"
t_jq "… and the re-trace names the file the hardened image lacks" \
	'.differences.missingFiles | index("/usr/lib/python3.11/json/__init__.py") != null' "$T_ROOT/broken.json"
grep -q "lacks /usr/lib/python3.11/json/__init__.py" "$Q_ERR" && pass "… said on stderr too" ||
	fail "no lacks line" "$(cat "$Q_ERR")"
q_ok "quench report renders the failed validation" report -o "$T_ROOT/broken.html" "$T_ROOT/broken.json"
grep -q '<ul id="missing-files">' "$T_ROOT/broken.html" &&
	grep -q '<code>/usr/lib/python3.11/json/__init__.py</code>' "$T_ROOT/broken.html" &&
	pass "… the page names the missing file" || fail "no missing file in the page"

# A server that answers differently as nonroot: the same status code, another
# body. With compareBody, validation sees it.
whoami='import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(os.getuid()).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", 8081), H).serve_forever()'
printf '[{"url": "http://127.0.0.1:8081/", "compareBody": true}]' >"$T_ROOT/whoami.json"
q_run harden --probe-http-file "$T_ROOT/whoami.json" -o "$T_ROOT/whoami-report.json" \
	"$IMG" "oci:$T_ROOT/whoami:1" -- python3 -c "$whoami"
[ "$Q_RC" = 1 ] && [ ! -e "$T_ROOT/whoami" ] &&
	t_jq "compareBody: a server whose answer changes as nonroot fails validation (same code, another body)" \
		'.differences.source.probes[0] as $a | .differences.hardened.probes[0] as $b | ($a | test("-> 200, body sha256:")) and ($b | test("-> 200, body sha256:")) and $a != $b' \
		"$T_ROOT/whoami-report.json" || fail "whoami: exit $Q_RC" "$(cat "$Q_ERR")"

# A server image profiled with nothing to end it: said before it starts.
"$QUENCH" export "$IMG" "$T_ROOT/rootfs.tar" 2>/dev/null
"$QUENCH" import --expose 8080/tcp --cmd '["python3", "-c", "print(1)"]' "$T_ROOT/rootfs.tar" \
	"oci:$T_ROOT/exposed:1" >/dev/null 2>&1
q_run harden --no-validate "oci:$T_ROOT/exposed:1" "oci:$T_ROOT/exposed-h:1"
[ "$Q_RC" = 0 ] && grep -q "exposes 8080/tcp: a server runs until it exits" "$Q_ERR" &&
	pass "an image that exposes a port, profiled without probes or --duration: a warning says how to end it" ||
	fail "exposed: exit $Q_RC" "$(cat "$Q_ERR")"

# --- --validate-cmd ------------------------------------------------------------------------
q_run harden --no-validate --validate-cmd 'python3 -m this' -o "$T_ROOT/v.json" \
	"$IMG" "oci:$T_ROOT/v0:1" -- python3 -c 'print(1)'
[ "$Q_RC" = 0 ] && pass "--no-validate: --validate-cmd is not run" || fail "no-validate: $Q_RC" "$(cat "$Q_ERR")"
q_run harden --validate-cmd 'python3 -m this' -o "$T_ROOT/v.json" "$IMG" "oci:$T_ROOT/v:1" -- \
	python3 -c 'print(1)'
[ "$Q_RC" = 1 ] && [ ! -e "$T_ROOT/v" ] &&
	t_jq "--validate-cmd: a test the hardened image fails (a module it dropped) fails validation" \
		'.differences.source.probes == ["validate: python3 -m this (exit 0)"] and (.differences.hardened.probes[0] | test("^validate: python3 -m this \\(exit [1-9]"))' \
		"$T_ROOT/v.json" || fail "validate-cmd: exit $Q_RC" "$(cat "$Q_ERR")"

# --- torch-cpu: the same server, predicting with torch ------------------------------------
if [ -n "${QUENCH_TEST_TORCH:-}" ]; then
	timg=$(scripts/mkimage torch-cpu 2>"$T_ROOT/mkimage-torch.log" | sed -n 1p)
	tserver=${server/W = \[0.5, -1.0, 2.0\]/import torch
torch.manual_seed(0)
M = torch.nn.Linear(3, 1)}
	tserver=${tserver/sum(w \* v for w, v in zip(W, x))/round(M(torch.tensor([x], dtype=torch.float32)).item(), 4)}
	q_run harden --db "$T_ROOT/vuln.db" --probe-http-file "$T_ROOT/requests.json" --probe-wait 120 \
		--entrypoint python3 -o "$T_ROOT/torch.json" "$timg" "oci:$T_ROOT/torch:1" -- -c "$tserver"
	[ "$Q_RC" = 0 ] && pass "torch-cpu model server: hardened and validated through its probes" ||
		fail "torch server: exit $Q_RC" "$(tail -5 "$Q_ERR")"
	t_jq "… as 65532, no shell, much smaller" \
		'.hardened.user == "65532:65532" and .hardened.shells == [] and .hardened.bytes < .source.bytes / 1.5' "$T_ROOT/torch.json"
	echo "     (torch server: findings $(jq -c '.findings | {before, after, reachable, present, removed}' "$T_ROOT/torch.json"))"
else
	skip "torch-cpu model server" "QUENCH_TEST_TORCH=1 runs it"
fi

t_finish
