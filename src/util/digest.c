/* sha256 through OpenSSL's EVP (uses the CPU's SHA extensions). */
#include "util.h"

#include <openssl/evp.h>

void sha256_init(struct sha256 *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		BUG("EVP sha256 init");
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		BUG("EVP sha256 update");
}

void sha256_final(struct sha256 *h, char out[DIGEST_STR_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		BUG("EVP sha256 final");
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
	sha256_release(h);
}

void sha256_release(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void sha256_buf(const void *data, size_t len, char out[DIGEST_STR_MAX])
{
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final(&h, out);
}

static bool hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

bool digest_valid(const char *d)
{
	if (!d)
		return false;
	if (str_starts_with(d, "sha256:"))
		return strlen(d + 7) == 64 && hex_lower(d + 7, 64);
	if (str_starts_with(d, "sha512:"))
		return strlen(d + 7) == 128 && hex_lower(d + 7, 128);
	return false;
}

const char *digest_hex(const char *d)
{
	const char *c = strchr(d, ':');
	return c ? c + 1 : d;
}
