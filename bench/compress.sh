#!/bin/sh
# Layer compression throughput: quench's gzip (ISA-L) and zstd code against
# the gzip, pigz, igzip and zstd command-line tools, on ~500 MB of
# realistic layer data (a tar of /usr, cut to size).
#
#   bench/compress.sh [SIZE_MB] [THREADS...]     default: 500 MB, threads 1 2
#
# Everything reads a file from the page cache and writes to /dev/null, so
# the numbers are CPU throughput. MB/s are of uncompressed bytes (10^6).
# quench's code runs through a tiny driver, built here from the sources of
# the compression module (no meson build needed).
set -eu

SIZE_MB=${1:-500}
[ $# -gt 0 ] && shift
THREADS=${*:-1 2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/quench-bench-compress.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

have() { command -v "$1" >/dev/null 2>&1; }

cat > "$WORK/drv.c" <<'EOF'
/* drv c gzip|zstd LEVEL THREADS < raw > z      drv d gzip|zstd < z > raw */
#include "image/image.h"
#include <errno.h>

static ssize_t fd_read(void *ctx, void *buf, size_t len, struct qerr *err)
{
	ssize_t n;
	do
		n = read(*(int *)ctx, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? q_error(err, errno, "read") : n;
}

static int fd_write(void *ctx, const void *buf, size_t len, struct qerr *err)
{
	return write_all(*(int *)ctx, buf, len, err);
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct qerr err = QERR_INIT;
	enum compression c;
	int in = 0, out = 1;
	ssize_t n;

	if (argc < 3 || compression_parse(argv[2], &c, &err) < 0)
		return 2;
	if (argv[1][0] == 'd') {
		struct byte_source src = { fd_read, NULL, &in };
		struct decompressor *d = decompressor_new(c, &src);
		const struct byte_source *s = decompressor_source(d);
		while ((n = s->read(s->ctx, buf, sizeof(buf), &err)) > 0)
			if (write_all(out, buf, (size_t)n, &err) < 0)
				break;
		decompressor_free(d);
	} else {
		struct byte_sink sink = { fd_write, &out };
		struct compressor *k = compressor_new(c, atoi(argv[3]), atoi(argv[4]), &sink);
		const struct byte_sink *s = compressor_sink(k);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (s->write(s->ctx, buf, (size_t)n, &err) < 0)
				break;
		n = n == 0 ? compressor_finish(k, &err) : -1;
		compressor_free(k);
	}
	if (n < 0) {
		fprintf(stderr, "drv: %s\n", err.msg);
		return 1;
	}
	return 0;
}
EOF
cc -std=gnu11 -O2 -D_GNU_SOURCE -I"$ROOT/src" -o "$WORK/drv" "$WORK/drv.c" \
	"$ROOT"/src/image/compress*.c "$ROOT"/src/util/*.c \
	-lisal -lzstd -ljansson -lcrypto -lpthread

echo "preparing ${SIZE_MB} MB of /usr as a tar..." >&2
tar cf - -C / usr 2>/dev/null | head -c "$((SIZE_MB * 1000 * 1000))" > "$WORK/raw" || true
RAW=$(stat -c %s "$WORK/raw")

now() { date +%s.%N; }
# run NAME INPUT OUTPUT COMMAND...: time COMMAND < INPUT > OUTPUT, best of 2
run() {
	name=$1 input=$2 output=$3
	shift 3
	best=
	for _ in 1 2; do
		t0=$(now)
		"$@" < "$input" > "$output"
		t1=$(now)
		best=$(echo "$t0 $t1 ${best:-0}" | awk '{d = $2 - $1; print ($3 == 0 || d < $3) ? d : $3}')
	done
	printf '%-34s %8.1f MB/s' "$name" "$(echo "$RAW $best" | awk '{print $1 / $2 / 1e6}')"
	if [ "$output" != /dev/null ]; then
		printf '   ratio %.3f' "$(echo "$RAW $(stat -c %s "$output")" | awk '{print $2 / $1}')"
	fi
	printf '\n'
}

cat "$WORK/raw" > /dev/null
echo "input: $RAW bytes, $(nproc) CPUs"
echo "== gzip compress"
for t in $THREADS; do
	run "quench gzip (default) -T$t" "$WORK/raw" "$WORK/q.gz" "$WORK/drv" c gzip 0 "$t"
	run "quench gzip -9 -T$t" "$WORK/raw" "$WORK/q9.gz" "$WORK/drv" c gzip 9 "$t"
done
have igzip && run "igzip -1" "$WORK/raw" "$WORK/i.gz" igzip -1 -c
have igzip && run "igzip -3" "$WORK/raw" "$WORK/i3.gz" igzip -3 -c
run "gzip -6" "$WORK/raw" "$WORK/g.gz" gzip -6 -c
for t in $THREADS; do
	have pigz && run "pigz -6 -p$t" "$WORK/raw" "$WORK/p$t.gz" pigz -6 -p "$t" -c
done
echo "== gzip decompress (of gzip -6 output)"
run "quench gunzip" "$WORK/g.gz" /dev/null "$WORK/drv" d gzip
have igzip && run "igzip -dc" "$WORK/g.gz" /dev/null igzip -dc
run "gzip -dc" "$WORK/g.gz" /dev/null gzip -dc
have pigz && run "pigz -dc" "$WORK/g.gz" /dev/null pigz -dc
echo "== gzip decompress (of quench output)"
run "quench gunzip" "$WORK/q.gz" /dev/null "$WORK/drv" d gzip
have igzip && run "igzip -dc" "$WORK/q.gz" /dev/null igzip -dc

if have zstd; then
	echo "== zstd compress"
	for t in $THREADS; do
		run "quench zstd -3 -T$t" "$WORK/raw" "$WORK/q.zst" "$WORK/drv" c zstd 0 "$t"
		run "zstd -3 -T$t" "$WORK/raw" "$WORK/z.zst" zstd -q -3 -T"$t" -c
	done
	echo "== zstd decompress"
	run "quench unzstd" "$WORK/z.zst" /dev/null "$WORK/drv" d zstd
	run "zstd -dc" "$WORK/z.zst" /dev/null zstd -q -dc
fi
