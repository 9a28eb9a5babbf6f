/* harden — private: what the keep set and the metadata writer share. */
#ifndef QUENCH_HARDEN_INTERNAL_H
#define QUENCH_HARDEN_INTERNAL_H

#include "harden/harden.h"

/* kept[i] (c->n_pkgs flags, the caller's): does package i still own one
 * of the kept paths that is not a directory? Ownership is the catalog's
 * (a dpkg list naming "/lib" does not make merged-/usr's link its file). */
void harden_kept_packages(const struct catalog *c, const struct strvec *keep, bool *kept);

#endif
