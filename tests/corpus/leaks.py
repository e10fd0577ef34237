#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The real identifier leaks of the shared corpus, through leakwatchd.

expected/identifiers.tsv lists identifiers really present in the corpus captures, checked by
hand with tshark by whoever assembled the corpus. For each of its rows this test says what
leakwatch must do (the table EXPECT below, one entry per row, with the reason):

  leak    a leaks row with that kind and canonical value, from that client MAC (when the
          capture's MACs mean something), at the given location and confidence;
  absent  the identifier flows from a server to the client (a certificate, an SSDP or WHOIS
          response, an API answer), or names no device (Android's placeholder MAC): no leaks
          row may carry it, in any kind;
  none    the value is not an identifier of a kind leakwatch reports (an app's install UUID,
          an operator code alone, other devices' MACs inside a file): no requirement, except
          that it must not be reported as the kind named in the entry, if one is.

A row of identifiers.tsv that EXPECT does not cover is a failure: a new real leak in the
corpus must be looked at and classified here.

Exit status: 0 all good, 1 a failure, 77 the corpus is not there (meson's "skipped").

  leaks.py --daemon build/daemon/leakwatchd --corpus ../shared/corpus [-v]
"""

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import tempfile

SANITIZER_MARKS = ('runtime error:', 'AddressSanitizer', 'LeakSanitizer',
                   'UndefinedBehaviorSanitizer', 'ThreadSanitizer', 'MemorySanitizer')

KXUN = 'nDPI/pcap/1kxun.pcap'
GZIP_PLAIN = 'suricata-verify/http-encoding-gzip-uncompressed/input.pcap'

# (pcap, id_type, value as in identifiers.tsv) -> expectation
EXPECT = {
    (KXUN, 'android_id', 'b9e28776354d259e'): dict(
        what='leak', kind='android_id', value='b9e28776354d259e', mac='9c:b6:d0:d3:e3:33',
        location='http.query:', conf=('validated', 'known'),
        why='the emulator app sends its Android ID as _android_id= in query strings'),
    (KXUN, 'advertising_id', '5ac6a0ff-8d18-47bc-a902-2812cf0c251e'): dict(
        what='leak', kind='ad_id', value='5ac6a0ff-8d18-47bc-a902-2812cf0c251e',
        mac='9c:b6:d0:d3:e3:33', location='http.query:', conf=('validated', 'known'),
        why='the Google advertising ID under _aid= / _gaid= in query strings'),
    (KXUN, 'device_uuid', 'e6dbd30b-3b84-44b4-9751-631148a3ede9'): dict(
        what='none', not_kind='ad_id',
        why='an install UUID the app made up (_udid=, client-uid=): no kind of its own, and '
            'not an advertising ID'),
    (KXUN, 'mcc_mnc', '310260'): dict(
        what='none', not_kind='cell_id',
        why='the operator code alone (_carrier=, mcc/mnc empty): no cell without LAC/CID'),
    (KXUN, 'android_id', 'f7ca0f571270c52d'): dict(
        what='leak', kind='android_id', value='f7ca0f571270c52d', mac='bc:ee:7b:0c:b3:de',
        location='dhcp.hostname', conf=('validated',),
        why='legacy Android DHCP host name android-<Android ID>'),
    ('nDPI/pcap/alexa-app.pcapng', 'android_id', '1c1335ec95a27318'): dict(
        what='leak', kind='android_id', value='1c1335ec95a27318', mac='78:f8:82:d3:fb:c2',
        location='dhcp.hostname', conf=('validated',),
        why='legacy Android DHCP host name android-<Android ID>'),
    ('nDPI/pcap/xiaomi.pcap', 'mac_address', '02:00:00:00:00:00'): dict(
        what='absent', needles=('02:00:00:00:00:00', '020000000000'),
        why="Android's placeholder MAC, percent-encoded under bssid=: what apps get instead of "
            'the MAC, it names no device: counted, no row'),
    ('nDPI/pcap/quickplay.pcap', 'phone_number_like', '09154974536'): dict(
        what='none',
        why='a user id that looks like a Philippine mobile number; without a phone key or an '
            'enrolled value a bare number is not reported as a phone'),
    ('nDPI/pcap/ocs.pcap', 'device_id_hex32', 'f2c993d6218f5e22fe284b2e90c82f3b'): dict(
        what='none',
        why="an SDK's random 32-hex device id: no kind, and no known value it is a hash of"),
    ('nDPI/pcap/steam.pcapng', 'mac_address', 'F0:2F:74:AD:43:F5'): dict(
        what='leak', kind='mac', value='f0:2f:74:ad:43:f5', mac='f0:2f:74:ad:43:f5',
        location='udp.payload', conf=('known',),
        why='Steam LAN discovery broadcast carries the sender\'s own MAC (known from layer 2)'),
    ('nDPI/pcap/sonos.pcapng', 'mac_address', '34:7E:5C:FF:A2:6E'): dict(
        what='absent', needles=('34:7e:5c:ff:a2:6e', '347e5cffa26e'),
        why='in the speaker\'s TLS certificate on TCP 1443: the server sends it to the client'),
    ('nDPI/pcap/syslog.pcap', 'mac_address', '00:19:7D:3B:6F:D4'): dict(
        what='none', not_kind='mac',
        why='a hotspot client\'s MAC in a log line ("C:192.168.2.83/00:19:7D:3B:6F:D4"): '
            'another device\'s MAC with no MAC key, not the sender\'s own'),
    ('nDPI/pcap/anyconnect-vpn.pcap', 'mac_address', 'd8:31:34:20:77:fb'): dict(
        what='absent', needles=('d8:31:34:20:77:fb', 'd831342077fb'),
        why='a Roku\'s SSDP unicast response to the client: server to client'),
    (GZIP_PLAIN, 'imei_like', '350672920106648'): dict(
        what='leak', kind='imei', value='350672920106648', mac=None,
        location='http.body', conf=('pattern',), encoding='json:device_id',
        why='device_id in a JSON body labelled gzip but sent plain; its Luhn digit fails, so '
            'a pattern. MAC not checked: the capture has random MACs on every frame'),
    ('suricata-verify/http-urldecode-body/input.pcap', 'email', 'test@oisf.net'): dict(
        what='leak', kind='email', value='test@oisf.net', mac='NULL',
        location='http.body', conf=('validated',),
        why='percent-encoded (%40) in a form body; a loopback capture without MACs'),
    ('suricata-verify/http-post-file/input.pcap', 'email', 'titi@titi.fr'): dict(
        what='absent', needles=('titi@titi.fr',),
        why='in the Mattermost server\'s JSON answer (8065 -> 52093): server to client'),
    ('suricata-verify/http-multiple100/input.pcap', 'mac_address', 'A4:1A:3A:91:A4:8D'): dict(
        what='none', not_kind='mac',
        why='inside a capture file uploaded over TCP 1551: a TP-Link router\'s broadcast, '
            'frames of other devices, not the sender\'s own MAC and under no key'),
    ('nDPI/pcap/whois.pcapng', 'phone_number', '+1.2013775952'): dict(
        what='absent', needles=('2013775952', 'abuse-contact@publicdomainregistry.com'),
        why='a registrar\'s abuse phone and e-mail in a WHOIS response: server to client'),
}


def read_tsv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE))


def daemon_env():
    env = dict(os.environ)
    env.setdefault('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0')
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1')
    return env


def run(daemon, capture, db, timeout):
    p = subprocess.run([daemon, '-r', capture, '--db', db], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout, env=daemon_env())
    err = p.stderr.decode(errors='replace')
    problems = []
    if any(m in err for m in SANITIZER_MARKS):
        problems.append('sanitizer report:\n' + err)
    if p.returncode != 0:
        problems.append('exit status %d: %s' % (p.returncode, err.strip()[-300:]))
    return problems


def leaks_of(db):
    con = sqlite3.connect(db)
    try:
        return [dict(zip(('mac', 'kind', 'value', 'encoding', 'location', 'confidence'),
                         ('NULL' if v is None else str(v) for v in r)))
                for r in con.execute('SELECT mac, kind, value, encoding, location, confidence '
                                     'FROM leaks ORDER BY id')]
    finally:
        con.close()


def judge(e, leaks):
    """Returns (ok, message)."""
    if e['what'] == 'leak':
        cands = [l for l in leaks if l['kind'] == e['kind'] and l['value'] == e['value']]
        if not cands:
            same = [l for l in leaks if l['value'] == e['value']]
            return False, 'no %s leak with value %s%s' % (
                e['kind'], e['value'],
                ' (found as %s)' % ', '.join(sorted({l['kind'] for l in same})) if same else '')
        good = [l for l in cands
                if (e['mac'] is None or l['mac'] == e['mac']) and
                l['location'].startswith(e['location']) and l['confidence'] in e['conf'] and
                ('encoding' not in e or l['encoding'] == e['encoding'])]
        if not good:
            return False, 'found, but not as expected (mac %s, location %s*, confidence %s%s); ' \
                'got: %s' % (e['mac'], e['location'], '/'.join(e['conf']),
                             ', encoding ' + e['encoding'] if 'encoding' in e else '',
                             '; '.join('%(mac)s %(location)s %(confidence)s %(encoding)s' % l
                                       for l in cands))
        return True, '%d row(s), e.g. %s %s %s %s' % (len(cands), good[0]['mac'],
                                                      good[0]['location'],
                                                      good[0]['encoding'],
                                                      good[0]['confidence'])
    if e['what'] == 'absent':
        bad = [l for l in leaks for n in e['needles'] if n in l['value'].lower()]
        if bad:
            return False, 'must not be a leak, yet reported: %s' % '; '.join(
                '%(kind)s %(value)s %(location)s' % l for l in bad)
        return True, 'not reported'
    kind = e.get('not_kind')
    return True, 'no requirement' if not kind else 'no requirement (not as %s)' % kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--daemon', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('-v', '--verbose', action='store_true', help='print every leaks row')
    a = ap.parse_args()
    tsv = os.path.join(a.corpus, 'expected', 'identifiers.tsv')
    if not os.path.isfile(tsv):
        print('corpus not found at %s (no expected/identifiers.tsv): skipping' % a.corpus)
        return 77
    rows = read_tsv(tsv)
    failures = 0
    dbs = {}
    with tempfile.TemporaryDirectory(prefix='lw-leaks-') as tmp:
        for r in rows:
            key = (r['pcap'], r['id_type'], r['value'])
            e = EXPECT.get(key)
            if e is None:
                print('FAIL %s %s %s: not classified in leaks.py EXPECT (look at it: a leak '
                      'leakwatch must find, one flowing server to client, or no kind)' % key)
                failures += 1
                continue
            if r['pcap'] not in dbs:
                db = os.path.join(tmp, '%d.db' % len(dbs))
                problems = run(a.daemon, os.path.join(a.corpus, r['pcap']), db, a.timeout)
                dbs[r['pcap']] = (problems, leaks_of(db) if os.path.exists(db) else [])
                if a.verbose:
                    for l in dbs[r['pcap']][1]:
                        print('   %s: %s' % (r['pcap'], ' | '.join(l.values())))
            problems, leaks = dbs[r['pcap']]
            ok, msg = judge(e, leaks)
            if problems:
                ok, msg = False, '; '.join(problems)
            if e.get('not_kind') and any(l['kind'] == e['not_kind'] and
                                         l['value'].lower() == r['value'].lower()
                                         for l in leaks):
                ok, msg = False, 'reported as %s, which it is not' % e['not_kind']
            failures += not ok
            print('%-4s %-6s %s %s %s: %s -- %s' % ('ok' if ok else 'FAIL', e['what'], r['pcap'],
                                                   r['id_type'], r['value'], msg, e['why']))
    stale = set(EXPECT) - {(r['pcap'], r['id_type'], r['value']) for r in rows}
    for key in sorted(stale):
        print('FAIL %s %s %s: in EXPECT but no longer in identifiers.tsv' % key)
        failures += 1
    print('%d rows of identifiers.tsv, %d failed' % (len(rows), failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
