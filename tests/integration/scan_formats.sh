#!/bin/bash
# quench scan --format sarif and --format cyclonedx on real advisory data
# (tests/data/advisories), checked for real findings and against the
# official schemas (tests/data/schemas):
#   - a tiny Debian 12 image (quench import, as scan.sh builds it): a pip
#     venv's urllib3 1.26.4 gives CVE-2021-33503 (PYSEC-2021-108, fixed in
#     1.26.5) located at its dist-info METADATA and named by its purl; sope
#     5.8.0-1 gives CVE-2025-53603 located at var/lib/dpkg/status; urllib3
#     2.2.3 gives nothing; Debian 10's chromium is end-of-life (can_not_fix)
#   - the CycloneDX document is `quench sbom`'s BOM plus vulnerabilities
#     whose affects[].ref are its components' bom-refs
#   - the python test image (scripts/mkimage; needs root and mmdebstrap)
#     with Debian's OVAL data: CVE-2023-27043 on python3.11-minimal and
#     CVE-2022-0563 on every util-linux binary package, all open
#   - the same scan gives byte-identical documents; --fail-on still applies
#   - Trivy (scripts/get-trivy, offline with an empty database) reads our
#     CycloneDX with vulnerabilities, as an SBOM and as VEX
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq python3
t_require_quench

data=tests/data/advisories
db=$T_ROOT/vuln.db
validate() {   # validate SCHEMA FILE
	python3 tests/unit/validate_schema.py "tests/data/schemas/$1" "$2"
}

status_stanza() {   # status_stanza PACKAGE VERSION [SOURCE]
	printf 'Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n' "$1" "$2"
	[ -z "${3:-}" ] || printf 'Source: %s\n' "$3"
	printf '\n'
}

dist_info() {   # dist_info SITE NAME VERSION
	local d=$1/$2-$3.dist-info
	mkdir -p "$d" "$1/$2"
	printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$2" "$3" >"$d/METADATA"
	printf '%s/__init__.py,,\n%s-%s.dist-info/METADATA,,\n' "$2" "$2" "$3" >"$d/RECORD"
	: >"$1/$2/__init__.py"
}

debian12() {
	mkdir -p "$1/etc" "$1/var/lib/dpkg"
	printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$1/etc/os-release"
	{
		status_stanza libsope1 5.8.0-1 sope
		status_stanza sope4.9-appserver "5.8.0-1+deb12u1" sope
		status_stanza chromium 97.0.4692.99-1
	} >"$1/var/lib/dpkg/status"
	dist_info "$1/opt/venv/lib/python3.11/site-packages" urllib3 1.26.4
	dist_info "$1/opt/new/lib/python3.11/site-packages" urllib3 2.2.3
}

debian10() {
	mkdir -p "$1/etc" "$1/var/lib/dpkg"
	printf 'ID=debian\nVERSION_ID="10"\nVERSION_CODENAME=buster\n' >"$1/etc/os-release"
	status_stanza chromium 90.0.4430.212-1~deb10u1 >"$1/var/lib/dpkg/status"
}

image() {   # image NAME BUILDER → prints the oci: reference
	local r=$T_ROOT/$1-rootfs
	mkdir -p "$r"
	"$2" "$r"
	"$QUENCH" import -q "$r" "oci:$T_ROOT/$1:latest" >/dev/null && echo "oci:$T_ROOT/$1:latest"
}

# jq_check WHAT FILE FILTER: pass when the filter is true on FILE.
jq_check() {
	if jq -e "$3" "$2" >/dev/null 2>&1; then pass "$1"; else fail "$1" "jq: $3"; fi
}

# Every affects[].ref is a component's bom-ref.
refs_resolve() {
	jq -e '[.components[]."bom-ref"] as $c |
		all(.vulnerabilities[].affects[].ref; . as $r | $c | index($r) != null)' "$1" >/dev/null
}

