#!/bin/bash
# Interop with the reference tools: what quench writes, skopeo and umoci
# read; what podman saves, quench unpacks to the same tree as umoci.
set -uo pipefail
cd "$(dirname "$0")/../.."
Q=${QUENCH:-build/quench}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
for tool in skopeo umoci podman python3 jq; do
	command -v $tool >/dev/null || { echo "interop: $tool missing"; exit 77; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/quench-interop-XXXXXX")
trap 'rm -rf "$W"; podman rmi -f localhost/quench-interop:1 >/dev/null 2>&1' EXIT
sum() { python3 tests/integration/treesum.py "$@"; }
same_tree() { diff <(sum "$1") <(sum "$2") >"$W/diff" || { head -20 "$W/diff"; return 1; }; }

# A small but varied real tree: a minbase-like Debian tree is what images
# hold, but a hand-made one keeps this fast and covers the corners.
R=$W/rootfs
mkdir -p "$R"/usr/bin "$R"/etc/deep/er "$R/var/empty" "$R/long/$(printf 'd%.0s' {1..120})"
printf 'hello\n' >"$R/etc/hello"
head -c 300000 /dev/urandom >"$R/usr/bin/blob"
cp /bin/true "$R/usr/bin/true"
chmod 4755 "$R/usr/bin/true"
ln "$R/etc/hello" "$R/etc/hello.hard"
ln -s ../etc/hello "$R/usr/bin/rel-link"
ln -s /etc/hello "$R/usr/bin/abs-link"
printf 'x' >"$R/long/$(printf 'd%.0s' {1..120})/$(printf 'f%.0s' {1..150})"
chmod 0700 "$R/var/empty"
chown 1000:1000 "$R/etc/deep/er" 2>/dev/null || true
if command -v setcap >/dev/null && [ "$(id -u)" = 0 ]; then setcap cap_net_bind_service=+ep "$R/usr/bin/blob"; fi
tar --xattrs --xattrs-include='*' -C "$R" -cf "$W/rootfs.tar" .

# 1. quench writes; skopeo inspects; umoci unpacks to the same tree.
for comp in gzip zstd none; do
	img="oci:$W/q-$comp:t"
	check "import --compress $comp" "$Q" import -q --compress "$comp" --entrypoint '["/usr/bin/true"]' "$R" "$img"
	digest=$("$Q" inspect --no-verify --format json "$img" | jq -r .digest)
	check "skopeo inspect reads oci ($comp)" test "$(skopeo inspect --raw "$img" | sha256sum | cut -d' ' -f1)" = "${digest#sha256:}"
	if [ "$comp" != zstd ]; then   # bookworm's umoci predates zstd layers
		rm -rf "$W/u" "$W/qu"
		umoci unpack --image "$W/q-$comp:t" "$W/u" >/dev/null 2>&1 &&
			"$Q" unpack -q "$img" "$W/qu"
		check "umoci unpack == quench unpack == source ($comp)" same_tree "$W/u/rootfs" "$W/qu"
		check "quench unpack == source tree ($comp)" same_tree "$R" "$W/qu"
	fi
done
check "copy to oci-archive" "$Q" copy -q "oci:$W/q-gzip:t" "oci-archive:$W/q.oci.tar:t"
check "skopeo inspect reads oci-archive" skopeo inspect "oci-archive:$W/q.oci.tar:t" >/dev/null
check "copy to docker-archive" "$Q" copy -q "oci:$W/q-gzip:t" "docker-archive:$W/q.docker.tar:quench/t:1"
check "skopeo inspect reads docker-archive" skopeo inspect "docker-archive:$W/q.docker.tar" >/dev/null
check "podman loads quench's docker-archive" podman load -q -i "$W/q.docker.tar"
podman rmi -f quench/t:1 >/dev/null 2>&1

# Reproducible: the same tree twice → the same manifest digest.
a=$(SOURCE_DATE_EPOCH=1 "$Q" import -q "$R" "oci:$W/r1" && "$Q" inspect --no-verify --format json "oci:$W/r1" | jq -r .digest)
b=$(SOURCE_DATE_EPOCH=1 "$Q" import -q "$R" "oci:$W/r2" && "$Q" inspect --no-verify --format json "oci:$W/r2" | jq -r .digest)
check "import is reproducible ($a)" test "$a" = "$b" -a -n "$a"

# 2. podman saves; quench unpacks as umoci does.
if podman import -q "$W/rootfs.tar" localhost/quench-interop:1 >/dev/null 2>&1; then
	podman save -q --format oci-archive -o "$W/p.oci.tar" localhost/quench-interop:1
	podman save -q --format docker-archive -o "$W/p.docker.tar" localhost/quench-interop:1
	skopeo copy -q "oci-archive:$W/p.oci.tar" "oci:$W/p-oci:t"
	umoci unpack --image "$W/p-oci:t" "$W/pu" >/dev/null 2>&1
	rm -rf "$W/q1" "$W/q2"
	check "quench unpack podman oci-archive" "$Q" unpack -q "oci-archive:$W/p.oci.tar" "$W/q1"
	check "  == umoci unpack" same_tree "$W/pu/rootfs" "$W/q1"
	check "quench unpack podman docker-archive" "$Q" unpack -q "docker-archive:$W/p.docker.tar" "$W/q2"
	check "  == umoci unpack" same_tree "$W/pu/rootfs" "$W/q2"
else
	echo "podman import failed; skipping podman cases"
fi

echo "interop: $pass passed, $fail failed"
[ "$fail" = 0 ]
