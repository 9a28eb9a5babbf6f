#!/bin/bash
# quench sbom on real images (scripts/mkimage), measured against Trivy:
#   - every (package, version) Trivy finds in the image's docker-archive is
#     in ours, and what we find beyond it is listed
#   - the CycloneDX and SPDX documents validate against the official schemas
#     (tests/data/schemas), and `trivy sbom` reads our CycloneDX
#   - the same image gives byte-identical SBOMs, whatever its transport
#   - hostile package databases give warnings naming the file, and a valid
#     SBOM of what could be read
# torch-cpu only with QUENCH_TEST_TORCH=1 (~1.2 GB).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq python3 mmdebstrap
t_require_quench
t_require_root

trivy=$(scripts/get-trivy 2>"$T_ROOT/get-trivy.log") || trivy=
[ -n "$trivy" ] || echo "sbom: no Trivy ($(tail -1 "$T_ROOT/get-trivy.log")): comparisons skipped"
export TRIVY_CACHE_DIR=$T_ROOT/trivy-cache

validate() {   # validate SCHEMA FILE
	python3 tests/unit/validate_schema.py "tests/data/schemas/$1" "$2"
}

trivy_image() {   # trivy_image DOCKER_ARCHIVE OUT
	"$trivy" image --input "$1" --format cyclonedx --skip-db-update --offline-scan \
		-q -o "$2"
}