# Trivy: this build predates CycloneDX 1.6 and its tools object, so it gets
# the document with those two things said the old way (as in sbom.sh).
trivy=$(scripts/get-trivy 2>"$T_ROOT/get-trivy.log") || trivy=
[ -n "$trivy" ] || echo "scan_formats: no Trivy ($(tail -1 "$T_ROOT/get-trivy.log")): skipped"
export TRIVY_CACHE_DIR=$T_ROOT/trivy-cache
if [ -n "$trivy" ]; then
	mkdir -p "$TRIVY_CACHE_DIR/db"
	: >"$TRIVY_CACHE_DIR/db/trivy.db"
	printf '{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","DownloadedAt":"2026-01-01T00:00:00Z"}\n' \
		>"$TRIVY_CACHE_DIR/db/metadata.json"
fi
trivy_reads() {   # trivy_reads NAME CDX
	[ -n "$trivy" ] || { skip "$1: trivy reads our CycloneDX" "no Trivy"; return; }
	local old=$T_ROOT/$1-1.5.cdx.json got want
	jq '.specVersion = "1.5" | .metadata.tools = [.metadata.tools.components[] |
		{vendor: .name, name, version}]' "$2" >"$old"
	if "$trivy" sbom --skip-db-update --offline-scan --list-all-pkgs --format json \
		-o "$T_ROOT/$1-trivy.json" "$old" 2>"$T_ROOT/$1-trivy.err"; then
		got=$(jq '[.Results[]? | .Packages[]?] | length' "$T_ROOT/$1-trivy.json")
		want=$(jq '[.components[] | select(.type == "library")] | length' "$2")
		[ "$got" -ge "$want" ] && pass "$1: trivy sbom reads our CycloneDX with vulnerabilities ($got packages)" ||
			fail "$1: trivy sbom read $got packages of our $want"
	else
		fail "$1: trivy sbom refuses our CycloneDX" "$(tail -5 "$T_ROOT/$1-trivy.err")"
	fi
	if "$trivy" sbom --skip-db-update --offline-scan --vex "$old" --format json \
		-o "$T_ROOT/$1-trivy-vex.json" "$old" 2>"$T_ROOT/$1-trivy-vex.err"; then
		pass "$1: trivy takes our vulnerabilities as CycloneDX VEX"
	else
		fail "$1: trivy refuses our vulnerabilities as VEX" "$(tail -5 "$T_ROOT/$1-trivy-vex.err")"
	fi
}

q_ok "db import (PyPA OSV YAML, Debian tracker)" db --db "$db" import \
	"$data/pypa" "$data/debian-tracker/tracker-sample.json"

# ---- a tiny Debian 12 image ---------------------------------------------------------------
d12=$(image debian12 debian12) || fail "build debian12"
sarif=$T_ROOT/d12.sarif
cdx=$T_ROOT/d12.cdx.json
q_ok "scan --format sarif" scan --db "$db" --format sarif -o "$sarif" "$d12"
check "SARIF validates against sarif-2.1.0.schema.json" validate sarif-2.1.0.schema.json "$sarif"
jq_check "SARIF: one run of quench with rules" "$sarif" \
	'.version == "2.1.0" and (.runs | length) == 1 and
	 .runs[0].tool.driver.name == "quench" and (.runs[0].tool.driver.version | length) > 0'
jq_check "SARIF: CVE-2021-33503 is a rule linking NVD" "$sarif" \
	'.runs[0].tool.driver.rules[] | select(.id == "CVE-2021-33503") |
	 .helpUri == "https://nvd.nist.gov/vuln/detail/CVE-2021-33503" and
	 (.help.text | contains("PYSEC-2021-108"))'
