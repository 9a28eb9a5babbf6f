#!/bin/bash
# quench db import + quench scan on real advisory data (tests/data/advisories:
# PyPA's urllib3 records in YAML, a Debian tracker excerpt, Alpine 3.19's
# secdb, a Debian ELTS OSV record) against tiny images whose package
# databases hold real package names and versions, before and after fixes:
#   - a pip virtualenv's urllib3 1.26.4 matches PYSEC-2021-108 (CVE-2021-33503,
#     fixed in 1.26.5); urllib3 2.2.3 in another venv matches nothing
#   - Debian's python3-urllib3 (its egg-info is in the dpkg file list) is
#     not matched against PyPI, unless --include-os-owned, and then marked
#   - Debian 12 source package sope 5.8.0-1 matches CVE-2025-53603 (fixed in
#     5.8.0-1+deb12u1, through its binary package's Source:); chromium 97
#     matches CVE-2022-0456; at the fixed versions nothing matches
#   - Debian OVAL: libssl3 3.0.8-1 (source openssl) has CVE-2023-2650, fixed
#     in 3.0.9-1, not CVE-2023-0286 (fixed in 3.0.8-1); at 3.0.9-1 neither;
#     unfixed CVEs stay open
#   - Debian 10: curl 7.64.0-4+deb10u9 matches ELA-1145-1 (fixed +deb10u10);
#     chromium there is end-of-life
#   - Alpine 3.19: musl 1.2.2_pre1-r0 matches CVE-2020-28928 (fixed in
#     1.2.2_pre2-r0), not CVE-2019-14697 (fixed in 1.1.23-r2); libcrypto3
#     3.1.4-r5 matches CVE-2024-2511 through its origin openssl; openssl's
#     "not affected" entries never match
#   - the tracker's DSA list (DSA-5970-1 fixes CVE-2025-53603 in sope) merges
#     into the CVE's finding; an advisory fixing two CVEs files under both;
#     GHSA and PYSEC records aliasing each other make one finding
#   - --vex (OpenVEX 0.2.0, schema-checked): not_affected for a package purl
#     and for the image (pkg:oci@digest) narrowed to a subcomponent suppress,
#     the newest statement wins, an affected statement annotates, a
#     not_affected without a justification is ignored with a warning
#   - data older than --max-db-age (7 days) is warned about
#   - re-import is idempotent; --fail-on and --ignore-unfixed; bad input
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq
t_require_quench

data=tests/data/advisories
db=$T_ROOT/vuln.db

# status_stanza PACKAGE VERSION [SOURCE]
status_stanza() {
	printf 'Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n' "$1" "$2"
	[ -z "${3:-}" ] || printf 'Source: %s\n' "$3"
	printf '\n'
}

dist_info() {   # dist_info SITE NAME VERSION
	local d=$1/$2-$3.dist-info
	mkdir -p "$d"
	printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$2" "$3" >"$d/METADATA"
	printf '%s/__init__.py,,\n%s-%s.dist-info/METADATA,,\n' "$2" "$2" "$3" >"$d/RECORD"
	mkdir -p "$1/$2"
	: >"$1/$2/__init__.py"
}

debian12() {
	local r=$1
	mkdir -p "$r/etc" "$r/var/lib/dpkg/info" "$r/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"
	printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$r/etc/os-release"
	{
		status_stanza python3-urllib3 1.26.12-1 python-urllib3
		status_stanza libsope1 5.8.0-1 sope
		status_stanza sope4.9-appserver "5.8.0-1+deb12u1" sope
		status_stanza chromium 97.0.4692.99-1
	} >"$r/var/lib/dpkg/status"
	printf 'Metadata-Version: 1.2\nName: urllib3\nVersion: 1.26.12\n' \
		>"$r/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO"
	printf '/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO\n' \
		>"$r/var/lib/dpkg/info/python3-urllib3.list"
	dist_info "$r/opt/venv/lib/python3.11/site-packages" urllib3 1.26.4
	dist_info "$r/opt/new/lib/python3.11/site-packages" urllib3 2.2.3
}

debian10() {
	mkdir -p "$1/etc" "$1/var/lib/dpkg"
	printf 'ID=debian\nVERSION_ID="10"\nVERSION_CODENAME=buster\n' >"$1/etc/os-release"
	{
		status_stanza curl "7.64.0-4+deb10u9"
		status_stanza chromium 90.0.4430.212-1~deb10u1
	} >"$1/var/lib/dpkg/status"
}

