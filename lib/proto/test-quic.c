/* SPDX-License-Identifier: MIT */
/*
 * QUIC Initial tests: the RFC 9001 / RFC 9369 sample client Initials, packets this test
 * protects itself (its protection is first checked against the RFC's bytes), CRYPTO split and
 * reordered across packets and datagrams, every truncation, Google QUIC, and the real captures
 * of the shared corpus (argv[1]).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

#include "core/types.h"
#include "proto/quic.h"
#include "lw-test-corpus.h"
#include "lw-test.h"

/* ---- vectors ---- */

/* RFC 9001 A.2: the unprotected header and CRYPTO frame (padding follows to 1162 bytes). */
static const char rfc_a2_header[] = "c300000001088394c8f03e5157080000449e00000002";
static const char rfc_a2_crypto[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";

/* RFC 9001 A.2: the protected packet. */
static const char rfc9001_a2[] = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
				 "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
				 "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
				 "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
				 "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
				 "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
				 "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
				 "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
				 "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
				 "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
				 "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
				 "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
				 "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
				 "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
				 "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
				 "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
				 "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
				 "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
				 "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
				 "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
				 "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
				 "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
				 "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
				 "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
				 "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
				 "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
				 "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
				 "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
				 "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
				 "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
				 "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
				 "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
				 "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
				 "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
				 "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
				 "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
				 "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
				 "e221af44860018ab0856972e194cd934";

/* RFC 9369 A.2: the same hello in QUIC version 2. */
static const char rfc9369_a2[] = "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
				 "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
				 "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
				 "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
				 "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
				 "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
				 "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
				 "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
				 "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
				 "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
				 "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
				 "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
				 "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
				 "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
				 "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
				 "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
				 "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
				 "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
				 "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
				 "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
				 "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
				 "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
				 "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
				 "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
				 "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
				 "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
				 "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
				 "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
				 "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
				 "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
				 "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
				 "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
				 "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
				 "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
				 "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
				 "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
				 "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
				 "a18b2faa745b6fe189cf772a9f84cbfc";

static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_d29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t rfc_dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; h[0] && h[1] && n < max; h += 2) {
		unsigned v;

		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* ---- a small, independent Initial protector (RFC 9001 §5) ---- */

struct tkeys {
	uint8_t key[16], iv[12], hp[16];
};

static void t_hkdf(int mode, const uint8_t *key, size_t klen, const uint8_t *salt, size_t slen,
		   const uint8_t *info, size_t ilen, uint8_t *out, size_t olen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM params[6], *p = params;
	char md[] = "SHA256";

	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
	if (salt)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
	if (info)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, ilen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, olen, params) <= 0)
		abort();
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

static void t_label(const uint8_t *secret, const char *label, uint8_t *out, size_t olen)
{
	uint8_t info[64];
	size_t n = strlen(label);

	info[0] = 0;
	info[1] = (uint8_t)olen;
	info[2] = (uint8_t)(6 + n);
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, n);
	info[9 + n] = 0;
	t_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, 32, NULL, 0, info, 10 + n, out, olen);
}

static void t_derive(const uint8_t salt[20], const uint8_t *dcid, size_t dlen, bool v2,
		     struct tkeys *k)
{
	uint8_t initial[32], client[32];

	t_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dlen, salt, 20, NULL, 0, initial, 32);
	t_label(initial, "client in", client, 32);
	t_label(client, v2 ? "quicv2 key" : "quic key", k->key, 16);
	t_label(client, v2 ? "quicv2 iv" : "quic iv", k->iv, 12);
	t_label(client, v2 ? "quicv2 hp" : "quic hp", k->hp, 16);
}

/* Protects hdr (its last pn_len bytes are the packet number) + payload into out. */
static size_t t_protect(const struct tkeys *k, const uint8_t *hdr, size_t hlen, size_t pn_len,
			uint64_t pn, const uint8_t *payload, size_t plen, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], mask[16];
	int outl;
	size_t i;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	memcpy(out, hdr, hlen);
	if (EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) <= 0 ||
	    EVP_EncryptUpdate(c, NULL, &outl, hdr, (int)hlen) <= 0 ||
	    EVP_EncryptUpdate(c, out + hlen, &outl, payload, (int)plen) <= 0 ||
	    EVP_EncryptFinal_ex(c, out + hlen + outl, &outl) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + hlen + plen) <= 0)
		abort();
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, k->hp, NULL) <= 0 ||
	    EVP_EncryptUpdate(c, mask, &outl, out + hlen - pn_len + 4, 16) <= 0)
		abort();
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		out[hlen - pn_len + i] ^= mask[1 + i];
	return hlen + plen + 16;
}