jq_check "SARIF: urllib3 1.26.4 located at its METADATA, named by its purl, fixed 1.26.5" "$sarif" \
	'.runs[0].results[] | select(.ruleId == "CVE-2021-33503") |
	 .locations[0].physicalLocation.artifactLocation.uri ==
	   "opt/venv/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA" and
	 .locations[0].logicalLocations[0].fullyQualifiedName == "pkg:pypi/urllib3@1.26.4" and
	 (.message.text | contains("urllib3 1.26.4") and contains("1.26.5"))'
jq_check "SARIF: libsope1 CVE-2025-53603 at var/lib/dpkg/status, fixed 5.8.0-1+deb12u1" "$sarif" \
	'.runs[0].results[] | select(.ruleId == "CVE-2025-53603") |
	 .properties.package == "libsope1" and .properties.fixedVersion == "5.8.0-1+deb12u1" and
	 .locations[0].physicalLocation.artifactLocation.uri == "var/lib/dpkg/status"'
jq_check "SARIF: CVE-2023-43804 (CVSS 3.1, high) is an error ranked by its score" "$sarif" \
	'(.runs[0].results[] | select(.ruleId == "CVE-2023-43804") | .level == "error") and
	 (.runs[0].tool.driver.rules[] | select(.id == "CVE-2023-43804") |
	  (.properties["security-severity"] | tonumber) >= 7)'
jq_check "SARIF: nothing for urllib3 2.2.3 or sope at its fixed version" "$sarif" \
	'[.runs[0].results[] | .properties | select(.installedVersion == "2.2.3" or
	  .package == "sope4.9-appserver")] | length == 0'
json_n=$("$QUENCH" scan --db "$db" --format json "$d12" | jq '.findings | length')
jq_check "SARIF: one result per finding ($json_n), every ruleIndex right" "$sarif" \
	"(.runs[0].results | length) == $json_n and
	 (.runs[0].tool.driver.rules as \$r | all(.runs[0].results[]; \$r[.ruleIndex].id == .ruleId))"

q_ok "scan --format cyclonedx" scan --db "$db" --format cyclonedx -o "$cdx" "$d12"
check "CycloneDX validates against bom-1.6.schema.json" validate bom-1.6.schema.json "$cdx"
check "CycloneDX: every affects[].ref is a component's bom-ref" refs_resolve "$cdx"
q_ok "sbom --format cyclonedx" sbom --format cyclonedx -o "$T_ROOT/d12.sbom.json" "$d12"
check "CycloneDX: the components are quench sbom's" \
	diff <(jq -S .components "$T_ROOT/d12.sbom.json") <(jq -S .components "$cdx")
jq_check "CycloneDX: CVE-2021-33503 affects urllib3 1.26.4, fixed 1.26.5, via PYSEC-2021-108" "$cdx" \
	'.vulnerabilities[] | select(.id == "CVE-2021-33503") |
	 .affects == [{ref: "pkg:pypi/urllib3@1.26.4", versions: [
	   {version: "1.26.4", status: "affected"}, {version: "1.26.5", status: "unaffected"}]}] and
	 .source.name == "NVD" and
	 any(.advisories[]; .url == "https://osv.dev/vulnerability/PYSEC-2021-108") and
	 .recommendation == "Upgrade urllib3 to 1.26.5."'
jq_check "CycloneDX: CVE-2023-43804 rated by its CVSS 3.1 vector" "$cdx" \
	'.vulnerabilities[] | select(.id == "CVE-2023-43804") | .ratings[0] |
	 .method == "CVSSv31" and .severity == "high" and (.vector | startswith("CVSS:3.1/"))'
jq_check "CycloneDX: CVE-2025-53603 affects libsope1, not sope at the fix" "$cdx" \
	'.vulnerabilities[] | select(.id == "CVE-2025-53603") |
	 [.affects[].ref] == ["pkg:deb/debian/libsope1@5.8.0-1?arch=amd64&distro=debian-12&upstream=sope"]'

