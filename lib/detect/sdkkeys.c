/* SPDX-License-Identifier: MIT */
/*
 * Key names that SDKs send device identifiers under and that the general rules of
 * lw_detect_key_classify() (validate.c) do not recognise: each entry is an exact normalized
 * name (lowercase, non-alphanumerics dropped) taken from the SDK's own documentation or
 * requests, with where it came from.  Exact names only: "hwid" must not also make "shwidth"
 * or "hwidget" an Android ID key.  Names the general rules already cover (gps_adid, android_id,
 * advertising_id, oaid, idfa, imei, meid, mac_address, ...) are not repeated here.
 */
#include <string.h>

#include "detect/detect-int.h"

static const struct {
	const char *norm;
	unsigned flags;
} sdk_keys[] = {
	/* Pushwoosh (push notifications) registerDevice: "hwid", the hardware id, on Android a
	 * 16-hex Android ID (on iOS the IDFV, a UUID: not an advertising id, not reported) */
	{"hwid", LW_KEY_ANDROID},
	/* Branch install and open requests: "hardware_id" with "hardware_id_type": "android_id"
	 * (a UUID Branch made up when the app disabled device id fetch) */
	{"hardwareid", LW_KEY_ANDROID},
	/* AppsFlyer S2S events API, Android body parameters: "amazon_aid", Amazon Fire's
	 * advertising id (advertising_id, oaid and imei are covered by the general rules) */
	{"amazonaid", LW_KEY_ADID},
	/* Firebase Analytics (BigQuery export, device_info): "resettable_device_id", the
	 * advertising id (AAID on Android, IDFA on iOS) */
	{"resettabledeviceid", LW_KEY_ADID},
	/* Google Mobile Ads (AdMob) ad requests: "rdid", the resettable device id, with
	 * idtype=adid */
	{"rdid", LW_KEY_ADID},
	/* Unity Ads SDK device info: "advertisingTrackingId", the advertising id */
	{"advertisingtrackingid", LW_KEY_ADID},
};

unsigned lw_detect_key_sdk(const char *norm)
{
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(sdk_keys); i++)
		if (strcmp(norm, sdk_keys[i].norm) == 0)
			return sdk_keys[i].flags;
	return 0;
}
