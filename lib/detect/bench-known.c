/* SPDX-License-Identifier: MIT */
/*
 * bench-known: how fast the known-value matcher scans, and whether it slows down as devices
 * and values are added.  Not a test: run it by hand (build-x/lib/detect/bench-known [MiB]).
 *
 * For 0, 1, 50 and 500 enrolled devices x 10 values (every form of each: spellings, hashes,
 * encodings) it measures, over the same synthetic traffic (JSON, query strings, base64,
 * random hex and text):
 *   - the matcher alone (lw_known_scan), this engine's choice;
 *   - the whole engine (lw_detect_scan: decoding, tokens, validators, the matcher);
 *   - a naive memmem() per form, the baseline that grows with the number of forms;
 *   - Hyperscan's literal matcher, when built with it (the alternative considered).
 * A few hashed and encoded values of device 0 are planted in the traffic; every
 * matcher must find all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "detect/detect-int.h"

#ifdef LW_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void rnd_digits(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (char)('0' + rnd() % 10);
	s[n] = '\0';
}

static void rnd_hex(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = "0123456789abcdef"[rnd() % 16];
	s[n] = '\0';
}

/* Ten values of one device, all valid for their kind. */
static int enroll(struct lw_known *k, struct lw_detect *d, int dev, char imei_out[16])
{
	struct lw_mac mac = {
		{0x3c, 0x28, 0x6d, (uint8_t)(dev >> 16), (uint8_t)(dev >> 8), (uint8_t)dev}};
	char v[10][LW_DETECT_VALUE_MAX], h[40];
	static const enum lw_id_kind kinds[10] = {
		LW_ID_IMEI,  LW_ID_ICCID, LW_ID_IMSI,  LW_ID_MAC,    LW_ID_ANDROID_ID,
		LW_ID_AD_ID, LW_ID_EMAIL, LW_ID_PHONE, LW_ID_SERIAL, LW_ID_MEID,
	};
	int i, r;

	/* IMEI: TAC of a real model, random serial, Luhn digit */
	snprintf(v[0], sizeof(v[0]), "35824005");
	rnd_digits(v[0] + 8, 6);
	v[0][14] = lw_detect_luhn_digit(v[0], 14);
	v[0][15] = '\0';
	snprintf(v[1], sizeof(v[1]), "8986031");
	rnd_digits(v[1] + 7, 12);
	v[1][19] = lw_detect_luhn_digit(v[1], 19);
	v[1][20] = '\0';
	snprintf(v[2], sizeof(v[2]), "46011");
	rnd_digits(v[2] + 5, 10);
	snprintf(v[3], sizeof(v[3]), "3c:28:6d:%02x:%02x:%02x", (unsigned)(rnd() & 0xff),
		 (unsigned)(rnd() & 0xff), (unsigned)(rnd() & 0xff));
	rnd_hex(v[4], 16);
	rnd_hex(h, 32);
	snprintf(v[5], sizeof(v[5]), "%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 12, h + 15,
		 h + 18);
	snprintf(v[6], sizeof(v[6]), "user%d.%llu@example.com", dev,
		 (unsigned long long)(rnd() % 100000));
	snprintf(v[7], sizeof(v[7]), "+49151");
	rnd_digits(v[7] + 6, 8);
	snprintf(v[8], sizeof(v[8]), "R58M%llu", (unsigned long long)(rnd() % 10000000));
	snprintf(v[9], sizeof(v[9]), "A10000");
	rnd_hex(v[9] + 6, 8);
	for (i = 0; i < 10; i++) {
		char canon[LW_DETECT_VALUE_MAX];

		if (lw_detect_normalize(kinds[i], v[i], canon) < 0)
			continue; /* a random value that happens to be trivial */
		r = lw_known_add(k, &mac, kinds[i], canon, "config");
		if (r < 0 && r != -EEXIST)
			return r;
		if (d)
			lw_detect_add_known(d, &mac, kinds[i], canon, "config");
	}
	if (imei_out)
		memcpy(imei_out, v[0], 16);
	return 0;
}

