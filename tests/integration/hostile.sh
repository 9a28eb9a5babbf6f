#!/bin/bash
# Hostile images (tests/data/hostile/, written by scripts/mkhostile): every
# one is unpacked, inspected and exported under limits (time, memory, file
# size). For each, per tests/data/hostile/EXPECT:
#   - unpack: `ok` cases exit 0 (and CHECKS hold in the tree); `error:` cases
#     exit 3 with one line "quench: unpack: ..." holding a listed substring,
#     and leave no directory behind (unpack is atomic);
#   - inspect and export never crash (exit 0 or 3, one error line), and
#     export agrees with unpack;
#   - nothing outside the unpack directory appears, changes or vanishes: the
#     case's sandbox holds canaries next to the unpack directory, and no
#     'quench-pwned*' may appear there, in /tmp, in $TMPDIR or in /; the
#     host's /etc/passwd keeps its inode, link count, size and time.
# QUENCH_HOSTILE_ONLY=NAME[,NAME...] runs only those cases.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

H=tests/data/hostile
[ -f "$H/EXPECT" ] || t_skip_all "no $H/EXPECT; run scripts/mkhostile"
t_require python3 timeout tar
t_require_quench

GEN=$(t_dir gen)
python3 scripts/mkhostile --runtime "$GEN" || fail "scripts/mkhostile --runtime" ""

# Places an escape would write to, outside any sandbox.
outside_dirs=(/tmp / "${TMPDIR:-/tmp}")
pwned_outside() {
	local d
	for d in "${outside_dirs[@]}"; do
		compgen -G "$d/quench-pwned*" || true
	done | sort -u
}
host_state() { stat -c '%i %h %s %Y' /etc/passwd; }

stale=$(pwned_outside)
if [ -n "$stale" ]; then
	# Left by an earlier, broken run: report it, then clear it so this run
	# can tell what it did itself.
	fail "before the run: quench-pwned files exist outside" "$stale"
	printf '%s\n' "$stale" | xargs -d '\n' rm -f
fi
host_before=$(host_state)

# What a sandbox looks like, outside the unpack dir, export tar and cache.
snapshot() {
	local box=$1
	(
		cd "$box" || exit 1
		find . -path ./out -prune -o -path ./export.tar -prune -o -path ./xdg -prune \
			-o -printf '%p %y %s %m %l\n' | LC_ALL=C sort
		sha256sum canary-file canary-dir/f 2>&1
	)
	# The sandbox's parent: other cases' boxes are gone, this one is there.
	ls -A "$(dirname "$box")"
}

# pwned files under BOX that are not inside a tree quench was asked to
# make: the unpack dir, or a rootfs in quench's cache.
pwned_in_box() {
	local box=$1
	find "$box" -name 'quench-pwned*' 2>/dev/null |
		grep -Ev "^$box/out/|^$box/xdg/quench/rootfs/[^/]+/rootfs/" || true
}

# matches MSGFILE 'a|b|c' NAME: the message holds one of the substrings,
# not counting the case's name (which the message quotes in the reference,
# and which holds words like 'symlink' or 'digest').
matches() {
	local alt text IFS='|'
	text=$(<"$1")
	text=${text//"$3"/}
	for alt in $2; do
		grep -qiF -- "$alt" <<<"$text" && return 0
	done
	return 1
}

# check_paths DIR '+a -b': +PATH must exist (or be a link), -PATH must not.
check_paths() {
	local dir=$1 c bad=
	for c in $2; do
		case $c in
		+*) [ -e "$dir/${c#+}" ] || [ -L "$dir/${c#+}" ] || bad+=" missing:${c#+}" ;;
		-*) [ ! -e "$dir/${c#-}" ] && [ ! -L "$dir/${c#-}" ] || bad+=" present:${c#-}" ;;
		esac
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

crashed() { [ "$1" -ge 124 ] || { [ "$1" != 0 ] && [ "$1" != 3 ]; }; }
rc_text() {
	case $1 in
	124) echo "timed out after ${T_TIMEOUT}s" ;;
	137) echo "killed (SIGKILL: timeout or memory)" ;;
	*) if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128)) ($(kill -l $(($1 - 128)) 2>/dev/null))"; else echo "exit $1"; fi ;;
	esac
}

