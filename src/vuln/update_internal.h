/* vuln/update — private: the parts of a reply that update.c reads, exposed
 * for the fuzz target. */
#ifndef QUENCH_VULN_UPDATE_INTERNAL_H
#define QUENCH_VULN_UPDATE_INTERNAL_H

#include <stddef.h>

/* The longest ETag or Last-Modified kept (and sent back). */
#define FEED_VALIDATOR_MAX 512

/* From one reply header line ("ETag: \"abc\"\r\n"), the value of header
 * `name` (matched without case), trimmed; NULL when the line is another
 * header, or the value is one we would not send back in a request: empty,
 * longer than FEED_VALIDATOR_MAX, or not printable ASCII. Caller frees. */
char *feed_header_value(const char *line, size_t len, const char *name);

#endif