/* Builds a protected client Initial: 2-byte packet number, payload padded to pad bytes. */
static size_t t_initial(uint32_t version, uint8_t type, const uint8_t salt[20], bool v2,
			const uint8_t *dcid, size_t dlen, const uint8_t *key_dcid, size_t key_dlen,
			uint64_t pn, const uint8_t *payload, size_t plen, size_t pad, uint8_t *out)
{
	uint8_t hdr[64], body[1500];
	struct tkeys k;
	size_t h = 0, blen = LW_MAX(plen, pad), length;

	memset(body, 0, sizeof(body));
	memcpy(body, payload, plen);
	length = 2 + blen + 16;
	hdr[h++] = (uint8_t)(0xc0 | type << 4 | 0x01);
	hdr[h++] = (uint8_t)(version >> 24);
	hdr[h++] = (uint8_t)(version >> 16);
	hdr[h++] = (uint8_t)(version >> 8);
	hdr[h++] = (uint8_t)version;
	hdr[h++] = (uint8_t)dlen;
	memcpy(hdr + h, dcid, dlen);
	h += dlen;
	hdr[h++] = 3; /* SCID */
	hdr[h++] = 0xaa;
	hdr[h++] = 0xbb;
	hdr[h++] = 0xcc;
	hdr[h++] = 0; /* token */
	hdr[h++] = (uint8_t)(0x40 | length >> 8);
	hdr[h++] = (uint8_t)length;
	hdr[h++] = (uint8_t)(pn >> 8);
	hdr[h++] = (uint8_t)pn;
	t_derive(salt, key_dcid, key_dlen, v2, &k);
	return t_protect(&k, hdr, h, 2, pn, body, blen, out);
}

static size_t t_crypto_frame(uint8_t *out, size_t off, const uint8_t *data, size_t n)
{
	size_t i = 0;

	out[i++] = 0x06;
	out[i++] = (uint8_t)(0x40 | off >> 8);
	out[i++] = (uint8_t)off;
	out[i++] = (uint8_t)(0x40 | n >> 8);
	out[i++] = (uint8_t)n;
	memcpy(out + i, data, n);
	return i + n;
}

/* A ClientHello with SNI, ALPN "h3", ECH and a large key share (as post-quantum ones are). */
static size_t t_big_hello(uint8_t *out, const char *sni, size_t share)
{
	uint8_t *p = out, *body, *exts;
	size_t n = strlen(sni), len;

	*p++ = 1;
	p += 3;
	body = p;
	*p++ = 3;
	*p++ = 3;
	memset(p, 0x11, 32);
	p += 32;
	*p++ = 0;
	*p++ = 0;
	*p++ = 2;
	*p++ = 0x13;
	*p++ = 0x01;
	*p++ = 1;
	*p++ = 0;
	p += 2;
	exts = p;
	*p++ = 0; /* server_name */
	*p++ = 0;
	*p++ = (uint8_t)((n + 5) >> 8);
	*p++ = (uint8_t)(n + 5);
	*p++ = (uint8_t)((n + 3) >> 8);
	*p++ = (uint8_t)(n + 3);
	*p++ = 0;
	*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	memcpy(p, sni, n);
	p += n;
	memcpy(p, "\x00\x10\x00\x05\x00\x03\x02h3", 9); /* ALPN */
	p += 9;
	*p++ = 0x00; /* key_share, opaque filler */
	*p++ = 0x33;
	*p++ = (uint8_t)(share >> 8);
	*p++ = (uint8_t)share;
	memset(p, 0x5a, share);
	p += share;
	memcpy(p, "\xfe\x0d\x00\x02\xab\xcd", 6); /* encrypted_client_hello */
	p += 6;
	len = (size_t)(p - exts);
	exts[-2] = (uint8_t)(len >> 8);
	exts[-1] = (uint8_t)len;
	len = (size_t)(p - body);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return (size_t)(p - out);
}

static int feed_guarded(struct lw_quic_state *s, const uint8_t *p, size_t len, uint32_t *v,
			struct lw_tls_hello *h)
{
	struct lw_test_guard_buf g;
	const uint8_t *q = lw_test_guard(p, len, &g);
	int r = lw_quic_feed(s, q, len, v, h);

	lw_test_unguard(&g);
	return r;
}

