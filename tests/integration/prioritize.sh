#!/bin/bash
# quench scan --rbom: findings of the real python test image (Debian OVAL
# data) sorted by what its workload reaches, from a real profile:
#   - python3.11-minimal's CVE-2023-27043 is reachable (the workload executed
#     /usr/bin/python3.11); libc6's CVEs reachable (its loader executed);
#     util-linux's CVE-2022-0563 present (nothing of it used)
#   - the table has a CLASS column and counts per class; reachable first
#   - --format openvex validates against the OpenVEX 0.2.0 schema: reachable
#     → affected (with an action), present → not_affected,
#     vulnerable_code_not_in_execute_path; without a profile,
#     under_investigation
#   - that VEX given back to quench scan --vex suppresses what is present
#   - SARIF and CycloneDX carry the class; an RBOM of another image: exit 3
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap jq
t_require_quench
t_require_root

t_python_image
db=$T_ROOT/vuln.db
R=$T_ROOT/rbom.json
J=$T_ROOT/scan.json

q_ok "db import (Debian OVAL)" db --db "$db" import tests/data/advisories/debian-oval/*.xml.bz2
q_ok "profile: python3 prints" profile -o "$R" "$IMG" -- python3 -c 'print("ok")'
q_run scan --db "$db" --rbom "$R" --format json -o "$J" "$IMG"
[ "$Q_RC" = 0 ] && pass "scan --rbom" || fail "scan --rbom: exit $Q_RC" "$(cat "$Q_ERR")"
t_jq "python3.11's CVE-2023-27043: reachable, executed" \
	'.findings[] | select(.id == "CVE-2023-27043" and .package.name == "python3.11-minimal") | .reachability == {"class": "reachable", "evidence": "executed /usr/bin/python3.11"}' "$J"
t_jq "libc6's findings: reachable (its loader executed, libc.so.6 loaded)" \
	'[.findings[] | select(.package.name == "libc6")] | length > 0 and all(.reachability.class == "reachable" and (.reachability.evidence | test("^(executed .*/ld-linux-x86-64.so.2|loaded .*/libc.so.6)$")))' "$J"
t_jq "util-linux's CVE-2022-0563: present (nothing of it used)" \
	'[.findings[] | select(.id == "CVE-2022-0563")] | length > 0 and all(.reachability.class == "present" and (.reachability | has("evidence") | not))' "$J"
t_jq "reachable findings come first" \
	'[.findings[].reachability.class] | . as $c | ($c | index("present")) as $p | ($p == null) or ($c[$p:] | all(. == "present"))' "$J"

q_run scan --db "$db" --rbom "$R" --format table "$IMG"
head -1 "$Q_OUT" | grep -q "^CLASS  *SEVERITY" && grep -qE "^[0-9]+ reachable: " "$Q_OUT" && grep -qE "^[0-9]+ present: " "$Q_OUT" &&
	pass "table: a CLASS column and counts per class" || fail "table" "$(head -3 "$Q_OUT"; tail -5 "$Q_OUT")"

V=$T_ROOT/vex.json
q_run scan --db "$db" --rbom "$R" --format openvex -o "$V" "$IMG"
[ "$Q_RC" = 0 ] && pass "--format openvex" || fail "openvex: exit $Q_RC" "$(cat "$Q_ERR")"
if python3 -c 'import jsonschema' 2>/dev/null; then
	check "the OpenVEX document is valid OpenVEX 0.2.0" \
		python3 tests/unit/validate_schema.py tests/data/schemas/openvex-0.2.0.schema.json "$V"
fi
t_jq "reachable → affected, with an action" \
	'.statements[] | select(.vulnerability.name == "CVE-2023-27043" and (.products[0].subcomponents[0]["@id"] | test("python3.11-minimal"))) | .status == "affected" and (.action_statement | length > 0)' "$V"
t_jq "present → not_affected, vulnerable_code_not_in_execute_path" \
	'[.statements[] | select(.vulnerability.name == "CVE-2022-0563")] | length > 0 and all(.status == "not_affected" and .justification == "vulnerable_code_not_in_execute_path")' "$V"
t_jq "the product is the image by its digest" \
	".statements | all(.products[0][\"@id\"] | test(\"^pkg:oci/[a-z0-9._-]+@sha256%3A[0-9a-f]{64}$\"))" "$V"
q_run scan --db "$db" --format openvex -o "$T_ROOT/vex0.json" "$IMG"
t_jq "without a profile: under_investigation" '.statements | all(.status == "under_investigation")' "$T_ROOT/vex0.json"

q_run scan --db "$db" --vex "$V" --format json "$IMG"
t_jq "the VEX given back suppresses what is present" \
	'([.suppressed[] | select(.id == "CVE-2022-0563")] | length > 0) and ([.findings[] | select(.id == "CVE-2022-0563")] | length == 0)' "$Q_OUT"
t_jq "… and keeps what is reachable" '.findings[] | select(.id == "CVE-2023-27043") | .vex.status == "affected"' "$Q_OUT"

q_run scan --db "$db" --rbom "$R" --format sarif "$IMG"
t_jq "SARIF: reachability in the results' properties" \
	'.runs[0].results[] | select(.ruleId == "CVE-2023-27043") | .properties.reachability == "reachable"' "$Q_OUT"
q_run scan --db "$db" --rbom "$R" --format cyclonedx "$IMG"
t_jq "CycloneDX: quench:present names the components" \
	'.vulnerabilities[] | select(.id == "CVE-2022-0563") | [.properties[] | select(.name == "quench:present")] | length > 0' "$Q_OUT"

jq '.image.manifestDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"' "$R" >"$T_ROOT/other.json"
q_run scan --db "$db" --rbom "$T_ROOT/other.json" "$IMG"
[ "$Q_RC" = 3 ] && grep -q "the RBOM profiles image sha256:0000" "$Q_ERR" &&
	pass "an RBOM of another image: exit 3, said" || fail "other image's RBOM: exit $Q_RC" "$(cat "$Q_ERR")"
t_finish