alpine() {
	mkdir -p "$1/etc" "$1/lib/apk/db"
	printf 'ID=alpine\nVERSION_ID=3.19.1\n' >"$1/etc/os-release"
	printf 'P:musl\nV:1.2.2_pre1-r0\nA:x86_64\no:musl\n\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n\n' \
		>"$1/lib/apk/db/installed"
}

image() {   # image NAME BUILDER → prints the oci: reference
	local r=$T_ROOT/$1-rootfs
	mkdir -p "$r"
	"$2" "$r"
	"$QUENCH" import -q "$r" "oci:$T_ROOT/$1:latest" >/dev/null && echo "oci:$T_ROOT/$1:latest"
}

findings() {   # findings IMAGE [ARGS]: "ID PACKAGE STATUS FIXED" lines
	local img=$1
	shift
	"$QUENCH" scan --db "$db" --format json "$@" "$img" |
		jq -r '.findings[] | "\(.id) \(.package.name) \(.status) \(.fixed // "-")\(if .osOwned then " os-owned" else "" end)"' |
		sort
}

has() { grep -qxF "$2" <<<"$1" && pass "$3" || fail "$3" "$1"; }
hasnt() { grep -q "$2" <<<"$1" && fail "$3" "$1" || pass "$3"; }

q_ok "db import (OSV YAML dir, Debian tracker, Alpine secdb, ELTS OSV, DSA list)" db --db "$db" import \
	"$data/pypa" "$data/debian-tracker/tracker-sample.json" \
	"$data/alpine-secdb/v3.19-main.json" "$data/debian-elts-osv" "$data/debian-dsa/DSA-list-sample"
before=$("$QUENCH" db --db "$db" --format json status | jq -c '[.sources[] | [.advisories, .affected]]')
q_ok "db import again" db --db "$db" import "$data/pypa"
after=$("$QUENCH" db --db "$db" --format json status | jq -c '[.sources[] | [.advisories, .affected]]')
[ "$before" = "$after" ] && pass "re-import is idempotent ($after)" || fail "re-import changed counts" "$before -> $after"

d12=$(image debian12 debian12) || fail "build debian12"
out=$(findings "$d12")
has "$out" "CVE-2021-33503 urllib3 affected 1.26.5" "venv urllib3 1.26.4: CVE-2021-33503 (PYSEC-2021-108), fixed 1.26.5"
hasnt "$out" "2.2.3" "venv urllib3 2.2.3: nothing"
hasnt "$out" "os-owned" "Debian's urllib3 is not matched against PyPI"
has "$out" "CVE-2025-53603 libsope1 affected 5.8.0-1+deb12u1" "sope 5.8.0-1 (via Source:): CVE-2025-53603"
hasnt "$out" "sope4.9-appserver" "sope at 5.8.0-1+deb12u1: nothing"
has "$out" "CVE-2022-0456 chromium affected 98.0.4758.80-1" "chromium 97 on bookworm: CVE-2022-0456"
out=$(findings "$d12" --include-os-owned)
has "$out" "CVE-2023-43804 urllib3 affected 1.26.17 os-owned" "--include-os-owned: Debian's urllib3 matched, marked"
ids=$("$QUENCH" scan --db "$db" --format json "$d12" | jq -r '.findings[] | select(.id == "CVE-2021-33503") | .advisories | join(",")')
[ "$ids" = "PYSEC-2021-108" ] && pass "the finding names its advisory" || fail "advisories: $ids"
ids=$("$QUENCH" scan --db "$db" --format json "$d12" |
	jq -r '.findings[] | select(.id == "CVE-2025-53603") | .advisories | sort | join(",")' | sort -u)
[ "$ids" = "CVE-2025-53603,DSA-5970-1" ] && pass "DSA-5970-1 and the tracker's CVE-2025-53603: one finding" ||
	fail "sope advisories: $ids"

# Aliases: one DSA fixing two CVEs; GHSA ↔ PYSEC without a CVE. Hand-made
# records over the real packages above.
adb=$T_ROOT/alias.db
printf '[01 Dec 2025] DSA-9999-1 sope - security update\n\t{CVE-2025-53603 CVE-2025-99999}\n\t[bookworm] - sope 5.8.0-1+deb12u1\n' \
	>"$T_ROOT/dsa-list"
