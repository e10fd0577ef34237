-- A known database for the CLI test: replaces every row the capture left.
DELETE FROM devices; DELETE FROM sessions; DELETE FROM flows; DELETE FROM dns; DELETE FROM leaks;
DELETE FROM stats; DELETE FROM flagged; DELETE FROM blocks; DELETE FROM meta WHERE key = 'pid';
INSERT INTO devices(mac, first_seen, last_seen, vendor, hostname, dhcp_vendor, randomized, label, ip,
                    port)
VALUES ('02:10:00:00:00:01', 1700000000, 1700000600, NULL, 'android-1', 'android-dhcp-13', 1,
        'Nokia 7 Plus', '192.0.2.11', 'wlan0'),
       ('3c:28:6d:00:00:02', 1700000100, 1700000200, 'Google, Inc.', NULL, NULL, 0, NULL,
        '192.0.2.12', NULL);
INSERT INTO sessions(mac, ifname, start, "end")
VALUES ('02:10:00:00:00:01', 'wlan0', 1700000000.25, NULL),
       ('3c:28:6d:00:00:02', 'wlan0', 1700000100, 1700000200);
INSERT INTO flows(id, mac, proto, src_ip, src_port, dst_ip, dst_port, first_seen, last_seen,
                  domain, name_source, app, encrypted, pkts_out, bytes_out, pkts_in, bytes_in, ended)
VALUES (1, '02:10:00:00:00:01', 'tcp', '192.0.2.11', 40000, '198.51.100.10', 9999, 1700000010,
        1700000011, 'zzhc.vnet.cn', 'http', 'http', 0, 5, 900, 4, 400, 1),
       (2, '02:10:00:00:00:01', 'tcp', '192.0.2.11', 40001, '198.51.100.10', 9999, 1700000020,
        1700000021, 'zzhc.vnet.cn', 'http', 'http', 0, 5, 950, 4, 410, 1),
       (3, '02:10:00:00:00:01', 'tcp', '192.0.2.11', 40002, '198.51.100.20', 443, 1700000030,
        1700000090, 'www.example.org', 'sni', 'tls', 1, 20, 3000, 30, 45000, 1),
       (4, '3c:28:6d:00:00:02', 'tcp', '192.0.2.12', 40003, '203.0.113.40', 80, 1700000150,
        1700000151, 'ads.example.com', 'http', 'http', 0, 3, 700, 3, 300, 1);
INSERT INTO leaks(ts, mac, flow_id, domain, dst_ip, dst_port, proto, kind, value, encoding,
                  location, confidence, snippet)
VALUES (1700000010.5, '02:10:00:00:00:01', 1, 'zzhc.vnet.cn', '198.51.100.10', 9999, 'tcp',
        'imei', '356938035643809', 'base64>json:MEID', 'http.body', 'known', NULL),
       (1700000020, '02:10:00:00:00:01', 2, 'zzhc.vnet.cn', '198.51.100.10', 9999, 'tcp',
        'iccid', '8986031864022013389', 'base64>json:SIM1ICCID', 'http.body', 'validated', NULL),
       (1700000150, '3c:28:6d:00:00:02', 4, 'ads.example.com', '203.0.113.40', 80, 'tcp',
        'ad_id', '38400000-8cf0-11bd-b23e-10b96e40000d', NULL, 'http.query:adid', 'validated',
        'adid=38400000-8cf0-11bd-b23e-10b96e40000d&x="1"');
INSERT INTO stats(ts, packets, bytes, dropped, if_dropped, flows_active, flows_evicted, leaks,
                  malformed, store_dropped, rss_kb)
VALUES (1700000300, 600, 60000, 1, 0, 2, 0, 2, 0, 0, 9000),
       (1700000600, 1234, 123400, 2, 0, 3, 0, 3, 0, 0, 9100);
INSERT INTO flagged(domain, mac, reason, source, added) VALUES ('vnet.cn', NULL, 'zzhc', 'user', 1700000700);
DELETE FROM stations;
INSERT INTO stations(ts, mac, ifname, signal, signal_avg, tx_bitrate, rx_bitrate, inactive_ms,
                     connected_s, rx_bytes, tx_bytes, tx_retries, tx_failed)
VALUES (1700000030, '02:10:00:00:00:01', 'wlan0', -40, -41, 866700, 6500, 120, 30, 1000, 2000, 0,
        0),
       (1700000060, '02:10:00:00:00:01', 'wlan0', -38, -40, 780000, 24000, 40, 60, 5000, 90000, 2,
        0),
       (1700000060.5, '3c:28:6d:00:00:02', 'wlan1', -71, NULL, 6500, NULL, 3000, 5, NULL, NULL,
        NULL, NULL);
-- for the listings and their filters: a device with a label of wide characters, one whose
-- hostname carries terminal escapes, a connection to a bare address, DNS queries, a block,
-- an automatic flag
INSERT INTO devices(mac, first_seen, last_seen, vendor, hostname, dhcp_vendor, randomized, label, ip,
                    port)
VALUES ('02:20:00:00:00:03', 1700000300, 1700000400, NULL, 'tablet', NULL, 1,
        '台所のタブレット', '192.0.2.13', 'wlan0'),
       ('02:30:00:00:00:04', 1700000250, 1700000260, NULL,
        'x' || char(27) || ']0;pwned' || char(7) || char(27) || '[2Jy', NULL, 1, NULL,
        '192.0.2.14', NULL);
INSERT INTO flows(id, mac, proto, src_ip, src_port, dst_ip, dst_port, first_seen, last_seen,
                  domain, name_source, app, encrypted, pkts_out, bytes_out, pkts_in, bytes_in, ended)
VALUES (5, '02:10:00:00:00:01', 'udp', '192.0.2.11', 40004, '203.0.113.99', 3478, 1700000100,
        1700000110, NULL, NULL, NULL, 0, 10, 1000, 10, 1200, 1),
       (6, '02:20:00:00:00:03', 'tcp', '192.0.2.13', 40005, '198.51.100.30', 443, 1700000310,
        1700000320, 'cdn.example.org', 'sni', 'tls', 1, 8, 800, 9, 9000, 0);
INSERT INTO dns(ts, mac, client_ip, server_ip, qname, qtype, rcode, answers, ttl)
VALUES (1700000009, '02:10:00:00:00:01', '192.0.2.11', '192.0.2.1', 'zzhc.vnet.cn', 1, 0,
        '198.51.100.10', 300),
       (1700000029, '02:10:00:00:00:01', '192.0.2.11', '192.0.2.1', 'www.example.org', 28, 0,
        '2001:db8::20', 60),
       (1700000149, '3c:28:6d:00:00:02', '192.0.2.12', '192.0.2.1', 'ads.example.com', 1, 0,
        '203.0.113.40', 60),
       (1700000301, '02:20:00:00:00:03', '192.0.2.13', '192.0.2.1', 'nothing.example', 65, 3,
        NULL, NULL);
INSERT INTO blocks(ts, mac, domain, ip, until, reason, action)
VALUES (1700000500, '02:10:00:00:00:01', 'zzhc.vnet.cn', '198.51.100.10', 1700086900, 'vnet.cn',
        'drop');
INSERT INTO flagged(domain, mac, reason, source, added, expires)
VALUES ('tracker.example', '3c:28:6d:00:00:02', 'ad_id leak', 'auto', 1700000160, 1700604960);
