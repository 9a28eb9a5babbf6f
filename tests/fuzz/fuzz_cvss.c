/* Fuzz CVSS vectors: any input either fails with a message or gives a
 * score within [0, 10] with one decimal, a known version, and the same
 * result when scored again. Anything else aborts. */
#include "vuln/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = xstrndup((const char *)data, size);
	struct qerr err = QERR_INIT;
	double score = -1;
	int version = 0;
	if (cvss_base_score(s, &score, &version, &err) < 0) {
		if (!err.msg[0]) {
			fprintf(stderr, "'%s' failed without a message\n", s);
			abort();
		}
		free(s);
		return 0;
	}
	long t = (long)(score * 10.0 + 0.5);
	if (!(score >= 0.0 && score <= 10.0) || (double)t / 10.0 != score) {
		fprintf(stderr, "'%s' scores %.17g\n", s, score);
		abort();
	}
	if (version != 30 && version != 31 && version != 40) {
		fprintf(stderr, "'%s' has version %d\n", s, version);
		abort();
	}
	double again = -1;
	if (cvss_base_score(s, &again, NULL, &err) < 0 || again != score) {
		fprintf(stderr, "'%s' scores differently the second time\n", s);
		abort();
	}
	(void)cvss_severity_name(cvss_severity_of(score));
	free(s);
	return 0;
}