mkdir -p "$T_ROOT/ghsa"
for pair in "GHSA-aaaa-bbbb-cccc PYSEC-2099-1" "PYSEC-2099-1 GHSA-aaaa-bbbb-cccc"; do
	set -- $pair
	printf '{"id": "%s", "modified": "2025-01-01T00:00:00Z", "aliases": ["%s"], "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.26.5"}]}]}]}' \
		"$1" "$2" >"$T_ROOT/ghsa/$1.json"
done
q_ok "db import (alias fixtures)" db --db "$adb" import "$T_ROOT/dsa-list" "$T_ROOT/ghsa"
out=$("$QUENCH" scan --db "$adb" --format json "$d12" |
	jq -r '.findings[] | "\(.id) \(.package.name) \(.advisories | sort | join(","))"' | sort)
has "$out" "CVE-2025-53603 libsope1 DSA-9999-1" "a DSA files under its first CVE"
has "$out" "CVE-2025-99999 libsope1 DSA-9999-1" "… and under its second"
has "$out" "GHSA-aaaa-bbbb-cccc urllib3 GHSA-aaaa-bbbb-cccc,PYSEC-2099-1" "GHSA and PYSEC aliasing each other: one finding"

# VEX. The image's manifest digest names it as an OpenVEX product.
digest=$("$QUENCH" inspect "$d12" | jq -r .digest)
cat >"$T_ROOT/vex.json" <<EOF
{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/quench-test-1",
  "author": "quench tests",
  "timestamp": "2025-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    { "vulnerability": { "name": "CVE-2021-33503" },
      "products": [ { "@id": "pkg:pypi/urllib3@1.26.4" } ],
      "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path" },
    { "vulnerability": { "name": "DSA-5970-1", "aliases": ["CVE-2025-53603"] },
      "products": [ { "@id": "pkg:oci/debian12@${digest/:/%3A}",
                      "subcomponents": [ { "@id": "pkg:deb/debian/libsope1?distro=debian-12" } ] } ],
      "status": "not_affected", "justification": "vulnerable_code_not_present" },
    { "vulnerability": { "name": "CVE-2023-45803" },
      "products": [ { "@id": "pkg:pypi/urllib3" } ],
      "timestamp": "2024-01-01T00:00:00Z",
      "status": "not_affected", "justification": "inline_mitigations_already_exist" },
    { "vulnerability": { "name": "CVE-2023-45803" },
      "products": [ { "@id": "pkg:pypi/urllib3" } ],
      "timestamp": "2024-06-01T00:00:00Z",
      "status": "affected", "action_statement": "upgrade to 1.26.18" },
    { "vulnerability": { "name": "CVE-2022-0456" },
      "products": [ { "@id": "pkg:oci/other@sha256%3A0000000000000000000000000000000000000000000000000000000000000000" } ],
      "status": "not_affected", "justification": "component_not_present" },
    { "vulnerability": { "name": "CVE-2023-43804" },
      "products": [ { "@id": "pkg:pypi/urllib3" } ],
      "status": "not_affected" }
  ]
}
EOF
if python3 -c 'import jsonschema' 2>/dev/null; then
	jq 'del(.statements[5])' "$T_ROOT/vex.json" >"$T_ROOT/vex-valid.json"
	check "the VEX fixture is OpenVEX 0.2.0 (but for its one bad statement)" \
		python3 tests/unit/validate_schema.py tests/data/schemas/openvex-0.2.0.schema.json "$T_ROOT/vex-valid.json"
