#!/bin/bash
# quench harden --debug-variant on the real python test image:
#   - DEST2 is DEST plus exactly one layer: DEST's layer shared (same
#     digest, same diff_id), then /busybox/busybox and its applets
#   - skopeo and umoci read it; the unpacked tree has /busybox/sh -> busybox
#   - its config: DEST's user, entrypoint, cmd and labels, PATH ending in
#     /busybox, the label dev.quench.debug-variant=true, one more history entry
#   - `/busybox/sh -c 'ls /usr/bin && id -u'` runs in it, as 65532; DEST
#     still has no shell
#   - the report names it (debugVariant: image, manifestDigest)
#   - a dynamically linked --debug-tools: exit 3, one line naming it, nothing
#     written (neither DEST nor DEST2)
#   - reproducible: the same inputs give the same DEST2 digest, and
#     SOURCE_DATE_EPOCH sets the tools layer's times as it does DEST's
#   - podman + runc run the debug variant's shell
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require python3 mmdebstrap jq
t_require_quench
t_require_root

# the toolset: busybox from PATH (busybox-static), statically linked
BB=$(command -v busybox) || t_skip_all "no busybox on PATH (scripts/install-deps installs busybox-static)"
file -L "$BB" | grep -q 'statically linked' || t_skip_all "$BB is not statically linked (install busybox-static)"

t_python_image
R=$T_ROOT/rbom.json
H=oci:$T_ROOT/hard:1
D=oci:$T_ROOT/debug:1
WL=(python3 -c 'import re; print(re.sub("o", "0", "ok"))')

q_ok "profile the workload" profile -o "$R" "$IMG" -- "${WL[@]}"
q_run harden --rbom "$R" --debug-variant "$D" -o "$T_ROOT/report.json" "$IMG" "$H" -- "${WL[@]}"
[ "$Q_RC" = 0 ] && pass "harden --debug-variant: validated, both written" ||
	fail "harden --debug-variant: exit $Q_RC" "$(cat "$Q_ERR")"
grep -q "debug variant (with /busybox): $D sha256:" "$Q_ERR" && pass "the summary names the debug variant" ||
	fail "summary" "$(cat "$Q_ERR")"

"$QUENCH" inspect "$H" >"$T_ROOT/h.json"
"$QUENCH" inspect "$D" >"$T_ROOT/d.json"
t_jq "the report names the debug variant and its digest" \
	".debugVariant.image == \"$D\" and .debugVariant.manifestDigest == \"$(jq -r .digest "$T_ROOT/d.json")\" and .hardened.manifestDigest == \"$(jq -r .digest "$T_ROOT/h.json")\"" \
	"$T_ROOT/report.json"
hl=$(jq -c '[.layers[].digest]' "$T_ROOT/h.json")
dl=$(jq -c '[.layers[].digest]' "$T_ROOT/d.json")
[ "$(jq length <<<"$hl")" = 1 ] && [ "$(jq length <<<"$dl")" = 2 ] && [ "$(jq -c '.[:1]' <<<"$dl")" = "$hl" ] &&
	pass "DEST2 has exactly one more layer and shares DEST's layer ($(jq -r '.[0]' <<<"$hl"))" ||
	fail "layers" "DEST $hl DEST2 $dl"
hd=$(jq -r '.layers[0].diffID' "$T_ROOT/h.json")
dd=$(jq -r '.layers[0].diffID' "$T_ROOT/d.json")
[ -n "$hd" ] && [ "$hd" = "$dd" ] && pass "… and its diff_id" || fail "diff_ids: $hd $dd"