static size_t put(char *buf, size_t o, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (o + n >= cap)
		return o;
	memcpy(buf + o, s, n);
	return o + n;
}

/* Traffic without identifiers: what most requests look like. */
static size_t make_traffic(char *buf, size_t cap)
{
	char line[1200], hex[65], inner[512], b64[700];
	size_t o = 0;

	while (o + 1100 < cap) {
		switch (rnd() % 5) {
		case 0:
			rnd_hex(hex, 32);
			snprintf(line, sizeof(line),
				 "{\"event\":\"app_open\",\"ts\":%llu,\"session\":\"%s\","
				 "\"model\":\"SM-G960F\",\"lang\":\"en_US\",\"sdk\":\"4.2.1\","
				 "\"items\":[%llu,%llu,%llu],\"screen\":\"1080x2220\"}\n",
				 1589212345678ULL + rnd() % 100000000, hex,
				 (unsigned long long)(rnd() % 100000),
				 (unsigned long long)(rnd() % 100000),
				 (unsigned long long)(rnd() % 100000));
			break;
		case 1:
			snprintf(
				line, sizeof(line),
				"GET /api/v2/track?cid=%llu.%llu&t=pageview&dp=%%2Fhome%%2Fitem%llu"
				"&ul=en-us&sr=1080x1920&z=%llu HTTP/1.1\r\nHost: t.example.com\r\n"
				"User-Agent: Dalvik/2.1.0 (Linux; U; Android 9; TA-1062 "
				"Build/PPR1.180610.011)\r\n\r\n",
				(unsigned long long)(rnd() % 1000000000),
				(unsigned long long)(rnd() % 1000000000),
				(unsigned long long)(rnd() % 1000), (unsigned long long)rnd());
			break;
		case 2:
			rnd_hex(hex, 16);
			snprintf(inner, sizeof(inner),
				 "{\"k\":\"%s\",\"n\":%llu,\"ok\":true,\"tags\":[\"a\",\"b\"]}",
				 hex, (unsigned long long)(rnd() % 1000000));
			EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)inner,
					(int)strlen(inner));
			snprintf(line, sizeof(line), "payload=%s&v=2\n", b64);
			break;
		case 3:
			rnd_hex(hex, 64);
			snprintf(line, sizeof(line),
				 "X-Request-Id: %s\r\nCookie: _ga=GA1.2.%llu.%llu; lang=en\r\n"
				 "Accept: application/json, text/plain, */*\r\n",
				 hex, (unsigned long long)(rnd() % 1000000000),
				 (unsigned long long)(rnd() % 1000000000));
			break;
		default: {
			size_t i, n = 200 + rnd() % 600;

			for (i = 0; i < n; i++)
				line[i] = (char)(rnd() % 4 ? 'a' + rnd() % 26 : ' ');
			line[n] = '\n';
			line[n + 1] = '\0';
			break;
		}
		}
		o = put(buf, o, cap, line);
	}
	return o;
}

/* Plants forms of device 0's IMEI: the answers every matcher must find. */
static size_t plant(char *buf, size_t len, const char *imei, int *planted)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1], b64[128], text[400];
	const EVP_MD *mds[3] = {EVP_md5(), EVP_sha256(), EVP_sha1()};
	unsigned mdlen, i, a;
	size_t pos;

	*planted = 0;
	for (a = 0; a < 3; a++) {
		EVP_Digest(imei, 15, md, &mdlen, mds[a], NULL);
		for (i = 0; i < mdlen; i++)
			sprintf(hex + 2 * i, a == 2 ? "%02X" : "%02x", md[i]);
		EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
		snprintf(text, sizeof(text), " h=%s&b=%s ", hex, b64);
		pos = (len / 4) * (a + 1);
		memcpy(buf + pos, text, strlen(text));
		*planted += 2;
	}
	snprintf(text, sizeof(text), " imei=%s ", imei);
	memcpy(buf + len - 100, text, strlen(text));
	(*planted)++;
	return len;
}

