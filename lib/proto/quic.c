/* SPDX-License-Identifier: MIT */
/*
 * QUIC client Initial packets: RFC 9000 §17.2 (long header), §19 (frames); RFC 9001 §5
 * (Initial protection); RFC 9369 (QUIC v2); draft-ietf-quic-transport-22..34; Google QUIC.
 *
 *   Long header, Initial (RFC 9000 §17.2.2)
 *   +-+-+-+-+-+-+-+-+
 *   |1|1|T T|R R|P P|  T = packet type (Initial: 0b00 in v1/drafts, 0b01 in v2)
 *   +-+-+-+-+-+-+-+-+  R, P = reserved bits and packet number length-1, header-protected
 *   |    Version (32)                                 |
 *   | DCID Len (8) | Destination Connection ID (0..160)  |
 *   | SCID Len (8) | Source Connection ID (0..160)       |
 *   | Token Length (i) | Token (..)                      |
 *   | Length (i)       | Packet Number (8..32, protected) | Protected Payload (..) |
 *
 * Initial secrets: HKDF-Extract(version salt, client's first DCID), then HKDF-Expand-Label
 * "client in", then "quic key"/"quic iv"/"quic hp" ("quicv2 ..." in v2).  Header protection
 * is AES-128-ECB over a 16-byte sample taken 4 bytes after the packet number's start; the
 * payload is AEAD_AES_128_GCM with the header (unmasked) as associated data.  The payload's
 * CRYPTO frames carry the TLS ClientHello, which may span several packets and datagrams.
 *
 * Google QUIC: Q024..Q046 send the CHLO handshake message in the clear after a 12-byte
 * message hash (public header, or Q046's long-header look-alike).  Q050 and T050/T051 use
 * the IETF long header and Initial protection with their own salts, but gQUIC frames inside
 * (CRYPTO is type 0x08); Q050's crypto stream carries a CHLO, T05x's a TLS ClientHello.
 *
 *   CHLO: tag "CHLO" | u16le n | u16 0 | n x (tag[4], u32le end offset) | values
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "core/cursor.h"
#include "proto/quic.h"

#define QUIC_MAX_CID 20 /* RFC 9000 §17.2 */
#define QUIC_MAX_PACKET 4096 /* one decrypted Initial; clients send 1200..1500 */
#define QUIC_MAX_COALESCED 8 /* long-header packets walked in one datagram */
#define QUIC_MAX_FRAMES 256 /* frames read from one packet (a padding run counts once) */
#define QUIC_MAX_ACK_RANGES 64 /* more in a client's Initial ACK is malformed for us */
#define QUIC_MAX_DERIVATIONS 8 /* key derivations per flow; bounds work per bad packet */
#define QUIC_KEY_SLOTS 2 /* the client's first DCID, and the latest other one */
#define QUIC_TAG_LEN 16
#define QUIC_IV_LEN 12
#define QUIC_KEY_LEN 16
#define QUIC_SECRET_LEN 32
#define GQUIC_HASH_LEN 12 /* FNV-1a message hash before unencrypted gQUIC frames */
#define GQUIC_CHLO_MAX_TAGS 128 /* kMaxEntries in Chromium's crypto_framer */

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu
#define GQUIC_Q046 0x51303436u
#define GQUIC_Q050 0x51303530u
#define GQUIC_T050 0x54303530u
#define GQUIC_T051 0x54303531u
#define MVFST_22 0xfaceb001u
#define MVFST_27 0xfaceb002u
#define MVFST_EXP 0xfaceb00eu

/* What the version puts in the crypto stream, and how its frames are encoded. */
enum quic_kind {
	QUIC_KIND_IETF, /* IETF frames, TLS ClientHello */
	QUIC_KIND_GTLS, /* gQUIC frames, TLS ClientHello (T050, T051) */
	QUIC_KIND_GCHLO, /* gQUIC frames, CHLO (Q050) */
};

struct quic_version {
	const uint8_t *salt;
	bool v2_labels;
	uint8_t initial_type;
	enum quic_kind kind;
};

/* RFC 9001 §5.2 */
static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
/* RFC 9369 §3.3.1 */
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
/* draft-ietf-quic-tls-22 §5.2 (also mvfst draft-22) */
static const uint8_t salt_d22[20] = {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
				     0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};
