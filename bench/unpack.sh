#!/bin/bash
# quench unpack vs umoci raw unpack on the same OCI image, with the time of
# `igzip -dc` of the same layers (decompression alone) as the floor, and
# `igzip -dc | tar -x` (the same writes, without verification or safety).
source "$(dirname "$0")/lib.sh"
ref=$(bench_image)                  # oci:PATH:TAG
layout=${ref#oci:}; layout=${layout%:*}
tag=${ref##*:}
runs=${RUNS:-3}

layers=$("$QUENCH" inspect --no-verify --format json "$ref" | jq -r '.layers[].digest | sub("sha256:"; "")')
floor_cmd() { for l in $layers; do igzip -dc "$layout/blobs/sha256/$l"; done >/dev/null; }
tar_cmd() { rm -rf "$WORK/t"; mkdir "$WORK/t"; for l in $layers; do igzip -dc "$layout/blobs/sha256/$l" | tar -C "$WORK/t" -xf -; done; }
quench_cmd() { rm -rf "$WORK/q"; "$QUENCH" unpack -q "$ref" "$WORK/q"; }
umoci_cmd() { rm -rf "$WORK/u"; umoci raw unpack --image "$layout:$tag" "$WORK/u"; }
export -f floor_cmd tar_cmd quench_cmd umoci_cmd
export layers layout ref tag WORK QUENCH

floor=$(best_of "$runs" bash -c floor_cmd)
tarx=$(best_of "$runs" bash -c tar_cmd)
q=$(best_of "$runs" bash -c quench_cmd)
u=$(best_of "$runs" bash -c umoci_cmd)
size=$(du -sh "$WORK/q" | cut -f1)
echo "image: $ref ($size unpacked)"
echo "into: $WORK ($(df --output=fstype "$WORK" | tail -1); set TMPDIR=/dev/shm for tmpfs)"
printf '%-28s %8ss\n' "igzip -dc (floor)" "$floor" "igzip -dc | tar -x (no checks)" "$tarx" \
	"quench unpack" "$q" "umoci raw unpack" "$u"
echo "quench / floor: $(ratio "$q" "$floor")x (target <= 1.3); quench / tar -x: $(ratio "$q" "$tarx")x"
echo "umoci / quench: $(ratio "$u" "$q")x (target >= 3)"
