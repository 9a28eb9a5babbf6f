#!/bin/bash
# quench report on a real hardening report: the python test image profiled
# (`python3 -c 'import re; …'`) and hardened with the Debian OVAL advisories,
# as harden.sh does; then
#   - the HTML page is self-contained (no http(s) URL, nothing to fetch) and
#     headless Chromium shows the report's own numbers: sizes, files,
#     packages, syscalls, findings by class, the findings left with the file
#     that made each reachable; its screenshot is a real, non-blank PNG
#   - a hostile package name (<script>) arrives escaped, as text
#   - a report without findings says why
#   - --format json gives the same document back; table the same numbers
#   - another schema: one line, exit 3, no output file
# Only the browser checks are skipped when chromium is not installed.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap jq
t_require_quench
t_require_root

t_python_image
R=$T_ROOT/rbom.json J=$T_ROOT/report.json P=$T_ROOT/report.html
WL=(python3 -c 'import re; print(re.sub("o", "0", "ok"))')

q_ok "profile the workload" profile -o "$R" "$IMG" -- "${WL[@]}" || t_finish
q_ok "db import (Debian OVAL)" db --db "$T_ROOT/vuln.db" import tests/data/advisories/debian-oval/*.xml.bz2
q_ok "harden with the advisories: the report" harden -q --rbom "$R" --db "$T_ROOT/vuln.db" -o "$J" \
	"$IMG" "oci:$T_ROOT/hard:1" -- "${WL[@]}" || t_finish
t_jq "the report has findings left, some reachable with evidence" \
	'[.findings.left[] | select(.class == "reachable" and .evidence)] | length > 0' "$J"

q_ok "render: -o FILE.html is HTML" report -o "$P" "$J"
head -c 15 "$P" | grep -q '^<!DOCTYPE html>' && pass "… an HTML document" || fail "not HTML" "$(head -c 200 "$P")"
grep -Eqi 'https?://' "$P" && fail "the page names a URL" "$(grep -Eoi 'https?://[^" <]*' "$P" | head)" ||
	pass "self-contained: no http(s) URL in the page"
grep -Eqi '<(script|link|img|iframe|object)|src=|@import|url\(' "$P" &&
	fail "the page loads something" "$(grep -Eoi '<(script|link|img)[^>]*|src=[^ ]*|@import|url\(' "$P" | head)" ||
	pass "… no script, stylesheet, image or font to load"

# the finding the page must show with its evidence: the interpreter's
f=$(jq -c '[.findings.left[] | select(.package == "python3.11-minimal" and .class == "reachable")][0]' "$J")
id=$(jq -r .id <<<"$f") ev=$(jq -r .evidence <<<"$f")

# Chromium's view of a page: the DOM after parsing (dump-dom) and a screenshot.
chrome() {
	timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$T_ROOT/chrome" --window-size=1200,2400 "$@" 2>>"$T_ROOT/chrome.log"
}
# png_ok FILE: a PNG of 1200x2400 whose pixels are not all one colour.
png_ok() {
	python3 -c '
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1200, 2400), f"size {w}x{h}"
i, idat = 8, b""
while i < len(d):
    n, kind = struct.unpack(">I4s", d[i:i + 8])
    idat += d[i + 8:i + 8 + n] if kind == b"IDAT" else b""
    i += 12 + n
px = zlib.decompress(idat)
assert len(set(px)) > 16, f"blank: {len(set(px))} distinct bytes"
' "$1"
}
# human SIZE: as quench prints sizes (1024s, one decimal): 99828551 → 95.2 MiB
human() {
	awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB PiB", u, " "); v = b; i = 1
		while (v >= 1024 && i < 6) { v /= 1024; i++ }
		if (i == 1) printf "%d B", b; else printf "%.1f %s", v, u[i] }'
}
# dom_has WHAT FIXED-STRING: the rendered DOM holds the string.
dom_has() {
	grep -qF -- "$2" "$T_ROOT/dom.html" && pass "$1" || fail "$1" "not in the DOM: $2"
}

if ! command -v chromium >/dev/null; then
	skip "the page in a browser" "chromium is not installed"
else
	chrome --dump-dom "file://$P" >"$T_ROOT/dom.html"
	grep -q 'id="findings-left"' "$T_ROOT/dom.html" && pass "chromium renders the page" ||
		fail "chromium: no DOM" "$(tail -5 "$T_ROOT/chrome.log")"
	sb=$(jq .source.bytes "$J") hb=$(jq .hardened.bytes "$J")
	dom_has "the source's size: $(human "$sb"), $sb bytes" "id=\"source-bytes\">$(human "$sb")<small>$sb bytes</small>"
	dom_has "the hardened size: $(human "$hb"), $hb bytes" "id=\"hardened-bytes\">$(human "$hb")<small>$hb bytes</small>"
	for k in files packages setuidFiles; do
		dom_has "source $k: $(jq ".source.$k" "$J")" "id=\"source-$k\">$(jq ".source.$k" "$J")</td>"
		dom_has "hardened $k: $(jq ".hardened.$k" "$J")" "id=\"hardened-$k\">$(jq ".hardened.$k" "$J")</td>"
	done
	dom_has "shells: $(jq '.source.shells | length' "$J") → 0" "id=\"source-shells\">$(jq '.source.shells | length' "$J")<small>"
	dom_has "syscalls allowed: $(jq .hardened.syscallsAllowed "$J")" "id=\"hardened-syscallsAllowed\">$(jq .hardened.syscallsAllowed "$J")</td>"
	dom_has "the user: $(jq -r .hardened.user "$J")" "id=\"hardened-user\">$(jq -r .hardened.user "$J")</td>"
	dom_has "validation: passed" '<p class="ok">passed</p>'
	for k in before after reachable present removed; do
		dom_has "findings $k: $(jq ".findings.$k" "$J")" "id=\"findings-$k\">$(jq ".findings.$k" "$J")</span>"
	done
	dom_has "the class chart: $(jq .findings.removed "$J") removed" "<g data-label=\"removed\" data-total=\"$(jq .findings.removed "$J")\">"
	n=$(jq '[.findings.left[] | select(.class == "reachable")] | length' "$J")
	[ "$(grep -c '<tr class="reachable">' "$T_ROOT/dom.html")" = "$n" ] &&
		pass "a row for each of the $n reachable findings left" ||
		fail "reachable rows: $(grep -c '<tr class="reachable">' "$T_ROOT/dom.html"), not $n"
	grep -F "<code>$id</code>" "$T_ROOT/dom.html" | grep -F '<td class="package">python3.11-minimal</td>' |
		grep -qF "<code>$ev</code>" && pass "the finding $id, with its evidence: $ev" ||
		fail "no row for $id with '$ev'" "$(grep -F "$id" "$T_ROOT/dom.html" | head -3)"
	chrome --screenshot="$T_ROOT/shot.png" "file://$P" >/dev/null
	check "the screenshot is a 1200x2400 PNG, not blank" png_ok "$T_ROOT/shot.png"

	# a hostile package name and image reach the page as text
	jq '.findings.left[0].package = "<script>alert(1)</script>" | .source.image = "<img src=x onerror=alert(2)>"' \
		"$J" >"$T_ROOT/hostile.json"
	q_ok "render a report with a hostile package name" report -o "$T_ROOT/hostile.html" "$T_ROOT/hostile.json"
	chrome --dump-dom "file://$T_ROOT/hostile.html" >"$T_ROOT/dom.html"
	dom_has "<script> arrives escaped, as text" '<td class="package">&lt;script&gt;alert(1)&lt;/script&gt;</td>'
	dom_has "… and the image's <img>" '&lt;img src=x onerror=alert(2)&gt;'
	grep -Eqi '<(script|img)' "$T_ROOT/dom.html" && fail "an element from the input" "$(grep -Eoi '<(script|img)[^>]*' "$T_ROOT/dom.html")" ||
		pass "… no script or img element in the DOM"

	jq 'del(.findings)' "$J" >"$T_ROOT/nofind.json"
	q_ok "render a report without findings" report --format html -o "$T_ROOT/nofind.out" "$T_ROOT/nofind.json"
	chrome --dump-dom "file://$T_ROOT/nofind.out" >"$T_ROOT/dom.html"
	dom_has "… it says harden ran without an advisory database" 'ran without an advisory database'
fi

q_ok "--format json" report --format json -o "$T_ROOT/again.json" "$J"
[ "$(jq -S . "$J")" = "$(jq -S . "$T_ROOT/again.json")" ] && pass "… the same document back" ||
	fail "json differs" "$(diff <(jq -S . "$J") <(jq -S . "$T_ROOT/again.json") | head)"
q_ok "--format table" report --format table "$J"
grep -qE "^findings +$(jq .findings.before "$J") +$(jq .findings.after "$J")  \($(jq .findings.reachable "$J") reachable" "$Q_OUT" &&
	grep -qF "$id" "$Q_OUT" && pass "… the counts and the findings left" || fail "table" "$(cat "$Q_OUT")"

jq '.schema = "quench-harden/2"' "$J" >"$T_ROOT/v2.json"
q_run report -o "$T_ROOT/v2.html" "$T_ROOT/v2.json"
[ "$Q_RC" = 3 ] && q_error_line report && grep -q "schema 'quench-harden/2' is not quench-harden/1" "$Q_ERR" &&
	[ ! -e "$T_ROOT/v2.html" ] && [ -z "$(ls "$T_ROOT" | grep -F v2.html)" ] &&
	pass "another schema: one line, exit 3, nothing written" || fail "schema 2: exit $Q_RC" "$(cat "$Q_ERR")"
jq '.hardened.files = "many"' "$J" >"$T_ROOT/bad.json"
q_run report --format json "$T_ROOT/bad.json"
[ "$Q_RC" = 3 ] && q_error_line report && grep -q "hardened.files: not a count" "$Q_ERR" && [ ! -s "$Q_OUT" ] &&
	pass "a field of the wrong type: named, exit 3, nothing printed" || fail "bad field: exit $Q_RC" "$(cat "$Q_ERR")"
t_finish
