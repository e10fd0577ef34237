/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>

#include "alert/bucket.h"
#include "alert/event.h"
#include "alert/ha.h"
#include "alert/json.h"
#include "alert/seen.h"
#include "lw-test.h"

#define SEC LW_USEC_PER_SEC

static void test_json_escapes(void)
{
	char buf[256];
	struct lw_json j;

	lw_json_init(&j, buf, sizeof(buf));
	lw_json_obj(&j, NULL);
	/* quote, backslash, newline, tab, DEL and a control byte */
	lw_json_str(&j, "a", "x\"y\\z\n\t\x7f\x01");
	/* valid UTF-8 passes (é, €, U+1F600); a lone continuation byte, an overlong '/' and a
	 * surrogate do not */
	lw_json_str(&j, "b", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\x80|\xc0\xaf|\xed\xa0\x80");
	lw_json_u64(&j, "n", 18446744073709551615ULL);
	lw_json_num(&j, "t", 1.5);
	lw_json_bool(&j, "f", false);
	lw_json_arr(&j, "l");
	lw_json_str(&j, NULL, "");
	lw_json_arr(&j, NULL);
	lw_json_close(&j);
	lw_json_close(&j);
	lw_json_close(&j);
	LW_CHECK(lw_json_end(&j) > 0);
	LW_CHECK_STR(buf, "{\"a\":\"x\\\"y\\\\z\\u000a\\u0009\\u007f\\u0001\","
			  "\"b\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd|\\ufffd\\ufffd|"
			  "\\ufffd\\ufffd\\ufffd\","
			  "\"n\":18446744073709551615,\"t\":1.500,\"f\":false,\"l\":[\"\",[]]}");
}

static void test_json_truncated_input(void)
{
	char buf[64];
	struct lw_json j;

	/* a multi-byte sequence cut by the end of the string is not read past its NUL */
	lw_json_init(&j, buf, sizeof(buf));
	lw_json_str(&j, NULL, "ab\xe2\x82");
	LW_CHECK(lw_json_end(&j) > 0);
	LW_CHECK_STR(buf, "\"ab\\ufffd\\ufffd\"");
}

static void test_json_overflow(void)
{
	char buf[40];
	size_t cap;

	/* every size from 0 up: fails cleanly until it fits, never writes past cap */
	for (cap = 0; cap <= 32; cap++) {
		struct lw_json j;
		int r;

		memset(buf, 'X', sizeof(buf));
		lw_json_init(&j, buf, cap);
		lw_json_obj(&j, NULL);
		lw_json_str(&j, "key", "value\"");
		lw_json_close(&j);
		r = lw_json_end(&j);
		LW_CHECK(buf[cap] == 'X' || cap == sizeof(buf));
		if (cap > 17)
			LW_CHECK_INT(r, 17);
		else
			LW_CHECK_INT(r, -ENOSPC);
	}
}

static void test_json_unbalanced(void)
{
	char buf[64];
	struct lw_json j;
	int i;

	lw_json_init(&j, buf, sizeof(buf));
	lw_json_obj(&j, NULL);
	LW_CHECK_INT(lw_json_end(&j), -EINVAL);
	lw_json_init(&j, buf, sizeof(buf));
	lw_json_close(&j);
	LW_CHECK_INT(lw_json_end(&j), -ENOSPC);
	lw_json_init(&j, buf, sizeof(buf));
	for (i = 0; i < LW_JSON_DEPTH + 2; i++)
		lw_json_arr(&j, NULL);
	LW_CHECK(lw_json_end(&j) < 0);
}

static void test_utf8_copy(void)
{
	char out[6];

	lw_utf8_copy(out, sizeof(out), "ab\xe2\x82\xac\xc3\xa9");
	LW_CHECK_STR(out, "ab\xe2\x82\xac"); /* é does not fit whole: cut before it */
	lw_utf8_copy(out, sizeof(out),
		     "\xff\xfe"
		     "a");
	LW_CHECK_STR(out, "??a");
}

static void test_device_name(void)
{
	char n[16];

	lw_alert_device_name(n, sizeof(n), "Nokia", "android-1", "Nokia Corp", "00:00:5e:00:53:10");
	LW_CHECK_STR(n, "Nokia");
	lw_alert_device_name(n, sizeof(n), "", "android-1", "Nokia Corp", "00:00:5e:00:53:10");
	LW_CHECK_STR(n, "android-1");
	lw_alert_device_name(n, sizeof(n), "", "", "Nokia Corp", "00:00:5e:00:53:10");
	LW_CHECK_STR(n, "Nokia Corp");
	lw_alert_device_name(n, sizeof(n), NULL, NULL, NULL, "00:00:5e:00:53:10");
	LW_CHECK_STR(n, "00:00:5e:00:53:");
}

static void test_event_json(void)
{
	struct lw_alert_event e;
	char buf[LW_ALERT_JSON_MAX];

	memset(&e, 0, sizeof(e));
	e.type = LW_ALERT_NEW_LEAK;
	e.ts = 1700000000.25;
	snprintf(e.mac, sizeof(e.mac), "00:00:5e:00:53:10");
	snprintf(e.name, sizeof(e.name), "My \"phone\"");
	snprintf(e.label, sizeof(e.label), "My \"phone\"");
	snprintf(e.domain, sizeof(e.domain), "zzhc.vnet.cn");
	snprintf(e.dst_ip, sizeof(e.dst_ip), "198.51.100.10");
	e.dst_port = 9999;
	snprintf(e.proto, sizeof(e.proto), "tcp");
	snprintf(e.kind, sizeof(e.kind), "imei");
	snprintf(e.confidence, sizeof(e.confidence), "validated");
	snprintf(e.location, sizeof(e.location), "http.body");
	e.leaks_today = 3;
	LW_CHECK(lw_alert_event_json(&e, buf, sizeof(buf)) > 0);
	LW_CHECK_STR(buf,
		     "{\"event_type\":\"new_leak\",\"ts\":1700000000.250,"
		     "\"device\":{\"mac\":\"00:00:5e:00:53:10\",\"name\":\"My \\\"phone\\\"\","
		     "\"label\":\"My \\\"phone\\\"\",\"hostname\":\"\",\"vendor\":\"\"},"
		     "\"kind\":\"imei\",\"domain\":\"zzhc.vnet.cn\",\"dst_ip\":\"198.51.100.10\","
		     "\"dst_port\":9999,\"proto\":\"tcp\",\"confidence\":\"validated\","
		     "\"location\":\"http.body\",\"leaks_today\":3}");
	/* every field at its longest, full of bytes that need escaping, still fits the maximum */
	memset(&e, 0, sizeof(e));
	memset(e.name, '\x01', sizeof(e.name) - 1);
	memset(e.label, '"', sizeof(e.label) - 1);
	memset(e.hostname, '\x02', sizeof(e.hostname) - 1);
	memset(e.vendor, '\xff', sizeof(e.vendor) - 1);
	memset(e.domain, '\\', sizeof(e.domain) - 1);
	memset(e.location, '\x03', sizeof(e.location) - 1);
	e.type = LW_ALERT_NEW_LEAK;
	LW_CHECK(lw_alert_event_json(&e, buf, sizeof(buf)) > 0);
	e.type = LW_ALERT_NEW_DEVICE;
	LW_CHECK(lw_alert_event_json(&e, buf, sizeof(buf)) > 0);
	LW_CHECK(strstr(buf, "\"kind\"") == NULL);
	LW_CHECK_INT(lw_alert_event_json(&e, buf, 100), -ENOSPC);
}

static void test_ha_prefix_and_ids(void)
{
	char id[13], t[64];

	LW_CHECK(lw_ha_prefix_valid("leakwatch"));
	LW_CHECK(lw_ha_prefix_valid("home/leakwatch-1"));
	LW_CHECK(!lw_ha_prefix_valid(""));
	LW_CHECK(!lw_ha_prefix_valid("a/+/b"));
	LW_CHECK(!lw_ha_prefix_valid("a/#"));
	LW_CHECK(!lw_ha_prefix_valid("/a"));
	LW_CHECK(!lw_ha_prefix_valid("a/"));
	LW_CHECK(!lw_ha_prefix_valid("a//b"));
	LW_CHECK(!lw_ha_prefix_valid("a b"));
	LW_CHECK_INT(lw_ha_node_id("00:00:5E:00:53:10", id), 0);
	LW_CHECK_STR(id, "00005e005310");
	LW_CHECK_INT(lw_ha_node_id("00-00-5e-00-53-10", id), 0);
	LW_CHECK_INT(lw_ha_node_id("00:00:5e:00:53", id), -EINVAL);
	LW_CHECK_INT(lw_ha_node_id("00:00:5e:00:53:10:11", id), -EINVAL);
	LW_CHECK_INT(lw_ha_node_id("00:00:5e:00:53:1g", id), -EINVAL);
	LW_CHECK_INT(lw_ha_node_id("00:00:5e:00:53/+#", id), -EINVAL);
	LW_CHECK_INT(lw_ha_device_topic("lw", "00:00:5e:00:53:10", "event", t, sizeof(t)), 0);
	LW_CHECK_STR(t, "lw/00005e005310/event");
	LW_CHECK_INT(lw_ha_device_topic("lw", "00:00:5e:00:53:10", "event", t, 10), -ENOSPC);
}

static void test_ha_discovery(void)
{
	char topic[LW_HA_TOPIC_MAX], p[LW_HA_PAYLOAD_MAX];

	LW_CHECK_INT(lw_ha_discovery(LW_HA_LEAKS_TODAY, "homeassistant", "leakwatch",
				     "00:00:5E:00:53:10", "Nokia \"C2\"\n", "", topic,
				     sizeof(topic), p, sizeof(p)),
		     0);
	LW_CHECK_STR(topic, "homeassistant/sensor/leakwatch_00005e005310/leaks_today/config");
	LW_CHECK_STR(
		p, "{\"name\":\"Leaks today\",\"unique_id\":\"leakwatch_00005e005310_leaks_today\","
		   "\"object_id\":\"leakwatch_00005e005310_leaks_today\","
		   "\"state_topic\":\"leakwatch/00005e005310/leaks_today\","
		   "\"state_class\":\"total_increasing\",\"unit_of_measurement\":\"leaks\","
		   "\"icon\":\"mdi:incognito-off\","
		   "\"availability\":[{\"topic\":\"leakwatch/status\"}],"
		   "\"device\":{\"identifiers\":[\"leakwatch_00005e005310\"],"
		   "\"connections\":[[\"mac\",\"00:00:5e:00:53:10\"]],"
		   "\"name\":\"Nokia \\\"C2\\\"\\u000a\"}}");
	LW_CHECK_INT(lw_ha_discovery(LW_HA_NEW_LEAK, "ha", "lw", "00:00:5e:00:53:10", "", "Nokia",
				     topic, sizeof(topic), p, sizeof(p)),
		     0);
	LW_CHECK_STR(topic, "ha/event/leakwatch_00005e005310/new_leak/config");
	LW_CHECK(strstr(p, "\"event_types\":[\"new_leak\"]") != NULL);
	LW_CHECK(strstr(p, "\"state_topic\":\"lw/00005e005310/event\"") != NULL);
	/* no name: the MAC names the device */
	LW_CHECK(strstr(p, "\"name\":\"00:00:5e:00:53:10\",\"manufacturer\":\"Nokia\"}") != NULL);
	LW_CHECK_INT(lw_ha_discovery(LW_HA_NEW_LEAK, "ha", "lw", "not a mac", "", "", topic,
				     sizeof(topic), p, sizeof(p)),
		     -EINVAL);
	LW_CHECK_INT(lw_ha_discovery(LW_HA_NEW_LEAK, "ha", "lw", "00:00:5e:00:53:10", "", "", topic,
				     sizeof(topic), p, 50),
		     -ENOSPC);
}

static void test_bucket(void)
{
	struct lw_bucket b;
	int i, taken = 0;

	lw_bucket_init(&b, 3, 6, 0); /* 3 at once, then one every 10 s */
	for (i = 0; i < 10; i++)
		taken += lw_bucket_take(&b, 0);
	LW_CHECK_INT(taken, 3);
	LW_CHECK_INT(b.suppressed, 7);
	LW_CHECK_INT(lw_bucket_take_suppressed(&b, 5 * SEC), 0); /* no token yet */
	LW_CHECK_INT(lw_bucket_take_suppressed(&b, 10 * SEC), 7);
	LW_CHECK_INT(lw_bucket_take_suppressed(&b, 100 * SEC), 0); /* nothing refused since */
	LW_CHECK(lw_bucket_take(&b, 100 * SEC));
	/* a long quiet time refills to the burst, not beyond */
	taken = 0;
	for (i = 0; i < 10; i++)
		taken += lw_bucket_take(&b, 10000 * SEC);
	LW_CHECK_INT(taken, 3);
	/* the clock stepping back neither refills nor breaks it */
	LW_CHECK(!lw_bucket_take(&b, 0));
	LW_CHECK(!lw_bucket_take(&b, 5 * SEC));
	LW_CHECK_INT(b.suppressed_total, 7 + 7 + 2);
	/* ready: looks, takes and counts nothing */
	lw_bucket_init(&b, 1, 6, 0);
	LW_CHECK(lw_bucket_ready(&b, 0));
	LW_CHECK(lw_bucket_ready(&b, 0));
	LW_CHECK(lw_bucket_take(&b, 0));
	LW_CHECK(!lw_bucket_ready(&b, 5 * SEC));
	LW_CHECK_INT(b.suppressed_total, 0);
	LW_CHECK(lw_bucket_ready(&b, 10 * SEC));
	/* no refill rate: only the burst, ever */
	lw_bucket_init(&b, 1, 0, 0);
	LW_CHECK(lw_bucket_take(&b, 0));
	LW_CHECK(!lw_bucket_take(&b, 1000000 * SEC));
}

static void test_seen(void)
{
	struct lw_seen *s = lw_seen_new(3);
	char k[32];
	int i;

	LW_CHECK(s != NULL);
	if (!s)
		return;
	LW_CHECK_INT(lw_seen_add(s, "a\nb\nimei", 9), 1);
	LW_CHECK_INT(lw_seen_add(s, "a\nb\nimei", 9), 0);
	LW_CHECK_INT(lw_seen_add(s, "a\nb\nimsi", 9), 1);
	LW_CHECK_INT(lw_seen_add(s, "c", 1), 1);
	LW_CHECK_INT(lw_seen_add(s, "d", 1), -ENOSPC);
	LW_CHECK_INT(lw_seen_add(s, "e", 1), -ENOSPC);
	LW_CHECK_INT(lw_seen_add(s, "c", 1), 0); /* still known when full */
	LW_CHECK(lw_seen_has(s, "c", 1));
	LW_CHECK(!lw_seen_has(s, "d", 1));
	LW_CHECK_INT(lw_seen_count(s), 3);
	LW_CHECK_INT(lw_seen_refused(s), 2);
	lw_seen_free(s);
	s = lw_seen_new(10000);
	LW_CHECK(s != NULL);
	if (!s)
		return;
	for (i = 0; i < 10000; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		LW_CHECK(lw_seen_add(s, k, strlen(k)) == 1);
	}
	for (i = 0; i < 10000; i += 97) {
		snprintf(k, sizeof(k), "key%d", i);
		LW_CHECK(lw_seen_add(s, k, strlen(k)) == 0);
	}
	LW_CHECK_INT(lw_seen_count(s), 10000);
	lw_seen_free(s);
	LW_CHECK(lw_seen_new(0) == NULL);
	/* more than the allocation's size can hold: refused, on 32-bit targets too */
	LW_CHECK(lw_seen_new(SIZE_MAX) == NULL);
	LW_CHECK(lw_seen_new(SIZE_MAX / 16) == NULL);
	lw_seen_free(NULL);
}

int main(void)
{
	LW_TEST(test_json_escapes);
	LW_TEST(test_json_truncated_input);
	LW_TEST(test_json_overflow);
	LW_TEST(test_json_unbalanced);
	LW_TEST(test_utf8_copy);
	LW_TEST(test_device_name);
	LW_TEST(test_event_json);
	LW_TEST(test_ha_prefix_and_ids);
	LW_TEST(test_ha_discovery);
	LW_TEST(test_bucket);
	LW_TEST(test_seen);
	return lw_test_end();
}
