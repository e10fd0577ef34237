/* SPDX-License-Identifier: MIT */
/*
 * leakwatch's nftables table through libnftables: the handle, its batches (see nft.c for the
 * text they are made of).  Built with the `block` option only (lib/block/none.c otherwise).
 */
#include "block/block.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the table -------------------------------------------------------------------------- */

struct lw_block_nft {
	struct nft_ctx *ctx;
	enum lw_block_family fam;
	char table[LW_BLOCK_TABLE_MAX];
	bool flush;
	struct lw_block_elem *add, *del;
	uint32_t *add_timeout;
	size_t n_add, n_del;
	struct lw_block_text text;
};

/* The errno behind nft's message (libnftables only reports text). */
static int nft_errno(const char *msg)
{
	static const struct {
		const char *text;
		int err;
	} map[] = {
		{"Operation not permitted", -EPERM},
		{"Permission denied", -EACCES},
		{"Address family not supported", -EAFNOSUPPORT},
		{"Protocol not supported", -EAFNOSUPPORT},
		{"File exists", -EEXIST},
		{"No such file or directory", -ENOENT},
		{"Cannot allocate memory", -ENOMEM},
		{"No buffer space", -ENOBUFS},
	};
	size_t i;

	for (i = 0; msg && i < LW_ARRAY_SIZE(map); i++)
		if (strstr(msg, map[i].text))
			return map[i].err;
	return -EIO;
}

/* Copies the first line of nft's error output (it also echoes the command and a caret). */
static void first_line(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (!err || !errlen)
		return;
	if (!msg || !*msg)
		msg = "nft: command failed";
	while (*msg == '\n')
		msg++;
	n = strcspn(msg, "\n");
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

int lw_block_nft_run(struct lw_block_nft *n, const char *cmd, char *err, size_t errlen)
{
	const char *msg;
	int r;

	r = nft_run_cmd_from_buffer(n->ctx, cmd);
	msg = nft_ctx_get_error_buffer(n->ctx); /* also resets the buffer for the next run */
	if (r == 0)
		return 0;
	first_line(err, errlen, msg);
	return nft_errno(msg);
}

int lw_block_nft_list(struct lw_block_nft *n, const char *cmd, char *out, size_t outlen)
{
	const char *text;
	int r;

	nft_ctx_get_output_buffer(n->ctx); /* whatever an earlier command printed goes */
	r = lw_block_nft_run(n, cmd, NULL, 0);
	text = nft_ctx_get_output_buffer(n->ctx);
	if (outlen)
		snprintf(out, outlen, "%s", r == 0 && text ? text : "");
	return r;
}

/*
 * Creates the table, its sets, chain and rules, keeping the elements of sets already there:
 * 0; 1 when a table of that name had another shape and was made afresh (its elements are
 * gone); -errno with err.
 */
static int setup(struct lw_block_nft *n, char *err, size_t errlen)
{
	const char *f = lw_block_family_str(n->fam);
	int r;

	lw_block_text_reset(&n->text);
	lw_block_cmd_setup(&n->text, n->fam, n->table);
	r = n->text.err ? n->text.err : lw_block_nft_run(n, n->text.p, err, errlen);
	if (r < 0 && r != -EPERM && r != -EACCES && r != -EAFNOSUPPORT && r != -ENOMEM) {
		/*
		 * a table of that name in another shape (an older layout: a set of another type,
		 * which nft reports as "File exists" or a type mismatch): it is ours, start afresh
		 */
		lw_block_text_reset(&n->text);
		lw_block_text_printf(&n->text, "add table %s %s\ndelete table %s %s\n", f, n->table,
				     f, n->table);
		lw_block_cmd_setup(&n->text, n->fam, n->table);
		r = n->text.err ? n->text.err : lw_block_nft_run(n, n->text.p, err, errlen);
		if (r == 0)
			r = 1;
	}
	lw_block_text_reset(&n->text);
	return r;
}

int lw_block_nft_open(enum lw_block_family fam, const char *table, struct lw_block_nft **out,
		      char *err, size_t errlen)
{
	struct lw_block_nft *n;
	int r;

	*out = NULL;
	if (!lw_block_table_name_valid(table)) {
		snprintf(err, errlen, "'%s' is not a usable nftables table name", table);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->fam = fam;
	snprintf(n->table, sizeof(n->table), "%s", table);
	n->add = calloc(LW_BLOCK_PENDING_MAX, sizeof(*n->add));
	n->del = calloc(LW_BLOCK_PENDING_MAX, sizeof(*n->del));
	n->add_timeout = calloc(LW_BLOCK_PENDING_MAX, sizeof(*n->add_timeout));
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->add || !n->del || !n->add_timeout || !n->ctx) {
		lw_block_nft_close(n, true);
		return -ENOMEM;
	}
	nft_ctx_buffer_error(n->ctx);
	nft_ctx_buffer_output(n->ctx); /* nothing of ours goes to stdout */

	r = setup(n, err, errlen);
	if (r < 0) {
		lw_block_nft_close(n, true);
		return r;
	}
	*out = n;
	return 0;
}

int lw_block_nft_restore(struct lw_block_nft *n, char *err, size_t errlen)
{
	return setup(n, err, errlen);
}

void lw_block_nft_close(struct lw_block_nft *n, bool keep)
{
	if (!n)
		return;
	if (n->ctx && !keep) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "delete table %s %s\n", lw_block_family_str(n->fam),
			 n->table);
		lw_block_nft_run(n, cmd, NULL, 0);
	}
	if (n->ctx)
		nft_ctx_free(n->ctx);
	lw_block_text_free(&n->text);
	free(n->add);
	free(n->del);
	free(n->add_timeout);
	free(n);
}

