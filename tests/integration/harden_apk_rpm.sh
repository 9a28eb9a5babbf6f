#!/bin/bash
# quench harden keeps apk's and rpm's databases true. Two small images are
# made from the real databases in tests/data/catalog (apk's installed file;
# rpm's SQLite database, written by rpm) with a file for each file they
# list, and one program (the host's `true`) in a package's place; profiled,
# hardened and validated, the hardened image's databases list exactly the
# packages that still own a file — for quench, for Trivy and for rpm itself:
#   - apk: busybox (run) and alpine-baselayout-data (/etc/passwd) stay,
#     their records byte for byte; the image is still Alpine to Trivy
#   - rpm: hello-tool (run) and libwidget (--include) stay; rpm -qa agrees
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq
t_require_quench
t_require_root
export XDG_CACHE_HOME=$T_QCACHE TMPDIR=$T_ROOT/tmp
mkdir -p "$TMPDIR"
D=tests/data/catalog
trivy=$(scripts/get-trivy 2>/dev/null) || trivy=

# put_prog ROOT PATH: the host's `true` at PATH, with its loader and libc.
put_prog() {
	rm -f "$1/$2"
	mkdir -p "$(dirname "$1/$2")" "$1/lib/x86_64-linux-gnu" "$1/lib64" "$1/tmp"
	cp /bin/true "$1/$2"
	cp -L /lib/x86_64-linux-gnu/libc.so.6 "$1/lib/x86_64-linux-gnu/"
	cp -L /lib64/ld-linux-x86-64.so.2 "$1/lib64/"
}

# harden_root NAME CMD [harden's options]: import, profile, harden; the
# hardened image is oci:$T_ROOT/NAME-hard:1, unpacked in $T_ROOT/NAME-tree.
harden_root() {
	local name=$1 cmd=$2
	shift 2
	q_ok "$name: import" import --cmd "$cmd" "$T_ROOT/$name" "oci:$T_ROOT/$name-src:1" &&
		q_ok "$name: profile" profile -o "$T_ROOT/$name.rbom" "oci:$T_ROOT/$name-src:1" -- "$cmd" &&
		q_ok "$name: harden (validated)" harden --rbom "$T_ROOT/$name.rbom" "$@" \
			"oci:$T_ROOT/$name-src:1" "oci:$T_ROOT/$name-hard:1" -- "$cmd" &&
		q_ok "$name: unpack" unpack "oci:$T_ROOT/$name-hard:1" "$T_ROOT/$name-tree" || return 1
	"$QUENCH" sbom --format json "oci:$T_ROOT/$name-hard:1" 2>/dev/null >"$T_ROOT/$name.sbom.json"
	if [ -n "$trivy" ]; then
		"$QUENCH" copy "oci:$T_ROOT/$name-hard:1" "docker-archive:$T_ROOT/$name.tar:$name:1" >/dev/null
		TRIVY_CACHE_DIR=$T_ROOT/trivy "$trivy" image --input "$T_ROOT/$name.tar" --format cyclonedx \
			--skip-db-update --offline-scan -q -o "$T_ROOT/$name.trivy.json" 2>/dev/null
	fi
}

# ---- apk ----
A=$T_ROOT/apk
mkdir -p "$A/lib/apk/db" "$A/etc"
cp "$D/apk/installed" "$A/lib/apk/db/installed"
awk -F: '/^F:/ { d = $2 } /^R:/ { print (d == "" ? "" : d "/") $2 }' "$D/apk/installed" |
	while read -r f; do mkdir -p "$A/$(dirname "$f")" && echo "$f" >"$A/$f"; done
put_prog "$A" bin/busybox
echo 3.19.1 >"$A/etc/alpine-release"
printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' >"$A/etc/os-release"
if harden_root apk /bin/busybox; then
	t_jq "apk: quench's SBOM lists busybox and alpine-baselayout-data, nothing else" \
		'[.packages[].name] | sort == ["alpine-baselayout-data", "busybox"]' "$T_ROOT/apk.sbom.json"
	want=$(awk -v RS= -v ORS='\n\n' '/(^|\n)P:(busybox|alpine-baselayout-data)\n/' "$D/apk/installed")
	[ "$(cat "$T_ROOT/apk-tree/lib/apk/db/installed")" = "$want" ] &&
		pass "apk: the installed database holds their records, byte for byte" ||
		fail "apk: installed database" "$(diff <(echo "$want") "$T_ROOT/apk-tree/lib/apk/db/installed" | head)"
	[ -e "$T_ROOT/apk-tree/etc/alpine-release" ] && pass "apk: /etc/alpine-release kept" ||
		fail "apk: no /etc/alpine-release"
	if [ -n "$trivy" ]; then
		t_jq "apk: Trivy sees the same two packages, on Alpine 3.19.1" \
			'([.components[] | select(.type == "library") | .name] | sort == ["alpine-baselayout-data", "busybox"])
			 and ([.components[] | select(.type == "operating-system") | .name] == ["alpine"])' "$T_ROOT/apk.trivy.json"
	else
		skip "apk: Trivy" "scripts/get-trivy failed"
	fi
fi

# ---- rpm ----
R=$T_ROOT/rpm
mkdir -p "$R/var/lib/rpm" "$R/etc"
cp "$D/rpm/rpmdb.sqlite" "$R/var/lib/rpm/"
files=$(sed -n 's/^file [^|]*|\///p' "$D/rpm/expected.txt" | sort)
while read -r f; do
	if grep -qx "$f/.*" <<<"$files"; then mkdir -p "$R/$f"; else mkdir -p "$R/$(dirname "$f")" && echo "$f" >"$R/$f"; fi
done <<<"$files"
put_prog "$R" usr/bin/hello
printf 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n' >"$R/etc/os-release"
echo "Rocky Linux release 9.3 (Blue Onyx)" >"$R/etc/redhat-release"
if harden_root rpm /usr/bin/hello --include /usr/lib64/libwidget.so.1.0.2; then
	t_jq "rpm: quench's SBOM lists hello-tool and libwidget, nothing else" \
		'[.packages[].name] | sort == ["hello-tool", "libwidget"]' "$T_ROOT/rpm.sbom.json"
	if command -v rpm >/dev/null; then
		got=$(rpm --dbpath "$T_ROOT/rpm-tree/var/lib/rpm" --define '_db_backend sqlite' -qa --qf '%{NAME}\n' | sort | xargs)
		[ "$got" = "gpg-pubkey hello-tool libwidget" ] && pass "rpm: rpm -qa agrees ($got)" ||
			fail "rpm: rpm -qa" "$got"
	else
		skip "rpm: rpm -qa" "no rpm here"
	fi
	if [ -n "$trivy" ]; then
		t_jq "rpm: Trivy sees the same packages (and rpm's key), on Rocky 9.3" \
			'([.components[] | select(.type == "library") | .name] | sort == ["gpg-pubkey", "hello-tool", "libwidget"])
			 and ([.components[] | select(.type == "operating-system") | .name] == ["rocky"])' "$T_ROOT/rpm.trivy.json"
	else
		skip "rpm: Trivy" "scripts/get-trivy failed"
	fi
fi
t_finish