/* ---- tests ---- */

static void test_keys_and_protector(void)
{
	/* RFC 9001 A.1 keys, then A.2's exact bytes from our protector. */
	static const char key[] = "1f369613dd76d5467730efcbe3b1a22d";
	static const char iv[] = "fa044b2f42a3fd3b46fb255c";
	static const char hp[] = "9f50449e04a0e810283a1e9933adedd2";
	uint8_t want[1500], hdr[32], payload[1162], out[1500], b[16];
	struct tkeys k;
	size_t n;

	t_derive(salt_v1, rfc_dcid, 8, false, &k);
	LW_CHECK(unhex(key, b, 16) == 16 && memcmp(b, k.key, 16) == 0);
	LW_CHECK(unhex(iv, b, 12) == 12 && memcmp(b, k.iv, 12) == 0);
	LW_CHECK(unhex(hp, b, 16) == 16 && memcmp(b, k.hp, 16) == 0);

	memset(payload, 0, sizeof(payload));
	unhex(rfc_a2_crypto, payload, sizeof(payload));
	n = unhex(rfc_a2_header, hdr, sizeof(hdr));
	LW_CHECK_INT(n, 22);
	n = t_protect(&k, hdr, n, 4, 2, payload, sizeof(payload), out);
	LW_CHECK_INT(n, 1200);
	LW_CHECK_INT(unhex(rfc9001_a2, want, sizeof(want)), 1200);
	LW_CHECK(memcmp(out, want, 1200) == 0);
}

static void test_rfc9001_a2(void)
{
	uint8_t pkt[1500];
	size_t n = unhex(rfc9001_a2, pkt, sizeof(pkt));
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v = 0;

	LW_CHECK(lw_quic_is_initial(pkt, n));
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), 1);
	LW_CHECK_INT(v, 1);
	LW_CHECK_STR(h.sni, "example.com");
	LW_CHECK_STR(h.alpn, "alpn");
	LW_CHECK_INT(h.legacy_version, 0x0303);
	LW_CHECK(!h.ech);
	/* Once complete, the flow keeps its answer. */
	LW_CHECK_INT(feed_guarded(s, pkt, 10, &v, &h), 1);
	LW_CHECK_STR(h.sni, "example.com");
	lw_quic_state_free(s);

	/* One flipped bit in the ciphertext: the tag fails. */
	pkt[600] ^= 0x01;
	s = lw_quic_state_new();
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), -EBADMSG);
	lw_quic_state_free(s);
}

static void test_rfc9369_a2(void)
{
	uint8_t pkt[1500];
	size_t n = unhex(rfc9369_a2, pkt, sizeof(pkt));
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v = 0;

	LW_CHECK_INT(n, 1200);
	LW_CHECK(lw_quic_is_initial(pkt, n));
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), 1);
	LW_CHECK_INT(v, 0x6b3343cf);
	LW_CHECK_STR(h.sni, "example.com");
	lw_quic_state_free(s);

	/* The v1 packet type bits in a v2 packet mean a Retry, not an Initial. */
	pkt[0] = (uint8_t)((pkt[0] & 0xcf) | 0x00);
	LW_CHECK(!lw_quic_is_initial(pkt, n));
}

static void test_truncations(void)
{
	uint8_t pkt[1500];
	size_t n = unhex(rfc9001_a2, pkt, sizeof(pkt));
	int ones = 0;

	LW_FOR_EACH_PREFIX(pkt, n, q, len, {
		struct lw_quic_state *s = lw_quic_state_new();
		struct lw_tls_hello h;
		uint32_t v;
		int r = lw_quic_feed(s, q, len, &v, &h);

		if (r == 1)
			ones++;
		else if (r != -EBADMSG)
			LW_CHECK_INT(r, -EBADMSG);
		(void)lw_quic_is_initial(q, len);
		lw_quic_state_free(s);
	});
	LW_CHECK_INT(ones, 1); /* only the whole packet */
}

