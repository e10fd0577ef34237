/* SPDX-License-Identifier: MIT */
/*
 * Vendors from the IEEE OUI registry (MA-L: the first three bytes of a MAC), as Debian's
 * ieee-data package ships it: /usr/share/ieee-data/oui.txt or oui.csv.  Loaded once into one
 * sorted array of (prefix, name offset) and one pool of distinct names, looked up by binary
 * search.  Locally administered (randomized) MACs have no vendor.
 */
#ifndef LW_AP_OUI_H
#define LW_AP_OUI_H

#include <stddef.h>

#include "core/types.h"

#define LW_OUI_NAME_MAX 128 /* longer organisation names are cut here */
#define LW_OUI_ENTRIES_MAX (1u << 20) /* the 2022 registry has about 33 000 */
#define LW_OUI_LINE_MAX 4096 /* longer lines are skipped */

struct lw_oui;

/*
 * Parses one line of oui.txt ("F4BD9E     (base 16)\t\tCisco Systems, Inc") or oui.csv
 * ("MA-L,F4BD9E,\"Cisco Systems, Inc\",address...").  s need not be NUL-terminated.  Returns 1
 * with *prefix (24 bits) and the name copied (NUL-terminated, unquoted, trimmed) into
 * name[LW_OUI_NAME_MAX]; 0 for any other line (headers, addresses, other registries).
 */
int lw_oui_parse_line(const char *s, size_t len, uint32_t *prefix, char *name);

/* Loads a file of either form.  0, -ENOENT when it is missing, -EINVAL when it has no entry. */
int lw_oui_load(const char *path, struct lw_oui **out);
void lw_oui_free(struct lw_oui *t);

/* The vendor of mac, or NULL (unknown, locally administered, multicast, or t NULL). */
const char *lw_oui_lookup(const struct lw_oui *t, const struct lw_mac *mac);
size_t lw_oui_count(const struct lw_oui *t);

#endif
