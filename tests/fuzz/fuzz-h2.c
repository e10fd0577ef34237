/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 clear text: the input (after an optional preface) as a client's frames, fed whole and
 * in pieces whose sizes the input's last byte chooses: both must report the same header blocks
 * and DATA, and end the same way.  Reported fields lie within the limits of h2.h.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/h2.h"

struct tally {
	uint64_t hash;
	size_t blocks, data;
};

static void mix(struct tally *t, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		t->hash = (t->hash ^ b[i]) * 0x100000001b3ULL;
	t->hash = (t->hash ^ n) * 0x100000001b3ULL;
}

static void on_headers(const struct lw_h2_headers *h, void *user_data)
{
	struct tally *t = user_data;
	size_t i, bytes = 0;

	fuzz_assert(h->n <= LW_H2_FIELDS_MAX);
	fuzz_assert(h->stream != 0 && h->stream <= 0x7fffffffu);
	for (i = 0; i < h->n; i++) {
		bytes += h->f[i].name.len + h->f[i].value.len;
		mix(t, h->f[i].name.p, h->f[i].name.len);
		mix(t, h->f[i].value.p, h->f[i].value.len);
	}
	fuzz_assert(bytes <= LW_H2_FIELD_BYTES);
	t->blocks++;
}

static void on_data(uint32_t stream, const uint8_t *p, size_t len, void *user_data)
{
	struct tally *t = user_data;

	fuzz_assert(stream != 0 && len > 0 && len <= LW_H2_FRAME_MAX);
	mix(t, p, len);
	t->data++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally a = {0, 0, 0}, b = {0, 0, 0};
	struct lw_h2_sink sink = {on_headers, on_data, &a};
	struct lw_h2 *h;
	size_t step, i;
	int ra, rb = 0, pre = lw_h2_preface(data, size);

	fuzz_assert(pre == LW_H2_PREFACE_LEN || pre == LW_NEED_MORE || pre == -EBADMSG);
	if (pre > 0) {
		data += pre;
		size -= (size_t)pre;
	}
	step = size ? (size_t)data[size - 1] % 64 + 1 : 1;
	h = lw_h2_new();
	if (!h)
		return 0;
	ra = lw_h2_feed(h, data, size, &sink);
	lw_h2_free(h);
	fuzz_assert(ra == 0 || ra == -EBADMSG || ra == -E2BIG || ra == -ENOMEM);

	h = lw_h2_new();
	if (!h)
		return 0;
	sink.user_data = &b;
	for (i = 0; i < size; i += step) {
		rb = lw_h2_feed(h, data + i, size - i < step ? size - i : step, &sink);
		if (rb < 0)
			break;
	}
	lw_h2_free(h);
	fuzz_assert(ra == rb);
	fuzz_assert(a.hash == b.hash && a.blocks == b.blocks && a.data == b.data);
	return 0;
}
