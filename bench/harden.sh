#!/bin/bash
# quench harden on real workloads, each profiled by harden itself:
#   torch      the torch-cpu image's inference (python3 /app/infer.py)
#   script     the python image running json + ssl + sqlite3
#   server     the python image serving POST /predict (http.server), driven
#              by --probe-http-file
# (BENCH_WORKLOADS="script server" picks; default: all three.) For each: size
# before and after, and against the bytes of the files the workload used
# (target: within 10%); findings before, after and open (the reachable
# ones, once the VEX harden writes is applied; advisories from
# BENCH_ADVISORIES, default tests/data/advisories' Debian OVAL); the time
# to build the hardened image from the RBOM (--no-validate: the build
# alone) against `umoci repack` of the same tree (target: >= 3x faster).
source "$(dirname "$0")/lib.sh"
command -v umoci >/dev/null || { echo "bench: umoci is needed" >&2; exit 77; }
data=${BENCH_ADVISORIES:-tests/data/advisories/debian-oval/oval-definitions-bookworm-2023-07-15.xml.bz2}
workloads=${BENCH_WORKLOADS:-torch script server}
# the test images first, from scripts/mkimage's own cache
case " $workloads " in *" torch "*) torch_img=$(BENCH_IMAGE=torch-cpu bench_image) ;; esac
python_img=$(BENCH_IMAGE=python bench_image)
export XDG_CACHE_HOME=$WORK/cache
"$QUENCH" db -q --db "$WORK/vuln.db" import "$data"

script='import json, ssl, sqlite3
ctx = ssl.create_default_context()
db = sqlite3.connect(":memory:")
db.execute("create table t (k text)")
print(json.dumps({"tls": ctx.protocol.name, "rows": db.execute("select count(*) from t").fetchall()}))'
server='import json, http.server
W = [0.5, -1.0, 2.0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        x = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["x"]
        body = json.dumps({"y": sum(w * v for w, v in zip(W, x))}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", 8080), H).serve_forever()'
printf '[{"method": "POST", "url": "http://127.0.0.1:8080/predict", "body": "{\\"x\\": [1, 2, 3]}"}]' \
	>"$WORK/requests.json"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# The bytes of the regular files an RBOM shows used, in the unpacked source.
used_bytes() {   # used_bytes RBOM
	local root
	root=$(find "$("$QUENCH" cache dir)/rootfs" -mindepth 1 -maxdepth 1 -type d | head -n1)/rootfs
	jq -r '.files[] | select(.uses | index("missing") | not) | select(.injected | not) | .path' "$1" |
		while read -r p; do
			if [ -f "$root$p" ] && [ ! -L "$root$p" ]; then stat -c %s "$root$p"; fi
		done | awk '{ s += $1 } END { print s + 0 }'
}

bench_one() {   # bench_one NAME IMAGE [harden options...] -- [CMD...]
	local name=$1 img=$2 w=$WORK/$1
	shift 2
	local opts=() cmd=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	cmd=("$@")
	rm -rf "$XDG_CACHE_HOME/quench/rootfs"
	"$QUENCH" harden -q --db "$WORK/vuln.db" "${opts[@]}" -o "$w.report.json" "$img" "oci:$w.hard:1" \
		-- "${cmd[@]}" >"$w.harden.log" 2>&1 ||
		{ echo "bench: harden $name failed: $(tail -3 "$w.harden.log")" >&2; exit 3; }
	# the build alone, from the RBOM harden wrote
	{
		printf 'rm -rf %q %q\n' "$w.build" "$w.build.seccomp.json"
		printf '%q ' "$QUENCH" harden -q --no-validate --rbom "$w.hard.rbom.json" "$img" \
			"oci:$w.build:1" -- "${cmd[@]}"
	} >"$w.build.sh"
	local t u used
	t=$(best_of "${RUNS:-3}" bash "$w.build.sh")
	# umoci: the same tree, repacked as an image
	umoci init --layout "$w.u" >/dev/null && umoci new --image "$w.u:x" >/dev/null
	umoci unpack --image "$w.u:x" "$w.bundle" >/dev/null
	rm -rf "$w.bundle/rootfs"
	"$QUENCH" unpack -q "oci:$w.hard:1" "$w.bundle/rootfs"
	u=$(best_of "${RUNS:-3}" umoci repack --image "$w.u:x" "$w.bundle")
	used=$(used_bytes "$w.hard.rbom.json")
	local r=$w.report.json src hard
	src=$(jq .source.bytes "$r") hard=$(jq .hardened.bytes "$r")
	echo "workload: $name ($img)"
	printf '  %-34s %s\n' "size (files) before" "$(mib "$src") ($(jq .source.files "$r"))" \
		"size (files) after" "$(mib "$hard") ($(jq .hardened.files "$r"))" \
		"used by the workload (RBOM)" "$(mib "$used")" \
		"after / used" "$(ratio "$hard" "$used")x (target <= 1.10)" \
		"packages before -> after" "$(jq .source.packages "$r") -> $(jq .hardened.packages "$r")" \
		"findings before -> after" "$(jq -r '.findings | "\(.before) -> \(.after) (\(.reachable) reachable, \(.present) present, \(.removed) removed)"' "$r")" \
		"open findings (VEX applied)" "$(jq -r '.findings | "\(.open) (\(if .before > 0 then (100 * (.before - .open) / .before | floor) else 0 end)% fewer than before)"' "$r")" \
		"quench harden (build, no validation)" "${t}s" \
		"umoci repack of the same tree" "${u}s" \
		"umoci / quench" "$(ratio "$u" "$t")x (target >= 3)"
}
for wl in $workloads; do
	case $wl in
	torch) bench_one torch "$torch_img" -- ;;
	script) bench_one script "$python_img" -- python3 -c "$script" ;;
	server) bench_one server "$python_img" \
		--probe-http-file "$WORK/requests.json" -- python3 -c "$server" ;;
	*) echo "bench: unknown workload '$wl' (torch, script, server)" >&2; exit 2 ;;
	esac
done
