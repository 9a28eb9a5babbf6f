#!/bin/bash
# quench scan sbom:FILE — the nightly re-scan of a stored SBOM, without the
# image — against `quench scan IMAGE` on real advisory data (Debian 12's
# OVAL export, the Debian tracker excerpt, PyPA's urllib3 records):
#   - the python test image (scripts/mkimage python): our CycloneDX and our
#     SPDX give exactly the findings JSON the image gives
#   - a hand-made Debian 12 image whose python3-urllib3 installs urllib3's
#     egg-info: the SBOMs keep that Debian owns it (quench:owner), so it is
#     not matched against PyPI, and is with --include-os-owned, marked, as
#     on the image; without quench:owner the SBOM would say otherwise
#   - Trivy's CycloneDX and SPDX of the python image (the reference Trivy,
#     scripts/get-trivy): the same (id, package, source package, version)
#     findings, the epochs Trivy keeps apart put back (login 1:4.13…)
#   - hostile or wrong files: one line naming the file, exit 3
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq
t_require_quench

data=tests/data/advisories
db=$T_ROOT/vuln.db
q_ok "db import (Debian OVAL, Debian tracker, PyPA)" db --db "$db" import \
	"$data/debian-oval/oval-definitions-bookworm-2023-07-15.xml.bz2" \
	"$data/debian-tracker/tracker-sample.json" "$data/pypa" || t_finish

scan() {   # scan TARGET OUT [ARGS]: findings JSON of TARGET into OUT
	local target=$1 out=$2
	shift 2
	q_run scan --db "$db" --format json "$@" -o "$out" "$target"
	[ "$Q_RC" = 0 ] || { fail "scan $target $*: exit $Q_RC" "$(cat "$Q_ERR")"; return 1; }
}

# same_as_image NAME IMAGE [ARGS]: sbom:FILE gives the image's findings, byte for byte.
same_as_image() {
	local name=$1 img=$2 d fmt n
	shift 2
	d=$(t_dir "$name$*")
	scan "$img" "$d/image.json" "$@" || return
	n=$(jq '.findings | length' "$d/image.json")
	for fmt in cyclonedx spdx; do
		q_run sbom --format "$fmt" -o "$d/sbom.$fmt.json" "$img"
		[ "$Q_RC" = 0 ] || { fail "$name: sbom --format $fmt: exit $Q_RC" "$(cat "$Q_ERR")"; continue; }
		scan "sbom:$d/sbom.$fmt.json" "$d/$fmt.json" "$@" || continue
		check "$name: scan sbom:X.$fmt.json${*:+ $*} = scan IMAGE${*:+ $*} ($n findings)" \
			diff "$d/image.json" "$d/$fmt.json"
	done
}

# ---- the python test image ---------------------------------------------------
# scripts/mkimage needs mmdebstrap as root; without them the Trivy part goes too.
python_image() {
	[ "$(id -u)" = 0 ] || { skip "the python image" "scripts/mkimage needs root"; return 1; }
	command -v mmdebstrap >/dev/null || { skip "the python image" "no mmdebstrap"; return 1; }
	refs=$(scripts/mkimage python 2>"$T_ROOT/mkimage.log") ||
		{ fail "build the python image" "$(tail -5 "$T_ROOT/mkimage.log")"; return 1; }
}
docker=
if python_image; then
	oci=$(sed -n 1p <<<"$refs")
	docker=$(sed -n 2p <<<"$refs")
	same_as_image python "$oci"
	n=$(jq '.findings | length' "$T_ROOT/python/image.json")
	[ "$n" -gt 20 ] && pass "python: $n findings to compare" || fail "python: only $n findings"
	jq -e '.findings[] | select(.id == "CVE-2022-0563" and .package.name == "bsdutils"
		and .matched.package == "util-linux")' "$T_ROOT/python/cyclonedx.json" >/dev/null &&
		pass "python: bsdutils matched through its source util-linux (CVE-2022-0563)" ||
		fail "python: no CVE-2022-0563 for bsdutils"
fi

# ---- a language package Debian installed ----------------------------------------
status_stanza() {   # PACKAGE VERSION [SOURCE]
	printf 'Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n' "$1" "$2"
	[ -z "${3:-}" ] || printf 'Source: %s\n' "$3"
	printf '\n'
}
r=$T_ROOT/debian12-rootfs egg=usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info
mkdir -p "$r/etc" "$r/var/lib/dpkg/info" "$r/$egg" \
	"$r/opt/venv/lib/python3.11/site-packages/urllib3-1.26.4.dist-info"
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$r/etc/os-release"
{ status_stanza python3-urllib3 1.26.12-1 python-urllib3; status_stanza libsope1 5.8.0-1 sope; } \
	>"$r/var/lib/dpkg/status"
printf 'Metadata-Version: 1.2\nName: urllib3\nVersion: 1.26.12\n' >"$r/$egg/PKG-INFO"
printf '/%s/PKG-INFO\n' "$egg" >"$r/var/lib/dpkg/info/python3-urllib3.list"
printf 'Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.4\n' \
	>"$r/opt/venv/lib/python3.11/site-packages/urllib3-1.26.4.dist-info/METADATA"
