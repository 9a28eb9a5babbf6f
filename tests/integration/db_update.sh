#!/bin/bash
# quench db update against a real HTTP server (feed_server.py: ETag,
# Last-Modified, 304s, a request log, injected failures) serving the real
# advisory files of tests/data/advisories:
#   - the first update imports every feed as source feed:NAME (counts checked)
#   - the second sends If-None-Match / If-Modified-Since, gets 304s and
#     imports nothing (server log, counts and import times unchanged)
#   - a changed file is downloaded and re-imported; a touched but unchanged
#     one is not (the ETag wins over the date)
#   - a truncated 200 and a 500 keep the old data, say so on one line each
#     ("keeping the data imported 3 days ago"), exit 3, leave no temporary
#     file, and the other feeds are still updated
#   - an unreachable host, a size over --max-size: one line, exit 3
#   - a redirect is followed; status shows the ages; bad feed lists refused
#   - HTTPS (a second server, self-signed): refused unless --ca-file trusts
#     it, and a redirect from https to http is refused
# SOURCE_DATE_EPOCH stands in for the clock so ages are exact.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

t_require jq python3
t_require_quench

data=tests/data/advisories
www=$(t_dir www)
work=$(t_dir db)
db=$work/vuln.db
log=$T_ROOT/server.log
control=$T_ROOT/control
: >"$control"

cp "$data/alpine-secdb/v3.19-main.json" "$www/main.json"
cp "$data/debian-tracker/tracker-sample.json" "$www/tracker.json"
cp "$data/debian-oval/oval-definitions-bookworm-2023-07-15.xml.bz2" "$www/oval-bookworm.xml.bz2"
python3 - "$data/osv/pypa" "$www/all.zip" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for top, dirs, files in sorted(os.walk(sys.argv[1])):
        for name in sorted(files):
            path = os.path.join(top, name)
            z.write(path, os.path.relpath(path, sys.argv[1]))
EOF

python3 tests/integration/feed_server.py "$www" --port-file "$T_ROOT/port" --log "$log" \
	--control "$control" &