image_case() {
	local name=$1 refs oci docker d
	refs=$(scripts/mkimage "$name" 2>"$T_ROOT/mkimage-$name.log") ||
		{ fail "$name: build the image" "$(tail -5 "$T_ROOT/mkimage-$name.log")"; return; }
	oci=$(sed -n 1p <<<"$refs")
	docker=$(sed -n 2p <<<"$refs")   # docker-archive:FILE
	d=$(t_dir "$name")
	q_run sbom --format cyclonedx -o "$d/ours.cdx.json" "$oci"
	[ "$Q_RC" = 0 ] || { fail "$name: sbom exit $Q_RC" "$(cat "$Q_ERR")"; return; }
	pass "$name: sbom (cyclonedx)"
	check "$name: CycloneDX validates against bom-1.6.schema.json" \
		validate bom-1.6.schema.json "$d/ours.cdx.json"
	q_run sbom --format spdx -o "$d/ours.spdx.json" "$oci"
	[ "$Q_RC" = 0 ] && check "$name: SPDX validates against spdx-2.3.schema.json" \
		validate spdx-2.3.schema.json "$d/ours.spdx.json" ||
		fail "$name: sbom --format spdx exit $Q_RC" "$(cat "$Q_ERR")"
	q_run sbom --format cyclonedx -o "$d/again.cdx.json" "$oci"
	check "$name: a second run is byte-identical" cmp "$d/ours.cdx.json" "$d/again.cdx.json"
	q_run sbom --format cyclonedx -o "$d/docker.cdx.json" "$docker"
	check "$name: the docker-archive gives the same packages" \
		diff <(jq -c '[.components[] | .purl]' "$d/ours.cdx.json") \
		<(jq -c '[.components[] | .purl]' "$d/docker.cdx.json")
	local n
	n=$(jq '[.components[] | select(.type == "library")] | length' "$d/ours.cdx.json")
	[ "$n" -gt 0 ] && pass "$name: $n packages" || fail "$name: no packages found"
	[ -n "$trivy" ] || return
	if trivy_image "${docker#docker-archive:}" "$d/trivy.cdx.json" 2>"$d/trivy.err"; then
		check "$name: every package Trivy finds is ours too" \
			python3 tests/integration/sbom_compare.py "$d/trivy.cdx.json" "$d/ours.cdx.json"
		python3 tests/integration/sbom_compare.py "$d/trivy.cdx.json" "$d/ours.cdx.json" |
			tail -1 | sed "s/^/     $name: /"
	else
		fail "$name: trivy image" "$(cat "$d/trivy.err")"
	fi
	# This Trivy build predates CycloneDX 1.6 and 1.5's tools object: it
	# reads our document with only those two things said the old way.
	jq '.specVersion = "1.5" | .metadata.tools = [.metadata.tools.components[] |
		{vendor: .name, name, version}]' "$d/ours.cdx.json" >"$d/ours-1.5.cdx.json"
	if "$trivy" sbom --skip-db-update --offline-scan --list-all-pkgs --format json \
		-o "$d/trivy-read.json" "$d/ours-1.5.cdx.json" 2>"$d/trivy-read.err"; then
		local got want
		got=$(jq '[.Results[]? | .Packages[]?] | length' "$d/trivy-read.json")
		want=$(jq '[.components[] | select(.type == "library" and
			(.purl // "" | test("^pkg:(deb|apk|rpm)/")))] | length' "$d/ours.cdx.json")
		[ "$got" -ge "$want" ] && pass "$name: trivy sbom reads our CycloneDX ($got packages)" ||
			fail "$name: trivy sbom read $got packages, fewer than our $want OS packages"
	else
		fail "$name: trivy sbom refuses our CycloneDX" "$(tail -5 "$d/trivy-read.err")"
	fi
}

# trivy sbom insists on a vulnerability database; an empty one (bbolt
# makes a fresh file of an empty one) is enough to read an SBOM offline.
trivy_empty_db() {
	mkdir -p "$TRIVY_CACHE_DIR/db"
	: >"$TRIVY_CACHE_DIR/db/trivy.db"
	printf '{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","DownloadedAt":"2026-01-01T00:00:00Z"}\n' \
		>"$TRIVY_CACHE_DIR/db/metadata.json"
}

# A root filesystem whose package databases are broken in every way we
# could think of, made into an image with quench import.
hostile_case() {
	local r d
	d=$(t_dir hostile)
	r=$d/rootfs
	mkdir -p "$r/etc" "$r/var/lib/dpkg/info" "$r/usr/lib/python3/dist-packages/bad-1.0.dist-info" \
		"$r/usr/lib/python3/dist-packages/big-1.0.dist-info" "$r/lib/apk/db" \
		"$r/usr/lib/node_modules/evil"
	printf 'ID=debian\nVERSION_ID="12\nPRETTY_NAME=\xff\xfe\n' >"$r/etc/os-release"
	{
		printf 'Package: a\nStatus: install ok installed\nVersion: 1.0\nDepends: b\n\n'
		printf 'Package: b\nStatus: install ok installed\nVersion: 2.0\nDepends: a, a | b\n\n'
		printf 'Package: \xc3\x28bad-utf8\nStatus: install ok installed\nVersion: 1\n\n'
		printf 'Package: noversion\nStatus: install ok installed\n\n'
		head -c 4096 /dev/urandom
		printf '\nPackage: trunc\nStatus: install ok inst'
	} >"$r/var/lib/dpkg/status"
	printf '/etc/passwd\n../../etc/shadow\n\n' >"$r/var/lib/dpkg/info/a.list"
	head -c 65536 /dev/urandom >"$r/usr/lib/python3/dist-packages/bad-1.0.dist-info/METADATA"
	printf 'Metadata-Version: 2.1\nName: big\nVersion: 1.0\n' \
		>"$r/usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA"
	yes 'big/x.py,sha256=AAAA,1' | head -c $((100 << 20)) \
		>"$r/usr/lib/python3/dist-packages/big-1.0.dist-info/RECORD"
	printf 'P:musl\nV:1.2\n\nP:\nV:\n\x00\x01garbage' >"$r/lib/apk/db/installed"
	printf '{"name": "evil", "version": [1], "dependencies": {"evil": "*"}' \
		>"$r/usr/lib/node_modules/evil/package.json"
	q_run import "$r" "oci:$d/img:latest"
	[ "$Q_RC" = 0 ] || { fail "hostile: import" "$(cat "$Q_ERR")"; return; }
	q_run --limits sbom --format cyclonedx -o "$d/out.json" "oci:$d/img:latest"
	[ "$Q_RC" = 0 ] || { fail "hostile: sbom exit $Q_RC" "$(cat "$Q_ERR")"; return; }
	pass "hostile: sbom succeeds"
	local f
	for f in var/lib/dpkg/status bad-1.0.dist-info/METADATA big-1.0.dist-info/RECORD \
		lib/apk/db/installed evil/package.json; do
		grep -q "$f" "$Q_ERR" && pass "hostile: a warning names $f" ||
			fail "hostile: no warning names $f" "$(head -20 "$Q_ERR")"
	done
	check "hostile: the SBOM validates" validate bom-1.6.schema.json "$d/out.json"
	for p in a b big musl; do
		jq -e --arg p "$p" '.components[] | select(.name == $p)' "$d/out.json" >/dev/null &&
			pass "hostile: '$p' is still listed" || fail "hostile: '$p' is missing"
	done
}

[ -z "$trivy" ] || trivy_empty_db
image_case python
image_case layered
if [ -n "${QUENCH_TEST_TORCH:-}" ]; then
	image_case torch-cpu
else
	skip torch-cpu "set QUENCH_TEST_TORCH=1 (downloads ~300 MB, builds ~1.2 GB)"
fi
hostile_case
t_finish
