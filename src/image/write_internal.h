/* Shared by write.c and commit.c only. */
#ifndef QUENCH_WRITE_INTERNAL_H
#define QUENCH_WRITE_INTERNAL_H

#include "image_internal.h"

#include <stdatomic.h>

struct written_layer {
	struct descriptor desc;
	char diff_id[DIGEST_STR_MAX];
};

struct image_writer {
	struct image_ref dst;
	struct image_writer_opts opts;
	char *stage;                   /* staging directory path; NULL once moved */
	int stage_fd;
	atomic_uint tmp_counter;
	struct written_layer *layers;
	size_t n_layers, cap_layers;
	char manifest_digest[DIGEST_STR_MAX];
	bool committed;
};

/* A small document (config, manifest) stored as a blob of the stage. */
int write_blob_bytes(struct image_writer *w, const char *data, size_t len,
		     const char *media_type, struct descriptor *d, struct qerr *err);

#endif
