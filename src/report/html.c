/* The hardening report as one HTML page a person opens from a file or an
 * attachment: inline CSS, inline SVG charts, no script, nothing fetched
 * (a Content-Security-Policy of default-src 'none' says so to the browser
 * too). The document is untrusted: every string from it goes through esc(),
 * and nothing from it ever lands in a tag, attribute name, class, id or
 * style — only in text and quoted attribute values, escaped. */
#include "report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#define DASH "\xe2\x80\x94"         /* — for what the report lacks */
#define REPLACEMENT "\xef\xbf\xbd"  /* U+FFFD for control bytes and broken UTF-8 */

/* s as HTML text or a quoted attribute value: the five specials as
 * references, control characters and bytes that are no UTF-8 as U+FFFD;
 * NULL as a dash. */
static void esc(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_adds(sb, DASH);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	for (size_t left = strlen(s), n; left; p += n, left -= n) {
		n = *p < 0x80 ? 1 : utf8_seq_len(p, left);
		switch (n ? *p : 0) {
		case '&': strbuf_adds(sb, "&amp;"); break;
		case '<': strbuf_adds(sb, "&lt;"); break;
		case '>': strbuf_adds(sb, "&gt;"); break;
		case '"': strbuf_adds(sb, "&quot;"); break;
		case '\'': strbuf_adds(sb, "&#39;"); break;
		default:
			if (!n || (*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
				strbuf_adds(sb, REPLACEMENT);
			else
				strbuf_add(sb, p, n);
		}
		n = n ? n : 1;
	}
}

static const char css[] =
	":root{--fg:#1d2329;--mute:#5f6b76;--line:#d8dee4;--bg:#fff;--card:#f6f8fa;"
	"--reach:#c62828;--present:#ef8f00;--removed:#8a96a3;--src:#8a96a3;--hard:#2e7d32;"
	"--ok:#2e7d32;--warn:#b26a00;--bad:#c62828}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--mute:#9aa6b2;--line:#30363d;"
	"--bg:#0d1117;--card:#161b22}}\n"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
	"background:var(--bg);margin:0 auto;padding:24px;max-width:1100px}\n"
	"h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px}"
	"h3{font-size:14px;margin:0 0 6px;color:var(--mute);font-weight:600}\n"
	"code{font:13px ui-monospace,'SFMono-Regular',Menlo,monospace;overflow-wrap:anywhere}\n"
	".images{font-size:17px;margin:0 0 8px}.mute,.note{color:var(--mute)}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}"
	"dl.meta dt{color:var(--mute)}dl.meta dd{margin:0}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;"
	"margin-top:20px}.card{background:var(--card);border:1px solid var(--line);"
	"border-radius:8px;padding:12px 14px}.card p{margin:0;font-size:18px;font-weight:600}"
	".card p.note{font-size:13px;font-weight:400}\n"
	".ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}\n"
	"table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;"
	"padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:top}"
	"thead th{color:var(--mute);font-weight:600}table.summary thead th{text-align:right}"
	"table.summary th:first-child{width:30%}td.num{text-align:right;"
	"font-variant-numeric:tabular-nums;white-space:nowrap}td.num small,td small{display:block;"
	"color:var(--mute);font-weight:400}\n"
	".sev{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;color:#fff;"
	"background:#6e7781}.sev-critical{background:#8e0000}.sev-high{background:#c62828}"
	".sev-medium{background:#ef8f00}.sev-low{background:#6b8e23}\n"
	"tr.reachable td.class{color:var(--reach);font-weight:600}"
	"tr.present td.class{color:var(--present)}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}\n"
	"svg.chart{max-width:100%;height:auto;font:12px system-ui,sans-serif}"
	"svg.chart text{fill:var(--fg)}svg.chart .title{font-weight:600}"
	".reachable-bar{fill:var(--reach)}.present-bar{fill:var(--present)}"
	".removed-bar{fill:var(--removed)}.other-bar{fill:#6e7781}.src-bar{fill:var(--src)}"
	".hard-bar{fill:var(--hard)}\n"
	"footer{margin-top:32px;color:var(--mute);font-size:12px}\n";

static void head(struct strbuf *sb, json_t *doc)
{
	strbuf_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			"style-src 'unsafe-inline'\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			"<meta name=\"generator\" content=\"quench report\">\n<title>quench harden: ");
	esc(sb, json_get_str(json_get_obj(doc, "source"), "image"));
	strbuf_adds(sb, "</title>\n<style>\n");
	strbuf_adds(sb, css);
	strbuf_adds(sb, "</style>\n</head>\n<body>\n");
}

/* ---- the top: what was hardened into what, and the verdicts ------------------------------- */

static void meta_row(struct strbuf *sb, const char *label, const char *id, const char *value)
{
	if (!value)
		return;
	strbuf_addf(sb, "<dt>%s</dt><dd><code id=\"%s\">", label, id);
	esc(sb, value);
	strbuf_adds(sb, "</code></dd>\n");
}

static void card(struct strbuf *sb, const char *id, const char *title, const char *cls,
		 const char *value, const char *note)
{
	strbuf_addf(sb, "<div class=\"card\" id=\"%s\"><h3>%s</h3><p class=\"%s\">", id, title, cls);
	esc(sb, value);
	strbuf_adds(sb, "</p>");
	if (note) {
		strbuf_adds(sb, "<p class=\"note\">");
		esc(sb, note);
		strbuf_adds(sb, "</p>");
	}
	strbuf_adds(sb, "</div>\n");
}

static void validation_card(struct strbuf *sb, const char *v)
{
	if (v && !strcmp(v, "passed"))
		card(sb, "validation", "Validation", "ok", v,
		     "the workload ran on both images: same exit code, same output");
	else if (v && !strcmp(v, "skipped"))
		card(sb, "validation", "Validation", "warn", v, "harden ran with --no-validate");
	else
		card(sb, "validation", "Validation", "bad", v, NULL);
}

static void verdicts(struct strbuf *sb, json_t *doc)
{
	json_t *s = json_get_obj(doc, "source"), *h = json_get_obj(doc, "hardened");
	strbuf_adds(sb, "<section class=\"cards\">\n");
	validation_card(sb, json_get_str(doc, "validation"));
	const char *user = json_get_str(h, "user");
	const char *before = json_get_str(s, "user");
	bool root = user && (!strcmp(user, "root") || !strcmp(user, "0") || str_starts_with(user, "0:"));
	cleanup_free char *was = xasprintf("source: %s", before ? before : DASH);
	card(sb, "user", "User", user && !root ? "ok" : "warn", user, was);
	const char *why = json_get_str(doc, "rootNeededFor");
	if (why)
		card(sb, "root", "Root", "warn", "kept", why);
	else if (root)
		card(sb, "root", "Root", "warn", "kept", "chosen for the hardened image (--user)");
	else
		card(sb, "root", "Root", "ok", "not needed", "the workload needed no privilege");
	json_t *fs = json_get_obj(doc, "findings");
	if (fs) {
		char v[64], note[160];
		long long open = hr_count(fs, "open");
		if (open >= 0) {   /* what stays open once the hardened image's OpenVEX applies */
			snprintf(v, sizeof(v), "%lld open", open);
			snprintf(note, sizeof(note), "reachable, of %lld in the source; %lld present "
				 "(not affected, in the OpenVEX)", hr_count(fs, "before"),
				 hr_count(fs, "present"));
		} else {
			snprintf(v, sizeof(v), "%lld left", hr_count(fs, "after"));
			snprintf(note, sizeof(note), "of %lld in the source; %lld reachable",
				 hr_count(fs, "before"), hr_count(fs, "reachable"));
		}
		card(sb, "open-findings", "Open findings", hr_count(fs, "reachable") > 0 ? "bad" : "ok",
		     v, note);
	} else {
		card(sb, "open-findings", "Open findings", "warn", "not scanned",
		     "no advisory database");
	}
	strbuf_adds(sb, "</section>\n");
}

static void header(struct strbuf *sb, json_t *doc)
{
	json_t *s = json_get_obj(doc, "source"), *h = json_get_obj(doc, "hardened");
	strbuf_adds(sb, "<header>\n<h1>Hardening report</h1>\n<p class=\"images\"><code id=\"source-image\">");
	esc(sb, json_get_str(s, "image"));
	strbuf_adds(sb, "</code> &#8594; <code id=\"hardened-image\">");
	esc(sb, json_get_str(h, "image"));
	strbuf_adds(sb, "</code></p>\n<dl class=\"meta\">\n");
	meta_row(sb, "source digest", "source-digest", json_get_str(s, "manifestDigest"));
	meta_row(sb, "hardened digest", "hardened-digest", json_get_str(h, "manifestDigest"));
	meta_row(sb, "seccomp profile", "seccomp-profile", json_get_str(h, "seccompProfile"));
	strbuf_adds(sb, "</dl>\n</header>\n");
	verdicts(sb, doc);
}

/* ---- before and after ------------------------------------------------------------------------ */

static void value_cell(struct strbuf *sb, const struct hr_row *r, json_t *img, const char *side)
{
	strbuf_addf(sb, "<td class=\"num\" id=\"%s-%s\">", side, r->key);
	long long n = hr_count(img, r->key);
	if (r->kind == HR_STR) {
		esc(sb, json_get_str(img, r->key));
	} else if (n < 0) {
		strbuf_adds(sb, !strcmp(r->key, "syscallsAllowed") && !strcmp(side, "source")
					? "all<small>no seccomp profile</small>" : DASH);
	} else if (r->kind == HR_BYTES) {
		char buf[32];
		strbuf_addf(sb, "%s<small>%lld bytes</small>", human_size((uint64_t)n, buf,
									 sizeof(buf)), n);
	} else {
		strbuf_addf(sb, "%lld", n);
	}
	/* a list (shells, package managers): the names under the count */
	json_t *list = json_get_arr(img, r->key);
	if (json_array_size(list)) {
		strbuf_adds(sb, "<small>");
		size_t i;
		json_t *x;
		json_array_foreach(list, i, x) {
			strbuf_adds(sb, i ? " " : "");
			esc(sb, json_is_string(x) ? json_string_value(x) : "?");
		}
		strbuf_adds(sb, "</small>");
	}
	strbuf_adds(sb, "</td>");
}

/* "-93.1 %": the change from a to b; empty when either is missing. */
static void change_cell(struct strbuf *sb, long long a, long long b)
{
	strbuf_adds(sb, "<td class=\"num change\">");
	if (a >= 0 && b >= 0) {
		if (a == b)
			strbuf_adds(sb, "same");
		else if (a == 0)
			strbuf_addf(sb, "+%lld", b);
		else
			strbuf_addf(sb, "%+.1f %%", ((double)b - (double)a) * 100.0 / (double)a);
	}
	strbuf_adds(sb, "</td>");
}

static void extra_rows(struct strbuf *sb, json_t *s, json_t *h)
{
	struct strvec keys = STRVEC_INIT;
	hr_extra_keys(s, h, &keys);
	for (size_t i = 0; i < keys.n; i++) {
		strbuf_adds(sb, "<tr class=\"extra\"><th>");
		esc(sb, keys.v[i]);
		strbuf_adds(sb, "</th>");
		long long a = hr_count(s, keys.v[i]), b = hr_count(h, keys.v[i]);
		char t[32];
		for (size_t j = 0; j < 2; j++)
			strbuf_addf(sb, "<td class=\"num\">%s</td>",
				    hr_count_text(j ? b : a, DASH, t, sizeof(t)));
		change_cell(sb, a, b);
		strbuf_adds(sb, "</tr>\n");
	}
	strvec_clear(&keys);
}

static void summary_table(struct strbuf *sb, json_t *s, json_t *h)
{
	strbuf_adds(sb, "<table class=\"summary\" id=\"summary-table\">\n<thead><tr><th></th>"
			"<th>source</th><th>hardened</th><th>change</th></tr></thead>\n<tbody>\n");
	for (const struct hr_row *r = hr_rows; r->key; r++) {
		if (!hr_row_present(r, s, h))
			continue;
		strbuf_addf(sb, "<tr id=\"row-%s\"><th>%s</th>", r->key, r->label);
		value_cell(sb, r, s, "source");
		value_cell(sb, r, h, "hardened");
		if (r->kind == HR_STR)
			strbuf_adds(sb, "<td class=\"num change\"></td>");
		else
			change_cell(sb, hr_count(s, r->key), hr_count(h, r->key));
		strbuf_adds(sb, "</tr>\n");
	}
	extra_rows(sb, s, h);
	strbuf_adds(sb, "</tbody>\n</table>\n");
}

/* ---- SVG bar charts ---------------------------------------------------------------------------- */

enum { LABEL_W = 120, BAR_W = 400, ROW_H = 24, BAR_H = 16, CHART_W = 620 };

static double bar_width(double v, double max)
{
	if (v <= 0 || max <= 0)
		return 0;
	double w = v / max * BAR_W;
	return w < 1 ? 1 : w;
}

static void svg_open(struct strbuf *sb, const char *id, const char *title, int height)
{
	strbuf_addf(sb, "<svg class=\"chart\" id=\"%s\" role=\"img\" viewBox=\"0 0 %d %d\" "
			"width=\"%d\" height=\"%d\"><title>%s</title>\n"
			"<text class=\"title\" x=\"0\" y=\"14\">%s</text>\n",
		    id, CHART_W, height, CHART_W, height, title, title);
}

/* One bar chart row: label, then stacked segments of v[], then the text. */
struct bar_row {
	const char *label;
	double v[3];
	const char *text;
};
struct bar_seg {
	const char *cls, *name;
};

static void svg_row(struct strbuf *sb, int y, const struct bar_row *r, const struct bar_seg *segs,
		    size_t n_seg, double max)
{
	/* the row's label and total as attributes too: what tests (and
	 * scrapers) read without parsing the geometry */
	strbuf_adds(sb, "<g data-label=\"");
	esc(sb, r->label);
	strbuf_adds(sb, "\" data-total=\"");
	esc(sb, r->text);
	strbuf_addf(sb, "\"><text x=\"0\" y=\"%d\">", y + BAR_H - 3);
	esc(sb, r->label);
	strbuf_adds(sb, "</text>");
	double x = LABEL_W;
	for (size_t k = 0; k < n_seg; k++) {
		double w = bar_width(r->v[k], max);
		if (w > 0)
			strbuf_addf(sb, "<rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
					"height=\"%d\"><title>%s</title></rect>",
				    segs[k].cls, x, y, w, BAR_H, segs[k].name);
		x += w;
	}
	strbuf_addf(sb, "<text x=\"%.1f\" y=\"%d\">", x + 6, y + BAR_H - 3);
	esc(sb, r->text);
	strbuf_adds(sb, "</text></g>\n");
}

/* Rows of stacked segments on one scale, a legend under them when there
 * is more than one kind of segment. */
static void svg_bars(struct strbuf *sb, const char *id, const char *title, const struct bar_row *rows,
		     size_t n, const struct bar_seg *segs, size_t n_seg)
{
	double max = 0;
	for (size_t i = 0; i < n; i++) {
		double t = 0;
		for (size_t k = 0; k < n_seg; k++)
			t += rows[i].v[k] > 0 ? rows[i].v[k] : 0;
		max = t > max ? t : max;
	}
	int height = 24 + (int)n * ROW_H + (n_seg > 1 ? ROW_H : 0);
	svg_open(sb, id, title, height);
	for (size_t i = 0; i < n; i++)
		svg_row(sb, 24 + (int)i * ROW_H, &rows[i], segs, n_seg, max);
	for (size_t k = 0; n_seg > 1 && k < n_seg; k++) {
		int x = LABEL_W + (int)k * 110, y = 24 + (int)n * ROW_H + 4;
		strbuf_addf(sb, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\"/>"
				"<text x=\"%d\" y=\"%d\">%s</text>\n",
			    segs[k].cls, x, y, x + 16, y + 11, segs[k].name);
	}
	strbuf_adds(sb, "</svg>\n");
}

/* Source against hardened for each measure, each pair on its own scale. */
static void svg_compare(struct strbuf *sb, json_t *s, json_t *h)
{
	static const struct bar_seg src = { "src-bar", "source" }, hard = { "hard-bar", "hardened" };
	const struct hr_row *rows[8];
	size_t n = 0;
	for (const struct hr_row *r = hr_rows; r->key && n < ARRAY_SIZE(rows); r++)
		if (r->kind != HR_STR && strcmp(r->key, "syscallsAllowed") &&
		    hr_row_present(r, s, h) && hr_count(s, r->key) >= 0 && hr_count(h, r->key) >= 0)
			rows[n++] = r;
	if (!n)
		return;
	int height = 24 + (int)n * (2 * ROW_H + 8) + ROW_H;
	svg_open(sb, "chart-compare", "Source and hardened image", height);
	for (size_t i = 0; i < n; i++) {
		long long a = hr_count(s, rows[i]->key), b = hr_count(h, rows[i]->key);
		double max = (double)(a > b ? a : b);
		char ta[48], tb[48];
		if (rows[i]->kind == HR_BYTES) {
			human_size((uint64_t)a, ta, sizeof(ta));
			human_size((uint64_t)b, tb, sizeof(tb));
		} else {
			snprintf(ta, sizeof(ta), "%lld", a);
			snprintf(tb, sizeof(tb), "%lld", b);
		}
		int y = 24 + (int)i * (2 * ROW_H + 8);
		struct bar_row ra = { rows[i]->label, { (double)a }, ta }, rb = { "", { (double)b }, tb };
		svg_row(sb, y, &ra, &src, 1, max);
		svg_row(sb, y + ROW_H, &rb, &hard, 1, max);
	}
	int y = 24 + (int)n * (2 * ROW_H + 8) + 4;
	strbuf_addf(sb, "<rect class=\"src-bar\" x=\"%d\" y=\"%d\" width=\"12\" height=\"12\"/>"
			"<text x=\"%d\" y=\"%d\">source</text><rect class=\"hard-bar\" x=\"%d\" "
			"y=\"%d\" width=\"12\" height=\"12\"/><text x=\"%d\" y=\"%d\">hardened</text>\n"
			"</svg>\n",
		    LABEL_W, y, LABEL_W + 16, y + 11, LABEL_W + 110, y, LABEL_W + 126, y + 11);
}

static void before_after(struct strbuf *sb, json_t *doc)
{
	json_t *s = json_get_obj(doc, "source"), *h = json_get_obj(doc, "hardened");
	strbuf_adds(sb, "<section id=\"before-after\">\n<h2>Before and after</h2>\n");
	summary_table(sb, s, h);
	json_t *d = json_get_obj(doc, "dropped");
	if (d) {
		char a[32], b[32];
		hr_count_text(hr_count(d, "setuidBits"), DASH, a, sizeof(a));
		hr_count_text(hr_count(d, "deviceNodes"), DASH, b, sizeof(b));
		strbuf_addf(sb, "<p id=\"dropped\">Dropped: <span id=\"dropped-setuid\">%s</span> "
				"setuid or setgid bits, <span id=\"dropped-devices\">%s</span> device "
				"nodes.</p>\n", a, b);
	}
	svg_compare(sb, s, h);
	strbuf_adds(sb, "</section>\n");
}

/* ---- the findings ---------------------------------------------------------------------------- */

static void class_chart(struct strbuf *sb, json_t *fs)
{
	static const char *const keys[] = { "reachable", "present", "removed" };
	static const struct bar_seg segs[] = { { "reachable-bar", "reachable" },
					       { "present-bar", "present" },
					       { "removed-bar", "removed" } };
	struct bar_row rows[3];
	char text[3][32];
	for (size_t i = 0; i < 3; i++) {
		long long n = hr_count(fs, keys[i]);
		hr_count_text(n, DASH, text[i], sizeof(text[i]));
		rows[i] = (struct bar_row){ keys[i], { 0 }, text[i] };
		rows[i].v[i] = n > 0 ? (double)n : 0;
	}
	svg_bars(sb, "chart-class", "Findings of the source, by class", rows, 3, segs, 3);
}

static void severity_chart(struct strbuf *sb, json_t **left, size_t n)
{
	static const struct bar_seg segs[] = { { "reachable-bar", "reachable" },
					       { "present-bar", "present" },
					       { "other-bar", "other" } };
	size_t count[HR_N_SEVERITIES][3] = { { 0 } };
	for (size_t i = 0; i < n; i++)
		count[hr_severity_rank(left[i])][hr_class_rank(left[i])]++;
	struct bar_row rows[HR_N_SEVERITIES];
	char text[HR_N_SEVERITIES][32];
	size_t k = 0;
	for (size_t s = 0; s < HR_N_SEVERITIES; s++) {
		size_t total = count[s][0] + count[s][1] + count[s][2];
		if (!total && s >= 4)   /* "none" and "unknown" only when some are */
			continue;
		snprintf(text[k], sizeof(text[k]), "%zu", total);
		rows[k] = (struct bar_row){ hr_severities[s],
					    { (double)count[s][0], (double)count[s][1],
					      (double)count[s][2] }, text[k] };
		k++;
	}
	svg_bars(sb, "chart-severity", "Findings left, by severity", rows, k, segs, 3);
}

static void finding_row(struct strbuf *sb, json_t *f)
{
	static const char *const cls[] = { "reachable", "present", "other" };
	strbuf_addf(sb, "<tr class=\"%s\"><td class=\"id\"><code>", cls[hr_class_rank(f)]);
	esc(sb, json_get_str(f, "id"));
	strbuf_adds(sb, "</code></td><td class=\"package\">");
	esc(sb, json_get_str(f, "package"));
	strbuf_addf(sb, "</td><td><span class=\"sev sev-%s\">", hr_severities[hr_severity_rank(f)]);
	esc(sb, json_get_str(f, "severity"));
	strbuf_adds(sb, "</span></td><td class=\"class\">");
	esc(sb, json_get_str(f, "class"));
	strbuf_adds(sb, "</td><td class=\"evidence\">");
	if (json_get_str(f, "evidence")) {
		strbuf_adds(sb, "<code>");
		esc(sb, json_get_str(f, "evidence"));
		strbuf_adds(sb, "</code>");
	} else {
		strbuf_adds(sb, "<span class=\"mute\">" DASH "</span>");
	}
	strbuf_adds(sb, "</td></tr>\n");
}

static void findings_table(struct strbuf *sb, json_t *fs, json_t **left, size_t n)
{
	strbuf_adds(sb, "<h2>Findings left</h2>\n");
	if (!json_get_arr(fs, "left")) {
		strbuf_adds(sb, "<p class=\"note\" id=\"no-left\">The report does not list the "
				"findings left.</p>\n");
		return;
	}
	if (!n) {
		strbuf_adds(sb, "<p id=\"no-left\">No finding is left in the hardened image.</p>\n");
		return;
	}
	strbuf_adds(sb, "<p class=\"note\">Reachable: the profile shows a file of the package "
			"executed, loaded, or read when it is code (the evidence). Present: "
			"shipped, none of its code ran.</p>\n"
			"<table id=\"findings-left\">\n<thead><tr><th>finding</th><th>package</th>"
			"<th>severity</th><th>class</th><th>evidence</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++)
		finding_row(sb, left[i]);
	strbuf_adds(sb, "</tbody>\n</table>\n");
}

static void findings(struct strbuf *sb, json_t *doc)
{
	strbuf_adds(sb, "<section id=\"findings\">\n<h2>Vulnerability findings</h2>\n");
	json_t *fs = json_get_obj(doc, "findings");
	if (!fs) {
		strbuf_adds(sb, "<p class=\"note\" id=\"no-findings\">This report has no findings: "
				"quench harden ran without an advisory database. Load one "
				"(<code>quench db update</code> or <code>quench db import</code>) and "
				"harden again (<code>--db FILE</code>) to sort every finding into "
				"reachable, present and removed.</p>\n</section>\n");
		return;
	}
	char n[5][32];
	static const char *const keys[] = { "before", "after", "reachable", "present", "removed" };
	for (size_t i = 0; i < 5; i++)
		hr_count_text(hr_count(fs, keys[i]), DASH, n[i], sizeof(n[i]));
	strbuf_addf(sb, "<p id=\"findings-summary\"><span id=\"findings-before\">%s</span> in the "
			"source; <span id=\"findings-after\">%s</span> left in the hardened image "
			"(<span id=\"findings-reachable\">%s</span> reachable, <span "
			"id=\"findings-present\">%s</span> present); <span "
			"id=\"findings-removed\">%s</span> removed with their packages.</p>\n",
		    n[0], n[1], n[2], n[3], n[4]);
	size_t k;
	cleanup_free json_t **left = hr_findings_left(doc, &k);
	strbuf_adds(sb, "<div class=\"charts\">\n");
	class_chart(sb, fs);
	severity_chart(sb, left, k);
	strbuf_adds(sb, "</div>\n");
	findings_table(sb, fs, left, k);
	strbuf_adds(sb, "</section>\n");
}

static void string_list(struct strbuf *sb, const char *id, const char *title, json_t *arr)
{
	if (!json_array_size(arr))
		return;
	strbuf_addf(sb, "<h3>%s</h3>\n<ul id=\"%s\">\n", title, id);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		strbuf_adds(sb, "<li><code>");
		esc(sb, json_is_string(v) ? json_string_value(v) : "?");
		strbuf_adds(sb, "</code></li>\n");
	}
	strbuf_adds(sb, "</ul>\n");
}

/* When validation failed: what differed, and what the hardened tree lacked. */
static void differences(struct strbuf *sb, json_t *doc)
{
	json_t *d = json_get_obj(doc, "differences");
	if (!d)
		return;
	strbuf_adds(sb, "<section id=\"differences\">\n<h2>Why validation failed</h2>\n");
	string_list(sb, "missing-files", "Files the workload asked for that the hardened image "
					 "lacks", json_get_arr(d, "missingFiles"));
	string_list(sb, "denied-syscalls", "Syscalls the seccomp profile denies",
		    json_get_arr(d, "deniedSyscalls"));
	static const char *const runs[] = { "source", "hardened" };
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_get_obj(d, runs[i]);
		if (!r)
			continue;
		json_t *code = json_object_get(r, "exitCode");
		strbuf_addf(sb, "<h3>The %s image: exit %lld</h3>\n", runs[i],
			    json_is_integer(code) ? (long long)json_integer_value(code) : -1LL);
		string_list(sb, i ? "hardened-probes" : "source-probes", "Probes",
			    json_get_arr(r, "probes"));
	}
	strbuf_adds(sb, "</section>\n");
}

char *report_harden_html(json_t *doc)
{
	struct strbuf sb = STRBUF_INIT;
	head(&sb, doc);
	header(&sb, doc);
	differences(&sb, doc);
	before_after(&sb, doc);
	findings(&sb, doc);
	strbuf_adds(&sb, "<footer>quench report &#183; " REPORT_HARDEN_SCHEMA "</footer>\n"
			 "</body>\n</html>\n");
	return strbuf_detach(&sb);
}
