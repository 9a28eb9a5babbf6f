#!/bin/bash
# Real images, built from Debian 12 packages by scripts/mkimage (cached):
#   python   inspect fields; unpack; the tree runs python3 (chroot, as root);
#            the docker-archive unpacks to the same tree; export
#   layered  whiteouts of a base file and directory, an opaque directory,
#            hard links, a setuid-root binary, a security.capability xattr,
#            symlinks, long names, a file that becomes a directory and back;
#            the same tree as umoci's and as the docker-archive's
#   torch-cpu  (only with QUENCH_TEST_TORCH=1: ~1.2 GB) its workload runs in
#            the unpacked tree and prints what it printed at build time
# Building needs root (mmdebstrap) and a Debian mirror; without root the
# script is skipped.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq python3 mmdebstrap tar
t_require_quench
t_require_root

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
# Device nodes are left out: quench makes them only with --devices.
sum() { python3 tests/integration/treesum.py "$@" | awk '$2 != "c" && $2 != "b"'; }
same_tree() {
	local d
	d=$(diff <(sum "$1") <(sum "$2")) || { printf '%s\n' "$d" | head -20; return 1; }
}

# run_in ROOT CMD...: run CMD in the unpacked tree, as a container would:
# bubblewrap with a fresh /dev, /proc and /tmp (quench makes no device nodes
# without --devices); plain chroot where bubblewrap is missing.
run_in() {
	local root=$1
	shift
	if command -v bwrap >/dev/null; then
		bwrap --bind "$root" / --dev /dev --proc /proc --tmpfs /tmp --unshare-pid \
			--unshare-net --die-with-parent --chdir / -- "$@"
	else
		chroot "$root" "$@"
	fi
}