d12=oci:$T_ROOT/debian12-image:latest
q_ok "import the debian12 rootfs" import -q "$r" "$d12" || t_finish
same_as_image debian12 "$d12"
same_as_image debian12 "$d12" --include-os-owned
d=$T_ROOT/debian12--include-os-owned
jq -e '[.findings[] | select(.package.name == "urllib3" and .osOwned)] | length > 0' \
	"$d/spdx.json" >/dev/null && pass "debian12: Debian's urllib3 is os-owned, read from the SBOM" ||
	fail "debian12: no os-owned urllib3 finding from the SBOM"
# Without quench:owner the SBOM would lose that: the property is what carries it.
jq 'del(.components[].properties[]? | select(.name == "quench:owner"))' \
	"$T_ROOT/debian12/sbom.cyclonedx.json" >"$d/no-owner.cdx.json"
scan "sbom:$d/no-owner.cdx.json" "$d/no-owner.json" &&
	jq -e '[.findings[] | select(.package.name == "urllib3" and .package.version == "1.26.12")] | length > 0' \
		"$d/no-owner.json" >/dev/null &&
	pass "debian12: without quench:owner, Debian's urllib3 would be matched against PyPI" ||
	fail "debian12: removing quench:owner changed nothing"

# ---- Trivy's SBOMs of the python image -----------------------------------------
line() {   # findings as "ID PACKAGE VERSION SOURCE SOURCE-VERSION", sorted
	jq -r '.findings[] | "\(.id) \(.package.name) \(.package.version) \(.matched.package) \(.matched.version)"' "$1" | sort
}
trivy=
[ -z "$docker" ] || trivy=$(scripts/get-trivy 2>"$T_ROOT/get-trivy.log") ||
	echo "no Trivy: $(tail -1 "$T_ROOT/get-trivy.log")" >"$T_ROOT/get-trivy.log"
if [ -z "$docker" ]; then
	skip "Trivy's SBOMs" "no python image"
elif [ -z "$trivy" ]; then
	skip "Trivy's SBOMs" "$(tail -1 "$T_ROOT/get-trivy.log")"
else
	export TRIVY_CACHE_DIR=$T_ROOT/trivy-cache
	for fmt in cyclonedx spdx-json; do
		d=$(t_dir "trivy-$fmt")
		if ! "$trivy" image --input "${docker#docker-archive:}" --format "$fmt" --skip-db-update \
			--offline-scan -q -o "$d/trivy.json" 2>"$d/trivy.err"; then
			fail "trivy image --format $fmt" "$(cat "$d/trivy.err")"
			continue
		fi
		scan "sbom:$d/trivy.json" "$d/scan.json" || continue
		check "Trivy's $fmt: the image's findings (id, package, version, source)" \
			diff <(line "$T_ROOT/python/image.json") <(line "$d/scan.json")
		jq -e '.findings[] | select(.id == "CVE-2023-29383" and .package.name == "login"
			and (.package.version | startswith("1:4.13")) and .matched.package == "shadow")' \
			"$d/scan.json" >/dev/null &&
			pass "Trivy's $fmt: login 1:4.13… (epoch put back) matched through shadow: CVE-2023-29383" ||
			fail "Trivy's $fmt: no CVE-2023-29383 for login 1:4.13…"
		jq -e '.findings[] | select(.id == "CVE-2010-4756" and .package.name == "libc6"
			and .matched.package == "glibc" and .matched.ecosystem == "Debian:12")' \
			"$d/scan.json" >/dev/null &&
			pass "Trivy's $fmt: libc6 matched through glibc on Debian:12 (OS 12.x): CVE-2010-4756" ||
			fail "Trivy's $fmt: no CVE-2010-4756 for libc6"
	done
fi

# ---- bad files -------------------------------------------------------------------
bad() {   # bad WHAT FILE: exit 3, one line naming the file
	q_run scan --db "$db" "sbom:$2"
	[ "$Q_RC" = 3 ] && q_error_line scan && grep -qF "$2" "$Q_ERR" &&
		pass "$1: exit 3, one line naming the file" ||
		fail "$1: exit $Q_RC" "$(cat "$Q_ERR")"
}
d=$(t_dir bad)
bad "no such file" "$d/none.json"
printf '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [' >"$d/cut.json"
bad "cut-off JSON" "$d/cut.json"
printf '{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": "\xff\xfe"}' >"$d/utf8.json"
bad "invalid UTF-8" "$d/utf8.json"
printf '{"schema": "quench-sbom/1"}' >"$d/native.json"
bad "neither CycloneDX nor SPDX" "$d/native.json"
printf '{"spdxVersion": "SPDX-2.3", "packages": {"a": 1}}' >"$d/types.json"
bad "packages not a list" "$d/types.json"
python3 -c 'print("[" * 100000 + "]" * 100000)' >"$d/deep.json" 2>/dev/null &&
	bad "100000 levels of nesting" "$d/deep.json"
printf '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [7, {"type": "library",
	"name": "x", "purl": "pkg:pypi/x@1", "properties": [{"name": "quench:owner", "value": "y"}]}]}' \
	>"$d/warn.json"
q_run scan --db "$db" --format json "sbom:$d/warn.json"
[ "$Q_RC" = 0 ] && grep -q "warn.json: components\[0\]: not an object" "$Q_ERR" &&
	grep -q "owner y is no package" "$Q_ERR" &&
	pass "broken components: warnings naming the file, the rest scanned" ||
	fail "broken components: exit $Q_RC" "$(cat "$Q_ERR")"
t_finish