only=",${QUENCH_HOSTILE_ONLY:-},"
ncases=0
while IFS=$'\t' read -r name ref expected checks; do
	case $name in '' | '#'*) continue ;; esac
	[ "$only" = ",," ] || [[ $only == *",$name,"* ]] || continue
	ncases=$((ncases + 1))
	ref=${ref//@GEN@/$GEN}
	checks=${checks:-}

	# What counts as right for this case.
	ok_allowed='' err_subs=''
	case $expected in
	ok) ok_allowed=1 ;;
	ok\|error:*) ok_allowed=1 err_subs=${expected#ok|error:} ;;
	error:*) err_subs=${expected#error:} ;;
	*) fail "$name: bad EXPECT value '$expected'"; continue ;;
	esac

	box=$(t_dir "box/$name")
	mkdir "$box/canary-dir"
	printf 'canary %s %s\n' "$name" "$RANDOM$RANDOM" >"$box/canary-file"
	printf 'inside\n' >"$box/canary-dir/f"
	before=$(snapshot "$box")
	T_QCACHE=$box/xdg   # quench's cache, per case (read by q_run)

	# unpack
	q_run --limits unpack -q "$ref" "$box/out"
	urc=$Q_RC
	if crashed "$urc"; then
		fail "$name: unpack: $(rc_text "$urc")" "$(head -c 1500 "$Q_ERR")"
	elif [ "$urc" = 0 ]; then
		if [ -z "$ok_allowed" ]; then
			fail "$name: unpack succeeded; expected an error with '$err_subs'"
		elif [ ! -d "$box/out" ]; then
			fail "$name: unpack exited 0 but made no directory"
		elif ! why=$(check_paths "$box/out" "$checks"); then
			fail "$name: unpack: the tree is wrong:$why" "$(cd "$box/out" && find . | head -20)"
		else
			pass "$name: unpack ok"
		fi
	else
		msg=$(head -c 600 "$Q_ERR")
		if [ -z "$err_subs" ]; then
			fail "$name: unpack failed; expected ok" "$msg"
		elif ! q_error_line unpack; then
			fail "$name: unpack: stderr is not one 'quench: unpack: ' line" "$msg"
		elif ! matches "$Q_ERR" "$err_subs" "$name"; then
			fail "$name: unpack: message lacks '$err_subs'" "$msg"
		elif [ -e "$box/out" ] || [ -L "$box/out" ]; then
			fail "$name: unpack failed but left $box/out behind"
		else
			pass "$name: unpack refused: ${msg#quench: unpack: }"
		fi
	fi
	after=$(snapshot "$box")
	[ "$before" = "$after" ] || fail "$name: unpack changed the sandbox outside its directory" \
		"$(diff <(echo "$before") <(echo "$after"))"
	chmod -R u+rwx "$box/out" 2>/dev/null
	rm -rf "$box/out"

	# inspect: reads and verifies everything; must not crash.
	q_run --limits inspect --format json "$ref"
	if crashed "$Q_RC"; then
		fail "$name: inspect: $(rc_text "$Q_RC")" "$(head -c 1500 "$Q_ERR")"
	elif [ "$Q_RC" = 3 ] && ! q_error_line inspect; then
		fail "$name: inspect: stderr is not one 'quench: inspect: ' line" "$(head -c 600 "$Q_ERR")"
	else
		pass "$name: inspect exit $Q_RC"
	fi

	# export: same outcome as unpack; a tar only on success, with safe names.
	q_run --limits export "$ref" "$box/export.tar"
	if crashed "$Q_RC"; then
		fail "$name: export: $(rc_text "$Q_RC")" "$(head -c 1500 "$Q_ERR")"
	elif [ "$Q_RC" != "$urc" ] && ! crashed "$urc"; then
		fail "$name: export exit $Q_RC, unpack exit $urc" "$(head -c 600 "$Q_ERR")"
	elif [ "$Q_RC" = 3 ] && { ! q_error_line export || [ -e "$box/export.tar" ]; }; then
		fail "$name: export failed, but not with one line and no file" "$(head -c 600 "$Q_ERR")"
	elif [ "$Q_RC" = 0 ] && ! tar -tf "$box/export.tar" >"$box/.list" 2>&1; then
		fail "$name: export wrote a tar that tar cannot list" "$(head -5 "$box/.list")"
	elif [ "$Q_RC" = 0 ] && grep -qE '(^|/)\.\.(/|$)|^/' "$box/.list"; then
		fail "$name: export wrote unsafe names" "$(grep -E '(^|/)\.\.(/|$)|^/' "$box/.list" | head)"
	else
		pass "$name: export exit $Q_RC"
	fi
	rm -f "$box/.list"

	# Nothing escaped, whatever the verbs did.
	after=$(snapshot "$box")
	escaped=$(pwned_in_box "$box"; pwned_outside)
	if [ "$before" != "$after" ]; then
		fail "$name: the sandbox changed outside the unpack directory" \
			"$(diff <(echo "$before") <(echo "$after"))"
	elif [ -n "$escaped" ]; then
		fail "$name: files written outside the root" "$escaped"
		pwned_outside | xargs -r -d '\n' rm -f
	elif [ "$(host_state)" != "$host_before" ]; then
		fail "$name: the host's /etc/passwd changed (inode links size mtime)" \
			"before: $host_before, now: $(host_state)"
		host_before=$(host_state)
	else
		pass "$name: nothing outside the root changed"
	fi
	chmod -R u+rwx "$box" 2>/dev/null
	rm -rf "$box"
done <"$H/EXPECT"

[ "$ncases" != 0 ] || fail "no cases ran" "EXPECT has no case lines${QUENCH_HOSTILE_ONLY:+ named $QUENCH_HOSTILE_ONLY}"
t_finish
