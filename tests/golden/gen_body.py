# SPDX-License-Identifier: MIT
"""Golden cases: HTTP bodies as devices send them: whatever the declared type, compressed without a header, requests cut off, SDK keys, phone numbers by number plan.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import gen_captures as g  # noqa: F401

CASES = {
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