static void test_crypto_split_out_of_order(void)
{
	uint8_t crypto[300], ch[300], f[400], p1[1500], p2[1500];
	size_t chlen, n1, n2, f1, f2;
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v;

	unhex(rfc_a2_crypto, crypto, sizeof(crypto));
	chlen = 241;
	memcpy(ch, crypto + 4, chlen);
	f1 = t_crypto_frame(f, 0, ch, 100);
	n1 = t_initial(1, 0, salt_v1, false, rfc_dcid, 8, rfc_dcid, 8, 0, f, f1, 1162, p1);
	f2 = t_crypto_frame(f, 100, ch + 100, chlen - 100);
	n2 = t_initial(1, 0, salt_v1, false, rfc_dcid, 8, rfc_dcid, 8, 1, f, f2, 1162, p2);

	LW_CHECK_INT(feed_guarded(s, p2, n2, &v, &h), 0);
	LW_CHECK_INT(feed_guarded(s, p2, n2, &v, &h), 0); /* a retransmission changes nothing */
	LW_CHECK_INT(feed_guarded(s, p1, n1, &v, &h), 1);
	LW_CHECK_STR(h.sni, "example.com");
	lw_quic_state_free(s);
}

static void test_coalesced_and_new_dcid(void)
{
	static const uint8_t server_cid[5] = {1, 2, 3, 4, 5};
	uint8_t ch[2000], f[1400], dgram[3000], p3[1500];
	size_t chlen = t_big_hello(ch, "PQ.Example.org", 1500), n, f1, n3;
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v;

	LW_CHECK(chlen > 1500);
	/* Two Initials coalesced in one datagram carry the first 1000 bytes, in reverse order. */
	f1 = t_crypto_frame(f, 500, ch + 500, 500);
	n = t_initial(1, 0, salt_v1, false, rfc_dcid, 8, rfc_dcid, 8, 1, f, f1, 0, dgram);
	f1 = t_crypto_frame(f, 0, ch, 500);
	n += t_initial(1, 0, salt_v1, false, rfc_dcid, 8, rfc_dcid, 8, 0, f, f1, 0, dgram + n);
	memset(dgram + n, 0, 100); /* datagram padding after the packets */
	n += 100;
	/* The rest comes later, addressed to the server's CID but under the first keys. */
	f1 = t_crypto_frame(f, 1000, ch + 1000, chlen - 1000);
	n3 = t_initial(1, 0, salt_v1, false, server_cid, 5, rfc_dcid, 8, 2, f, f1, 0, p3);
	(void)server_cid;

	LW_CHECK_INT(feed_guarded(s, dgram, n, &v, &h), 0);
	LW_CHECK_INT(feed_guarded(s, p3, n3, &v, &h), 1);
	LW_CHECK_STR(h.sni, "pq.example.org");
	LW_CHECK_STR(h.alpn, "h3");
	LW_CHECK(h.ech);
	lw_quic_state_free(s);

	/* Every truncation of the coalesced datagram is safe. */
	LW_FOR_EACH_PREFIX(dgram, n, q, len, {
		struct lw_quic_state *t = lw_quic_state_new();
		int r = lw_quic_feed(t, q, len, &v, &h);

		LW_CHECK(r == 0 || r == -EBADMSG);
		lw_quic_state_free(t);
	});
}

