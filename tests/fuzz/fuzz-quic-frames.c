/* SPDX-License-Identifier: MIT */
/*
 * QUIC past the AEAD: the input is the plaintext of one or more client Initial packets, which
 * this harness protects as a client would (RFC 9001 §5: Initial keys from the version's salt
 * and the DCID, AES-128-GCM, header protection) before lw_quic_feed() sees them.  A fuzzer
 * mutating real Initials almost never gets through the tag; this way the frame walker, the
 * CRYPTO reassembly and the hello parsers behind them get the mutations.
 *
 *   byte 0: bits 0-1 version (v1, v2, T051: gQUIC frames + TLS, Q050: gQUIC frames + CHLO)
 *           bit 2    all packets coalesced in one datagram (else one datagram each)
 *           bit 3    packets after the first use a second DCID (a new key derivation)
 *   rest:   packet plaintexts as 2-byte length-prefixed parts (fuzz.h)
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#include "fuzz.h"
#include "proto/quic.h"

#define MAX_PACKETS 8
#define MAX_PLAIN 1400
#define PN_LEN 2
#define TAG_LEN 16

struct version {
	uint32_t v;
	const char *prefix; /* "quic" or "quicv2" */
	uint8_t initial_type;
	uint8_t salt[20];
};

static const struct version versions[4] = {
	{0x00000001, "quic", 0, {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}},
	{0x6b3343cf, "quicv2", 1, {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				   0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9}},
	{0x54303531, "quic", 0, {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
				 0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d}},
	{0x51303530, "quic", 0, {0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94,
				 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45}},
};

/* RFC 9001 appendix A's DCID, and a second one */
static const uint8_t dcids[2][8] = {
	{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08},
	{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08},
};

struct keys {
	uint8_t key[16], iv[12], hp[16];
};

/* Derived once in LLVMFuzzerInitialize: the keys depend only on version and DCID. */
static struct keys keytab[4][2];

static int hkdf(int mode, const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
		const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	char digest[] = "SHA256";
	int r = -1;

	if (ctx) {
		*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
		*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
		if (salt)
			*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
								 salt_len);
		if (info)
			*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
								 info_len);
		*p = OSSL_PARAM_construct_end();
		if (EVP_KDF_derive(ctx, out, out_len, params) > 0)
			r = 0;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static int expand_label(const uint8_t secret[32], const char *prefix, const char *label,
			uint8_t *out, size_t out_len)
{
	uint8_t info[64];
	char full[40];
	size_t n;

	snprintf(full, sizeof(full), "tls13 %s%s%s", prefix, prefix[0] ? " " : "", label);
	n = strlen(full);
	info[0] = (uint8_t)(out_len >> 8);
	info[1] = (uint8_t)out_len;
	info[2] = (uint8_t)n;
	memcpy(info + 3, full, n);
	info[3 + n] = 0;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, NULL, 0, info, 4 + n, out, out_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t v, d;

	(void)argc;
	(void)argv;
	for (v = 0; v < 4; v++) {
		for (d = 0; d < 2; d++) {
			struct keys *k = &keytab[v][d];
			uint8_t initial[32], client[32];

			if (hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcids[d], 8, versions[v].salt, 20,
				 NULL, 0, initial, 32) < 0 ||
			    expand_label(initial, "", "client in", client, 32) < 0 ||
			    expand_label(client, versions[v].prefix, "key", k->key, 16) < 0 ||
			    expand_label(client, versions[v].prefix, "iv", k->iv, 12) < 0 ||
			    expand_label(client, versions[v].prefix, "hp", k->hp, 16) < 0)
				fuzz_fail("HKDF failed");
		}
	}
	return 0;
}