struct count {
	size_t hits;
};

static bool count_hit(const struct lw_known_hit *h, void *user)
{
	(void)h;
	((struct count *)user)->hits++;
	return true;
}

struct form_list {
	char **text;
	unsigned *len, *fold;
	size_t n, cap;
};

static void list_form(const char *text, size_t len, enum lw_known_chain chain, void *user)
{
	struct form_list *l = user;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->text = realloc(l->text, l->cap * sizeof(*l->text));
		l->len = realloc(l->len, l->cap * sizeof(*l->len));
		l->fold = realloc(l->fold, l->cap * sizeof(*l->fold));
	}
	l->text[l->n] = strndup(text, len);
	l->len[l->n] = (unsigned)len;
	/* base64 forms are case-sensitive, the rest are not */
	l->fold[l->n] = !(chain == LW_KC_BASE64 || chain == LW_KC_BASE64URL ||
			  chain == LW_KC_MD5_B64 || chain == LW_KC_MD5_B64URL ||
			  chain == LW_KC_SHA1_B64 || chain == LW_KC_SHA1_B64URL ||
			  chain == LW_KC_SHA256_B64 || chain == LW_KC_SHA256_B64URL ||
			  chain == LW_KC_SHA512_B64 || chain == LW_KC_SHA512_B64URL);
	l->n++;
}

static size_t naive(const struct form_list *l, const char *buf, size_t len)
{
	size_t i, hits = 0;

	for (i = 0; i < l->n; i++) {
		const char *p = buf, *e = buf + len;

		while (p < e) {
			const char *f = l->fold[i]
						? strcasestr(p, l->text[i])
						: memmem(p, (size_t)(e - p), l->text[i], l->len[i]);

			if (!f)
				break;
			hits++;
			p = f + 1;
		}
	}
	return hits;
}

#ifdef LW_HAVE_HYPERSCAN
static int hs_count(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(size_t *)ctx)++;
	return 0;
}
#endif