q_run scan --db "$db" --format sarif -o "$T_ROOT/again.sarif" "$d12"
check "SARIF: a second scan is byte-identical" cmp "$sarif" "$T_ROOT/again.sarif"
q_run scan --db "$db" --format cyclonedx -o "$T_ROOT/again.cdx.json" "$d12"
check "CycloneDX: a second scan is byte-identical" cmp "$cdx" "$T_ROOT/again.cdx.json"
q_run scan --db "$db" --format sarif --fail-on high -o "$T_ROOT/fail.sarif" "$d12"
[ "$Q_RC" = 1 ] && [ -s "$T_ROOT/fail.sarif" ] && pass "--fail-on high with SARIF: exit 1, report written" ||
	fail "--fail-on high with SARIF: exit $Q_RC"
trivy_reads debian12 "$cdx"

d10=$(image debian10 debian10) || fail "build debian10"
q_ok "scan Debian 10 --format cyclonedx" scan --db "$db" --format cyclonedx -o "$T_ROOT/d10.cdx.json" "$d10"
jq_check "CycloneDX: chromium end-of-life on buster: can_not_fix, no recommendation" "$T_ROOT/d10.cdx.json" \
	'.vulnerabilities[] | select(.id == "CVE-2022-0456") |
	 .analysis.response == ["can_not_fix"] and .recommendation == null and
	 any(.properties[]; .name == "quench:status" and .value == "end-of-life")'
q_run scan --db "$db" --format sarif -o "$T_ROOT/d10.sarif" "$d10"
jq_check "SARIF: end-of-life said in the message" "$T_ROOT/d10.sarif" \
	'.runs[0].results[] | select(.ruleId == "CVE-2022-0456") | .message.text | contains("end-of-life")'

# ---- the python test image with Debian's OVAL data ------------------------------------
if ! refs=$(scripts/mkimage python 2>"$T_ROOT/mkimage.log"); then
	skip "python image" "scripts/mkimage python: $(tail -1 "$T_ROOT/mkimage.log")"
	t_finish
fi
py=$(sed -n 1p <<<"$refs")
q_ok "db import Debian OVAL (bookworm)" db --db "$T_ROOT/oval.db" import \
	"$data/debian-oval/oval-definitions-bookworm-2023-07-15.xml.bz2"
q_ok "python image: scan --format sarif" scan --db "$T_ROOT/oval.db" --format sarif -o "$T_ROOT/py.sarif" "$py"
check "python image: SARIF validates" validate sarif-2.1.0.schema.json "$T_ROOT/py.sarif"
jq_check "python image: CVE-2023-27043 on python3.11-minimal, open, at var/lib/dpkg/status" "$T_ROOT/py.sarif" \
	'any(.runs[0].results[]; .ruleId == "CVE-2023-27043" and .properties.package == "python3.11-minimal" and
	 .properties.status == "open" and
	 .locations[0].physicalLocation.artifactLocation.uri == "var/lib/dpkg/status")'
q_ok "python image: scan --format cyclonedx" scan --db "$T_ROOT/oval.db" --format cyclonedx -o "$T_ROOT/py.cdx.json" "$py"
check "python image: CycloneDX validates" validate bom-1.6.schema.json "$T_ROOT/py.cdx.json"
check "python image: every affects[].ref is a component's bom-ref" refs_resolve "$T_ROOT/py.cdx.json"
jq_check "python image: CVE-2022-0563 is one vulnerability affecting every util-linux package" "$T_ROOT/py.cdx.json" \
	'[.components[] | select(any(.properties[]?; .name == "quench:source-name" and .value == "util-linux") or
	  .name == "util-linux") | ."bom-ref"] as $ul |
	 [.vulnerabilities[] | select(.id == "CVE-2022-0563")] as $v |
	 ($v | length) == 1 and ($ul | length) >= 2 and ([$v[0].affects[].ref] | sort) == ($ul | sort) and
	 $v[0].analysis == null'
trivy_reads python "$T_ROOT/py.cdx.json"
t_finish