/* Writes one protected Initial to out (room for MAX_PLAIN + 64); returns its length. */
static size_t protect(const struct version *ver, const struct keys *k, const uint8_t *dcid,
		      uint16_t pn, const uint8_t *plain, size_t plain_len, uint8_t *out)
{
	uint8_t padded[MAX_PLAIN], nonce[12], mask[16];
	size_t i = 0, pn_off, len;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl;

	/* at least 4 bytes of payload so the header protection sample (pn + 4, 16 bytes) fits */
	memset(padded, 0, sizeof(padded));
	memcpy(padded, plain, plain_len);
	if (plain_len < 4)
		plain_len = 4;
	len = PN_LEN + plain_len + TAG_LEN;

	out[i++] = (uint8_t)(0xc0 | ver->initial_type << 4 | (PN_LEN - 1));
	out[i++] = (uint8_t)(ver->v >> 24);
	out[i++] = (uint8_t)(ver->v >> 16);
	out[i++] = (uint8_t)(ver->v >> 8);
	out[i++] = (uint8_t)ver->v;
	out[i++] = 8;
	memcpy(out + i, dcid, 8);
	i += 8;
	out[i++] = 0; /* SCID length */
	out[i++] = 0; /* token length */
	out[i++] = (uint8_t)(0x40 | len >> 8);
	out[i++] = (uint8_t)len;
	pn_off = i;
	out[i++] = (uint8_t)(pn >> 8);
	out[i++] = (uint8_t)pn;

	memcpy(nonce, k->iv, 12);
	nonce[10] ^= (uint8_t)(pn >> 8);
	nonce[11] ^= (uint8_t)pn;
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) <= 0 ||
	    EVP_EncryptUpdate(c, NULL, &outl, out, (int)i) <= 0 ||
	    EVP_EncryptUpdate(c, out + i, &outl, padded, (int)plain_len) <= 0 ||
	    EVP_EncryptFinal_ex(c, out + i + outl, &outl) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + i + plain_len) <= 0)
		fuzz_fail("AES-GCM failed");
	i += plain_len + TAG_LEN;

	if (EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL) <= 0 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) <= 0 ||
	    EVP_EncryptUpdate(c, mask, &outl, out + pn_off + 4, 16) <= 0)
		fuzz_fail("AES-ECB failed");
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	out[pn_off] ^= mask[1];
	out[pn_off + 1] ^= mask[2];
	return i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dgram[MAX_PACKETS * (MAX_PLAIN + 64)];
	struct lw_quic_state *s;
	struct fuzz_parts parts;
	const struct version *ver;
	struct lw_tls_hello h;
	const uint8_t *plain;
	size_t plain_len, used = 0;
	uint32_t version;
	uint16_t pn = 0;
	bool coalesce, second_dcid;
	int r = 0;

	if (size < 1)
		return 0;
	ver = &versions[data[0] & 3];
	coalesce = data[0] & 4;
	second_dcid = data[0] & 8;
	s = lw_quic_state_new();
	if (!s)
		return 0;
	parts = fuzz_parts_make(data + 1, size - 1);
	while (pn < MAX_PACKETS && fuzz_parts_next(&parts, &plain, &plain_len)) {
		int d = second_dcid && pn > 0;

		plain_len = LW_MIN(plain_len, (size_t)MAX_PLAIN);
		used += protect(ver, &keytab[ver - versions][d], dcids[d], pn, plain, plain_len,
				dgram + used);
		pn++;
		if (coalesce)
			continue;
		r = lw_quic_feed(s, dgram, used, &version, &h);
		used = 0;
		fuzz_assert(r == 0 || r == 1 || r == -EBADMSG || r == -EMSGSIZE);
		fuzz_assert(version == ver->v);
		if (r != 0)
			break;
	}
	if (coalesce && used > 0) {
		r = lw_quic_feed(s, dgram, used, &version, &h);
		fuzz_assert(r == 0 || r == 1 || r == -EBADMSG || r == -EMSGSIZE);
	}
	if (r == 1)
		fuzz_assert(fuzz_printable(h.sni, sizeof(h.sni)));
	lw_quic_state_free(s);
	return 0;
}