# build NAME: the image's OCI and docker-archive references in REF_OCI,
# REF_DOCKER and its cache directory in IMG_DIR; 1 when it cannot be built.
build() {
	local out
	if ! out=$(scripts/mkimage "$1" 2>"$T_ROOT/mkimage-$1.log"); then
		fail "mkimage $1" "$(tail -n 20 "$T_ROOT/mkimage-$1.log")"
		return 1
	fi
	REF_OCI=$(sed -n 1p <<<"$out")
	REF_DOCKER=$(sed -n 2p <<<"$out")
	IMG_DIR=${REF_OCI#oci:}
	IMG_DIR=${IMG_DIR%/oci:*}
	pass "mkimage $1 ($(grep -o 'built in.*\|cached in.*' "$T_ROOT/mkimage-$1.log" | tail -1))"
}

# jq_is WHAT FILE FILTER: the JSON FILE passes the jq FILTER (which is true).
jq_is() {
	local what=$1 file=$2 filter=$3
	if jq -e "$filter" "$file" >/dev/null 2>&1; then
		pass "$what"
	else
		fail "$what" "jq '$filter' on: $(jq -c . "$file" 2>&1 | head -c 1500)"
	fi
}

# ---------------------------------------------------------------- python
if build python; then
	J=$T_ROOT/python.json
	q_ok "python: inspect" inspect --format json "$REF_OCI" && cp "$Q_OUT" "$J"
	if [ -s "$J" ]; then
		jq_is "python: os/arch" "$J" ".os == \"linux\" and .architecture == \"$arch\""
		jq_is "python: cmd" "$J" '.config.cmd == ["python3","-c","print('"'ok'"')"]'
		jq_is "python: env PATH" "$J" '.config.env | any(startswith("PATH=/usr/local/sbin:"))'
		jq_is "python: label" "$J" '.config.labels["org.opencontainers.image.title"] == "quench-test-python"'
		jq_is "python: one gzip layer, verified" "$J" \
			'(.layers | length) == 1 and (.layers[0].mediaType | endswith("tar+gzip")) and .verified == true'
		jq_is "python: layer sizes" "$J" '.layers[0].size > 10000000 and .layers[0].uncompressedSize > .layers[0].size'
		jq_is "python: history" "$J" '(.history | length) == 1 and .history[0].created == "2023-11-14T22:13:20Z"'
		if command -v skopeo >/dev/null; then
			check "python: manifest digest is skopeo's" test \
				"sha256:$(skopeo inspect --raw "$REF_OCI" | sha256sum | cut -d' ' -f1)" = "$(jq -r .digest "$J")"
		fi
	fi
	q_ok "python: inspect docker-archive" inspect --format json "$REF_DOCKER" && cp "$Q_OUT" "$T_ROOT/python-docker.json"
	[ -s "$T_ROOT/python-docker.json" ] && [ -s "$J" ] &&
		check "python: docker-archive has the same layers and config" test \
			"$(jq -c '[.layers[].diffID, .config.cmd, .config.env]' "$J")" = \
			"$(jq -c '[.layers[].diffID, .config.cmd, .config.env]' "$T_ROOT/python-docker.json")"

	R=$T_ROOT/python-rootfs
	if q_ok "python: unpack" unpack -q "$REF_OCI" "$R"; then
		check "python: merged /usr" test "$(readlink "$R/bin")" = usr/bin
		check "python: python3 in the tree" test -e "$R/usr/bin/python3" -a -L "$R/usr/bin/python3"
		check "python: dpkg knows python3-minimal" grep -qx 'Package: python3-minimal' "$R/var/lib/dpkg/status"
		check "python: bookworm" grep -q 'VERSION_CODENAME=bookworm' "$R/etc/os-release"
		check "python: no usrmerge, so no perl (mmdebstrap's merged-usr hook)" \
			bash -c "! grep -qx 'Package: usrmerge' '$R/var/lib/dpkg/status'"
		out=$(chroot "$R" python3 -c 'print(1)' 2>&1)
		check "python: chroot python3 -c 'print(1)' ($out)" test "$out" = 1
		if [ -s "$J" ]; then
			mapfile -t cmd < <(jq -r '.config.cmd[]' "$J")
			out=$(run_in "$R" "${cmd[@]}" 2>&1)
			check "python: the image's cmd prints ok ($out)" test "$out" = ok
		fi
		D2=$T_ROOT/python-docker-rootfs
		q_ok "python: unpack docker-archive" unpack -q "$REF_DOCKER" "$D2" &&
			check "python: docker-archive tree == oci tree" same_tree "$R" "$D2"
		rm -rf "$D2"
	fi
	if q_ok "python: export" export "$REF_OCI" "$T_ROOT/python.tar"; then
		check "python: export holds usr/bin/python3" bash -c \
			"tar -tf '$T_ROOT/python.tar' | grep -qE '^(\./)?usr/bin/python3$'"
		check "python: export holds no whiteouts or '..'" bash -c \
			"! tar -tf '$T_ROOT/python.tar' | grep -E '(^|/)\.wh\.|(^|/)\.\.(/|$)'"
	fi
	rm -rf "$R" "$T_ROOT/python.tar"
fi

# ---------------------------------------------------------------- layered
if build layered; then
	J=$T_ROOT/layered.json
	q_ok "layered: inspect" inspect --format json "$REF_OCI" && cp "$Q_OUT" "$J"
	if [ -s "$J" ]; then
		jq_is "layered: 4 layers, 4 history entries" "$J" '(.layers | length) == 4 and (.history | length) == 4'
		jq_is "layered: history names the added layers" "$J" \
			'[.history[1:][].createdBy | startswith("quench mkimage layered")] | all'
		jq_is "layered: verified" "$J" '.verified == true'
	fi
	R=$T_ROOT/layered-rootfs
	if q_ok "layered: unpack" unpack -q "$REF_OCI" "$R"; then
		check "layered: whiteout of a base file (etc/issue.net)" test ! -e "$R/etc/issue.net"
		check "layered: whiteout of a base directory (etc/skel)" test ! -e "$R/etc/skel"
		check "layered: whiteout of a file of layer 2" test ! -e "$R/opt/app/remove-me"
		check "layered: the base's neighbours stay (etc/issue)" test -f "$R/etc/issue"
		check "layered: the whiteout markers are gone" test -z "$(find "$R" -name '.wh.*' | head -3)"
		got=$(cd "$R/opt/opaque" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')
		check "layered: opaque directory holds exactly the new contents ($got)" \
			test "$got" = "./new1 ./sub2 ./sub2/new2 "
		ino=$(stat -c '%i %h' "$R/opt/app/data.txt" "$R/opt/app/data.hard" "$R/opt/app/sub/data.hard2" | sort -u)
		check "layered: three names, one inode (${ino//$'\n'/, })" test "$(wc -l <<<"$ino")" = 1 -a "${ino#* }" = 3
		check "layered: setuid-root binary keeps 4755 root" test \
			"$(stat -c '%a %u' "$R/usr/local/bin/suid-true")" = "4755 0"
		check "layered: the setuid copy still runs" chroot "$R" /usr/local/bin/suid-true
		if command -v getcap >/dev/null; then
			caps=$(getcap "$R/usr/local/bin/cap-true" 2>&1)
			check "layered: getcap shows cap_net_bind_service ($caps)" \
				grep -q 'cap_net_bind_service[=+]*ep' <<<"$caps"
		else
			skip "layered: capability" "getcap missing (libcap2-bin)"
		fi
		check "layered: owner 1000:1000 applied" test "$(stat -c '%u:%g %a' "$R/opt/app/owned")" = "1000:1000 600"
		long=$(cd "$R" && find opt/long -type f)
		check "layered: long path (${#long} bytes) and its content" \
			test "${#long}" -gt 300 -a "$(cat "$R/$long" 2>&1)" = "a path longer than 100 bytes"
		check "layered: symlink chain a -> b -> c -> ../app/data.txt" \
			test "$(readlink "$R/opt/links/a")" = b -a "$(cat "$R/opt/links/a")" = "shared by three names"
		check "layered: absolute symlink kept as written" test "$(readlink "$R/opt/links/abs")" = /opt/app/data.txt
		check "layered: long symlink target kept" test "$(readlink "$R/opt/links/long")" = "../${long#opt/}"
		check "layered: a file became a directory" test -d "$R/opt/replace-me" -a -f "$R/opt/replace-me/inside"
		check "layered: a directory became a file" test -f "$R/opt/dir-to-file" -a \
			"$(cat "$R/opt/dir-to-file" 2>&1)" = "the directory became a file"
		D2=$T_ROOT/layered-docker-rootfs
		q_ok "layered: unpack docker-archive" unpack -q "$REF_DOCKER" "$D2" &&
			check "layered: docker-archive tree == oci tree" same_tree "$R" "$D2"
		rm -rf "$D2"
		if command -v umoci >/dev/null; then
			U=$T_ROOT/layered-umoci
			if umoci unpack --image "${REF_OCI#oci:}" "$U" >"$T_ROOT/umoci.log" 2>&1; then
				check "layered: quench tree == umoci tree" same_tree "$U/rootfs" "$R"
			else
				fail "layered: umoci unpack" "$(tail -5 "$T_ROOT/umoci.log")"
			fi
			rm -rf "$U"
		fi
	fi
	if q_ok "layered: export" export "$REF_OCI" "$T_ROOT/layered.tar"; then
		L=$(tar -tvf "$T_ROOT/layered.tar" 2>&1)
		check "layered: export has no whiteouts" test -z "$(grep -E '(^|/)\.wh\.' <<<"$L" | head -3)"
		check "layered: export keeps the setuid bit" grep -qE '^-rwsr-xr-x .*usr/local/bin/suid-true$' <<<"$L"
		check "layered: export has no etc/skel" test -z "$(grep -E ' (\./)?etc/skel/?$' <<<"$L")"
		check "layered: export keeps the hard links" grep -qE '^h.* (\./)?opt/app/.*data[^ ]* link to ' <<<"$L"
		check "layered: export: the opaque directory holds exactly the new contents" test \
			"$(grep -oE '(\./)?opt/opaque/.+' <<<"$L" | sed 's|^\./||; s|/$||' | LC_ALL=C sort | tr '\n' ' ')" = \
			"opt/opaque/new1 opt/opaque/sub2 opt/opaque/sub2/new2 "
	fi
	rm -rf "$R" "$T_ROOT/layered.tar"
fi

# ---------------------------------------------------------------- torch-cpu
if [ -z "${QUENCH_TEST_TORCH:-}" ]; then
	skip "torch-cpu" "set QUENCH_TEST_TORCH=1 (downloads ~300 MB, builds ~1.2 GB)"
elif build torch-cpu; then
	J=$T_ROOT/torch.json
	q_ok "torch-cpu: inspect" inspect --format json "$REF_OCI" && cp "$Q_OUT" "$J"
	[ -s "$J" ] && jq_is "torch-cpu: entrypoint" "$J" '.config.entrypoint == ["python3","/app/infer.py"]'
	R=$T_ROOT/torch-rootfs
	if q_ok "torch-cpu: unpack" unpack -q "$REF_OCI" "$R"; then
		want=$(cat "$IMG_DIR/expected-output")
		got=$(run_in "$R" python3 /app/infer.py 2>&1)
		check "torch-cpu: the workload prints what it printed at build time ($got)" test "$got" = "$want"
	fi
	rm -rf "$R"
fi

t_finish
