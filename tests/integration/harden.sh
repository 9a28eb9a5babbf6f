#!/bin/bash
# quench harden on the real python test image, from a real profile of
# `python3 -c 'import re; …'`:
#   - validation passes; the hardened image runs the workload with the same
#     output, runs the image's own cmd, has no shell, runs as 65532
#   - no setuid/setgid files, no device nodes; far fewer files and packages
#   - truthful metadata: the hardened image's SBOM (quench's and Trivy's)
#     lists exactly the packages that still have files; bash is gone
#   - the report sorts the source's findings: reachable (with the file that
#     made it so), present, removed
#   - scanned, it still shows the findings of what it ships (the distribution
#     stays identifiable) and none of what is gone
#   - reproducible: the same inputs give the same digest
#   - the seccomp profile (default deny) lets the workload run under podman
#     + runc, as the image's non-root user
#   - validation runs under the profile: a syscall the profile lacks fails it
#   - what the workload needs excluded: validation fails, exit 1, nothing
#     written; an RBOM of another image: exit 3
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap jq
t_require_quench
t_require_root

t_python_image
R=$T_ROOT/rbom.json
H=oci:$T_ROOT/hard:1
WL=(python3 -c 'import re; print(re.sub("o", "0", "ok"))')

q_ok "profile the workload" profile -o "$R" "$IMG" -- "${WL[@]}"
q_ok "db import (Debian OVAL)" db --db "$T_ROOT/vuln.db" import tests/data/advisories/debian-oval/*.xml.bz2
q_run harden --rbom "$R" --db "$T_ROOT/vuln.db" -o "$T_ROOT/report.json" "$IMG" "$H" -- "${WL[@]}"
[ "$Q_RC" = 0 ] && pass "harden: validated and written" || fail "harden: exit $Q_RC" "$(cat "$Q_ERR")"
[ -n "$(ls "$T_QCACHE/quench/rootfs" 2>/dev/null)" ] && [ ! -e "(null)" ] &&
	pass "the source is unpacked into quench's cache, nowhere else" ||
	fail "the unpacked source is not in the cache" "$(ls -d "$T_QCACHE"/quench/* "(null)" 2>&1)"
# The stage hard-links the files it takes as they are: what harden rewrites
# (passwd, group, dpkg's status) must be new files, the source untouched.
src_root=$(ls -d "$T_QCACHE"/quench/rootfs/*/rootfs | head -n1)
! grep -q 65532 "$src_root/etc/passwd" "$src_root/etc/group" &&
	grep -qx 'Package: bash' "$src_root/var/lib/dpkg/status" &&
	pass "the unpacked source is untouched (its passwd, group and dpkg status)" ||
	fail "harden wrote into the unpacked source" "$(grep 65532 "$src_root/etc/passwd")"
t_jq "the report: validation passed, nonroot, no shells or package managers" \
	'.validation == "passed" and .hardened.user == "65532:65532" and .hardened.shells == [] and .hardened.packageManagers == [] and .source.shells != []' "$T_ROOT/report.json"
t_jq "the report: fewer files and packages, no setuid file left" \
	'.hardened.files < .source.files / 5 and .hardened.packages < .source.packages and .source.setuidFiles > 0 and .hardened.setuidFiles == 0' "$T_ROOT/report.json"
t_jq "the report sorts every finding: reachable + present + removed = before, some removed" \
	'.findings | (.reachable + .present + .removed == .before) and .removed > 0 and .after == .reachable + .present' "$T_ROOT/report.json"
t_jq "… and names, for each finding left that is reachable, the file that made it so" \
	'[.findings.left[] | select(.class == "reachable")] | length > 0 and all(.evidence | test("^(executed|loaded|read) /"))' "$T_ROOT/report.json"
t_jq "… python3.11's CVE-2023-27043 is left, reachable (the interpreter ran)" \
	'.findings.left[] | select(.id == "CVE-2023-27043" and .package == "python3.11-minimal") | .class == "reachable"' "$T_ROOT/report.json"

q_run run "$H" -- "${WL[@]}"
[ "$Q_RC" = 0 ] && [ "$(cat "$Q_OUT")" = 0k ] && pass "the hardened image runs the workload, same output" ||
	fail "workload in the hardened image: exit $Q_RC" "$(cat "$Q_OUT" "$Q_ERR")"
q_run run "$H"
[ "$(cat "$Q_OUT")" = ok ] && pass "… and its own cmd (kept from the source's config)" || fail "cmd" "$(cat "$Q_ERR")"
q_run run "$H" -- sh -c true
[ "$Q_RC" = 127 ] && pass "no shell in the hardened image" || fail "sh: exit $Q_RC"
q_run run "$H" -- python3 -c 'import os; print(os.getuid(), os.getgid())'
[ "$(cat "$Q_OUT")" = "65532 65532" ] && pass "it runs as nonroot (65532)" || fail "uid" "$(cat "$Q_OUT" "$Q_ERR")"

q_ok "unpack the hardened image" unpack "$H" "$T_ROOT/tree"
n=$(find "$T_ROOT/tree" \( -perm -4000 -o -perm -2000 \) ! -type d | wc -l)
[ "$n" = 0 ] && pass "no setuid or setgid file" || fail "$n setuid/setgid files"
n=$(find "$T_ROOT/tree" \( -type b -o -type c -o -type p \) | wc -l)
[ "$n" = 0 ] && pass "no device node" || fail "$n device nodes"
[ "$(stat -c %a "$T_ROOT/tree/tmp")" = 1777 ] && pass "/tmp is 1777" || fail "/tmp mode $(stat -c %a "$T_ROOT/tree/tmp")"

