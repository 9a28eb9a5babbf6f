/* Fuzz the manifest and index parsers with arbitrary bytes: both must
 * either succeed with checked descriptors or fail with a message. */
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_descriptor(const struct descriptor *d)
{
	if (!digest_valid(d->digest))
		BUG("parsed descriptor has an invalid digest");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qerr err = QERR_INIT;
	struct manifest m;
	if (manifest_parse((const char *)data, size, &m, &err) == 0) {
		check_descriptor(&m.config);
		for (size_t i = 0; i < m.n_layers; i++)
			check_descriptor(&m.layers[i]);
		manifest_release(&m);
	} else if (!err.msg[0]) {
		BUG("manifest_parse failed without a message");
	}
	struct index ix;
	err.msg[0] = '\0';
	if (index_parse((const char *)data, size, &ix, &err) == 0) {
		for (size_t i = 0; i < ix.n_entries; i++)
			check_descriptor(&ix.entries[i].desc);
		index_release(&ix);
	} else if (!err.msg[0]) {
		BUG("index_parse failed without a message");
	}
	return 0;
}