static void test_draft29_three_datagrams(void)
{
	static const uint8_t dcid[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
	uint8_t ch[4000], f[1400], p[3][1500];
	size_t chlen = t_big_hello(ch, "three.example", 2500), n[3], i, per;
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v;

	per = (chlen + 2) / 3;
	for (i = 0; i < 3; i++) {
		size_t off = i * per, len = LW_MIN(per, chlen - off);
		size_t fl = t_crypto_frame(f, off, ch + off, len);

		n[i] = t_initial(0xff00001d, 0, salt_d29, false, dcid, 12, dcid, 12, i, f, fl, 1162,
				 p[i]);
	}
	LW_CHECK_INT(feed_guarded(s, p[2], n[2], &v, &h), 0);
	LW_CHECK_INT(v, 0xff00001d);
	LW_CHECK_INT(feed_guarded(s, p[0], n[0], &v, &h), 0);
	LW_CHECK_INT(feed_guarded(s, p[1], n[1], &v, &h), 1);
	LW_CHECK_STR(h.sni, "three.example");
	lw_quic_state_free(s);

	/* A client that restarts in v1 (after Version Negotiation) with a new hello: nothing of
	 * the draft-29 attempt's middle third may stand in for the new one's. */
	s = lw_quic_state_new();
	LW_CHECK_INT(feed_guarded(s, p[1], n[1], &v, &h), 0);
	{
		uint8_t ch2[4000], q[3][1500];
		size_t m[3];

		LW_CHECK_INT(t_big_hello(ch2, "other.example", 2500), chlen);
		for (i = 0; i < 3; i++) {
			size_t off = i * per, len = LW_MIN(per, chlen - off);
			size_t fl = t_crypto_frame(f, off, ch2 + off, len);

			m[i] = t_initial(1, 0, salt_v1, false, dcid, 12, dcid, 12, i, f, fl, 1162,
					 q[i]);
		}
		LW_CHECK_INT(feed_guarded(s, q[0], m[0], &v, &h), 0);
		LW_CHECK_INT(feed_guarded(s, q[2], m[2], &v, &h), 0);
		LW_CHECK_INT(feed_guarded(s, q[1], m[1], &v, &h), 1);
		LW_CHECK_INT(v, 1);
		LW_CHECK_STR(h.sni, "other.example");
	}
	lw_quic_state_free(s);

	/* The same packet under the v1 salt does not open with draft-29 keys. */
	n[0] = t_initial(0xff00001d, 0, salt_v1, false, dcid, 12, dcid, 12, 0, f, 10, 1162, p[0]);
	s = lw_quic_state_new();
	LW_CHECK_INT(feed_guarded(s, p[0], n[0], &v, &h), -EBADMSG);
	lw_quic_state_free(s);
}

static void test_versions(void)
{
	uint8_t pkt[1500];
	size_t n = unhex(rfc9001_a2, pkt, sizeof(pkt));
	static const uint8_t vn[] = {0x80, 0, 0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0, 1};
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v;

	/* A greased "forcing version negotiation" version: no salt to read it with. */
	pkt[1] = 0x1a;
	pkt[2] = 0x2a;
	pkt[3] = 0x3a;
	pkt[4] = 0x4a;
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), -EPROTONOSUPPORT);
	LW_CHECK_INT(v, 0x1a2a3a4a);
	LW_CHECK(!lw_quic_is_initial(pkt, n));
	LW_CHECK_INT(feed_guarded(s, vn, sizeof(vn), &v, &h), -EPROTONOSUPPORT);
	LW_CHECK_INT(v, 0);
	/* A short header packet is not an Initial. */
	pkt[0] = 0x40;
	LW_CHECK(!lw_quic_is_initial(pkt, n));
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), -EBADMSG);
	LW_CHECK_INT(feed_guarded(s, pkt, 0, &v, &h), -EBADMSG);
	lw_quic_state_free(s);
}

/* Google QUIC Q043: public header, message hash, STREAM frame, CHLO in the clear. */
static size_t t_gquic_q043(uint8_t *out, const char *sni)
{
	uint8_t *p = out, *chlo;
	size_t n = strlen(sni), len;

	*p++ = 0x09; /* version, 8-byte CID, 1-byte packet number */
	memset(p, 0x42, 8);
	p += 8;
	memcpy(p, "Q043", 4);
	p += 4;
	*p++ = 1;
	memset(p, 0x77, 12); /* message hash */
	p += 12;
	*p++ = 0xa0; /* STREAM, data length present */
	*p++ = 1;
	p += 2;
	chlo = p;
	memcpy(p, "CHLO\x03\x00\x00\x00", 8);
	p += 8;
	memcpy(p, "PAD\0\x04\0\0\0", 8);
	p += 8;
	memcpy(p, "SNI\0", 4);
	p += 4;
	*p++ = (uint8_t)(4 + n);
	memcpy(p, "\0\0\0", 3);
	p += 3;
	memcpy(p, "VER\0", 4);
	p += 4;
	*p++ = (uint8_t)(8 + n);
	memcpy(p, "\0\0\0", 3);
	p += 3;
	memcpy(p, "----", 4);
	p += 4;
	memcpy(p, sni, n);
	p += n;
	memcpy(p, "Q043", 4);
	p += 4;
	len = (size_t)(p - chlo);
	chlo[-2] = (uint8_t)(len >> 8);
	chlo[-1] = (uint8_t)len;
	return (size_t)(p - out);
}

