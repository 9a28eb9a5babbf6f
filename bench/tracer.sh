#!/bin/bash
# The tracer's overhead on real workloads on the host: untraced, under
# quench's tracer (tests/trace/tracedump: ptrace + seccomp-bpf, full
# syscall set and every path), under `strace -f` and under
# `strace -f --seccomp-bpf -e trace=%file,%process`. Best of RUNS (5) wall
# times, warm caches. The sandboxed `quench profile` comparison comes with
# the verb (bench/profile.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${BUILD:-build}
TD=$BUILD/tests/trace/tracedump
[ -x "$TD" ] || { [ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null; ninja -C "$BUILD" >/dev/null; }
command -v strace >/dev/null || { echo "bench: strace is needed" >&2; exit 77; }
runs=${RUNS:-5}
PY=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/quench-bench-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# best_of N cmd... → "WALL CPU": the smallest wall time and the smallest
# user+sys time (of the command and everything it waited for: the tracer
# and its tracees alike) over N runs. CPU time is the steadier of the two
# on a loaded machine.
best_of() {
	local n=$1 bw= bc= w c
	shift
	for _ in $(seq "$n"); do
		/usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >/dev/null 2>&1 ||
			{ echo "bench: '$*' failed" >&2; exit 3; }
		read -r w u s < <(tail -n1 "$WORK/time")
		c=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
		bw=$(awk -v a="${bw:-$w}" -v b="$w" 'BEGIN { print (b < a) ? b : a }')
		bc=$(awk -v a="${bc:-$c}" -v b="$c" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$bw $bc"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }

bench() {   # bench NAME CMD...
	local name=$1 u q s sb
	shift
	u=($(best_of "$runs" "$@"))
	q=($(best_of "$runs" "$TD" -q "$@"))
	s=($(best_of "$runs" strace -f -qq -o /dev/null "$@"))
	sb=($(best_of "$runs" strace -f -qq -o /dev/null --seccomp-bpf -e trace=%file,%process "$@"))
	"$TD" -q "$@" 2>"$WORK/summary" >/dev/null || true
	echo "$name: $(sed 's/^tracedump: //' "$WORK/summary")"
	printf '  %-5s untraced %6ss  quench %6ss (%5sx)  strace -f %6ss (%5sx)  strace bpf %6ss (%5sx)\n' \
		wall "${u[0]}" "${q[0]}" "$(ratio "${q[0]}" "${u[0]}")" "${s[0]}" "$(ratio "${s[0]}" "${u[0]}")" \
		"${sb[0]}" "$(ratio "${sb[0]}" "${u[0]}")" \
		cpu "${u[1]}" "${q[1]}" "$(ratio "${q[1]}" "${u[1]}")" "${s[1]}" "$(ratio "${s[1]}" "${u[1]}")" \
		"${sb[1]}" "$(ratio "${sb[1]}" "${u[1]}")"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus; best of $runs runs"
IMPORTS='import json, email, http.client, asyncio, decimal, unittest, xml.dom.minidom, sqlite3, argparse, logging, tarfile, zipfile'
bench "python start+imports x10" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do $PY -c '$IMPORTS'; done"
bench "python compute" "$PY" -c 'import json; [json.dumps(list(range(1000))) for _ in range(4000)]'
bench "find /usr/share" find /usr/share -size +100k
bench "cc -O2 -c x10" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do cc -O2 -c tests/trace/tt_hostile.c -o $WORK/x.o; done"
bench "sh loop (500 execs)" sh -c 'for i in $(seq 500); do /bin/true; done'