fi
q_run scan --db "$db" --format json --include-os-owned --vex "$T_ROOT/vex.json" "$d12"
vexed=$(jq -r '.findings[] | "\(.id) \(.package.name) \(.vex.status // "-")"' "$Q_OUT" | sort)
supp=$(jq -r '.suppressed[] | "\(.id) \(.package.name) \(.vex.justification)"' "$Q_OUT" | sort)
has "$supp" "CVE-2021-33503 urllib3 vulnerable_code_not_in_execute_path" "VEX: not_affected for the package purl suppresses"
has "$supp" "CVE-2025-53603 libsope1 vulnerable_code_not_present" "VEX: the image (pkg:oci@digest) narrowed to a subcomponent, by alias"
has "$vexed" "CVE-2023-45803 urllib3 affected" "VEX: the newest statement wins (affected after not_affected)"
has "$vexed" "CVE-2022-0456 chromium -" "VEX: another image's statement does not apply"
has "$vexed" "CVE-2023-43804 urllib3 -" "VEX: not_affected without a justification is not taken"
grep -q "statement 5: not_affected without a justification" "$Q_ERR" && pass "… and a warning names it" ||
	fail "no warning for the bad statement" "$(cat "$Q_ERR")"
q_run scan --db "$db" --format table --vex "$T_ROOT/vex.json" "$d12"
grep -q "2 suppressed by VEX" "$Q_OUT" && pass "the table says what VEX suppressed" || fail "table" "$(cat "$Q_OUT")"
q_run scan --db "$db" --format sarif --vex "$T_ROOT/vex.json" "$d12"
s=$(jq -r '.runs[0].results[] | select(.suppressions) | "\(.ruleId) \(.suppressions[0].kind) \(.suppressions[0].justification)"' "$Q_OUT")
has "$s" "CVE-2021-33503 external VEX: not_affected (vulnerable_code_not_in_execute_path)" "SARIF: a VEX-suppressed result is kept, with its suppression"
q_run scan --db "$db" --format cyclonedx --vex "$T_ROOT/vex.json" "$d12"
s=$(jq -r '.vulnerabilities[] | select(.analysis.state) | "\(.id) \(.analysis.state) \(.analysis.justification)"' "$Q_OUT")
has "$s" "CVE-2021-33503 not_affected code_not_reachable" "CycloneDX: VEX gives the analysis state and justification"
if python3 -c 'import jsonschema' 2>/dev/null; then
	check "CycloneDX with VEX analysis is valid CycloneDX 1.6" \
		python3 tests/unit/validate_schema.py tests/data/schemas/bom-1.6.schema.json "$Q_OUT"
fi
printf '{"statements": []}' >"$T_ROOT/notvex.json"
q_run scan --db "$db" --vex "$T_ROOT/notvex.json" "$d12"
[ "$Q_RC" = 3 ] && grep -q "notvex.json.*not an OpenVEX document" "$Q_ERR" && pass "not OpenVEX: exit 3, named" ||
	fail "not OpenVEX: exit $Q_RC" "$(cat "$Q_ERR")"

