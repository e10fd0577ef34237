# SPDX-License-Identifier: MIT
"""Golden cases: HTTP bodies as devices send them: whatever the declared type, compressed without a header, requests cut off, SDK keys, phone numbers by number plan.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import base64
import zlib

import gen_captures as g  # noqa: F401

NOKIA = g.Host(g.NOKIA_MAC, '192.0.2.30')


def zzhc_form_body(n):
    """The REGVER 2 registration with a UETYPE member n characters long: the JSON is 157 + n
    bytes, so n = 1, 2, 3 give base64 ending in '==', '=' and no padding."""
    return g.zzhc_body(g.ZZHC_V2 + [('UETYPE', '1' * n)])


def case_body_form_base64():
    """The Nokia 7 Plus registration (REGVER 2: MEID = IMEI, SIM1ICCID = 19 digits, SIM1LTEIMSI)
    sent as `curl --data` sends it: POST / to zzhc.vnet.cn:9999 with Content-Type
    application/x-www-form-urlencoded, three times on three connections 10 s apart (client
    ports 51001, 51002, 51003), the body being base64 of the JSON with an extra member
    UETYPE of 1, 2 and 3 characters, so that the base64 ends in '==', '=' and with no
    padding. A form parser reads "<base64>==" as a key with the value "=": it is one base64
    run all the same."""
    t = g.Trace(g.T0 + 20000)
    for i, n in enumerate((1, 2, 3)):
        if i:
            t.now += 10 * 1000000
        body = zzhc_form_body(n)
        assert body.endswith(b'=' * (2 - i)) and not body.endswith(b'=' * (3 - i))
        c = g.TcpConn(t, NOKIA, 51001 + i, g.ZZHC, 9999, 510000 + 10000 * i,
                      517000 + 10000 * i)
        c.handshake()
        head = ('POST / HTTP/1.1\r\nHost: %s:9999\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n'
                'Content-Length: %d\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n'
                % (g.ZZHC_NAME, len(body)))
        c.send(True, head.encode() + body)
        c.send(False, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'
               b'Content-Length: 17\r\n\r\n{"resultCode":0}\n')
        c.close()
    return t.frames


ZLIB_MAC = '00:00:5e:00:53:41'
ZLIB_JSON = ('{"mac":"%s","app":"com.example.weather","ev":"open"}' % ZLIB_MAC).encode()
# zlib.compress(ZLIB_JSON, 9) with zlib 1.2.13, kept as bytes so that the capture does not
# depend on the library's version; checked against the decoder when the case is built.
ZLIB_BODY = bytes.fromhex(
    '78daab56ca4d4c56b2523230b00222d35430696c6562a8a4a3945850009449cecfd54bad48cc2dc849d52b4f'
    '4d2cc9482d02caa59601a5f20b52f3946a016e1d13b6')


def case_body_zlib_mac():
    """A telemetry POST from 00:00:5e:00:53:41 to t.example.com (198.51.100.141:80) with
    Content-Type application/octet-stream and no Content-Encoding: the body is a zlib
    stream (header 78 da) of {"mac":"00:00:5e:00:53:41","app":...,"ev":"open"}, the device's
    own Wi-Fi MAC. Answered 204."""
    assert zlib.decompress(ZLIB_BODY) == ZLIB_JSON
    t = g.Trace(g.T0 + 20100)
    phone = g.Host(ZLIB_MAC, '192.0.2.41')
    c = g.TcpConn(t, phone, 51100, g.server('198.51.100.141'), 80, 511000, 518000)
    c.handshake()
    c.send(True, g.http_post('/v2/collect', 't.example.com', ZLIB_BODY,
                             'application/octet-stream'))
    c.send(False, g.HTTP_NO_CONTENT)
    c.close()
    return t.frames


HWID = '5a3f9c1e7b2d4f60'   # an Android 8+ Android ID: 16 lower-case hex


def case_body_sdk_hwid():
    """A push-notification SDK registering the device (Pushwoosh's registerDevice shape) from
    00:00:5e:00:53:42 to push.example.com (198.51.100.142:80): POST /json/1.3/registerDevice,
    application/json, {"request":{"application":"ABCDE-12345","push_token":<152 characters
    of an FCM token>,"hwid":"5a3f9c1e7b2d4f60","timezone":3600,"language":"en",
    "device_type":3}}. The Android ID is under the SDK's own key name, hwid. Answered 204."""
    t = g.Trace(g.T0 + 20200)
    phone = g.Host('00:00:5e:00:53:42', '192.0.2.42')
    token = 'fcm0' + base64.urlsafe_b64encode(bytes(range(111))).decode()[:148]
    body = ('{"request":{"application":"ABCDE-12345","push_token":"%s","hwid":"%s",'
            '"timezone":3600,"language":"en","device_type":3}}' % (token, HWID)).encode()
    c = g.TcpConn(t, phone, 51200, g.server('198.51.100.142'), 80, 512000, 519000)
    c.handshake()
    c.send(True, g.http_post('/json/1.3/registerDevice', 'push.example.com', body,
                             'application/json'))
    c.send(False, g.HTTP_NO_CONTENT)
    c.close()
    return t.frames


CUT_MAC = '00:00:5e:00:53:43'


def case_body_head_cut():
    """Two requests that never finished, from 00:00:5e:00:53:43 to portal.example.com
    (198.51.100.143:80), each with the device's own MAC percent-encoded in its Referer
    (client_mac=00%3A00%3A5e%3A00%3A53%3A43). (1) Port 51300: GET /next with Host, User-Agent
    and Referer, then the head stops in the middle of "Accept-Language: e" and nothing more
    comes: the capture ends with the connection open. (2) Port 51301, 5 s later: the same
    head cut in the middle of the Referer line, just after the MAC (before "&ap=1"), then the
    client resets the connection."""
    t = g.Trace(g.T0 + 20300)
    phone = g.Host(CUT_MAC, '192.0.2.43')
    srv = g.server('198.51.100.143')
    referer = 'http://portal.example.com/login?client_mac=%s&ap=1' % g.pct(CUT_MAC)
    head = ('GET /next HTTP/1.1\r\nHost: portal.example.com\r\n'
            'User-Agent: Mozilla/5.0 (Linux; Android 13)\r\nReferer: %s\r\n'
            'Accept-Language: en-US,en;q=0.9\r\n\r\n' % referer).encode()
    cut1 = head.index(b'Accept-Language: ') + len('Accept-Language: e')
    cut2 = head.index(b'&ap=1')
    a = g.TcpConn(t, phone, 51300, srv, 80, 513000, 520000)
    a.handshake()
    a.send(True, head[:cut1])
    a.ack(False)
    t.now += 5 * 1000000
    b = g.TcpConn(t, phone, 51301, srv, 80, 514000, 521000)
    b.handshake()
    b.send(True, head[:cut2])
    b.ack(False)
    b.raw(True, b.seq[True], b.seq[False], g.TCP_RST | g.TCP_ACK)
    return t.frames


FLOOD_MAC = '00:00:5e:00:53:45'
VICTIM_MAC = '00:00:5e:00:53:46'
VICTIM_HWID = '6b4e2d9a1c3f5e70'


def case_body_budget_flood():
    """With cases/body_budget_flood.conf ([inspect] buffer_total_kb = 64): 00:00:5e:00:53:45
    opens 8 connections to upload.example.com (198.51.100.145:80), each a POST of
    application/json with Content-Length 60000 of which it sends 12000 bytes of padding and
    then nothing (the bodies stay held to the capture's end); then 00:00:5e:00:53:46 POSTs a
    whole 12 288-byte JSON body to push.example.com (198.51.100.146:80) with its Android ID
    under hwid at the start and a location (lat, lon) at the end, among padding events. The
    flooder gets 3/4 of the budget and no more (its other bodies are refused room, counted in
    stats.buffer_refused_share); the victim's body is kept whole and both leaks are found."""
    t = g.Trace(g.T0 + 20400)
    flood = g.Host(FLOOD_MAC, '192.0.2.45')
    victim = g.Host(VICTIM_MAC, '192.0.2.46')
    pad = b'{"pad":"' + b'x' * (12000 - 10) + b'"}'
    for i in range(8):
        c = g.TcpConn(t, flood, 51400 + i, g.server('198.51.100.145'), 80, 514000 + 1000 * i,
                      521000 + 1000 * i)
        c.handshake()
        head = ('POST /up HTTP/1.1\r\nHost: upload.example.com\r\n'
                'Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n').encode()
        data = head + pad
        for off in range(0, len(data), 1448):
            c.send(True, data[off:off + 1448])
        c.ack(False)
    events = ','.join('{"ev":"tick","n":%d,"pad":"%s"}' % (i, 'y' * 180) for i in range(56))
    body = ('{"hwid":"%s","events":[%s],"fix":{"lat":48.85661,"lon":2.35222}}'
            % (VICTIM_HWID, events)).encode()
    body = body[:-2] + b' ' * (12288 - len(body)) + b'}}'
    assert len(body) == 12288
    v = g.TcpConn(t, victim, 51500, g.server('198.51.100.146'), 80, 515000, 522000)
    v.handshake()
    req = g.http_post('/v1/report', 'push.example.com', body, 'application/json')
    for off in range(0, len(req), 1448):
        v.send(True, req[off:off + 1448])
    v.send(False, g.HTTP_NO_CONTENT)
    v.close()
    return t.frames


CASES = {
    'body_budget_flood': (case_body_budget_flood, 'pcap'),
    'body_form_base64': (case_body_form_base64, 'pcap'),
    'body_zlib_mac': (case_body_zlib_mac, 'pcap'),
    'body_sdk_hwid': (case_body_sdk_hwid, 'pcap'),
    'body_head_cut': (case_body_head_cut, 'pcap'),
}


# ---- phone numbers by number plan (issue 15) ----------------------------------------------

CN_PHONE_MAC = '00:00:5e:00:53:3c'


def case_leak_phone_national():
    """With cases/region_cn.conf ([detect] region = CN), a phone in China logs in and messages
    on one keep-alive connection to api.example.com, its numbers in China's national form
    (11 digits, no trunk prefix), under keys that do not say phone:
    (1) a form POST user=13812345678 (a China Mobile number) beside a 13-digit millisecond ts
    and login=12012345678 (12x is no mobile range);
    (2) a JSON POST "to":"13912345670" beside the same shape under amount_fen, waybill and
    order_sn (a price in fen, a tracking and an order number), and the MD5 of "" under adid;
    (3) a GET ?num=18612345678 beside price_micros=15990000000 and a microsecond ts_us.
    Every request is answered 204."""
    t = g.Trace(g.T0 + 2700)
    phone = g.Host(CN_PHONE_MAC, '192.0.2.60')
    host = 'api.example.com'
    c = g.TcpConn(t, phone, 50270, g.server('198.51.100.127'), 80, 270000, 277000)
    c.handshake()
    reqs = [
        g.http_post('/v1/login', host,
                    b'user=13812345678&pwd=x&ts=1700000002123&login=12012345678',
                    'application/x-www-form-urlencoded'),
        g.http_post('/v1/msg', host,
                    b'{"to":"13912345670","text":"hi","amount_fen":13800000000,'
                    b'"waybill":"13712345678","order_sn":"15012345678",'
                    b'"adid":"d41d8cd98f00b204e9800998ecf8427e"}',
                    'application/json'),
        g.http_get('/v1/call?num=18612345678&price_micros=15990000000&ts_us=1700000003123456',
                   host),
    ]
    for r in reqs:
        c.send(True, r)
        c.send(False, g.HTTP_NO_CONTENT)
    c.close()
    return t.frames


CASES['leak_phone_national'] = (case_leak_phone_national, 'pcap')
