/* SPDX-License-Identifier: MIT */
/* privmsg: see privmsg.h.  Pure: no I/O. */
#include <errno.h>
#include <string.h>

#include "ap/hostapd.h"
#include "block/layout.h"
#include "block/privmsg.h"
#include "block/watch.h"

#define BODY(f) (offsetof(struct lw_privmsg, u) + sizeof(((struct lw_privmsg *)0)->u.f))
#define HDR offsetof(struct lw_privmsg, u)

/* Exact size of each kind; 0 for the variable ones (held, reply). */
static size_t kind_size(unsigned kind)
{
	switch (kind) {
	case LW_PRIV_NFT_OPEN:
	case LW_PRIV_NFT_CLOSE:
		return BODY(table);
	case LW_PRIV_NFT_RESTORE:
	case LW_PRIV_NFT_COMMIT:
	case LW_PRIV_NFT_FLOWTABLES:
	case LW_PRIV_WATCH_SYNC:
	case LW_PRIV_NFT_FLUSH:
	case LW_PRIV_HOSTAPD_START:
	case LW_PRIV_BRNF:
		return HDR;
	case LW_PRIV_RULES_INSTALL:
	case LW_PRIV_RULES_REMOVE:
	case LW_PRIV_QUEUE_OPEN:
		return BODY(rules);
	case LW_PRIV_NFT_ADD:
	case LW_PRIV_NFT_DEL:
	case LW_PRIV_WATCH_ELEM:
		return BODY(elem);
	case LW_PRIV_VERDICT:
		return BODY(verdict);
	case LW_PRIV_NOTIFY:
		return BODY(notify);
	case LW_PRIV_WATCH_SETTLED:
		return BODY(settled);
	case LW_PRIV_HOSTAPD_EVENT:
		return BODY(hostapd);
	case LW_PRIV_RESOLVE:
		return BODY(resolve);
	case LW_PRIV_RESOLVED:
		return BODY(resolved);
	}
	return 0;
}

size_t lw_privmsg_size(const struct lw_privmsg *m)
{
	if (m->h.kind == LW_PRIV_HELD)
		return HDR + offsetof(struct lw_privmsg_held, data) +
		       (m->u.held.len > LW_PRIVMSG_HELD_MAX ? LW_PRIVMSG_HELD_MAX : m->u.held.len);
	if (m->h.kind == LW_PRIV_REPLY)
		return HDR + offsetof(struct lw_privmsg_reply, text) +
		       strnlen(m->u.reply.text, LW_PRIVMSG_TEXT_MAX - 1) + 1;
	return kind_size(m->h.kind);
}

