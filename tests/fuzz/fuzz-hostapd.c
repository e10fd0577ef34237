/* SPDX-License-Identifier: MIT */
/*
 * hostapd's control interface messages (lib/ap/hostapd.h): the input as an unsolicited event
 * ("<3>AP-STA-CONNECTED 02:00:5e:10:00:01 ...") and as a STA-FIRST/STA-NEXT reply.  A local
 * process writes these, but hostapd copies parts of them from stations (names, vendor
 * elements), so they are parsed like packets.
 */
#include "ap/hostapd.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_hostapd_line line;
	struct lw_mac mac;
	long t = 0;
	int r;

	r = lw_hostapd_parse_event((const char *)data, size, &line);
	fuzz_assert(r == 0 || r == -EBADMSG);
	if (r == 0)
		fuzz_assert(line.kind == LW_HOSTAPD_LINE_CONNECTED ||
			    line.kind == LW_HOSTAPD_LINE_DISCONNECTED ||
			    line.kind == LW_HOSTAPD_LINE_OTHER);
	r = lw_hostapd_parse_sta((const char *)data, size, &mac, &t);
	fuzz_assert(r == 1 || r == 0 || r == -ENOENT || r == -EBADMSG);
	if (r == 1)
		fuzz_assert(t >= -1);
	return 0;
}
