#!/bin/bash
# quench harden on a test image's own workload (torch-cpu by default:
# python3 /app/infer.py): size before and after, and against the bytes of
# the files the workload used; open findings before and after (advisories
# from BENCH_ADVISORIES, default tests/data/advisories' Debian OVAL); the
# time to build the hardened image (--no-validate: the build alone) against
# `umoci repack` of the same tree into an image. Targets: within 10% of the
# used bytes; >= 3x faster than umoci.
source "$(dirname "$0")/lib.sh"
command -v umoci >/dev/null || { echo "bench: umoci is needed" >&2; exit 77; }
img=$(bench_image)
data=${BENCH_ADVISORIES:-tests/data/advisories/debian-oval/oval-definitions-bookworm-2023-07-15.xml.bz2}
export XDG_CACHE_HOME=$WORK/cache
"$QUENCH" profile -q -o "$WORK/rbom.json" "$img" >/dev/null
"$QUENCH" db -q --db "$WORK/vuln.db" import "$data"

export img QUENCH WORK
harden_cmd() {
	rm -rf "$WORK/hard" "$WORK/hard.seccomp.json"
	"$QUENCH" harden -q --no-validate --rbom "$WORK/rbom.json" -o "$WORK/report.json" "$img" "oci:$WORK/hard:1"
}
export -f harden_cmd
t=$(best_of "${RUNS:-3}" bash -c harden_cmd)

# umoci: the same tree, repacked as an image
umoci init --layout "$WORK/u" >/dev/null && umoci new --image "$WORK/u:x" >/dev/null
umoci unpack --image "$WORK/u:x" "$WORK/bundle" >/dev/null
rm -rf "$WORK/bundle/rootfs"
"$QUENCH" unpack -q "oci:$WORK/hard:1" "$WORK/bundle/rootfs"
umoci_cmd() { umoci repack --image "$WORK/u:x" "$WORK/bundle"; }
export -f umoci_cmd
u=$(best_of "${RUNS:-3}" bash -c umoci_cmd)

# the bytes of the regular files the workload used, in the unpacked source
root=$(find "$("$QUENCH" cache dir)/rootfs" -mindepth 1 -maxdepth 1 -type d | head -n1)/rootfs
used=$(jq -r '.files[] | select(.uses | index("missing") | not) | .path' "$WORK/rbom.json" |
	while read -r p; do
		if [ -f "$root$p" ] && [ ! -L "$root$p" ]; then stat -c %s "$root$p"; fi
	done | awk '{ s += $1 } END { print s + 0 }')
before=$("$QUENCH" scan --db "$WORK/vuln.db" --max-db-age 0 --format json "$img" | jq '.findings | length')
after=$("$QUENCH" scan --db "$WORK/vuln.db" --max-db-age 0 --format json "oci:$WORK/hard:1" | jq '.findings | length')
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
src=$(jq .source.bytes "$WORK/report.json") hard=$(jq .hardened.bytes "$WORK/report.json")
echo "image: $img"
printf '  %-34s %s\n' "size (files) before" "$(mib "$src") ($(jq .source.files "$WORK/report.json"))" \
	"size (files) after" "$(mib "$hard") ($(jq .hardened.files "$WORK/report.json"))" \
	"used by the workload (RBOM)" "$(mib "$used")" \
	"after / used" "$(ratio "$hard" "$used")x (target <= 1.10)" \
	"findings before -> after" "$before -> $after ($(awk -v a="$before" -v b="$after" 'BEGIN { if (a) printf "%.0f%% fewer", 100 * (a - b) / a }'))" \
	"quench harden (build, no validation)" "${t}s" \
	"umoci repack of the same tree" "${u}s" \
	"umoci / quench" "$(ratio "$u" "$t")x (target >= 3)"
