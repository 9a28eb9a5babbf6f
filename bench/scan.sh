#!/bin/bash
# quench db import and quench scan, timed; Trivy's vulnerability scan of the
# same docker-archive beside it.
#
#   BENCH_ADVISORIES=DIR  advisory data to import: every OSV directory, tracker
#                         JSON, DSA list, OVAL file and Alpine secdb under DIR
#                         (default tests/data/advisories; point it at a full
#                         download for real numbers)
#   BENCH_IMAGE=NAME      the test image (torch-cpu by default)
#
# Import: seconds and records (advisories + affected rows) per second, per
# source. Scan: cold (no layer-scan cache) and warm; target: an image of ~500
# packages scanned in under 200 ms once the database exists. Trivy has no
# database offline here; it runs on an empty one, so its time is a lower bound
# of its scan (package analysis and lookups, no matching work).
source "$(dirname "$0")/lib.sh"
data=${BENCH_ADVISORIES:-tests/data/advisories}
archive=$(scripts/mkimage "$BENCH_IMAGE" | sed -n 2p)
archive=${archive#docker-archive:}
runs=${RUNS:-3}
export XDG_CACHE_HOME=$WORK/cache
db=$WORK/vuln.db

# The importable things under $data, one per top-level entry: a tree of OSV
# records (PYSEC-…, GO-…, ELA-… files anywhere below) is one source; any
# other directory gives its files.
sources() {
	local d
	for d in "$data"/*; do
		if [ -f "$d" ]; then
			echo "$d"
		elif find "$d" -type f -regextype egrep \
			-regex '.*/(GO|PYSEC|ELA|GHSA|DSA|DLA|CVE|OSV)-[^/]*\.(json|yaml)' | grep . >/dev/null; then
			echo "$d"
		else
			find "$d" -type f \( -name '*.json' -o -name '*.xml*' -o -name '*list*' \) | sort
		fi
	done
}

echo "import ($data):"
total_records=0 total_time=0
while read -r src; do
	/usr/bin/time -f %e -o "$WORK/time" "$QUENCH" db --db "$db" import "$src" >"$WORK/out" 2>&1 ||
		{ echo "  $src: import failed: $(tail -n1 "$WORK/out")"; continue; }
	t=$(tail -n1 "$WORK/time")
	n=$(sed -nE 's/.*: ([0-9]+) advisories, ([0-9]+) affected rows.*/\1 \2/p' "$WORK/out" |
		awk '{ s += $1 + $2 } END { print s + 0 }')
	total_records=$((total_records + n)) total_time=$(awk -v a="$total_time" -v b="$t" 'BEGIN { print a + b }')
	printf '  %-60s %8s records %7ss %9s records/s\n' "${src#"$data"/}" "$n" "$t" "$(ratio "$n" "$t")"
done < <(sources)
printf '  %-60s %8s records %7ss %9s records/s\n' "all" "$total_records" "$total_time" \
	"$(ratio "$total_records" "$total_time")"
echo "  database: $(du -h "$db" | cut -f1)"

export db archive QUENCH WORK
quench_cold() { "$QUENCH" scan --db "$db" --no-cache --format json -o "$WORK/q.json" "docker-archive:$archive"; }
quench_warm() { "$QUENCH" scan --db "$db" --format json -o "$WORK/q.json" "docker-archive:$archive"; }
export -f quench_cold quench_warm
cold=$(best_of "$runs" bash -c quench_cold)
bash -c quench_warm
warm=$(best_of "$runs" bash -c quench_warm)
pkgs=$("$QUENCH" sbom -q --format json "docker-archive:$archive" | jq '.packages | length')
findings=$(jq '.findings | length' "$WORK/q.json")

trivy=$(scripts/get-trivy 2>/dev/null || true)
t=
if [ -n "$trivy" ]; then
	export TRIVY_CACHE_DIR=$WORK/trivy-cache trivy
	mkdir -p "$TRIVY_CACHE_DIR/db"
	: >"$TRIVY_CACHE_DIR/db/trivy.db"
	printf '{"Version":2,"NextUpdate":"2099-01-01T00:00:00Z","UpdatedAt":"2026-01-01T00:00:00Z","DownloadedAt":"2026-01-01T00:00:00Z"}\n' \
		>"$TRIVY_CACHE_DIR/db/metadata.json"
	trivy_cmd() {
		rm -rf "$TRIVY_CACHE_DIR/fanal"
		"$trivy" image --input "$archive" --scanners vuln --skip-db-update --offline-scan -q \
			--format json -o "$WORK/t.json"
	}
	export -f trivy_cmd
	t=$(best_of "$runs" bash -c trivy_cmd)
fi

echo "scan: $archive ($(du -h "$archive" | cut -f1)), $pkgs packages, $findings findings"
printf '  %-36s %8ss\n' "quench scan (cold)" "$cold" "quench scan (layer-scan cache)" "$warm"
[ -z "$t" ] || printf '  %-36s %8ss\n' "trivy image (empty DB, offline)" "$t"
echo "  warm scan: $(awk -v w="$warm" 'BEGIN { printf "%d", w * 1000 }') ms (target < 200 ms for ~500 packages)"
[ -z "$t" ] || echo "  trivy / quench (cold): $(ratio "$t" "$cold")x"
