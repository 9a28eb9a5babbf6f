#!/bin/bash
# quench profile's overhead on the torch-cpu inference (scripts/mkimage
# torch-cpu: python3 /app/infer.py), in the same sandbox: quench run
# (untraced), quench profile (the tracer: full syscall set and every path),
# quench run under `strace -f`, and under `strace -f --seccomp-bpf -e
# trace=%file,%process`. Best of RUNS (3) wall times, warm caches (the
# image unpacked once first); then PAIRS (7) runs of quench run and quench
# profile in turn, and the median of their ratios, which the neighbours'
# load moves far less than two bests taken minutes apart. Target: profile
# <= 1.25x run.
#   BENCH_IMAGE=python  a small image (its cmd prints "ok")
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { echo "bench: strace is needed" >&2; exit 77; }
img=$(bench_image)
runs=${RUNS:-3}
export XDG_CACHE_HOME=$WORK/cache
export img QUENCH WORK

"$QUENCH" run -q "$img" >/dev/null   # unpack into the cache once
run_cmd() { "$QUENCH" run -q "$img"; }
profile_cmd() { "$QUENCH" profile -q -o "$WORK/rbom.json" "$img"; }
strace_full() { strace -f -qq -o /dev/null "$QUENCH" run -q "$img"; }
strace_bpf() {
	strace -f -qq --seccomp-bpf -e trace=%file,%process -o /dev/null "$QUENCH" run -q "$img"
}
export -f run_cmd profile_cmd strace_full strace_bpf

r=$(best_of "$runs" bash -c run_cmd)
p=$(best_of "$runs" bash -c profile_cmd)
f=$(best_of "$runs" bash -c strace_full)
b=$(best_of "$runs" bash -c strace_bpf)
ratios=()
for _ in $(seq "${PAIRS:-7}"); do
	one_run=$(best_of 1 bash -c run_cmd)
	one_profile=$(best_of 1 bash -c profile_cmd)
	ratios+=("$(ratio "$one_profile" "$one_run")")
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "image: $img"
printf '  %-44s %7ss  %sx\n' \
	"quench run (untraced)" "$r" "1.00" \
	"quench profile" "$p" "$(ratio "$p" "$r")" \
	"strace -f" "$f" "$(ratio "$f" "$r")" \
	"strace -f --seccomp-bpf -e %file,%process" "$b" "$(ratio "$b" "$r")"
echo "  RBOM: $(jq '.files | length' "$WORK/rbom.json") paths, $(jq '.packages.used | length' "$WORK/rbom.json") packages used of $(jq '.packages.used + .packages.unused | length' "$WORK/rbom.json"), $(jq '.syscalls | length' "$WORK/rbom.json") syscalls"
echo "  profile / run: best $(ratio "$p" "$r")x; median of ${#ratios[@]} side by side: ${median}x (${ratios[*]}) (target <= 1.25)"
