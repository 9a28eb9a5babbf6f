# Shared by the benchmarks: build quench, build the test image, time things.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
QUENCH=${QUENCH:-build/quench}
[ -x "$QUENCH" ] || { meson setup build >/dev/null && ninja -C build >/dev/null; }
BENCH_IMAGE=${BENCH_IMAGE:-torch-cpu}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/quench-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The test image's OCI layout (built once, cached by scripts/mkimage).
bench_image() {
	scripts/mkimage "$BENCH_IMAGE" | head -n1
}

# seconds (wall, best of N runs) of a command; caches dropped is not
# possible unprivileged-safe, so runs are warm: every tool gets the same.
best_of() {   # best_of N cmd...
	local n=$1 best= t
	shift
	for _ in $(seq "$n"); do
		/usr/bin/time -f %e -o "$WORK/time" "$@" >/dev/null 2>&1 ||
			{ echo "bench: '$*' failed" >&2; exit 3; }
		t=$(tail -n1 "$WORK/time")
		[ -z "$best" ] && best=$t
		best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
