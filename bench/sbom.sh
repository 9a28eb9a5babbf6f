#!/bin/bash
# quench sbom vs Trivy (offline, CycloneDX) on the same docker-archive of the
# test image (torch-cpu by default; BENCH_IMAGE=python for a small one).
# Target: quench at most a third of Trivy's time.
source "$(dirname "$0")/lib.sh"
archive=$(scripts/mkimage "$BENCH_IMAGE" | sed -n 2p)
archive=${archive#docker-archive:}
trivy=$(scripts/get-trivy)
runs=${RUNS:-3}
export TRIVY_CACHE_DIR=$WORK/trivy-cache

quench_cmd() { "$QUENCH" sbom -q --no-cache --format cyclonedx -o "$WORK/q.json" "docker-archive:$archive"; }
# The second SBOM of an image (or of any image sharing its layers).
quench_warm() { "$QUENCH" sbom -q --format cyclonedx -o "$WORK/q.json" "docker-archive:$archive"; }
# Trivy caches layer analyses too: each run starts without them.
trivy_cmd() {
	rm -rf "$TRIVY_CACHE_DIR/fanal"
	"$trivy" image --input "$archive" --format cyclonedx --skip-db-update --offline-scan \
		-q -o "$WORK/t.json"
}
export -f quench_cmd quench_warm trivy_cmd
export XDG_CACHE_HOME=$WORK/cache
export archive trivy WORK QUENCH

q=$(best_of "$runs" bash -c quench_cmd)
bash -c quench_warm
w=$(best_of "$runs" bash -c quench_warm)
t=$(best_of "$runs" bash -c trivy_cmd)
echo "image: $archive ($(du -h "$archive" | cut -f1))"
printf '%-28s %8ss  %s packages\n' \
	"quench sbom" "$q" "$(jq '[.components[] | select(.type == "library")] | length' "$WORK/q.json")" \
	"quench sbom (scan cache)" "$w" "" \
	"trivy image (offline)" "$t" "$(jq '[.components[] | select(.type == "library")] | length' "$WORK/t.json")"
echo "trivy / quench: $(ratio "$t" "$q")x (target >= 3); with the scan cache: $(ratio "$t" "$w")x"