int lw_block_nft_add(struct lw_block_nft *n, const struct lw_block_elem *e, uint32_t timeout_s)
{
	if (e->addr.family != 4 && e->addr.family != 6)
		return -EINVAL;
	if (n->n_add >= LW_BLOCK_PENDING_MAX)
		return -E2BIG;
	n->add[n->n_add] = *e;
	n->add_timeout[n->n_add++] = timeout_s;
	return 0;
}

static bool elem_eq(const struct lw_block_elem *a, const struct lw_block_elem *b)
{
	return a->has_mac == b->has_mac && (!a->has_mac || memcmp(a->mac.b, b->mac.b, 6) == 0) &&
	       lw_addr_eq(&a->addr, &b->addr);
}

int lw_block_nft_del(struct lw_block_nft *n, const struct lw_block_elem *e)
{
	size_t i = 0;

	if (e->addr.family != 4 && e->addr.family != 6)
		return -EINVAL;
	/* deletes go before adds in the transaction: an add of the same element is withdrawn */
	while (i < n->n_add) {
		if (elem_eq(&n->add[i], e)) {
			n->n_add--;
			n->add[i] = n->add[n->n_add];
			n->add_timeout[i] = n->add_timeout[n->n_add];
		} else {
			i++;
		}
	}
	if (n->n_del >= LW_BLOCK_PENDING_MAX)
		return -E2BIG;
	n->del[n->n_del++] = *e;
	return 0;
}

void lw_block_nft_flush_sets(struct lw_block_nft *n)
{
	n->flush = true;
}

bool lw_block_nft_pending(const struct lw_block_nft *n)
{
	return n->flush || n->n_add || n->n_del;
}

/* flush, then deletes, then adds: an element deleted and re-added ends up present */
static int run_pending(struct lw_block_nft *n, bool flush, bool dels, bool adds, char *err,
		       size_t errlen)
{
	struct lw_block_text *t = &n->text;

	lw_block_text_reset(t);
	if (flush)
		lw_block_cmd_flush_sets(t, n->fam, n->table);
	if (dels)
		lw_block_cmd_del(t, n->fam, n->table, n->del, n->n_del);
	if (adds)
		lw_block_cmd_add(t, n->fam, n->table, n->add, n->add_timeout, n->n_add);
	if (t->err)
		return t->err;
	if (t->len == 0)
		return 0;
	return lw_block_nft_run(n, t->p, err, errlen);
}

int lw_block_nft_commit(struct lw_block_nft *n, char *err, size_t errlen)
{
	int r;
	size_t i;

	if (!lw_block_nft_pending(n))
		return 0;
	r = run_pending(n, n->flush, true, true, err, errlen);
	if (r < 0 && n->n_del) {
		struct lw_block_elem *all = n->del;
		size_t nd = n->n_del;

		/* one delete of an element the kernel already timed out fails the batch */
		r = run_pending(n, n->flush, false, true, err, errlen);
		for (i = 0; i < nd; i++) {
			n->del = &all[i];
			n->n_del = 1;
			run_pending(n, false, true, false, NULL, 0);
		}
		n->del = all;
	}
	n->flush = false;
	n->n_add = 0;
	n->n_del = 0;
	lw_block_text_reset(&n->text);
	return r;
}
