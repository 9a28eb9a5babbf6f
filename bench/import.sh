#!/bin/bash
# quench import vs podman import and umoci (init + new + insert) of the same
# root filesystem tree, gzip layers in every case.
source "$(dirname "$0")/lib.sh"
ref=$(bench_image)
runs=${RUNS:-3}
"$QUENCH" unpack -q "$ref" "$WORK/rootfs"
tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .

quench_dir() { rm -rf "$WORK/qd"; "$QUENCH" import -q "$WORK/rootfs" "oci:$WORK/qd:x"; }
quench_tar() { rm -rf "$WORK/qt"; "$QUENCH" import -q "$WORK/rootfs.tar" "oci:$WORK/qt:x"; }
podman_imp() { podman import -q "$WORK/rootfs.tar" quench-bench:x >/dev/null; podman rmi -f quench-bench:x >/dev/null; }
umoci_imp() {
	rm -rf "$WORK/ud"
	umoci init --layout "$WORK/ud" && umoci new --image "$WORK/ud:x" &&
		umoci insert --image "$WORK/ud:x" "$WORK/rootfs" /
}
export -f quench_dir quench_tar podman_imp umoci_imp
export WORK QUENCH

qd=$(best_of "$runs" bash -c quench_dir)
qt=$(best_of "$runs" bash -c quench_tar)
p=$(best_of "$runs" bash -c podman_imp)
u=$(best_of "$runs" bash -c umoci_imp)
echo "rootfs: $(du -sh "$WORK/rootfs" | cut -f1) from $ref"
printf '%-28s %8ss\n' "quench import DIR" "$qd" "quench import FILE.tar" "$qt" \
	"podman import FILE.tar" "$p" "umoci init+new+insert DIR" "$u"
echo "podman / quench(tar): $(ratio "$p" "$qt")x"
echo "umoci / quench(dir):  $(ratio "$u" "$qd")x"