t_jq "config: DEST's user, entrypoint, cmd; DEST's labels plus dev.quench.debug-variant=true" \
	"(.config.user == $(jq .config.user "$T_ROOT/h.json")) and (.config.user == \"65532:65532\") and
	 (.config.entrypoint == $(jq -c .config.entrypoint "$T_ROOT/h.json")) and (.config.cmd == $(jq -c .config.cmd "$T_ROOT/h.json")) and
	 (.config.labels == ($(jq -c .config.labels "$T_ROOT/h.json") + {\"dev.quench.debug-variant\": \"true\"}))" "$T_ROOT/d.json"
t_jq "config: PATH is DEST's with /busybox last" \
	"[.config.env[] | select(startswith(\"PATH=\"))] == [$(jq '.config.env[] | select(startswith("PATH="))' "$T_ROOT/h.json") + \":/busybox\"]" "$T_ROOT/d.json"
t_jq "config: one more history entry, for the tools layer" \
	"(.history | length) == $(jq '.history | length' "$T_ROOT/h.json") + 1 and (.history[-1].createdBy | test(\"debug-variant\"))" \
	"$T_ROOT/d.json"

if command -v skopeo >/dev/null; then
	skopeo inspect --raw "$D" >"$T_ROOT/skopeo-raw.json" 2>"$T_ROOT/skopeo.err" &&
		skopeo inspect "$D" >"$T_ROOT/skopeo.json" 2>>"$T_ROOT/skopeo.err"
	t_jq "skopeo reads DEST2: two layers, the debug label" \
		'(.Layers | length) == 2 and .Labels["dev.quench.debug-variant"] == "true"' "$T_ROOT/skopeo.json"
fi
if command -v umoci >/dev/null; then
	if umoci unpack --rootless --image "${D#oci:}" "$T_ROOT/umoci" >"$T_ROOT/umoci.log" 2>&1; then
		B=$T_ROOT/umoci/rootfs/busybox
		[ -f "$B/busybox" ] && [ -x "$B/busybox" ] && [ "$(readlink "$B/sh")" = busybox ] &&
			[ "$(readlink "$B/ls")" = busybox ] && [ "$(readlink "$B/wget")" = busybox ] &&
			cmp -s "$B/busybox" "$BB" && [ -f "$T_ROOT/umoci/rootfs/usr/bin/python3.11" ] &&
			pass "umoci unpacks DEST2: /busybox/busybox (the host's), sh, ls, wget -> busybox, python there" ||
			fail "umoci tree" "$(ls -la "$B" 2>&1 | head -5)"
		n=$(find "$B" -maxdepth 1 -type l | wc -l)
		a=$("$BB" --list | grep -cvx busybox)
		[ "$n" = "$a" ] && [ "$n" -gt 200 ] && pass "one symlink per applet ($n)" || fail "$n symlinks, $a applets"
	else
		fail "umoci unpack" "$(cat "$T_ROOT/umoci.log")"
	fi
fi

q_run run "$D" -- /busybox/sh -c 'ls /usr/bin && id -u'
[ "$Q_RC" = 0 ] && grep -qx python3.11 "$Q_OUT" && [ "$(tail -1 "$Q_OUT")" = 65532 ] &&
	pass "the debug variant runs /busybox/sh -c 'ls /usr/bin && id -u', as 65532" ||
	fail "shell in the debug variant: exit $Q_RC" "$(cat "$Q_OUT" "$Q_ERR")"
q_run run "$D" -- sh -c 'echo "$PATH"'
[ "$Q_RC" = 0 ] && grep -q ':/busybox$' "$Q_OUT" && pass "… sh is found on PATH there (PATH ends in /busybox)" ||
	fail "sh on PATH: exit $Q_RC" "$(cat "$Q_OUT" "$Q_ERR")"
q_run run "$D" -- "${WL[@]}"
[ "$Q_RC" = 0 ] && [ "$(cat "$Q_OUT")" = 0k ] && pass "… and still runs the workload" ||
	fail "workload in the debug variant: exit $Q_RC" "$(cat "$Q_OUT" "$Q_ERR")"
q_run run "$H" -- sh -c true
[ "$Q_RC" = 127 ] && pass "DEST still has no shell" || fail "sh in DEST: exit $Q_RC"
q_run run "$H" -- /busybox/sh -c true
[ "$Q_RC" = 127 ] && pass "… nor /busybox" || fail "/busybox/sh in DEST: exit $Q_RC"

# the same inputs, the same digests; SOURCE_DATE_EPOCH moves both
q_run harden --rbom "$R" -q --debug-variant "oci:$T_ROOT/debug2:1" "$IMG" "oci:$T_ROOT/hard2:1" -- "${WL[@]}"
d2=$("$QUENCH" inspect "oci:$T_ROOT/debug2:1" | jq -r .digest)
[ "$Q_RC" = 0 ] && [ "$(jq -r .digest "$T_ROOT/d.json")" = "$d2" ] &&
	pass "reproducible: the same DEST2 digest twice ($d2)" || fail "DEST2 digests differ: $(jq -r .digest "$T_ROOT/d.json") $d2"
SOURCE_DATE_EPOCH=1700000000 q_run harden --rbom "$R" -q --debug-variant "docker-archive:$T_ROOT/debug3.tar:d:3" \
	"$IMG" "oci:$T_ROOT/hard3:1" -- "${WL[@]}"
mkdir -p "$T_ROOT/d3" && tar -xf "$T_ROOT/debug3.tar" -C "$T_ROOT/d3" 2>/dev/null
top=$(jq -r '.[0].Layers[1]' "$T_ROOT/d3/manifest.json" 2>/dev/null)
first=$(jq -r '.[0].Layers[0]' "$T_ROOT/d3/manifest.json" 2>/dev/null)
m=$(tar -tvf "$T_ROOT/d3/$top" 2>/dev/null | awk '{print $4}' | sort -u)
[ "$Q_RC" = 0 ] && [ "$m" = 2023-11-14 ] &&
	[ "$(sha256sum <"$T_ROOT/d3/$first" | cut -d' ' -f1)" = "$("$QUENCH" inspect "oci:$T_ROOT/hard3:1" | jq -r '.layers[0].digest | ltrimstr("sha256:")')" ] &&
	pass "SOURCE_DATE_EPOCH: the tools layer's times follow it; a docker-archive DEST2 holds DEST's layer blob" ||
	fail "SOURCE_DATE_EPOCH / docker-archive: exit $Q_RC, times '$m'" "$(cat "$Q_ERR")"

# a dynamically linked toolset is refused before anything is written
dyn=$(readlink -f /bin/ls)
file -L "$dyn" | grep -q 'dynamically linked' || fail "$dyn is not dynamically linked"
q_run harden --rbom "$R" --debug-variant "oci:$T_ROOT/dyn-debug:1" --debug-tools "$dyn" "$IMG" "oci:$T_ROOT/dyn:1" -- "${WL[@]}"
[ "$Q_RC" = 3 ] && q_error_line harden && grep -q "$dyn" "$Q_ERR" && grep -q "not a statically linked ELF" "$Q_ERR" &&
	[ ! -e "$T_ROOT/dyn-debug" ] && [ ! -e "$T_ROOT/dyn" ] &&
	pass "a dynamic --debug-tools: exit 3, one line naming it, nothing written" ||
	fail "dynamic tools: exit $Q_RC" "$(cat "$Q_ERR"; ls -d "$T_ROOT"/dyn* 2>&1)"
q_run harden --rbom "$R" --debug-variant "oci:$T_ROOT/txt-debug:1" --debug-tools "$T_TOP/README.md" "$IMG" "oci:$T_ROOT/txt:1" -- "${WL[@]}"
[ "$Q_RC" = 3 ] && q_error_line harden && grep -q "README.md' is not an ELF file" "$Q_ERR" && [ ! -e "$T_ROOT/txt-debug" ] &&
	pass "a --debug-tools that is no ELF: exit 3, nothing written" || fail "text tools: exit $Q_RC" "$(cat "$Q_ERR")"
q_run harden --rbom "$R" --debug-tools "$BB" "$IMG" "oci:$T_ROOT/x:1"
[ "$Q_RC" = 2 ] && pass "--debug-tools without --debug-variant: usage error" || fail "usage: exit $Q_RC"

if command -v podman >/dev/null && command -v runc >/dev/null; then
	t_podman_conf
	"$QUENCH" copy "$D" "docker-archive:$T_ROOT/podman.tar:localhost/quench-harden-debug-test:1" >/dev/null
	if podman load -q -i "$T_ROOT/podman.tar" >/dev/null 2>&1; then
		out=$(podman run --rm --runtime runc --network none --entrypoint /busybox/sh \
			localhost/quench-harden-debug-test:1 -c 'ls /busybox/wget && id -u' 2>&1)
		[ "$out" = "$(printf '/busybox/wget\n65532')" ] && pass "podman + runc run the debug variant's shell, as 65532" ||
			fail "podman" "$out"
		podman rmi -f localhost/quench-harden-debug-test:1 >/dev/null 2>&1
	else
		skip "podman run" "podman cannot load images here"
	fi
fi
t_finish
