/* SPDX-License-Identifier: MIT */
/*
 * The identifier engine's decoders (lib/detect/decode.c): base64/base64url, hex, URL and JSON
 * string unescaping, the JSON walker, the form iterator, gzip/deflate and brotli, each run on
 * the input.  Every output stays within its buffer and its promised size; every view the
 * walkers hand out lies inside the input.
 */
#include <string.h>

#include "detect/detect-int.h"
#include "fuzz.h"

#define CAP 65536

static const uint8_t *in_begin, *in_end;

static void check_view(const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	fuzz_assert(p >= in_begin && p <= in_end && n <= (size_t)(in_end - p));
}

struct walk {
	int depth;
};

static void object_begin(void *user)
{
	struct walk *w = user;

	w->depth++;
	fuzz_assert(w->depth <= LW_JSON_MAX_DEPTH + 1);
}

static void object_end(void *user)
{
	struct walk *w = user;

	w->depth--;
	fuzz_assert(w->depth >= 0);
}

static void scalar(void *user, const uint8_t *key, size_t key_len, const uint8_t *val,
		   size_t val_len, bool is_string, bool escaped)
{
	(void)user;
	(void)is_string;
	(void)escaped;
	if (key)
		check_view(key, key_len);
	check_view(val, val_len);
}

static void key(void *user, const uint8_t *k, size_t n)
{
	(void)user;
	check_view(k, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lw_json_cb cb = {object_begin, object_end, scalar, key};
	uint8_t *out = malloc(CAP);
	struct lw_form_iter it = {data, data + size, '&'};
	const uint8_t *k, *v;
	size_t kl, vl, n, stopped = 0, forms = 0;
	struct walk w = {0};
	z_stream zs;
	ssize_t r;
	bool hit;

	if (!out)
		return 0;
	in_begin = data;
	in_end = data + size;

	r = lw_detect_b64_decode(data, size, out, CAP);
	fuzz_assert(r == -EINVAL || (r >= 0 && (size_t)r <= size * 3 / 4 + 3 && r <= CAP));
	r = lw_detect_hex_decode(data, size, out, CAP);
	fuzz_assert(r == -EINVAL || (r >= 0 && (size_t)r <= size / 2 && r <= CAP));
	n = lw_detect_url_decode(data, size, out, CAP, size & 1);
	fuzz_assert(n <= size && n <= CAP);
	(void)lw_detect_has_pct(data, size);
	n = lw_detect_json_unescape(data, size, out, CAP);
	fuzz_assert(n <= size && n <= CAP);
	(void)lw_detect_text_plausible(data, size, size & 2);
	(void)lw_detect_coding_parse((const char *)data, size);

	(void)lw_detect_json_looks(data, size);
	(void)lw_detect_json_walk(data, size, &cb, &w, &stopped);
	fuzz_assert(stopped <= size);
	fuzz_assert(w.depth == 0); /* opened objects are closed, even after an error */

	(void)lw_detect_form_looks(data, size);
	while (lw_detect_form_next(&it, &k, &kl, &v, &vl)) {
		check_view(k, kl);
		check_view(v, vl);
		fuzz_assert(++forms <= size + 1);
	}

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) == Z_OK) {
		static const enum lw_coding codings[] = {LW_CODING_GZIP, LW_CODING_DEFLATE};
		size_t i;

		for (i = 0; i < LW_ARRAY_SIZE(codings); i++) {
			hit = false;
			n = 0;
			(void)lw_detect_inflate(&zs, codings[i], data, size, out, CAP, &n, &hit);
			fuzz_assert(n <= CAP);
		}
		inflateEnd(&zs);
	}
	hit = false;
	n = 0;
	(void)lw_detect_brotli(data, size, out, CAP, &n, &hit);
	fuzz_assert(n <= CAP);
	free(out);
	return 0;
}