static void test_gquic_plain(void)
{
	uint8_t pkt[200];
	size_t n = t_gquic_q043(pkt, "Dns.Google.com");
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t v;
	int ones = 0;

	LW_CHECK(lw_quic_is_initial(pkt, n));
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), 1);
	LW_CHECK_INT(v, 0x51303433);
	LW_CHECK_STR(h.sni, "dns.google.com");
	lw_quic_state_free(s);

	LW_FOR_EACH_PREFIX(pkt, n, q, len, {
		struct lw_quic_state *t = lw_quic_state_new();
		int r = lw_quic_feed(t, q, len, &v, &h);

		if (r != 0 && r != 1 && r != -EBADMSG)
			LW_CHECK_INT(r, 0);
		if (r == 1) {
			ones++;
			LW_CHECK_STR(h.sni, "dns.google.com");
		}
		lw_quic_state_free(t);
	});
	LW_CHECK_INT(ones, 5); /* once the SNI value is whole: it ends 4 bytes before the end */

	/* Q050 and later are not in the clear; Q099 is unknown. */
	memcpy(pkt + 9, "Q099", 4);
	LW_CHECK(!lw_quic_is_initial(pkt, n));
	s = lw_quic_state_new();
	LW_CHECK_INT(feed_guarded(s, pkt, n, &v, &h), -EPROTONOSUPPORT);
	lw_quic_state_free(s);
}

/* Random edits of the decrypted payload, protected again: frames and hello parsing hold. */
static void test_mutations(void)
{
	uint8_t plain[1162], m[1162], pkt[1500];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int i, k, complete = 0;

	memset(plain, 0, sizeof(plain));
	unhex(rfc_a2_crypto, plain, sizeof(plain));
	for (i = 0; i < 3000; i++) {
		struct lw_quic_state *s = lw_quic_state_new();
		struct lw_tls_hello h;
		uint32_t v;
		size_t n, j;
		int r;

		memcpy(m, plain, sizeof(m));
		for (k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			m[(x >> 8) % 260] = (uint8_t)(x >> 32);
		}
		n = t_initial(1, 0, salt_v1, false, rfc_dcid, 8, rfc_dcid, 8, 0, m, sizeof(m),
			      sizeof(m), pkt);
		r = feed_guarded(s, pkt, n, &v, &h);
		if (r == 1) {
			complete++;
			for (j = 0; h.sni[j]; j++)
				if (h.sni[j] <= 0x20 || h.sni[j] >= 0x7f ||
				    (h.sni[j] >= 'A' && h.sni[j] <= 'Z'))
					LW_CHECK(!"bad byte in sni");
		} else if (r != 0 && r != -EBADMSG && r != -EMSGSIZE) {
			LW_CHECK_INT(r, 0);
		}
		lw_quic_state_free(s);
	}
	LW_CHECK(complete > 0);
}

/* ---- the corpus ---- */

#define MAX_FLOWS 4096

struct qflow {
	uint8_t af, cli[16], srv[16];
	uint16_t cport, sport;
	struct lw_quic_state *st;
	int fails;
	bool done;
	uint32_t version;
	struct lw_tls_hello h;
};

struct qpcap {
	struct qflow *f;
	size_t n;
};

static struct qflow *qflow_find(struct qpcap *q, const struct pkt *k, bool *from_client)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		struct qflow *f = &q->f[i];

		if (f->af != k->af)
			continue;
		if (!memcmp(f->cli, k->src, 16) && f->cport == k->sport &&
		    !memcmp(f->srv, k->dst, 16) && f->sport == k->dport) {
			*from_client = true;
			return f;
		}
		if (!memcmp(f->cli, k->dst, 16) && f->cport == k->dport &&
		    !memcmp(f->srv, k->src, 16) && f->sport == k->sport) {
			*from_client = false;
			return f;
		}
	}
	return NULL;
}

/* Reads one capture, feeding each UDP flow's client datagrams (client = first Initial's sender). */
static int quic_read_pcap(const char *path, struct qpcap *q)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, err);
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int dlt;

	q->f = calloc(MAX_FLOWS, sizeof(*q->f));
	q->n = 0;
	if (!pc || !q->f) {
		fprintf(stderr, "%s: %s\n", path, pc ? "no memory" : err);
		if (pc)
			pcap_close(pc);
		free(q->f);
		q->f = NULL;
		return -1;
	}
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &hdr, &data) == 1) {
		struct pkt k;
		struct qflow *f;
		bool from_client = false;
		int r;

		if (!walk(dlt, data, hdr->caplen, &k) || k.l4 != 17 || k.plen == 0)
			continue;
		f = qflow_find(q, &k, &from_client);
		if (!f) {
			if (!lw_quic_is_initial(k.pl, k.plen) || q->n == MAX_FLOWS)
				continue;
			f = &q->f[q->n++];
			f->af = k.af;
			memcpy(f->cli, k.src, 16);
			memcpy(f->srv, k.dst, 16);
			f->cport = k.sport;
			f->sport = k.dport;
			f->st = lw_quic_state_new();
			from_client = true;
		}
		if (!from_client || f->done || f->fails >= 8)
			continue;
		r = lw_quic_feed(f->st, k.pl, k.plen, &f->version, &f->h);
		if (r == 1)
			f->done = true;
		else if (r < 0)
			f->fails++;
	}
	pcap_close(pc);
	return 0;
}