servers=("$!")
stop_servers() {
	local pid
	for pid in "${servers[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}
trap 'stop_servers; t_cleanup' EXIT
for _ in $(seq 100); do
	[ -s "$T_ROOT/port" ] && break
	sleep 0.1
done
[ -s "$T_ROOT/port" ] || t_skip_all "the test HTTP server did not start"
port=$(cat "$T_ROOT/port")
base=http://127.0.0.1:$port

feeds=$T_ROOT/feeds.txt
cat >"$feeds" <<EOF
# the test server's copies of the real feeds
alpine $base/main.json
tracker $base/tracker.json
oval $base/oval-bookworm.xml.bz2
osv-pypi $base/all.zip   # OSV all.zip, as osv.dev serves it
EOF

day=86400
t0=1700000000
update() {   # update DAYS ARGS...: db update at t0 + DAYS days
	local days=$1
	shift
	SOURCE_DATE_EPOCH=$((t0 + days * day)) q_run --limits db --db "$db" "$@" update
}
status_json() {   # status_json DAYS
	SOURCE_DATE_EPOCH=$((t0 + $1 * day)) "$QUENCH" db --db "$db" --format json status
}
counts() {
	status_json 0 | jq -c '[.sources[] | [.name, .format, .advisories, .affected]]'
}
requests() { wc -l <"$log"; }
no_temporaries() { [ -z "$(find "$work/feeds" -name '.tmp-*')" ]; }

# ---- first update: everything imported ------------------------------------------
update 0 --feeds-file "$feeds"
if [ "$Q_RC" = 0 ] && [ "$(grep -c 'advisories' "$Q_OUT")" = 4 ]; then
	pass "first update imports four feeds"
else
	fail "first update imports four feeds" "exit $Q_RC: $(cat "$Q_OUT" "$Q_ERR")"
fi
want='[["feed:alpine","alpine-secdb",2497,2581],["feed:osv-pypi","osv-zip",5,196],'
want+='["feed:oval","debian-oval",24110,25906],["feed:tracker","debian-tracker",7,25]]'
first=$(counts)
if [ "$first" = "$want" ]; then
	pass "db status counts the four feed sources"
else
	fail "db status counts the four feed sources" "$first"
fi
if [ "$(grep -c ' 200 inm=- ims=- ua=quench/' "$log")" = 4 ] && [ "$(requests)" = 4 ]; then
	pass "first requests are unconditional, with quench's User-Agent"
else
	fail "first requests are unconditional, with quench's User-Agent" "$(cat "$log")"
fi
check "downloads are kept under feeds/NAME/FILE" \
	cmp "$www/oval-bookworm.xml.bz2" "$work/feeds/oval/oval-bookworm.xml.bz2"
check "no temporary file is left" no_temporaries

# ---- second update, three days later: 304s, nothing re-imported -------------------
update 3 --feeds-file "$feeds"
if [ "$Q_RC" = 0 ] && [ "$(grep -c ': not modified, kept$' "$Q_OUT")" = 4 ]; then
	pass "second update: every feed not modified"
else
	fail "second update: every feed not modified" "exit $Q_RC: $(cat "$Q_OUT" "$Q_ERR")"
fi
second=$(tail -n 4 "$log")
if [ "$(requests)" = 8 ] && [ "$(grep -c ' 304 inm="[0-9a-f]*" ims=[A-Z][a-z][a-z], ' <<<"$second")" = 4 ]; then
	pass "second requests send If-None-Match and If-Modified-Since and get 304"
else
	fail "second requests send If-None-Match and If-Modified-Since and get 304" "$second"
fi
check "counts unchanged after the 304s" test "$(counts)" = "$first"
times=$(status_json 3 | jq -c '[.sources[] | [.importedAt, .checkedAt]] | unique')
if [ "$times" = "[[$t0,$((t0 + 3 * day))]]" ]; then
	pass "304s keep the import time and record the check time"
else
	fail "304s keep the import time and record the check time" "$times"
fi
age=$(status_json 5 | jq '.dataAgeSeconds')
check "data age counts from the last check (2 days)" test "$age" = $((2 * day))
SOURCE_DATE_EPOCH=$((t0 + 5 * day)) q_run db --db "$db" --format table status
if grep -q '^data: imported or confirmed by a feed 2 days ago$' "$Q_OUT" &&
	grep -Eq '^debian-oval +24110 +25906 .* 5 days ago +2 days ago +feed:oval$' "$Q_OUT"; then
	pass "status table shows when each feed was imported and checked"
else
	fail "status table shows when each feed was imported and checked" "$(cat "$Q_OUT")"
fi

# ---- a changed file is re-imported; a touched one is not --------------------------
cp "$data/alpine-secdb/v3.19-community.json" "$www/main.json"
touch -d '+1 hour' "$www/tracker.json"
update 4 --feeds-file "$feeds"
if [ "$Q_RC" = 0 ] && grep -q '^alpine (alpine-secdb): 4085 advisories, 5202 affected rows' "$Q_OUT" &&
	[ "$(grep -c ': not modified, kept$' "$Q_OUT")" = 3 ]; then
	pass "a changed file is re-imported, the others kept"
else
	fail "a changed file is re-imported, the others kept" "exit $Q_RC: $(cat "$Q_OUT" "$Q_ERR")"
fi
if tail -n 4 "$log" | grep -q '^GET /main.json 200 inm="' &&
	tail -n 4 "$log" | grep -q '^GET /tracker.json 304 '; then
	pass "the new ETag gets a 200; a new date with the same ETag a 304"
else
	fail "the new ETag gets a 200; a new date with the same ETag a 304" "$(tail -n 4 "$log")"
fi
alpine=$(status_json 4 | jq -c '.sources[] | select(.name == "feed:alpine") | [.advisories, .importedAt]')
check "feed:alpine replaced whole, imported now" test "$alpine" = "[4085,$((t0 + 4 * day))]"

# ---- a truncated reply and a 500 keep the old data --------------------------------
before=$(counts)
printf '\n' >>"$www/tracker.json"     # a new ETag: the server will send it
printf '/tracker.json truncate\n/all.zip status 500\n' >"$control"
update 7 --feeds-file "$feeds"
if [ "$Q_RC" = 3 ] && [ "$(wc -l <"$Q_ERR")" = 2 ] &&
	grep -Eq '^quench: db update: feed tracker: transfer closed with [0-9]+ bytes remaining to read; keeping the data imported 7 days ago$' "$Q_ERR" &&
	grep -q '^quench: db update: feed osv-pypi: server answered HTTP 500; keeping the data imported 7 days ago$' "$Q_ERR"; then
	pass "truncated and 500 replies: one line each, exit 3"
else
	fail "truncated and 500 replies: one line each, exit 3" "exit $Q_RC: $(cat "$Q_ERR")"
fi
if [ "$(grep -c ': not modified, kept$' "$Q_OUT")" = 2 ]; then
	pass "the other feeds are still updated"
else
	fail "the other feeds are still updated" "$(cat "$Q_OUT")"
fi
check "counts unchanged after the failures" test "$(counts)" = "$before"
check "the kept copy is the last complete one" \
	cmp "$data/debian-tracker/tracker-sample.json" "$work/feeds/tracker/tracker.json"
check "no temporary file is left after a failure" no_temporaries

: >"$control"
update 8 --feeds-file "$feeds"
if [ "$Q_RC" = 0 ] && grep -q '^tracker (debian-tracker): 7 advisories' "$Q_OUT" &&
	grep -q '^osv-pypi: not modified, kept$' "$Q_OUT"; then
	pass "once the server recovers, the changed feed is imported"
else
	fail "once the server recovers, the changed feed is imported" "exit $Q_RC: $(cat "$Q_OUT" "$Q_ERR")"
fi

# ---- unreachable, too large, redirected --------------------------------------------
update 8 --feed down=http://127.0.0.1:1/main.json
if [ "$Q_RC" = 3 ] && q_error_line "db update" &&
	grep -q '^quench: db update: feed down: failed to connect to 127.0.0.1 port 1 .*; nothing imported from it yet$' "$Q_ERR"; then
	pass "an unreachable host: one line naming the feed, exit 3"
else
	fail "an unreachable host: one line naming the feed, exit 3" "exit $Q_RC: $(cat "$Q_ERR")"
fi
update 8 --max-size 1000 --feed capped="$base/main.json"
if [ "$Q_RC" = 3 ] && grep -q '^quench: db update: feed capped: larger than the limit of 1000 B; nothing imported' "$Q_ERR" &&
	[ ! -e "$work/feeds/capped/main.json" ]; then
	pass "--max-size refuses a larger download"
else
	fail "--max-size refuses a larger download" "exit $Q_RC: $(cat "$Q_ERR")"
fi
printf '/moved.json redirect /tracker.json\n' >"$control"
update 8 --feed moved="$base/moved.json"
if [ "$Q_RC" = 0 ] && grep -q '^moved (debian-tracker): 7 advisories' "$Q_OUT" &&
	tail -n 2 "$log" | grep -q '^GET /moved.json 302 '; then
	pass "a redirect is followed"
else
	fail "a redirect is followed" "exit $Q_RC: $(cat "$Q_OUT" "$Q_ERR")"
fi
: >"$control"
check "the other feeds' data is untouched by these" \
	test "$(counts | jq -c 'map(select(.[0] != "feed:moved"))')" = "$before"

# ---- HTTPS: verified, and never redirected to plain HTTP ---------------------------
start_server() {   # start_server NAME ARGS...: its port in $port_NAME
	local name=$1
	shift
	python3 tests/integration/feed_server.py "$www" --port-file "$T_ROOT/port-$name" \
		--log "$log" --control "$control" "$@" &
	servers+=("$!")
	for _ in $(seq 100); do
		[ -s "$T_ROOT/port-$name" ] && break
		sleep 0.1
	done
	printf -v "port_$name" '%s' "$(cat "$T_ROOT/port-$name" 2>/dev/null)"
}
if ! command -v openssl >/dev/null; then
	skip "HTTPS checks" "no openssl to make a certificate"
elif ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T_ROOT/key.pem" -out "$T_ROOT/cert.pem" \
	>/dev/null 2>&1; then
	skip "HTTPS checks" "openssl could not make a certificate"
else
	start_server tls --tls "$T_ROOT/cert.pem" "$T_ROOT/key.pem"
	tls=https://127.0.0.1:$port_tls
	update 9 --feed selfsigned="$tls/main.json"
	if [ "$Q_RC" = 3 ] && grep -q '^quench: db update: feed selfsigned: SSL certificate problem: self.signed certificate; nothing imported from it yet$' "$Q_ERR"; then
		pass "an HTTPS server with an unknown certificate is refused"
	else
		fail "an HTTPS server with an unknown certificate is refused" "exit $Q_RC: $(cat "$Q_ERR")"
	fi
	update 9 --ca-file "$T_ROOT/cert.pem" --feed mirror="$tls/main.json"
	if [ "$Q_RC" = 0 ] && grep -q '^mirror (alpine-secdb): 4085 advisories' "$Q_OUT"; then
		pass "--ca-file trusts a mirror's own certificate"
	else
		fail "--ca-file trusts a mirror's own certificate" "exit $Q_RC: $(cat "$Q_OUT" "$Q_ERR")"
	fi
	printf '/downgrade.json redirect %s/main.json\n' "$base" >"$control"
	update 9 --ca-file "$T_ROOT/cert.pem" --feed downgrade="$tls/downgrade.json"
	if [ "$Q_RC" = 3 ] && grep -q '^quench: db update: feed downgrade: refused a redirect to another protocol (an https feed is followed to https only); nothing imported from it yet$' "$Q_ERR" &&
		! tail -n 1 "$log" | grep -q '^GET /main.json'; then
		pass "a redirect from https to http is refused"
	else
		fail "a redirect from https to http is refused" "exit $Q_RC: $(cat "$Q_ERR")"
	fi
	: >"$control"
fi

# ---- bad feed lists -----------------------------------------------------------------
printf 'ok %s/main.json\nlonely\n' "$base" >"$T_ROOT/bad-feeds.txt"
update 9 --feeds-file "$T_ROOT/bad-feeds.txt"
if [ "$Q_RC" = 3 ] && q_error_line db && grep -q "bad-feeds.txt:2: expected NAME URL" "$Q_ERR"; then
	pass "a bad feeds file names its line"
else
	fail "a bad feeds file names its line" "exit $Q_RC: $(cat "$Q_ERR")"
fi
update 9 --feed x=ftp://example.org/a.json
check "a feed that is not http(s) is a usage error" test "$Q_RC" = 2
SOURCE_DATE_EPOCH=$t0 q_run db --db "$db" --feed x="$base/a.json" status
check "--feed belongs to update only" test "$Q_RC" = 2

t_finish
