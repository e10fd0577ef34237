/* SPDX-License-Identifier: MIT */
/*
 * nl80211 station messages (lib/ap/station.h): the input as one NL80211_CMD_NEW_STATION reply,
 * netlink header first.  The kernel writes these, but parts come from drivers and firmware,
 * and the parser must hold whatever arrives.  The input is copied to a 4-aligned buffer of
 * exactly its size, as a netlink message is received.
 */
#include <string.h>

#include "ap/station.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned all = LW_STATION_SIGNAL | LW_STATION_SIGNAL_AVG | LW_STATION_TX_BITRATE |
			     LW_STATION_RX_BITRATE | LW_STATION_INACTIVE | LW_STATION_CONNECTED |
			     LW_STATION_RX_BYTES | LW_STATION_TX_BYTES | LW_STATION_TX_RETRIES |
			     LW_STATION_TX_FAILED;
	struct lw_station st;
	void *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = lw_station_parse(buf, size, &st);
	free(buf);
	fuzz_assert(r == 0 || r == -EBADMSG);
	if (r < 0)
		return 0;
	fuzz_assert((st.present & ~all) == 0);
	fuzz_assert(st.signal >= -128 && st.signal <= 127);
	fuzz_assert(st.signal_avg >= -128 && st.signal_avg <= 127);
	fuzz_assert(st.ifindex >= 0);
	/* a field the message did not give is 0 */
	fuzz_assert((st.present & LW_STATION_SIGNAL) || st.signal == 0);
	fuzz_assert((st.present & LW_STATION_TX_BITRATE) || st.tx_bitrate == 0);
	fuzz_assert((st.present & LW_STATION_RX_BITRATE) || st.rx_bitrate == 0);
	fuzz_assert((st.present & LW_STATION_INACTIVE) || st.inactive_ms == 0);
	fuzz_assert((st.present & LW_STATION_RX_BYTES) || st.rx_bytes == 0);
	/* bitrates are 100 kbit/s units of a u32 at most */
	fuzz_assert(st.tx_bitrate % 100 == 0 && st.tx_bitrate <= 0xffffffffULL * 100);
	fuzz_assert(st.rx_bitrate % 100 == 0 && st.rx_bitrate <= 0xffffffffULL * 100);
	return 0;
}