int main(int argc, char **argv)
{
	static const int devices[] = {0, 1, 50, 500};
	size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 16, cap = mib << 20, len, di;
	char *buf = malloc(cap + 1), imei[16] = "";
	int planted = 0;

	if (!buf)
		return 1;
	len = make_traffic(buf, cap);
	buf[len] = '\0';
	printf("traffic: %.1f MiB of synthetic requests (JSON, queries, base64, hex, text)\n",
	       (double)len / (1 << 20));
	printf("%8s %7s %9s %9s | %10s %10s | %10s | %10s %9s %8s\n", "devices", "values", "forms",
	       "mem KiB", "known MB/s", "engine MB/s", "naive MB/s", "hs MB/s", "hs comp s",
	       "hs KiB");
	for (di = 0; di < LW_ARRAY_SIZE(devices); di++) {
		struct lw_detect_config cfg = {.max_known_values = 16384, .learn = false};
		struct lw_known *k = lw_known_new(16384);
		struct lw_detect *d = lw_detect_new(&cfg);
		struct lw_detect_ctx ctx = {.location = "tcp.payload"};
		struct form_list fl = {0};
		struct count c = {0};
		double t0, tk, te, tn = 0, ths = 0, hcomp = 0;
		size_t i, off, naive_hits = 0, hs_hits = 0, hs_size = 0, nlen = 0;
		int dev, found_ok;

		rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)devices[di];
		for (dev = 0; dev < devices[di]; dev++)
			if (enroll(k, d, dev, dev == 0 ? imei : NULL) < 0)
				return 1;
		if (devices[di] > 0)
			plant(buf, len, imei, &planted);
		for (i = 0; i < lw_known_count(k); i++)
			lw_known_forms(k, (uint32_t)i, list_form, &fl);

		/* the matcher alone, three passes, the best of them */
		tk = 1e9;
		for (i = 0; i < 3; i++) {
			c.hits = 0;
			t0 = now();
			lw_known_scan(k, (const uint8_t *)buf, len, count_hit, &c);
			tk = LW_MIN(tk, now() - t0);
		}
		/* the whole engine, over request-sized pieces */
		t0 = now();
		for (off = 0; off < len; off += 2048)
			lw_detect_scan(d, &ctx, (const uint8_t *)buf + off, LW_MIN(2048, len - off),
				       NULL, NULL);
		te = now() - t0;
		/* naive: over a slice small enough to finish (its speed does not depend on it) */
		if (fl.n) {
			nlen = fl.n <= 1000    ? len
			       : fl.n <= 20000 ? LW_MIN(len, (size_t)1 << 20)
					       : LW_MIN(len, (size_t)1 << 16);
			t0 = now();
			naive_hits = naive(&fl, buf, nlen);
			tn = now() - t0;
		}
#ifdef LW_HAVE_HYPERSCAN
		if (fl.n) {
			hs_database_t *db = NULL;
			hs_compile_error_t *err = NULL;
			hs_scratch_t *scratch = NULL;
			unsigned *flags = calloc(fl.n, sizeof(unsigned)), *ids = calloc(fl.n, 4);
			size_t *lens = calloc(fl.n, sizeof(size_t));

			for (i = 0; i < fl.n; i++) {
				flags[i] = fl.fold[i] ? HS_FLAG_CASELESS : 0;
				ids[i] = (unsigned)i;
				lens[i] = fl.len[i];
			}
			t0 = now();
			if (hs_compile_lit_multi((const char *const *)fl.text, flags, ids, lens,
						 (unsigned)fl.n, HS_MODE_BLOCK, NULL, &db,
						 &err) == HS_SUCCESS &&
			    hs_alloc_scratch(db, &scratch) == HS_SUCCESS) {
				hcomp = now() - t0;
				hs_database_size(db, &hs_size);
				ths = 1e9;
				for (i = 0; i < 3; i++) {
					hs_hits = 0;
					t0 = now();
					hs_scan(db, buf, (unsigned)len, 0, scratch, hs_count,
						&hs_hits);
					ths = LW_MIN(ths, now() - t0);
				}
			} else if (err) {
				fprintf(stderr, "hyperscan: %s\n", err->message);
				hs_free_compile_error(err);
			}
			hs_free_scratch(scratch);
			hs_free_database(db);
			free(flags);
			free(ids);
			free(lens);
		}
#endif
		found_ok = devices[di] == 0 || (int)c.hits >= planted;
		printf("%8d %7zu %9zu %9zu | ", devices[di], lw_known_count(k), lw_known_nforms(k),
		       lw_known_bytes(k) / 1024);
		if (fl.n)
			printf("%10.0f ", (double)len / (1 << 20) / tk);
		else
			printf("%10s ", "(nothing)"); /* no forms: the scan returns at once */
		printf("%10.0f | ", (double)len / (1 << 20) / te);
		if (tn > 0)
			printf("%10.3f | ", (double)nlen / (1 << 20) / tn);
		else
			printf("%10s | ", fl.n ? "(slow)" : "-");
		if (ths > 0)
			printf("%10.0f %9.2f %8zu", (double)len / (1 << 20) / ths, hcomp,
			       hs_size / 1024);
		else
			printf("%10s %9s %8s", "-", "-", "-");
		printf("   hits %zu%s", c.hits, found_ok ? "" : " MISSED PLANTED FORMS");
		if (tn > 0 && nlen == len)
			printf(" naive %zu", naive_hits);
		if (ths > 0)
			printf(" hs %zu", hs_hits);
		printf("\n");
		for (i = 0; i < fl.n; i++)
			free(fl.text[i]);
		free(fl.text);
		free(fl.len);
		free(fl.fold);
		lw_known_free(k);
		lw_detect_free(d);
		if (!found_ok)
			return 1;
	}
	free(buf);
	return 0;
}