# Debian OVAL (bookworm, 2023-07-14): real definitions for openssl and tar,
# against libssl3 before and at the fix of CVE-2023-2650 (3.0.9-1).
ovaldb=$T_ROOT/oval.db
q_ok "db import (Debian OVAL, bzip2)" db --db "$ovaldb" import "$data"/debian-oval/*.xml.bz2
oval_old() {
	mkdir -p "$1/etc" "$1/var/lib/dpkg"
	printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$1/etc/os-release"
	{ status_stanza libssl3 3.0.8-1 openssl; status_stanza tar 1.34+dfsg-1.2; } >"$1/var/lib/dpkg/status"
}
oval_new() {
	oval_old "$1"
	{ status_stanza libssl3 3.0.9-1 openssl; status_stanza tar 1.34+dfsg-1.2; } >"$1/var/lib/dpkg/status"
}
old=$(image oval-old oval_old) && new=$(image oval-new oval_new) || fail "build OVAL images"
db_saved=$db db=$ovaldb
out=$(findings "$old")
has "$out" "CVE-2023-2650 libssl3 affected 3.0.9-1" "OVAL: libssl3 3.0.8-1 (source openssl): CVE-2023-2650, fixed 3.0.9-1"
hasnt "$out" "CVE-2023-0286" "OVAL: not CVE-2023-0286 (fixed in 3.0.8-1)"
has "$out" "CVE-2022-48303 tar open -" "OVAL: tar's unfixed CVE-2022-48303 is open"
out=$(findings "$new")
hasnt "$out" "CVE-2023-2650" "OVAL: libssl3 3.0.9-1: CVE-2023-2650 fixed"
hasnt "$out" "CVE-2023-0464" "OVAL: libssl3 3.0.9-1: CVE-2023-0464 fixed"
has "$out" "CVE-2010-0928 libssl3 open -" "OVAL: openssl's open CVE-2010-0928 stays"
db=$db_saved

d10=$(image debian10 debian10) || fail "build debian10"
out=$(findings "$d10")
has "$out" "ELA-1145-1 curl affected 7.64.0-4+deb10u10" "buster curl: ELA-1145-1"
has "$out" "CVE-2022-0456 chromium end-of-life -" "buster chromium: end-of-life, kept as such"
out=$(findings "$d10" --ignore-unfixed)
hasnt "$out" "end-of-life" "--ignore-unfixed drops what has no fix"

al=$(image alpine alpine) || fail "build alpine"
out=$(findings "$al")
has "$out" "CVE-2020-28928 musl affected 1.2.2_pre2-r0" "musl 1.2.2_pre1-r0: CVE-2020-28928"
hasnt "$out" "CVE-2019-14697" "musl: not CVE-2019-14697 (fixed in 1.1.23-r2)"
has "$out" "CVE-2024-2511 libcrypto3 affected 3.1.4-r6" "libcrypto3 3.1.4-r5 (origin openssl): CVE-2024-2511, fixed 3.1.4-r6"
hasnt "$out" "CVE-2022-1292" "openssl's not-affected (\"0\") entries never match"

# Old data: a warning (the data's age comes from its import), unless
# --max-db-age 0; fresh data none.
q_run scan --db "$db" "$al"
grep -q "advisory data" "$Q_ERR" && fail "fresh data: no age warning" "$(cat "$Q_ERR")" || pass "fresh data: no age warning"
if command -v sqlite3 >/dev/null; then
	cp "$db" "$T_ROOT/old.db"
	sqlite3 "$T_ROOT/old.db" "UPDATE sources SET imported_at = imported_at - 30 * 86400"
	q_run scan --db "$T_ROOT/old.db" "$al"
	grep -q "advisory data was last imported or updated 30 days ago" "$Q_ERR" &&
		pass "30-day-old data: a warning says how old" || fail "no age warning" "$(cat "$Q_ERR")"
	q_run scan --db "$T_ROOT/old.db" --max-db-age 0 "$al"
	[ "$Q_RC" = 0 ] && ! grep -q "advisory data" "$Q_ERR" && pass "--max-db-age 0: no warning" ||
		fail "--max-db-age 0: exit $Q_RC" "$(cat "$Q_ERR")"
	q_run scan --db "$T_ROOT/old.db" --max-db-age 31 "$al"
	[ "$Q_RC" = 0 ] && ! grep -q "advisory data" "$Q_ERR" && pass "--max-db-age 31: no warning at 30 days" ||
		fail "--max-db-age 31: exit $Q_RC" "$(cat "$Q_ERR")"
else
	skip "old data warning" "no sqlite3"
fi

q_run scan --db "$db" --include-os-owned --fail-on high "$d12"
[ "$Q_RC" = 1 ] && pass "--fail-on high: exit 1 (CVE-2023-43804 is rated high)" ||
	fail "--fail-on high: exit $Q_RC"
q_run scan --db "$db" --include-os-owned --fail-on critical "$d12"
[ "$Q_RC" = 0 ] && pass "--fail-on critical: exit 0 (nothing rated critical)" ||
	fail "--fail-on critical: exit $Q_RC"

# Bad input: a clear error, exit 3, the database unchanged.
printf '{"not": "advisories"}' >"$T_ROOT/bad.json"
q_run db --db "$db" import "$T_ROOT/bad.json"
[ "$Q_RC" = 3 ] && pass "unknown format: exit 3" || fail "unknown format: exit $Q_RC"
printf 'id: PYSEC-X\naffected: [\n' >"$T_ROOT/bad.yaml"
q_run db --db "$db" import "$T_ROOT/bad.yaml"
[ "$Q_RC" = 0 ] && grep -q "bad.yaml" "$Q_ERR" && pass "broken YAML record: a warning naming it" ||
	fail "broken YAML record: exit $Q_RC" "$(cat "$Q_ERR")"
q_run scan --db "$T_ROOT/none.db" "$al"
[ "$Q_RC" = 3 ] && grep -q "quench db import" "$Q_ERR" && pass "no database: says to import" ||
	fail "no database: exit $Q_RC" "$(cat "$Q_ERR")"
t_finish
