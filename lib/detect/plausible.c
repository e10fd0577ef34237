/* SPDX-License-Identifier: MIT */
/*
 * Values with an identifier's shape that are not identifiers: Unix times at every resolution
 * and hashes of empty or placeholder values.  The digests are written out (not computed at
 * start) so that the module stays free of a crypto dependency; test-plausible.c recomputes
 * each with OpenSSL.
 */
#include <string.h>
#include <strings.h>

#include "core/types.h"
#include "detect/plausible.h"

bool lw_plausible_epoch(const char *d, size_t n)
{
	/* 2001-09-09 (1e9 s) .. 2036-07 (2.1e9 s), at each resolution */
	static const struct {
		size_t len;
		const char *lo, *hi;
	} r[] = {
		{10, "1000000000", "2100000000"},
		{13, "1000000000000", "2100000000000"},
		{15, "100000000000000", "210000000000000"}, /* 100 us ticks */
		{16, "1000000000000000", "2100000000000000"},
		{19, "1000000000000000000", "2100000000000000000"},
	};
	size_t i, j;

	for (i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	for (i = 0; i < LW_ARRAY_SIZE(r); i++) {
		if (n != r[i].len)
			continue;
		/* same length: compare as strings */
		for (j = 0; j < n && d[j] == r[i].lo[j]; j++)
			;
		if (j < n && d[j] < r[i].lo[j])
			return false;
		for (j = 0; j < n && d[j] == r[i].hi[j]; j++)
			;
		return j < n && d[j] < r[i].hi[j];
	}
	return false;
}

/* md5, sha1, sha256 of "", "null", "NULL", "0", "unknown", "undefined", "none",
 * "02:00:00:00:00:00" and "000000000000000" */
static const char *const nothing[] = {
	"d41d8cd98f00b204e9800998ecf8427e",
	"da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"37a6259cc0c1dae299a7866489dff0bd",
	"2be88ca4242c76e8253ac62474851065032d6833",
	"74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b",
	"6c3e226b4d4795d518ab341b0824ec29",
	"eef19c54306daa69eda49c0272623bdb5e2b341f",
	"fb329000228cc5a24c264c57139de8bf854fc86fc18bf1c04ab61a2b5cb4b921",
	"cfcd208495d565ef66e7dff9f98764da",
	"b6589fc6ab0dc82cf12099d1c2d40ab994e8410c",
	"5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9",
	"ad921d60486366258809553a3db49a4a",
	"50d8b4a941c26b89482c94ab324b5a274f9ced66",
	"b23a6a8439c0dde5515893e7c90c1e3233b8616e634470f20dc4928bcf3609bc",
	"5e543256c480ac577d30f76f9120eb74",
	"d5d4cd07616a542891b7ec2d0257b3a24b69856e",
	"eb045d78d273107348b0300c01d29b7552d622abbc6faf81b3ec55359aa9950c",
	"334c4a4c42fdb79d7ebc3e73b517e6f8",
	"71f8e7976e4cbc4561c9d62fb283e7f788202acb",
	"140bedbf9c3f6d56a9846d2ba7088798683f4da0c248231336e6a05679e4fdfe",
	"0f607264fc6318a92b9e13c65db7cd3c",
	"c1976429369bfe063ed8b3409db7c7e7d87196d9",
	"c248c629af1fe0a8c46b95668064c1d2952a9e91d207bc0cc3c5d584c2f7553a",
	"5284047f4ffb4e04824a2fd1d1f0cd62",
	"c02c705e98588f724ca046ac59cafece65501e36",
	"14bdcd6fd64180af5e7791df91b6af8e9a3e7bc844997eb8c29252706df97ca5",
};

bool lw_plausible_hash_of_nothing(const char *hex, size_t n)
{
	size_t i, k;
	char h[64];

	/* a UUID spelling of an MD5: drop the dashes */
	for (i = 0, k = 0; i < n && k < sizeof(h); i++)
		if (hex[i] != '-')
			h[k++] = hex[i];
	if (i < n || (k != 16 && k != 32 && k != 40 && k != 64))
		return false;
	for (i = 0; i < LW_ARRAY_SIZE(nothing); i++) {
		size_t dl = strlen(nothing[i]);

		if (k <= dl && strncasecmp(h, nothing[i], k) == 0)
			return true;
	}
	return false;
}

bool lw_plausible_key_not_id(const char *k)
{
	static const char *const part[] = {
		"waybill", "tracking", "parcel",    "logistic", "shipment",
		"consign", "campaign", "adgroup",   "creative", "placement",
		"adunit",  "adslot",   "snowflake", "bankcard", "cardnumber",
		"cardno",  "coupon",   "voucher",   "barcode",
	};
	static const char *const whole[] = {"card", "pan", "cc",    "slot",
					    "item", "sku", "posid", "tagid"};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(part); i++)
		if (strstr(k, part[i]))
			return true;
	for (i = 0; i < LW_ARRAY_SIZE(whole); i++)
		if (strcmp(k, whole[i]) == 0)
			return true;
	return false;
}