static void qpcap_free(struct qpcap *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		lw_quic_state_free(q->f[i].st);
	free(q->f);
}

static bool flow_is(const struct qflow *f, const char *a, unsigned pa, const char *b, unsigned pb)
{
	return ends_match(f->af, f->cli, f->cport, f->srv, f->sport, a, pa, b, pb);
}

static bool row_found(const struct row *r, const struct qpcap *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		const struct qflow *f = &q->f[i];

		if (!f->done || strcmp(f->h.sni, r->name) != 0)
			continue;
		if (!r->cip[0])
			return true; /* suricata-verify rows: by name within the capture */
		if (flow_is(f, r->cip, r->cport, r->sip, r->sport))
			return true;
	}
	return false;
}

/* nDPI's own flow table: every QUIC flow for which ndpiReader printed a JA4 had a readable
 * ClientHello, so we must read one on that 5-tuple too. */
struct nrow {
	char pcap[128], a[64], b[64], name[256];
	unsigned pa, pb;
	bool ja4;
};

static size_t load_ndpi_quic(const char *corpus, struct nrow *rows, size_t max)
{
	char path[1024], line[8192], *f[20];
	FILE *fp;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/expected/ndpi_flows.tsv", corpus);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp) && n < max) {
		if (split_tabs(line, f, 20) < 16 || strncmp(f[8], "QUIC", 4) != 0 ||
		    strcmp(f[2], "UDP") != 0)
			continue;
		snprintf(rows[n].pcap, sizeof(rows[n].pcap), "%s", f[0]);
		snprintf(rows[n].a, sizeof(rows[n].a), "%s", f[3]);
		rows[n].pa = (unsigned)atoi(f[4]);
		snprintf(rows[n].b, sizeof(rows[n].b), "%s", f[6]);
		rows[n].pb = (unsigned)atoi(f[7]);
		snprintf(rows[n].name, sizeof(rows[n].name), "%s", f[10]);
		rows[n].ja4 = f[15][0] != '\0';
		n++;
	}
	fclose(fp);
	return n;
}

static const struct qflow *nrow_flow(const struct nrow *r, const struct qpcap *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (flow_is(&q->f[i], r->a, r->pa, r->b, r->pb))
			return &q->f[i];
	return NULL;
}

static void test_corpus_ndpi_flows(const char *corpus)
{
	static struct nrow rows[1024];
	size_t n = load_ndpi_quic(corpus, rows, LW_ARRAY_SIZE(rows)), i, j;
	size_t ja4 = 0, ja4_read = 0, named = 0, named_found = 0;
	char path[1024];

	LW_CHECK(n > 100);
	for (i = 0; i < n; i++) {
		struct qpcap q;

		for (j = 0; j < i; j++)
			if (!strcmp(rows[j].pcap, rows[i].pcap))
				break;
		if (j < i)
			continue;
		if (snprintf(path, sizeof(path), "%s/nDPI/pcap/%s", corpus, rows[i].pcap) >=
			    (int)sizeof(path) ||
		    quic_read_pcap(path, &q) < 0)
			continue; /* a few large captures are not in the corpus */
		for (j = i; j < n; j++) {
			const struct qflow *f;

			if (strcmp(rows[j].pcap, rows[i].pcap) != 0)
				continue;
			f = nrow_flow(&rows[j], &q);
			if (rows[j].ja4) {
				ja4++;
				ja4_read += f && f->done;
				if (!f || !f->done)
					fprintf(stderr, "  no hello: %s %s:%u\n", rows[j].pcap,
						rows[j].a, rows[j].pa);
			}
			if (rows[j].name[0]) {
				named++;
				named_found += f && f->done && !strcmp(f->h.sni, rows[j].name);
			}
		}
		qpcap_free(&q);
	}
	fprintf(stderr,
		"  nDPI QUIC flows: hellos read for %zu/%zu flows with a JA4; "
		"names %zu/%zu\n",
		ja4_read, ja4, named_found, named);
	LW_CHECK(ja4 > 100 && ja4_read == ja4);
	LW_CHECK(named > 100 && named_found * 100 >= named * 98);
}

#define MAX_ROWS 1024