/* draft-ietf-quic-tls-23..28 (also mvfst draft-27 and experimental) */
static const uint8_t salt_d23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
				     0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
/* draft-ietf-quic-tls-29..32; drafts 33 and 34 already use the v1 salt */
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
/* Google QUIC, as listed by Wireshark's packet-quic.c and nDPI's quic.c */
static const uint8_t salt_q050[20] = {0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94,
				      0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0, 0xd3, 0xb5, 0x6b, 0x45};
static const uint8_t salt_t050[20] = {0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
				      0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
static const uint8_t salt_t051[20] = {0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
				      0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

struct quic_keys {
	bool valid;
	bool any_pn; /* largest_pn is meaningful */
	uint32_t version;
	uint8_t dcid_len;
	uint8_t dcid[QUIC_MAX_CID];
	uint8_t iv[QUIC_IV_LEN];
	uint64_t largest_pn;
	EVP_CIPHER_CTX *aead; /* AES-128-GCM with the key set; only the nonce changes */
	EVP_CIPHER_CTX *hp; /* AES-128-ECB for the header protection mask */
};

struct lw_quic_state {
	uint32_t version; /* of the first packet we could read */
	bool done;
	unsigned derivations;
	struct lw_tls_hello hello;
	struct quic_keys keys[QUIC_KEY_SLOTS];
	size_t contig; /* crypto[0..contig) has arrived */
	uint8_t have[LW_QUIC_CRYPTO_MAX / 8];
	uint8_t crypto[LW_QUIC_CRYPTO_MAX];
	uint8_t plain[QUIC_MAX_PACKET];
};

static int quic_version_lookup(uint32_t v, struct quic_version *out)
{
	*out = (struct quic_version){salt_v1, false, 0, QUIC_KIND_IETF};
	if (v == QUIC_V1)
		return 0;
	if (v == QUIC_V2) {
		out->salt = salt_v2;
		out->v2_labels = true;
		out->initial_type = 1;
		return 0;
	}
	if ((v >> 8) == 0xff0000) {
		uint8_t d = (uint8_t)v;

		if (d == 22)
			out->salt = salt_d22;
		else if (d >= 23 && d <= 28)
			out->salt = salt_d23;
		else if (d >= 29 && d <= 32)
			out->salt = salt_d29;
		else if (d == 33 || d == 34)
			out->salt = salt_v1;
		else
			return -EPROTONOSUPPORT;
		return 0;
	}
	switch (v) {
	case MVFST_22:
		out->salt = salt_d22;
		return 0;
	case MVFST_27:
	case MVFST_EXP:
		out->salt = salt_d23;
		return 0;
	case GQUIC_Q050:
		out->salt = salt_q050;
		out->kind = QUIC_KIND_GCHLO;
		return 0;
	case GQUIC_T050:
		out->salt = salt_t050;
		out->kind = QUIC_KIND_GTLS;
		return 0;
	case GQUIC_T051:
		out->salt = salt_t051;
		out->kind = QUIC_KIND_GTLS;
		return 0;
	}
	return -EPROTONOSUPPORT;
}

/* Q024..Q046: the CHLO travels unencrypted. */
static bool gquic_plain_version(uint32_t v)
{
	uint8_t tens = (uint8_t)(v >> 8), ones = (uint8_t)v;

	return (v >> 16) == 0x5130 /* "Q0" */ && tens >= '2' && tens <= '4' && ones >= '0' &&
	       ones <= '9' && v <= GQUIC_Q046;
}

struct lw_quic_state *lw_quic_state_new(void)
{
	return calloc(1, sizeof(struct lw_quic_state));
}

void lw_quic_state_free(struct lw_quic_state *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < QUIC_KEY_SLOTS; i++) {
		EVP_CIPHER_CTX_free(s->keys[i].aead);
		EVP_CIPHER_CTX_free(s->keys[i].hp);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* ---- key derivation (RFC 9001 §5.1, §5.2; RFC 8446 §7.1 HKDF-Expand-Label) ---- */

static int quic_hkdf(int mode, const uint8_t *key, size_t key_len, const uint8_t *salt,
		     size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out,
		     size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	char digest[] = "SHA256";
	int r = -EIO;

	if (!ctx)
		goto out;
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
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static int quic_expand_label(const uint8_t secret[QUIC_SECRET_LEN], const char *label, uint8_t *out,
			     size_t out_len)
{
	/* HkdfLabel: u16 length | u8 len, "tls13 " + label | u8 0 (empty context) */
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t n = strlen(label), i = 0;

	if (n > 32)
		return -EINVAL;
	info[i++] = (uint8_t)(out_len >> 8);
	info[i++] = (uint8_t)out_len;
	info[i++] = (uint8_t)(6 + n);
	memcpy(info + i, "tls13 ", 6);
	i += 6;
	memcpy(info + i, label, n);
	i += n;
	info[i++] = 0;
	return quic_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, QUIC_SECRET_LEN, NULL, 0, info, i,
			 out, out_len);
}

static int quic_keys_derive(struct quic_keys *k, uint32_t version, const struct quic_version *vi,
			    const uint8_t *dcid, uint8_t dcid_len)
{
	uint8_t initial[QUIC_SECRET_LEN], client[QUIC_SECRET_LEN], key[QUIC_KEY_LEN],
		hp[QUIC_KEY_LEN];
	int r;

	k->valid = false;
	r = quic_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dcid_len, vi->salt, 20, NULL, 0,
		      initial, sizeof(initial));
	if (!r)
		r = quic_expand_label(initial, "client in", client, sizeof(client));
	if (!r)
		r = quic_expand_label(client, vi->v2_labels ? "quicv2 key" : "quic key", key,
				      sizeof(key));
	if (!r)
		r = quic_expand_label(client, vi->v2_labels ? "quicv2 iv" : "quic iv", k->iv,
				      sizeof(k->iv));
	if (!r)
		r = quic_expand_label(client, vi->v2_labels ? "quicv2 hp" : "quic hp", hp,
				      sizeof(hp));
	if (!r && !k->aead && !(k->aead = EVP_CIPHER_CTX_new()))
		r = -ENOMEM;
	if (!r && !k->hp && !(k->hp = EVP_CIPHER_CTX_new()))
		r = -ENOMEM;
	if (!r && (EVP_DecryptInit_ex(k->aead, EVP_aes_128_gcm(), NULL, key, NULL) <= 0 ||
		   EVP_EncryptInit_ex(k->hp, EVP_aes_128_ecb(), NULL, hp, NULL) <= 0 ||
		   EVP_CIPHER_CTX_set_padding(k->hp, 0) <= 0))
		r = -EIO;
	OPENSSL_cleanse(initial, sizeof(initial));
	OPENSSL_cleanse(client, sizeof(client));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hp, sizeof(hp));
	if (r)
		return r;
	k->valid = true;
	k->any_pn = false;
	k->version = version;
	k->dcid_len = dcid_len;
	memcpy(k->dcid, dcid, dcid_len);
	return 0;
}

/* RFC 9000 appendix A.3 */
static uint64_t quic_decode_pn(const struct quic_keys *k, uint64_t truncated, size_t pn_len)
{
	uint64_t expected, win, hwin, mask, cand;

	if (!k->any_pn)
		return truncated;
	expected = k->largest_pn + 1;
	win = (uint64_t)1 << (pn_len * 8);
	hwin = win / 2;
	mask = win - 1;
	cand = (expected & ~mask) | truncated;
	if (cand + hwin <= expected && cand < ((uint64_t)1 << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/*
 * Removes header protection and decrypts one Initial packet p[0..pkt_len), whose packet number
 * starts at pn_off.  On success the plaintext is s->plain[0..*plain_len).
 */
static int quic_decrypt(struct lw_quic_state *s, struct quic_keys *k, const uint8_t *p,
			size_t pn_off, size_t pkt_len, size_t *plain_len)
{
	uint8_t mask[16], first, pn_bytes[4], nonce[QUIC_IV_LEN], tag[QUIC_TAG_LEN];
	size_t pn_len, i, ct_len;
	uint64_t truncated = 0, pn;
	int outl, fin;

	if (pkt_len < pn_off || pkt_len - pn_off < 4 + 16)
		return -EBADMSG; /* no room for the header protection sample */
	if (EVP_EncryptUpdate(k->hp, mask, &outl, p + pn_off + 4, 16) <= 0 || outl != 16)
		return -EIO;
	first = p[0] ^ (mask[0] & 0x0f);
	pn_len = (size_t)(first & 0x03) + 1;
	if (pkt_len - pn_off < pn_len + QUIC_TAG_LEN)
		return -EBADMSG;
	for (i = 0; i < pn_len; i++) {
		pn_bytes[i] = p[pn_off + i] ^ mask[1 + i];
		truncated = truncated << 8 | pn_bytes[i];
	}
	pn = quic_decode_pn(k, truncated, pn_len);
	ct_len = pkt_len - pn_off - pn_len - QUIC_TAG_LEN;
	if (ct_len > sizeof(s->plain))
		return -EMSGSIZE;

	memcpy(nonce, k->iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[QUIC_IV_LEN - 1 - i] ^= (uint8_t)(pn >> (8 * i));
	memcpy(tag, p + pkt_len - QUIC_TAG_LEN, QUIC_TAG_LEN);

	/* The associated data is the unprotected header, fed in pieces to avoid a copy. */
	if (EVP_DecryptInit_ex(k->aead, NULL, NULL, NULL, nonce) <= 0 ||
	    EVP_DecryptUpdate(k->aead, NULL, &outl, &first, 1) <= 0 ||
	    EVP_DecryptUpdate(k->aead, NULL, &outl, p + 1, (int)(pn_off - 1)) <= 0 ||
	    EVP_DecryptUpdate(k->aead, NULL, &outl, pn_bytes, (int)pn_len) <= 0 ||
	    EVP_DecryptUpdate(k->aead, s->plain, &outl, p + pn_off + pn_len, (int)ct_len) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(k->aead, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN, tag) <= 0)
		return -EIO;
	fin = EVP_DecryptFinal_ex(k->aead, s->plain + outl, &outl);
	if (fin <= 0)
		return -EBADMSG;
	if (!k->any_pn || pn > k->largest_pn)
		k->largest_pn = pn;
	k->any_pn = true;
	*plain_len = ct_len;
	return 0;
}

/* ---- crypto stream reassembly ---- */

static void quic_crypto_add(struct lw_quic_state *s, uint64_t off, const uint8_t *data,
			    uint64_t len)
{
	uint64_t i;

	/* Bytes past the buffer are dropped: a hello that needs them fails as -EMSGSIZE. */
	if (off >= LW_QUIC_CRYPTO_MAX)
		return;
	len = LW_MIN(len, LW_QUIC_CRYPTO_MAX - off);
	memcpy(s->crypto + off, data, len);
	for (i = off; i < off + len; i++)
		s->have[i / 8] |= (uint8_t)(1u << (i % 8));
	while (s->contig < LW_QUIC_CRYPTO_MAX && (s->have[s->contig / 8] >> (s->contig % 8)) & 1)
		s->contig++;
}

/*
 * Reads a CHLO message: the SNI tag's value, if present.  Returns the message length when all
 * of it is in p[0..len), LW_NEED_MORE when it is not (out->sni may already be set), -EBADMSG
 * when it is malformed.
 */
static int gquic_chlo_parse(const uint8_t *p, size_t len, struct lw_tls_hello *out)
{
	struct lw_cursor c = lw_cursor_make(p, len), idx;
	uint32_t n, i, prev = 0;
	size_t values;

	memset(out, 0, sizeof(*out));
	if (len >= 4 && memcmp(p, "CHLO", 4) != 0)
		return -EBADMSG;
	lw_cursor_skip(&c, 4);
	n = lw_cursor_le16(&c);
	lw_cursor_skip(&c, 2);
	if (c.err)
		return LW_NEED_MORE;
	if (n > GQUIC_CHLO_MAX_TAGS)
		return -EBADMSG;
	values = 8 + (size_t)n * 8;
	idx = lw_cursor_make(p + 8, LW_MIN(len - 8, (size_t)n * 8));
	for (i = 0; i < n; i++) {
		const uint8_t *tag = lw_cursor_bytes(&idx, 4);
		uint32_t end = lw_cursor_le32(&idx);
		size_t vlen, k;

		if (idx.err)
			return LW_NEED_MORE;
		if (end < prev || end > LW_QUIC_CRYPTO_MAX)
			return -EBADMSG;
		vlen = end - prev;
		if (memcmp(tag, "SNI", 4) == 0 && values + end <= len && vlen > 0 &&
		    vlen < sizeof(out->sni)) {
			const uint8_t *v = p + values + prev;

			for (k = 0; k < vlen && v[k] > 0x20 && v[k] < 0x7f; k++)
				;
			if (k == vlen) {
				memcpy(out->sni, v, vlen);
				out->sni[vlen] = '\0';
				lw_ascii_lower(out->sni, vlen);
			}
		}
		out->n_extensions++;
		prev = end;
	}
	if (values + prev > len)
		return LW_NEED_MORE;
	return (int)(values + prev);
}

/* Parses the reassembled crypto stream once its first message is complete: 1, 0, -errno. */
static int quic_crypto_check(struct lw_quic_state *s, enum quic_kind kind)
{
	int r;

	if (kind == QUIC_KIND_GCHLO) {
		r = gquic_chlo_parse(s->crypto, s->contig, &s->hello);
	} else {
		if (s->contig >= 4) {
			uint32_t need = (uint32_t)s->crypto[1] << 16 | (uint32_t)s->crypto[2] << 8 |
					s->crypto[3];
			if (need + 4 > LW_QUIC_CRYPTO_MAX)
				return -EMSGSIZE;
		}
		r = lw_tls_parse_handshake(s->crypto, s->contig, &s->hello);
	}
	if (r == LW_NEED_MORE)
		return s->contig == LW_QUIC_CRYPTO_MAX ? -EMSGSIZE : 0;
	if (r < 0)
		return r;
	s->done = true;
	return 1;
}

/* ---- frames ---- */

static void quic_skip_ack(struct lw_cursor *c, bool ecn)
{
	uint64_t ranges, i;

	(void)lw_cursor_varint(c); /* largest acknowledged */
	(void)lw_cursor_varint(c); /* ack delay */
	ranges = lw_cursor_varint(c);
	(void)lw_cursor_varint(c); /* first range */
	if (ranges > QUIC_MAX_ACK_RANGES) {
		lw_cursor_fail(c);
		return;
	}
	for (i = 0; i < ranges && !c->err; i++) {
		(void)lw_cursor_varint(c); /* gap */
		(void)lw_cursor_varint(c); /* range length */
	}
	if (ecn) {
		(void)lw_cursor_varint(c);
		(void)lw_cursor_varint(c);
		(void)lw_cursor_varint(c);
	}
}

static void quic_crypto_frame(struct lw_quic_state *s, struct lw_cursor *c)
{
	uint64_t off = lw_cursor_varint(c);
	uint64_t n = lw_cursor_varint(c);
	const uint8_t *data = lw_cursor_bytes(c, n);

	if (data)
		quic_crypto_add(s, off, data, n);
}

/*
 * Reads the frames of one decrypted Initial (RFC 9000 §19; in an Initial only PADDING, PING,
 * ACK, CRYPTO and CONNECTION_CLOSE may appear) into the crypto stream.  A frame we cannot
 * read ends the packet; what came before it is kept.
 */
static void quic_ietf_frames(struct lw_quic_state *s, const uint8_t *p, size_t len)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	unsigned n;

	for (n = 0; n < QUIC_MAX_FRAMES && lw_cursor_left(&c) > 0; n++) {
		uint64_t type = lw_cursor_varint(&c);

		switch (type) {
		case 0x00: /* PADDING: swallow the whole run */
			while (lw_cursor_left(&c) > 0 && c.p[0] == 0)
				lw_cursor_skip(&c, 1);
			break;
		case 0x01: /* PING */
			break;
		case 0x02:
		case 0x03:
			quic_skip_ack(&c, type == 0x03);
			break;
		case 0x06:
			quic_crypto_frame(s, &c);
			break;
		case 0x1c:
		case 0x1d:
			(void)lw_cursor_varint(&c); /* error code */
			if (type == 0x1c)
				(void)lw_cursor_varint(&c); /* frame type */
			lw_cursor_skip(&c, lw_cursor_varint(&c));
			break;
		default:
			return;
		}
		if (c.err)
			return;
	}
}

/* gQUIC frames (Q050, T05x): PADDING 0x00 fills the rest, PING 0x07, CRYPTO 0x08. */
static void quic_gquic_frames(struct lw_quic_state *s, const uint8_t *p, size_t len)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	unsigned n;

	for (n = 0; n < QUIC_MAX_FRAMES && lw_cursor_left(&c) > 0; n++) {
		uint8_t type = lw_cursor_u8(&c);

		if (type == 0x07)
			continue;
		if (type != 0x08)
			return;
		quic_crypto_frame(s, &c);
		if (c.err)
			return;
	}
}

/* ---- packets ---- */

/* Picks the keys for a packet: the flow's current ones, else ones derived from its DCID. */
static int quic_open_initial(struct lw_quic_state *s, uint32_t version,
			     const struct quic_version *vi, const uint8_t *dcid, uint8_t dcid_len,
			     const uint8_t *p, size_t pn_off, size_t pkt_len, size_t *plain_len)
{
	struct quic_keys *k0 = &s->keys[0], *k1 = &s->keys[1], tmp;
	int r = -EBADMSG;

	/* Later client Initials carry the server's CID but keep the first DCID's keys. */
	if (k0->valid && k0->version == version) {
		r = quic_decrypt(s, k0, p, pn_off, pkt_len, plain_len);
		if (r != -EBADMSG)
			return r;
		if (k0->dcid_len == dcid_len && !memcmp(k0->dcid, dcid, dcid_len))
			return r;
	}
	if (k1->valid && k1->version == version && k1->dcid_len == dcid_len &&
	    !memcmp(k1->dcid, dcid, dcid_len)) {
		r = quic_decrypt(s, k1, p, pn_off, pkt_len, plain_len);
	} else {
		if (dcid_len == 0 || s->derivations >= QUIC_MAX_DERIVATIONS)
			return r;
		s->derivations++;
		k1 = k0->valid ? k1 : k0;
		r = quic_keys_derive(k1, version, vi, dcid, dcid_len);
		if (r)
			return r;
		r = quic_decrypt(s, k1, p, pn_off, pkt_len, plain_len);
	}
	if (r == 0 && k1 != k0) {
		/* A new first DCID (after a Retry, or the capture missed the first Initial):
		 * its keys protect what follows. */
		tmp = *k0;
		*k0 = *k1;
		*k1 = tmp;
	}
	return r;
}

/* Q024..Q046: finds the CHLO after the public header and reads its SNI. */
static int gquic_plain(struct lw_quic_state *s, const uint8_t *p, size_t len, uint32_t *version,
		       struct lw_tls_hello *out)
{
	static const size_t pn_lens[4] = {1, 2, 4, 6};
	struct lw_cursor c = lw_cursor_make(p, len);
	uint8_t flags = lw_cursor_u8(&c);
	const uint8_t *chlo;
	uint32_t v;
	int r;

	if (flags & 0x80) { /* Q046: long header with nibble-coded CID lengths */
		uint8_t cil;

		v = lw_cursor_be32(&c);
		cil = lw_cursor_u8(&c);
		lw_cursor_skip(&c, (cil >> 4) ? (cil >> 4) + 3u : 0);
		lw_cursor_skip(&c, (cil & 0x0f) ? (cil & 0x0f) + 3u : 0);
		lw_cursor_skip(&c, (flags & 0x03) + 1u);
	} else {
		if (!(flags & 0x01))
			return -EBADMSG; /* no version: not a client's first packet */
		if (flags & 0x08)
			lw_cursor_skip(&c, 8);
		v = lw_cursor_be32(&c);
		lw_cursor_skip(&c, pn_lens[(flags >> 4) & 0x03]);
	}
	if (c.err)
		return -EBADMSG;
	*version = v;
	if (!gquic_plain_version(v))
		return -EPROTONOSUPPORT;
	/* The CHLO follows the message hash and a STREAM frame header on stream 1 whose layout
	 * changed from version to version; its tag is the reliable landmark. */
	if (lw_cursor_left(&c) < GQUIC_HASH_LEN)
		return -EBADMSG;
	chlo = memmem(c.p + GQUIC_HASH_LEN, lw_cursor_left(&c) - GQUIC_HASH_LEN, "CHLO", 4);
	if (!chlo)
		return 0;
	r = gquic_chlo_parse(chlo, (size_t)(c.end - chlo), &s->hello);
	if (r == LW_NEED_MORE && !s->hello.sni[0])
		return 0; /* a CHLO continued in the next packet, which we do not join */
	if (r < 0 && r != LW_NEED_MORE)
		return r;
	s->version = v;
	s->done = true;
	*out = s->hello;
	return 1;
}

bool lw_quic_is_initial(const uint8_t *p, size_t len)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	struct quic_version vi;
	uint8_t first = lw_cursor_u8(&c);
	uint32_t v;

	if (!(first & 0x80)) {
		if ((first & 0x09) != 0x09) /* version and 8-byte connection ID present */
			return false;
		lw_cursor_skip(&c, 8);
		v = lw_cursor_be32(&c);
		return !c.err && gquic_plain_version(v) && v != GQUIC_Q046;
	}
	v = lw_cursor_be32(&c);
	if (c.err)
		return false;
	if (v == GQUIC_Q046)
		return (first & 0x30) == 0;
	if (quic_version_lookup(v, &vi) < 0 || !(first & 0x40))
		return false;
	if (((first >> 4) & 0x03) != vi.initial_type)
		return false;
	return lw_cursor_u8(&c) <= QUIC_MAX_CID && !c.err;
}

int lw_quic_feed(struct lw_quic_state *s, const uint8_t *p, size_t len, uint32_t *version,
		 struct lw_tls_hello *out)
{
	struct quic_version vi;
	struct lw_cursor c = lw_cursor_make(p, len);
	uint32_t v;
	int r, result = 0;
	bool opened = false, failed = false;
	unsigned n;

	*version = 0;
	if (s->done) {
		*version = s->version;
		*out = s->hello;
		return 1;
	}
	if (len < 1)
		return -EBADMSG;
	if (!(p[0] & 0x80))
		return gquic_plain(s, p, len, version, out);
	lw_cursor_skip(&c, 1);
	v = lw_cursor_be32(&c);
	if (c.err)
		return -EBADMSG;
	*version = v;
	if (v == 0)
		return -EPROTONOSUPPORT; /* version negotiation: nothing of the client's hello */
	if (v == GQUIC_Q046)
		return gquic_plain(s, p, len, version, out);
	r = quic_version_lookup(v, &vi);
	if (r < 0)
		return r;

	/* Coalesced packets (RFC 9000 §12.2): each long header carries its Length. */
	c = lw_cursor_make(p, len);
	for (n = 0; n < QUIC_MAX_COALESCED && lw_cursor_left(&c) > 0; n++) {
		const uint8_t *pkt = c.p, *dcid;
		uint8_t first = lw_cursor_u8(&c), dcid_len, scid_len, type;
		uint64_t length;
		size_t pn_off, plain_len = 0;

		if (!(first & 0x80) || lw_cursor_be32(&c) != v)
			break; /* a short header packet, or datagram padding */
		type = (first >> 4) & 0x03;
		dcid_len = lw_cursor_u8(&c);
		dcid = lw_cursor_bytes(&c, dcid_len);
		scid_len = lw_cursor_u8(&c);
		lw_cursor_skip(&c, scid_len);
		if (dcid_len > QUIC_MAX_CID || scid_len > QUIC_MAX_CID)
			lw_cursor_fail(&c);
		if (type == vi.initial_type)
			lw_cursor_skip(&c, lw_cursor_varint(&c)); /* token */
		else if (type == (v == QUIC_V2 ? 0x00 : 0x03))
			break; /* Retry has no Length; a client does not send one anyway */
		length = lw_cursor_varint(&c);
		if (c.err || length > lw_cursor_left(&c)) {
			if (n == 0)
				return -EBADMSG; /* truncated or not QUIC */
			break;
		}
		pn_off = (size_t)(c.p - pkt);
		lw_cursor_skip(&c, length);
		if (type != vi.initial_type)
			continue; /* 0-RTT or Handshake: not readable with Initial keys */

		r = quic_open_initial(s, v, &vi, dcid, dcid_len, pkt, pn_off, pn_off + length,
				      &plain_len);
		if (r < 0) {
			failed = true;
			result = r;
			continue;
		}
		if (s->version != v) {
			/* The client started over in another version (after a Version
			 * Negotiation): its new hello replaces what the old one left. */
			memset(s->have, 0, sizeof(s->have));
			s->contig = 0;
			s->version = v;
		}
		opened = true;
		if (vi.kind == QUIC_KIND_IETF)
			quic_ietf_frames(s, s->plain, plain_len);
		else
			quic_gquic_frames(s, s->plain, plain_len);
	}
	if (!opened)
		return failed ? (result == -EMSGSIZE ? result : -EBADMSG) : 0;
	r = quic_crypto_check(s, vi.kind);
	if (r == 1)
		*out = s->hello;
	return r;
}