"$QUENCH" sbom --format json "$H" 2>/dev/null >"$T_ROOT/sbom.json"
t_jq "truthful metadata: the SBOM lists libc6 and python3.11-minimal, not bash or apt" \
	'[.packages[].name] | (index("libc6") != null) and (index("python3.11-minimal") != null) and (index("bash") == null) and (index("apt") == null)' "$T_ROOT/sbom.json"
t_jq "… as many packages as the report says are left" \
	"(.packages | length) == $(jq .hardened.packages "$T_ROOT/report.json")" "$T_ROOT/sbom.json"
t_jq "… every package it lists still owns a file" '.packages | all(.n_files > 0)' "$T_ROOT/sbom.json"
"$QUENCH" scan --db "$T_ROOT/vuln.db" --format json "$H" 2>/dev/null >"$T_ROOT/scan.json"
t_jq "scanning the hardened image still finds what it ships: python3.11's CVE-2023-27043 (the distribution is known)" \
	'[.findings[] | select(.id == "CVE-2023-27043")] | length > 0' "$T_ROOT/scan.json"
t_jq "… and nothing of what is gone (util-linux's CVE-2022-0563)" \
	'[.findings[] | select(.id == "CVE-2022-0563")] | length == 0' "$T_ROOT/scan.json"
trivy=$(scripts/get-trivy 2>/dev/null) || trivy=
if [ -n "$trivy" ]; then
	"$QUENCH" copy "$H" "docker-archive:$T_ROOT/hard.tar:hard:1" >/dev/null
	TRIVY_CACHE_DIR=$T_ROOT/trivy "$trivy" image --input "$T_ROOT/hard.tar" --format cyclonedx \
		--skip-db-update --offline-scan -q -o "$T_ROOT/trivy.json" 2>/dev/null
	t_jq "Trivy sees the same truth: no bash, libc6 there" \
		'[.components[].name] | (index("bash") == null) and (index("libc6") != null)' "$T_ROOT/trivy.json"
fi

q_run harden --rbom "$R" -q "$IMG" "oci:$T_ROOT/hard2:1" -- "${WL[@]}"
d1=$("$QUENCH" inspect "$H" | jq -r .digest)
d2=$("$QUENCH" inspect "oci:$T_ROOT/hard2:1" | jq -r .digest)
[ "$d1" = "$d2" ] && pass "reproducible: the same digest twice ($d1)" || fail "digests differ: $d1 $d2"
t_jq "labels: the source's digest and the seccomp profile's" \
	".config.labels[\"org.opencontainers.image.base.digest\"] == \"$("$QUENCH" inspect "$IMG" | jq -r .digest)\" and (.config.labels[\"dev.quench.seccomp.digest\"] | startswith(\"sha256:\"))" \
	<("$QUENCH" inspect "$H")

P=$T_ROOT/hard.seccomp.json
t_jq "the seccomp profile: default deny, the workload's syscalls allowed" \
	'.defaultAction == "SCMP_ACT_ERRNO" and (.syscalls[0].names | (index("execve") != null) and (index("openat") != null) and (index("mount") == null))' "$P"
if command -v podman >/dev/null && command -v runc >/dev/null; then
	printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$T_ROOT/containers.conf"
	export CONTAINERS_CONF=$T_ROOT/containers.conf
	"$QUENCH" copy "$H" "docker-archive:$T_ROOT/podman.tar:localhost/quench-harden-test:1" >/dev/null
	if podman load -q -i "$T_ROOT/podman.tar" >/dev/null 2>&1; then
		out=$(podman run --rm --runtime runc --network none --security-opt "seccomp=$P" \
			localhost/quench-harden-test:1 "${WL[@]}" 2>&1)
		[ "$out" = 0k ] && pass "podman + runc run it under the seccomp profile" || fail "podman" "$out"
		podman rmi -f localhost/quench-harden-test:1 >/dev/null 2>&1
	else
		skip "podman run" "podman cannot load images here"
	fi
fi

t_jq "the profiled workload made no mkdir" '[.syscalls[].name] | index("mkdir") == null and index("mkdirat") == null' "$R"
q_run harden --rbom "$R" "$IMG" "oci:$T_ROOT/sc:1" -- python3 -c 'import os; os.mkdir("/tmp/d"); print("made")'
[ "$Q_RC" = 1 ] && grep -q "does not behave as the source" "$Q_ERR" && grep -q "Operation not permitted" "$Q_ERR" &&
	[ ! -e "$T_ROOT/sc" ] && pass "validation runs under the seccomp profile: a mkdir it never allowed fails it" ||
	fail "seccomp in validation: exit $Q_RC" "$(cat "$Q_ERR")"
q_run harden --rbom "$R" --exclude 'usr/lib/python3.11/re/*' "$IMG" "oci:$T_ROOT/broken:1" -- "${WL[@]}"
[ "$Q_RC" = 1 ] && grep -q "does not behave as the source" "$Q_ERR" && [ ! -e "$T_ROOT/broken" ] &&
	pass "a hardened tree that breaks the workload: exit 1, nothing written" ||
	fail "broken harden: exit $Q_RC" "$(cat "$Q_ERR")"
jq '.image.manifestDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"' "$R" >"$T_ROOT/other.json"
q_run harden --rbom "$T_ROOT/other.json" "$IMG" "oci:$T_ROOT/other:1"
[ "$Q_RC" = 3 ] && grep -q "the RBOM profiles image" "$Q_ERR" && pass "an RBOM of another image: exit 3" ||
	fail "other RBOM: exit $Q_RC" "$(cat "$Q_ERR")"
t_finish