/* A NUL inside, and only printable ASCII before it. */
static bool text_ok(const char *s, size_t cap, bool empty_ok)
{
	size_t n = strnlen(s, cap);

	if (n == cap || (!empty_ok && n == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			if (s[i] != '\n' && s[i] != '\t')
				return false;
	return true;
}

static bool elem_ok(const struct lw_privmsg_elem *e)
{
	return (e->family == 4 || e->family == 6) && e->has_mac <= 1;
}

int lw_privmsg_decode(const void *buf, size_t len, struct lw_privmsg *out)
{
	struct lw_privmsg_hdr hh, *h = &hh;
	size_t want;

	memset(out, 0, HDR);
	if (!buf || len < HDR || len > sizeof(*out))
		return -EBADMSG;
	memcpy(&hh, buf, sizeof(hh)); /* buf need not be aligned */
	if (h->magic != LW_PRIVMSG_MAGIC || h->kind == 0 || h->kind >= LW_PRIV_KIND_END)
		return -EBADMSG;
	want = kind_size(h->kind);
	if (h->kind == LW_PRIV_HELD) {
		uint32_t n;

		if (len < HDR + offsetof(struct lw_privmsg_held, data))
			return -EBADMSG;
		memcpy(&n, (const uint8_t *)buf + HDR + offsetof(struct lw_privmsg_held, len),
		       sizeof(n));
		want = HDR + offsetof(struct lw_privmsg_held, data) + n;
		if (n > LW_PRIVMSG_HELD_MAX)
			return -EBADMSG;
	} else if (h->kind == LW_PRIV_REPLY) {
		if (len <= HDR + offsetof(struct lw_privmsg_reply, text))
			return -EBADMSG;
		want = len; /* the text's terminator is checked below */
	}
	if (len != want)
		return -EBADMSG;
	memcpy(out, buf, len);
	if (h->kind == LW_PRIV_REPLY) /* the rest of the text zeroed: a NUL is where it ends */
		memset((char *)out + len, 0, sizeof(out->u.reply) - (len - HDR));

	switch (out->h.kind) {
	case LW_PRIV_NFT_OPEN:
	case LW_PRIV_NFT_CLOSE:
		if (out->u.table.family > LW_BLOCK_INET || out->u.table.keep > 1 ||
		    !text_ok(out->u.table.table, sizeof(out->u.table.table), false))
			return -EBADMSG;
		break;
	case LW_PRIV_RULES_INSTALL:
	case LW_PRIV_RULES_REMOVE:
	case LW_PRIV_QUEUE_OPEN:
		if (out->u.rules.path > LW_QUEUE_XTABLES ||
		    !text_ok(out->u.rules.table, sizeof(out->u.rules.table), false))
			return -EBADMSG;
		break;
	case LW_PRIV_NFT_ADD:
	case LW_PRIV_NFT_DEL:
		if (!elem_ok(&out->u.elem))
			return -EBADMSG;
		break;
	case LW_PRIV_WATCH_ELEM:
		if (out->u.elem.op > LW_WATCH_ALL_GONE ||
		    (out->u.elem.op != LW_WATCH_ALL_GONE && !elem_ok(&out->u.elem)))
			return -EBADMSG;
		break;
	case LW_PRIV_VERDICT:
		if (out->u.verdict.verdict > LW_HOLD_DROP)
			return -EBADMSG;
		break;
	case LW_PRIV_NOTIFY:
		if (out->u.notify.what < LW_PRIV_NOTIFY_READY ||
		    out->u.notify.what > LW_PRIV_NOTIFY_STATUS ||
		    !text_ok(out->u.notify.status, sizeof(out->u.notify.status), true))
			return -EBADMSG;
		break;
	case LW_PRIV_REPLY:
		if (out->u.reply.via > LW_HOLD_VIA_XTABLES || out->u.reply.v6 > 1 ||
		    out->u.reply.nft_tried > 1 || out->u.reply.nft_refused > 1 ||
		    out->u.reply.brnf > LW_BRNF_CALL6_OFF || out->u.reply.fixed > 1 ||
		    !text_ok(out->u.reply.text, sizeof(out->u.reply.text), true))
			return -EBADMSG;
		break;
	case LW_PRIV_HELD:
		if (out->u.held.has_mac > 1)
			return -EBADMSG;
		break;
	case LW_PRIV_WATCH_SETTLED:
		if (!text_ok(out->u.settled.hold_family, sizeof(out->u.settled.hold_family), true))
			return -EBADMSG;
		break;
	case LW_PRIV_HOSTAPD_EVENT:
		if (out->u.hostapd.type > LW_HOSTAPD_DETACHED ||
		    !text_ok(out->u.hostapd.ifname, sizeof(out->u.hostapd.ifname), false))
			return -EBADMSG;
		break;
	case LW_PRIV_RESOLVE:
		if (!text_ok(out->u.resolve.name, sizeof(out->u.resolve.name), false))
			return -EBADMSG;
		break;
	case LW_PRIV_RESOLVED:
		if (out->u.resolved.n > LW_PRIVMSG_RESOLVE_ADDRS ||
		    !text_ok(out->u.resolved.error, sizeof(out->u.resolved.error), true))
			return -EBADMSG;
		for (uint32_t i = 0; i < out->u.resolved.n; i++)
			if (out->u.resolved.addrs[i].family != 4 &&
			    out->u.resolved.addrs[i].family != 6)
				return -EBADMSG;
		break;
	}
	return 0;
}

enum lw_privmsg_refusal lw_privmsg_validate(const struct lw_privmsg *m,
					    const struct lw_privmsg_policy *p)
{
	struct lw_block_elem e;

	switch (m->h.kind) {
	case LW_PRIV_NFT_OPEN:
	case LW_PRIV_NFT_CLOSE:
		return strcmp(m->u.table.table, p->table) ? LW_PRIV_REFUSED_TABLE : LW_PRIV_OK;
	case LW_PRIV_RULES_INSTALL:
	case LW_PRIV_RULES_REMOVE:
	case LW_PRIV_QUEUE_OPEN:
		if (strcmp(m->u.rules.table, p->table))
			return LW_PRIV_REFUSED_TABLE;
		if (m->u.rules.queue != p->queue ||
		    (m->u.rules.what & ~(unsigned)(LW_HOLD_RULES_DNS | LW_HOLD_RULES_HELLO)) ||
		    (m->h.kind == LW_PRIV_QUEUE_OPEN &&
		     (m->u.rules.stall_ms < 20 || m->u.rules.stall_ms > 60000)))
			return LW_PRIV_REFUSED_VALUE;
		return LW_PRIV_OK;
	case LW_PRIV_NFT_ADD:
		if (m->u.elem.timeout == 0 || m->u.elem.timeout > LW_BLOCK_TIMEOUT_MAX)
			return LW_PRIV_REFUSED_VALUE;
		/* fall through */
	case LW_PRIV_NFT_DEL:
		lw_privmsg_get_elem(&m->u.elem, &e);
		return p->guard && !lw_block_guard_allows(p->guard, &e.addr) ? LW_PRIV_REFUSED_ADDR
									     : LW_PRIV_OK;
	case LW_PRIV_NFT_RESTORE:
	case LW_PRIV_NFT_COMMIT:
	case LW_PRIV_NFT_FLOWTABLES:
	case LW_PRIV_WATCH_SYNC:
	case LW_PRIV_NFT_FLUSH:
	case LW_PRIV_HOSTAPD_START:
	case LW_PRIV_VERDICT:
	case LW_PRIV_NOTIFY:
	case LW_PRIV_BRNF:
		return LW_PRIV_OK;
	}
	return LW_PRIV_REFUSED_KIND; /* what only the privileged side sends */
}

const char *lw_privmsg_refusal_str(enum lw_privmsg_refusal r)
{
	static const char *const s[] = {"ok", "kind", "table", "guarded address", "value"};

	return (unsigned)r < LW_ARRAY_SIZE(s) ? s[r] : "?";
}

const char *lw_privmsg_kind_str(unsigned kind)
{
	static const char *const s[] = {"?",
					"nft-open",
					"nft-restore",
					"nft-close",
					"nft-commit",
					"flowtables",
					"rules-install",
					"rules-remove",
					"watch-sync",
					"queue-open",
					"hostapd-start",
					"nft-add",
					"nft-del",
					"nft-flush",
					"verdict",
					"notify",
					"reply",
					"held",
					"watch-elem",
					"watch-settled",
					"hostapd-event",
					"brnf",
					"resolve",
					"resolved"};

	return kind < LW_ARRAY_SIZE(s) ? s[kind] : "?";
}

void lw_privmsg_init(struct lw_privmsg *m, enum lw_privmsg_kind kind, uint32_t seq)
{
	memset(&m->h, 0, sizeof(m->h));
	m->h.magic = LW_PRIVMSG_MAGIC;
	m->h.kind = (uint16_t)kind;
	m->h.seq = seq;
}

void lw_privmsg_put_elem(struct lw_privmsg_elem *m, const struct lw_block_elem *e)
{
	memset(m, 0, sizeof(*m));
	m->has_mac = e->has_mac;
	if (e->has_mac)
		memcpy(m->mac, e->mac.b, 6);
	m->family = e->addr.family;
	memcpy(m->addr, e->addr.b, 16);
}

void lw_privmsg_get_elem(const struct lw_privmsg_elem *m, struct lw_block_elem *e)
{
	memset(e, 0, sizeof(*e));
	e->has_mac = m->has_mac;
	if (m->has_mac)
		memcpy(e->mac.b, m->mac, 6);
	e->addr.family = m->family;
	memcpy(e->addr.b, m->addr, 16);
}