static void test_corpus(const char *corpus)
{
	static struct row rows[MAX_ROWS];
	/* suricata-verify captures without a name row: read them for crashes and counts. */
	static const char *extra[] = {"quic-ack3",
				      "quic-alerts",
				      "quic-cyu",
				      "quic-frag",
				      "quic-frag-wait",
				      "quic-ietf-ja3",
				      "quic-initial-not-first",
				      "quic-retry",
				      "quic-retry-multiple",
				      "quic-v2",
				      "quic-v2-ja3",
				      "ja4-quic"};
	size_t nrows = load_rows(corpus, "quic", rows, MAX_ROWS), i, j;
	size_t found = 0, agree = 0, agree_found = 0;
	char path[1024];

	LW_CHECK(nrows > 100);
	for (i = 0; i < nrows; i++) {
		struct qpcap q;
		size_t pf = 0, pn = 0;

		for (j = 0; j < i; j++)
			if (!strcmp(rows[j].pcap, rows[i].pcap))
				break;
		if (j < i)
			continue; /* this capture was read already */
		if (snprintf(path, sizeof(path), "%s/%s", corpus, rows[i].pcap) >=
			    (int)sizeof(path) ||
		    quic_read_pcap(path, &q) < 0) {
			LW_CHECK(0);
			continue;
		}
		for (j = i; j < nrows; j++) {
			bool ok;

			if (strcmp(rows[j].pcap, rows[i].pcap) != 0)
				continue;
			ok = row_found(&rows[j], &q);
			pn++;
			pf += ok;
			if (!strcmp(rows[j].verdict, "agree")) {
				agree++;
				agree_found += ok;
			}
			if (!ok)
				fprintf(stderr, "  missed %s %s:%u %s (%s)\n", rows[j].pcap,
					rows[j].cip, rows[j].cport, rows[j].name,
					rows[j].verdict[0] ? rows[j].verdict : "-");
		}
		found += pf;
		fprintf(stderr, "  %-70s %zu/%zu\n", rows[i].pcap, pf, pn);
		qpcap_free(&q);
	}
	fprintf(stderr, "  QUIC SNI: %zu/%zu rows found; tshark-agreed rows %zu/%zu\n", found,
		nrows, agree_found, agree);
	LW_CHECK(agree_found == agree);
	LW_CHECK(found * 100 >= nrows * 98);

	for (i = 0; i < LW_ARRAY_SIZE(extra); i++) {
		struct qpcap q;
		size_t hellos = 0;

		if (snprintf(path, sizeof(path), "%s/suricata-verify/%s/input.pcap", corpus,
			     extra[i]) >= (int)sizeof(path) ||
		    quic_read_pcap(path, &q) < 0) {
			LW_CHECK(0);
			continue;
		}
		for (j = 0; j < q.n; j++)
			hellos += q.f[j].done;
		fprintf(stderr, "  suricata-verify/%-40s %zu hellos in %zu flows\n", extra[i],
			hellos, q.n);
		if (!strcmp(extra[i], "quic-ietf-ja3")) {
			LW_CHECK(hellos > 0);
			for (j = 0; j < q.n; j++)
				if (q.f[j].done)
					LW_CHECK_STR(q.f[j].h.alpn, "h3-29");
		}
		qpcap_free(&q);
	}
}

int main(int argc, char **argv)
{
	const char *corpus = argc > 1 ? argv[1] : "../shared/corpus";
	int before;

	LW_TEST(test_keys_and_protector);
	LW_TEST(test_rfc9001_a2);
	LW_TEST(test_rfc9369_a2);
	LW_TEST(test_truncations);
	LW_TEST(test_crypto_split_out_of_order);
	LW_TEST(test_coalesced_and_new_dcid);
	LW_TEST(test_draft29_three_datagrams);
	LW_TEST(test_versions);
	LW_TEST(test_gquic_plain);
	LW_TEST(test_mutations);
	if (!is_dir(corpus)) {
		fprintf(stderr, "corpus %s absent: skipping the capture tests\n", corpus);
		lw_test_end();
		return lw_test_failures ? 1 : 77;
	}
	before = lw_test_failures;
	test_corpus(corpus);
	fprintf(stderr, "%s test_corpus\n", lw_test_failures == before ? "ok  " : "FAIL");
	before = lw_test_failures;
	test_corpus_ndpi_flows(corpus);
	fprintf(stderr, "%s test_corpus_ndpi_flows\n",
		lw_test_failures == before ? "ok  " : "FAIL");
	return lw_test_end();
}
