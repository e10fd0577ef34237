#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora in tests/fuzz/corpus/<target>/seed-* from the golden captures and a
few hand-made messages.  Deterministic: the files depend only on the inputs and this script.

The golden captures (tests/golden/cases/*.pcap, *.pcapng) are read here with a small reader of
our own (classic pcap and pcapng enhanced/simple packet blocks; Ethernet with VLAN tags, IPv4,
IPv6, UDP, TCP), and their payloads sorted to the targets:
  dns          UDP port 53 payloads; TCP port 53 streams (length-prefixed messages)
  dhcp         UDP 67/68 payloads
  localnames   UDP 5353/5355 payloads and UDP port 53 payloads (DNS UPDATE among them)
  nbns         UDP 137 payloads
  tls          upstream TCP streams starting with a handshake record; the bare handshake
  quic         UDP 443 client datagrams, one per file
  quic-multi   a flow's client datagrams as 2-byte length-prefixed parts
  quic-frames  hand-made: the TLS seeds' ClientHello in CRYPTO frames (whole, split, out of
               order, each version the harness knows)
  http         upstream streams that start with a request line; hand-made chunked requests
  http-chunked hand-made chunked bodies
  sip          UDP payloads to or from port 5060, TCP streams that start with a SIP request
               line; hand-made messages (compact headers, folding, IMS identities, errors)
  config       config/leakwatch.conf, the golden .conf files, hand-made ones
  detect-*     hand-made bodies in each encoding the engine decodes; the http seeds
  hostapd      hand-made event lines and STA replies
  hold         the first 32 IP packets a hold queues (DNS, TCP with payload, UDP to 443) of
               each capture, in order, as parts (a zero clock byte, then the packet), with
               option bytes 0 and 7 (fuzz-hold.c)
  pipeline     every capture as frames in the fuzz-pipeline format, also rewrapped in each other
               link type the decoder knows

Only seed-* files are rewritten; findings (crash-*, regress-*) and merged inputs stay.

Usage: make_seeds.py [--out tests/fuzz/corpus]
"""

import argparse
import glob
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))


# ---------------------------------------------------------------------------------------------
# Reading captures

def read_capture(path):
    """Returns (linktype, [(ts_us, frame)]) for a classic pcap or a pcapng file."""
    data = open(path, 'rb').read()
    if len(data) < 24:
        return None
    magic = struct.unpack('<I', data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        e, nano = '<', magic == 0xa1b23c4d
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        e, nano = '>', magic == 0x4d3cb2a1
    elif magic == 0x0a0d0d0a:
        return read_pcapng(data)
    else:
        return None
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0xffff
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + 'IIII', data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        ts = sec * 1000000 + (frac // 1000 if nano else frac)
        frames.append((ts, data[off:off + incl]))
        off += incl
    return linktype, frames


def read_pcapng(data):
    e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
    off, linktype, frames, resol = 0, 1, [], 1000000
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + 'II', data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            linktype = struct.unpack(e + 'H', body[:2])[0]
            opts = body[8:]
            while len(opts) >= 4:
                code, olen = struct.unpack(e + 'HH', opts[:4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    v = opts[4]
                    resol = 2 ** (v & 0x7f) if v & 0x80 else 10 ** v
                opts = opts[4 + olen + (-olen % 4):]
        elif btype == 6:
            _iface, hi, lo, incl, _orig = struct.unpack(e + 'IIIII', body[:20])
            ts = ((hi << 32) | lo) * 1000000 // resol
            frames.append((ts, body[20:20 + incl]))
        elif btype == 3:
            frames.append((frames[-1][0] if frames else 0, body[4:]))
        off += blen
    return linktype, frames


def parse_eth(frame):
    """Returns (src_ip, dst_ip, proto, sport, dport, payload, tcp_seq) or None."""
    off = 12
    etype = struct.unpack('>H', frame[off:off + 2])[0]
    off += 2
    while etype in (0x8100, 0x88a8):
        etype = struct.unpack('>H', frame[off + 2:off + 4])[0]
        off += 4
    ip = frame[off:]
    if etype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack('>H', ip[2:4])[0]
        if struct.unpack('>H', ip[6:8])[0] & 0x3fff:
            return None  # a fragment
        proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:total]
    elif etype == 0x86dd and len(ip) >= 40:
        plen = struct.unpack('>H', ip[4:6])[0]
        proto, src, dst, l4 = ip[6], ip[8:24], ip[24:40], ip[40:40 + plen]
    else:
        return None
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack('>HH', l4[:4])
        return src, dst, 17, sport, dport, l4[8:], 0
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq = struct.unpack('>HHI', l4[:8])
        doff = (l4[12] >> 4) * 4
        return src, dst, 6, sport, dport, l4[doff:], seq
    return None


def ip_packet(frame):
    """The IP packet of an Ethernet frame (VLAN tags skipped)."""
    off = 12
    etype = struct.unpack('>H', frame[off:off + 2])[0]
    off += 2
    while etype in (0x8100, 0x88a8):
        etype = struct.unpack('>H', frame[off + 2:off + 4])[0]
        off += 4
    return frame[off:]


def tcp_streams(frames):
    """{(src, sport, dst, dport): bytes} in sequence order, duplicates dropped."""
    segs = {}
    for _ts, fr in frames:
        p = parse_eth(fr)
        if not p or p[2] != 6 or not p[5]:
            continue
        segs.setdefault((p[0], p[3], p[1], p[4]), {})[p[6]] = p[5]
    out = {}
    for key, by_seq in segs.items():
        data, nxt = b'', None
        for seq in sorted(by_seq):
            seg = by_seq[seq]
            if nxt is not None and seq < nxt:
                seg = seg[nxt - seq:]
            data += seg
            nxt = seq + len(by_seq[seq]) if nxt is None else max(nxt, seq + len(by_seq[seq]))
        out[key] = data
    return out


def parts(msgs):
    """The 2-byte length-prefixed form of fuzz.h."""
    return b''.join(struct.pack('>H', len(m)) + m for m in msgs)


# ---------------------------------------------------------------------------------------------
# Pipeline seeds: frames re-wrapped in every link type

LINK_INDEX = {'en10mb': 0, 'sll': 1, 'sll2': 2, 'raw': 3, 'raw_obsd': 4, 'linktype_raw': 5,
              'ipv4': 6, 'ipv6': 7, 'null': 8, 'loop': 9, 'ppp': 10, 'ppp_serial': 11,
              'c_hdlc': 12}


# the captures also written in every other link type (the rest only as Ethernet)
REWRAP_CASES = ('dns_http', 'tls_sni_split', 'quic_v1', 'ipv6', 'ipv4_fragments', 'vlan')


def rewrap(frame, kind):
    """An Ethernet frame as the same packet in another link type (None if not IP)."""
    off = 12
    etype = struct.unpack('>H', frame[off:off + 2])[0]
    off += 2
    while etype in (0x8100, 0x88a8):
        etype = struct.unpack('>H', frame[off + 2:off + 4])[0]
        off += 4
    if etype not in (0x0800, 0x86dd):
        return None
    ip = frame[off:]
    v6 = etype == 0x86dd
    if kind == 'en10mb':
        return frame
    if kind == 'sll':
        return struct.pack('>HHH', 0, 1, 6) + frame[6:12] + b'\0\0' + struct.pack('>H', etype) + ip
    if kind == 'sll2':
        return struct.pack('>HHIHBB', etype, 0, 2, 1, 0, 6) + frame[6:12] + b'\0\0' + ip
    if kind in ('raw', 'raw_obsd', 'linktype_raw') or kind == ('ipv6' if v6 else 'ipv4'):
        return ip
    if kind in ('ipv4', 'ipv6'):
        return None
    if kind == 'null':
        return struct.pack('<I', 30 if v6 else 2) + ip
    if kind == 'loop':
        return struct.pack('>I', 30 if v6 else 2) + ip
    if kind in ('ppp', 'ppp_serial'):
        return b'\xff\x03' + struct.pack('>H', 0x57 if v6 else 0x21) + ip
    if kind == 'c_hdlc':
        return b'\x0f\x00' + struct.pack('>H', etype) + ip
    return None


def pipeline_input(frames, link, flags=0):
    out, last = [bytes([LINK_INDEX[link] | flags])], None
    for ts, fr in frames:
        step = 0 if last is None else min(255, (ts - last) // 250000)
        last = ts if last is None else last + step * 250000
        out.append(struct.pack('>BH', step, len(fr)) + fr)
    return b''.join(out)


# ---------------------------------------------------------------------------------------------
# Hand-made messages

def dns_name(name):
    return b''.join(bytes([len(label)]) + label.encode() for label in name.split('.') if label) + b'\0'


def handmade_dns():
    q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0) + dns_name('www.example.com') + \
        struct.pack('>HH', 1, 1)
    # a response whose answer name points at itself: a compression loop
    loop = struct.pack('>HHHHHH', 0x1234, 0x8180, 1, 1, 0, 0) + dns_name('a.example') + \
        struct.pack('>HH', 1, 1) + b'\xc0\x1b' + struct.pack('>HHIH', 1, 1, 60, 4) + b'\xc0\x00\x02\x01'
    # mDNS answer with the cache-flush bit and a PTR target through a pointer
    mdns = struct.pack('>HHHHHH', 0, 0x8400, 0, 1, 0, 0) + dns_name('_http._tcp.local') + \
        struct.pack('>HHIH', 12, 0x8001, 120, 7) + b'\x04host\xc0\x0c'
    return {'query': q, 'loop': loop, 'mdns': mdns,
            'tcp-two': struct.pack('>H', len(q)) + q + struct.pack('>H', len(q)) + q}


def handmade_dhcp():
    hdr = struct.pack('>BBBBIHH', 1, 1, 6, 0, 0x3903f326, 0, 0) + b'\0' * 16 + \
        bytes.fromhex('3c22fb123456') + b'\0' * 10 + b'\0' * 192 + b'\x63\x82\x53\x63'
    opts = b'\x35\x01\x03' + b'\x0c\x05phone' + b'\x3c\x08android-' + b'\x3d\x07\x01\x3c\x22\xfb\x12\x34\x56' + \
        b'\x32\x04\xc0\x00\x02\x0a' + b'\x0c\x03two' + b'\xff'
    return {'request': hdr + opts, 'overrun': hdr + b'\x35\x01\x01\x0c\x40short'}


def handmade_http():
    return {
        'chunked': b'POST /up HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n'
                   b'Content-Type: application/json\r\n\r\n'
                   b'7;ext=1\r\n{"imei"\r\n12\r\n:"356938035643809"}\r\n0\r\nTrailer: x\r\n\r\n',
        'length': b'POST /form?imei=356938035643809 HTTP/1.0\r\nHost: example.net:8080\r\n'
                  b'Content-Length: 11\r\nCookie: a=b; c=d\r\n\r\nmac=aabbcc&',
        'absolute': b'\r\nGET http://example.org/x HTTP/1.1\r\nHost: example.org\r\n\r\n'
                    b'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n',
    }


def handmade_sip():
    ims = b'ims.mnc015.mcc234.3gppnetwork.org'
    reg = (b'REGISTER sip:' + ims + b' SIP/2.0\r\n'
           b'v: SIP/2.0/UDP [2001:db8:1::60]:5060;branch=z9hG4bK1\r\n'
           b'f: <sip:234157306418293@' + ims + b'>;tag=1\r\n'
           b't: <sip:234157306418293@' + ims + b'>\r\n'
           b'i: 1\r\nCSeq: 1 REGISTER\r\n'
           b'm: <sip:[2001:db8:1::60]:5060>;+sip.instance="<urn:gsma:imei:35209900-176148-0;svn=03>"'
           b'\r\nAuthorization: Digest username="234157306418293@' + ims + b'",\r\n'
           b' realm="' + ims + b'"\r\n'
           b'P-Preferred-Identity: <tel:+447700900456>\r\nl: 0\r\n\r\n')
    return {
        'register': reg,
        'invite-sdp': (b'INVITE sip:+447700900789@' + ims + b';user=phone SIP/2.0\r\n'
                       b'c: application/sdp\r\nl: 12\r\n\r\nv=0\r\ns=-\r\nxx'),
        'response': b'SIP/2.0 200 OK\r\nContact: <sip:a@[2001:db8::1]>\r\nl: 0\r\n\r\n',
        'keepalive-then-options': b'\r\n\r\nOPTIONS sip:example.com SIP/2.0\r\n\r\n',
        'bad-cl': b'MESSAGE tel:+447700900789 SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab',
        'bad-version': b'REGISTER sip:example.com SIP/3.0\r\n\r\n',
    }


def handmade_chunked():
    return {
        'simple': b'\x00' + b'5\r\nhello\r\n0\r\n\r\n',
        'ext-trailer': b'\x02' + b'3;a=b;c="d"\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\nGET',
        'bytewise': b'\x00' + b'1\r\na\r\n1\r\nb\r\n0\r\n\r\n',
        'bad-size': b'\x07' + b'fffffffffffffffffff\r\n',
    }


def handmade_detect():
    """Content for detect-scan (selector byte first) and detect-decoders (raw)."""
    import base64
    import gzip
    import zlib
    body = b'{"device":{"imei":"356938035643809","mac":"3c:22:fb:12:34:56"},' \
        b'"adid":"38400000-8cf0-11bd-b23e-10b96e40000d","loc":{"lat":52.520008,"lng":13.404954}}'
    form = b'imei=356938035643809&email=alice%40example.com&phone=%2B15555550123&cellid=12345'
    enc = {
        'json': body,
        'form': form,
        'base64-json': base64.b64encode(body),
        'base64url': base64.urlsafe_b64encode(body).rstrip(b'='),
        'hex': body.hex().encode(),
        'url': b'%7B%22imei%22%3A%22356938035643809%22%7D',
        'json-escapes': b'{"a":"\\u0033\\u0035\\u0036938035643809\\n\\ud83d\\ude00","b":[1,2,{"c":null}]}',
        'gzip': gzip.compress(body, 9, mtime=0),
        'deflate-raw': zlib.compress(body, 9)[2:-4],
        'zlib': zlib.compress(body, 9),
        'nested': b'[[[[[[[[[[{"k":' * 4 + b'1' + b'}]]]]]]]]]]' * 4,
        'md5-of-imei': b'id=3d2d1a1f8b7fd5f0d6e5c3c1b0a1c1e1',
    }
    scan = {}
    for i, (name, data) in enumerate(sorted(enc.items())):
        scan[name] = bytes([i % 8]) + data
    scan['partial-no-mac'] = bytes([0x18]) + body[:40]
    return enc, scan


def handmade_hostapd():
    return {
        'connected': b'<3>AP-STA-CONNECTED 02:00:5e:10:00:01 auth_alg=open\n',
        'disconnected': b'<3>AP-STA-DISCONNECTED 02:00:5e:10:00:01',
        'other': b'<3>CTRL-EVENT-EAP-STARTED 02:00:5e:10:00:01',
        'sta': b'02:00:5e:10:00:01\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=1\nconnected_time=42\n',
        'fail': b'FAIL\n',
        'empty': b'',
    }


def handmade_configs():
    return {
        'devices': b'[capture]\ninterface = br-lan\npromisc = no\n[flows]\nlan = 192.0.2.0/24, '
                   b'2001:db8:1::/48\nmax_flows = 4096\n[device 3c:22:fb:12:34:56]\nlabel = phone\n'
                   b'imei = 356938035643809\nemail = a@example.com\n[device 3C-22-FB-00-00-01]\n'
                   b'ad_id = 38400000-8cf0-11bd-b23e-10b96e40000d\n',
        'errors': b'[database]\nqueue_max = 12abc\n[nowhere]\nkey = 1\n',
        'ttl': b'[names]\nttl_min = 600\nttl_max = 60\n',
        'syntax': b'[capture\nsnaplen\n; comment\n# comment\n',
    }


# ---------------------------------------------------------------------------------------------
# QUIC CRYPTO frames around a ClientHello (the plaintext fuzz-quic-frames protects)

def varint(v):
    if v < 64:
        return bytes([v])
    if v < 16384:
        return struct.pack('>H', 0x4000 | v)
    return struct.pack('>I', 0x80000000 | v)


def crypto(off, data, gquic=False):
    return (b'\x08' if gquic else b'\x06') + varint(off) + varint(len(data)) + data


def quic_frames_seeds(handshake):
    out = {}
    h = handshake
    mid = len(h) // 2
    for vi, vname in ((0, 'v1'), (1, 'v2')):
        out[vname + '-whole'] = bytes([vi]) + parts([b'\x02\x00\x00\x00\x00' + crypto(0, h) + b'\x00' * 8])
        out[vname + '-split-reversed'] = bytes([vi]) + parts([crypto(mid, h[mid:]), b'\x01' + crypto(0, h[:mid])])
    out['v1-coalesced-newdcid'] = bytes([0x0c]) + parts([crypto(0, h[:mid]), crypto(mid, h[mid:])])
    out['t051-whole'] = bytes([2]) + parts([b'\x07' + crypto(0, h, gquic=True)])
    chlo = b'CHLO' + struct.pack('<HH', 2, 0) + b'SNI\0' + struct.pack('<I', 11) + \
        b'VER\0' + struct.pack('<I', 15) + b'www.example' + b'Q050'
    out['q050-chlo'] = bytes([3]) + parts([crypto(0, chlo, gquic=True)])
    return out


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(HERE, 'corpus'))
    args = ap.parse_args()

    seeds = {}

    def add(target, name, data):
        seeds.setdefault(target, {})['seed-' + name] = data

    handshakes = []
    caps = sorted(glob.glob(os.path.join(ROOT, 'tests', 'golden', 'cases', '*.pcap*')))
    for path in caps:
        case = os.path.basename(path).split('.')[0]
        cap = read_capture(path)
        if not cap or not cap[1]:
            continue
        linktype, frames = cap
        if linktype != 1:
            continue
        quic_flows = {}
        held = []
        for _ts, fr in frames:
            p = parse_eth(fr)
            if p and ((p[2] == 17 and (p[3] == 53 or p[4] == 443)) or (p[2] == 6 and p[5])):
                held.append(b'\0' + ip_packet(fr))
        if held:
            for opt in (0, 7):
                add('hold', '%s-%d' % (case, opt), bytes([opt]) + parts(held[:32]))
        for i, (_ts, fr) in enumerate(frames):
            p = parse_eth(fr)
            if not p or p[2] != 17 or not p[5]:
                continue
            src, dst, _proto, sport, dport, payload, _seq = p
            if 53 in (sport, dport):
                add('dns', '%s-%d' % (case, i), payload)
                add('localnames', '%s-%d' % (case, i), payload)
            elif {sport, dport} & {5353, 5355}:
                add('localnames', '%s-%d' % (case, i), payload)
            elif 137 in (sport, dport):
                add('nbns', '%s-%d' % (case, i), payload)
            elif {sport, dport} & {67, 68}:
                add('dhcp', '%s-%d' % (case, i), payload)
            elif 5060 in (sport, dport):
                add('sip', '%s-%d' % (case, i), payload)
            elif dport == 443:
                add('quic', '%s-%d' % (case, i), payload)
                quic_flows.setdefault((src, sport, dst, dport), []).append(payload)
        for j, (_k, dgrams) in enumerate(sorted(quic_flows.items())):
            add('quic-multi', '%s-%d' % (case, j), parts(dgrams))
        for j, (key, data) in enumerate(sorted(tcp_streams(frames).items())):
            name = '%s-%d' % (case, j)
            if 53 in (key[1], key[3]):
                add('dns', name + '-tcp', data)
            elif data[:1] == b'\x16':
                add('tls', name, data)
                hs, rest = b'', data
                while len(rest) >= 5 and rest[0] == 0x16:
                    n = struct.unpack('>H', rest[3:5])[0]
                    hs += rest[5:5 + n]
                    rest = rest[5 + n:]
                add('tls', name + '-handshake', hs)
                handshakes.append(hs)
            elif re.match(rb'\r?\n?[A-Z]+ (sips?|tel):', data):
                add('sip', name, data)
            elif data[:4] in (b'GET ', b'POST', b'HEAD', b'PUT ') or data[:2] == b'\r\n':
                add('http', name, data)
        for link in LINK_INDEX:
            wrapped = [(ts, rewrap(fr, link)) for ts, fr in frames]
            wrapped = [(ts, fr) for ts, fr in wrapped if fr is not None]
            if link == 'en10mb':
                add('pipeline', case, pipeline_input(frames, link))
                add('pipeline', case + '-tight-cut', pipeline_input(frames, link, 0x30))
            elif wrapped and case in REWRAP_CASES:
                add('pipeline', '%s-%s' % (case, link), pipeline_input(wrapped, link))

    for name, data in handmade_dns().items():
        add('dns', 'hand-' + name, data)
    for name, data in handmade_dhcp().items():
        add('dhcp', 'hand-' + name, data)
    for name, data in handmade_http().items():
        add('http', 'hand-' + name, data)
    for name, data in handmade_sip().items():
        add('sip', 'hand-' + name, data)
    for name, data in handmade_chunked().items():
        add('http-chunked', 'hand-' + name, data)
    if handshakes:
        for name, data in quic_frames_seeds(min(handshakes, key=len)).items():
            add('quic-frames', name, data)
    enc, scan = handmade_detect()
    for name, data in enc.items():
        add('detect-decoders', 'hand-' + name, data)
    for name, data in scan.items():
        add('detect-scan', 'hand-' + name, data)
    for name, data in seeds.get('http', {}).items():
        add('detect-http', name[len('seed-'):], data)
    for name, data in handmade_hostapd().items():
        add('hostapd', 'hand-' + name, data)
    add('config', 'leakwatch.conf', open(os.path.join(ROOT, 'config', 'leakwatch.conf'), 'rb').read())
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'golden', 'cases', '*.conf'))):
        add('config', 'golden-' + os.path.basename(path), open(path, 'rb').read())
    for name, data in handmade_configs().items():
        add('config', 'hand-' + name, data)

    total = 0
    for target, files in sorted(seeds.items()):
        d = os.path.join(args.out, target)
        os.makedirs(d, exist_ok=True)
        for old in glob.glob(os.path.join(d, 'seed-*')):
            os.unlink(old)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)
            total += len(data)
        print('%-14s %3d seeds' % (target, len(files)))
    print('%d bytes' % total)
    return 0


if __name__ == '__main__':
    sys.exit(main())
