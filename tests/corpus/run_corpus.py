#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Run leakwatchd over the shared corpus of real captures and score its name attribution.

1. Robustness: `leakwatchd -r CAPTURE --db TMP.db` for every capture listed in
   expected/pcap_inventory.tsv (nDPI and suricata-verify), N at a time, each with a timeout.
   A failure is a crash (killed by a signal or exit status >= 128), a timeout, sanitizer text
   in stderr ("runtime error:", "AddressSanitizer", "LeakSanitizer", ...), or a clean non-zero
   exit for a capture that should have been read (a supported link type and an intact file).
   A clean non-zero exit with a message is fine for unsupported link types and for files that
   really are truncated; those are listed.
2. Attribution: the names other tools found, looked up in what leakwatch wrote.
   - nDPI rows of expected/hostnames.tsv whose verdict in hostnames_crosscheck_tshark.tsv is
     'agree' (joined on pcap, kind, l4, the 5-tuple and the name);
   - every suricata-verify row (no addresses).
   Identical rows count once (nDPI lists some 5-tuples several times, suricata-verify one name
   for several EVE records).
   kind dns: the name must be a dns.qname of that client (client_ip, and server_ip if given);
   other kinds: nDPI rows need flows.domain on the flow with that 5-tuple (client side as
   src_*); suricata-verify rows need the name in flows.domain anywhere in the capture.
   The reversed orientation (client and server swapped) is accepted but counted apart as
   'reversed'.  Names are compared lowercased without a trailing dot; addresses in canonical
   form.  The score is (found + reversed) / expected; below --threshold percent is a failure.
   --report FILE lists every miss with what leakwatch recorded instead.
   Local discovery names (nDPI kinds mdns, llmnr, netbios: tshark's cross-check has no rows
   for them, so nDPI's own answer is the expectation) are scored apart, as source 'local',
   and are not part of the overall score or the threshold.

Exit status: 0 all good; 1 a failure (robustness or score); 77 the corpus is not there
(meson's "skipped").

Examples:
  run_corpus.py --daemon build/daemon/leakwatchd --corpus ../shared/corpus --report misses.tsv
  run_corpus.py --daemon ... --corpus ... --only 'nDPI/pcap/quic*' --only dns_long.pcap
  run_corpus.py --daemon ... --corpus ... --from-file my-list.txt --keep-dbs /tmp/dbs
"""

import argparse
import collections
import concurrent.futures
import csv
import fnmatch
import ipaddress
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

SANITIZER_MARKS = ('runtime error:', 'AddressSanitizer', 'LeakSanitizer',
                   'UndefinedBehaviorSanitizer', 'ThreadSanitizer', 'MemorySanitizer')
# Link types leakwatch reads (DESIGN.md "capture", README "Link types"), named as in
# pcap_inventory.tsv. Refusing one of these is a failure; refusing another (ppi) is accepted.
SUPPORTED_LINKTYPES = {'ether', 'linux-sll', 'linux-sll2', 'rawip', 'rawip4', 'null', 'ppp',
                       'chdlc'}
FLOW_KINDS = ('http', 'tls', 'quic')
LOCAL_KINDS = ('mdns', 'llmnr', 'netbios')   # scored apart (no tshark cross-check)
csv.field_size_limit(1 << 24)


# ---------------------------------------------------------------------------------------------
# Inputs

def read_tsv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f, delimiter='\t', quoting=csv.QUOTE_NONE))


def norm_ip(s):
    s = (s or '').strip()
    if not s:
        return ''
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def norm_name(s):
    return (s or '').strip().rstrip('.').lower()


def norm_port(s):
    s = (s or '').strip()
    return int(s) if s.isdigit() else None


class Expect:
    """One expected name."""
    __slots__ = ('source', 'pcap', 'kind', 'l4', 'cip', 'cport', 'sip', 'sport', 'name', 'rows')

    def __init__(self, source, pcap, kind, l4, cip, cport, sip, sport, name, rows=1):
        self.source, self.pcap, self.kind, self.l4 = source, pcap, kind, l4
        self.cip, self.cport, self.sip, self.sport = cip, cport, sip, sport
        self.name, self.rows = name, rows

    def tuple_text(self):
        def ep(ip, port):
            if not ip:
                return '-'
            ip = '[%s]' % ip if ':' in ip else ip
            return ip if port is None else '%s:%d' % (ip, port)
        return '%s %s > %s' % (self.l4 or '-', ep(self.cip, self.cport), ep(self.sip, self.sport))


def load_expectations(exp_dir):
    keys = ('pcap', 'kind', 'l4', 'client_ip', 'client_port', 'server_ip', 'server_port')
    agree = set()
    for r in read_tsv(os.path.join(exp_dir, 'hostnames_crosscheck_tshark.tsv')):
        if r['verdict'] == 'agree':
            agree.add(tuple(r[k] for k in keys) + (r['ndpi_name'],))
    out, seen = [], {}
    for r in read_tsv(os.path.join(exp_dir, 'hostnames.tsv')):
        if r['source'] == 'nDPI':
            if (r['kind'] not in LOCAL_KINDS and
                    tuple(r[k] for k in keys) + (r['name'],) not in agree):
                continue
            e = Expect('nDPI', r['pcap'], r['kind'], r['l4'].lower(),
                       norm_ip(r['client_ip']), norm_port(r['client_port']),
                       norm_ip(r['server_ip']), norm_port(r['server_port']),
                       norm_name(r['name']))
        elif r['source'] == 'suricata-verify':
            e = Expect('suricata-verify', r['pcap'], r['kind'], r['l4'].lower(), '', None, '',
                       None, norm_name(r['name']))
        else:
            continue
        # Identical rows (nDPI: the same 5-tuple in several tunnels; suricata-verify: one
        # name required by several EVE records) are one expectation.
        k = (e.source, e.pcap, e.kind, e.l4, e.cip, e.cport, e.sip, e.sport, e.name)
        if k in seen:
            seen[k].rows += 1
            continue
        seen[k] = e
        out.append(e)
    return out


def capture_state(path):
    """'ok', 'truncated' or 'foreign': a cheap walk over the pcap records / pcapng blocks."""
    try:
        with open(path, 'rb') as f:
            d = f.read()
    except OSError:
        return 'unreadable'
    magic = d[:4]
    if magic == b'\x0a\x0d\x0d\x0a':
        off, e = 0, '<'
        while off < len(d):
            if off + 12 > len(d):
                return 'truncated'
            if d[off:off + 4] == b'\x0a\x0d\x0d\x0a':
                e = '<' if d[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            n = struct.unpack(e + 'I', d[off + 4:off + 8])[0]
            if n < 12 or off + n > len(d):
                return 'truncated'
            off += n
        return 'ok'
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        return 'foreign'
    if len(d) < 24:
        return 'truncated'
    off = 24
    while off < len(d):
        if off + 16 > len(d):
            return 'truncated'
        n = struct.unpack(e + 'I', d[off + 8:off + 12])[0]
        if off + 16 + n > len(d):
            return 'truncated'
        off += 16 + n
    return 'ok'


# ---------------------------------------------------------------------------------------------
# Running the daemon

class Result:
    __slots__ = ('path', 'linktype', 'status', 'rc', 'seconds', 'message', 'stderr', 'flows',
                 'dns', 'db_error', 'file_state')


def daemon_env():
    env = dict(os.environ)
    env.setdefault('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0')
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1')
    return env


def read_db(db):
    """(flows, dns) as lists of normalised tuples."""
    con = sqlite3.connect(db)
    try:
        flows = [(str(p or '').lower(), norm_ip(si), sp, norm_ip(di), dp, norm_name(dom),
                  ns or '', app or '')
                 for p, si, sp, di, dp, dom, ns, app in con.execute(
                     'SELECT proto, src_ip, src_port, dst_ip, dst_port, domain, name_source, app '
                     'FROM flows')]
        dns = [(norm_ip(ci), norm_ip(si), norm_name(q)) for ci, si, q in con.execute(
            'SELECT client_ip, server_ip, qname FROM dns')]
    finally:
        con.close()
    return flows, dns


def run_one(args, corpus, rel, linktype, idx, tmp):
    r = Result()
    r.path, r.linktype, r.flows, r.dns, r.db_error = rel, linktype, [], [], None
    r.message, r.stderr, r.file_state = '', '', None
    capture = rel if os.path.isabs(rel) else os.path.join(corpus, rel)
    if args.keep_dbs:
        db = os.path.join(args.keep_dbs, rel.replace('/', '__') + '.db')
        for sfx in ('', '-wal', '-shm', '-journal'):
            if os.path.exists(db + sfx):
                os.unlink(db + sfx)
    else:
        db = os.path.join(tmp, '%05d.db' % idx)
    cmd = [args.daemon, '-r', capture, '--db', db]
    if args.config:
        cmd += ['-c', args.config]
    cmd += args.daemon_arg
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, start_new_session=True, env=daemon_env())
    try:
        _, err = p.communicate(timeout=args.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)   # our own child's process group, by its id
        _, err = p.communicate()
        timed_out = True
    r.seconds = time.monotonic() - t0
    r.rc = p.returncode
    r.stderr = err.decode(errors='replace')
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    r.message = lines[-1].strip() if lines else ''
    if timed_out:
        r.status = 'timeout'
    elif any(m in r.stderr for m in SANITIZER_MARKS):
        r.status = 'sanitizer'
    elif r.rc < 0 or r.rc >= 128:
        r.status = 'crash'
    elif r.rc == 0:
        r.status = 'ok'
    else:
        r.file_state = capture_state(capture)
        if linktype not in SUPPORTED_LINKTYPES:
            r.status = 'refused-linktype'
        elif r.file_state != 'ok':
            r.status = 'refused-' + r.file_state
        else:
            r.status = 'error-exit'
    if os.path.exists(db):
        try:
            r.flows, r.dns = read_db(db)
        except sqlite3.Error as e:
            r.db_error = str(e)
    elif r.status == 'ok':
        r.db_error = 'exit 0 but no database was written'
    if not args.keep_dbs:
        for sfx in ('', '-wal', '-shm', '-journal'):
            if os.path.exists(db + sfx):
                os.unlink(db + sfx)
    return r


FAILING = {'timeout', 'sanitizer', 'crash', 'error-exit'}


def run_all(args, corpus, selected):
    results = {}
    lock = threading.Lock()
    done = [0]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='lw-corpus-') as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {ex.submit(run_one, args, corpus, rel, lt, i, tmp): rel
                for i, (rel, lt) in enumerate(selected)}
        for fut in concurrent.futures.as_completed(futs):
            r = fut.result()
            with lock:
                results[r.path] = r
                done[0] += 1
                if r.status in FAILING or r.db_error:
                    print('FAIL %-9s %s (%s) %s%s' % (
                        r.status, r.path, describe_rc(r), r.message[:200],
                        ' [db: %s]' % r.db_error if r.db_error else ''), flush=True)
                if done[0] % 100 == 0 or done[0] == len(selected):
                    print('[%d/%d] %.0f s' % (done[0], len(selected), time.monotonic() - t0),
                          flush=True)
    return results


def describe_rc(r):
    if r.status == 'timeout':
        return 'timeout after %d s' % r.seconds
    if r.rc < 0:
        return 'signal %d' % -r.rc
    return 'exit %d' % r.rc


# ---------------------------------------------------------------------------------------------
# Attribution

def judge(e, r):
    """Returns (verdict, cause, recorded): verdict 'found' | 'reversed' | 'missed'."""
    if r is None:
        return 'missed', 'not-run', ''
    failed = '' if r.status == 'ok' else 'daemon %s (%s); ' % (r.status, describe_rc(r))
    if e.source == 'suricata-verify':
        domains = {f[5] for f in r.flows if f[5]}
        qnames = {d[2] for d in r.dns if d[2]}
        table, other = (qnames, domains) if e.kind == 'dns' else (domains, qnames)
        if e.name in table:
            return 'found', '', ''
        cause = 'absent'
        if e.name in other:
            cause += '(in %s)' % ('flows.domain' if e.kind == 'dns' else 'dns.qname')
        shown = sorted(table)
        rec = '%s: %s' % ('dns.qname' if e.kind == 'dns' else 'flows.domain',
                          ', '.join(shown[:8]) + (' ...' if len(shown) > 8 else '')
                          if shown else 'none')
        return 'missed', ('daemon-failed; ' if failed else '') + cause, failed + rec
    if e.kind == 'dns':
        fwd = [d for d in r.dns if d[0] == e.cip and (not e.sip or d[1] == e.sip)]
        rev = [d for d in r.dns if d[0] == e.sip and d[1] == e.cip]
        if any(d[2] == e.name for d in fwd):
            return 'found', '', ''
        if any(d[2] == e.name for d in rev):
            return 'reversed', '', ''
        elsewhere = sorted({'%s>%s' % (d[0], d[1]) for d in r.dns if d[2] == e.name})
        if elsewhere:
            cause = 'qname-under-other-client'
            rec = 'qname recorded for %s' % ', '.join(elsewhere[:4])
        elif fwd or rev:
            cause = 'qname-missing'
            names = sorted({d[2] for d in fwd + rev})
            rec = 'this client/server has qnames: %s' % (
                ', '.join(names[:6]) + (' ...' if len(names) > 6 else ''))
        else:
            cause = 'no-dns-rows'
            rec = 'no dns rows for this client/server (%d dns rows in capture)' % len(r.dns)
        return 'missed', ('daemon-failed; ' if failed else '') + cause, failed + rec
    # http / tls / quic: the flow with this 5-tuple
    fwd = [f for f in r.flows if f[0] == e.l4 and f[1] == e.cip and f[2] == e.cport and
           f[3] == e.sip and f[4] == e.sport]
    rev = [f for f in r.flows if f[0] == e.l4 and f[1] == e.sip and f[2] == e.sport and
           f[3] == e.cip and f[4] == e.cport]
    if any(f[5] == e.name for f in fwd):
        return 'found', '', ''
    if any(f[5] == e.name for f in rev):
        return 'reversed', '', ''
    if not fwd and not rev:
        cause = 'no-flow'
        rec = 'no flow with this 5-tuple (%d flows in capture)' % len(r.flows)
    else:
        named = [f for f in fwd + rev if f[5]]
        cause = 'other-name' if named else 'no-name'
        rec = '; '.join('%sdomain=%s name_source=%s app=%s' % (
            'reversed: ' if f in rev and f not in fwd else '', f[5] or 'NULL', f[6] or 'NULL',
            f[7] or 'NULL') for f in (fwd + rev)[:4])
    return 'missed', ('daemon-failed; ' if failed else '') + cause, failed + rec


def score(expects, results):
    per = collections.OrderedDict()
    misses = []
    for e in expects:
        verdict, cause, rec = judge(e, results.get(e.pcap))
        keys = ((e.source, e.kind), ('all', e.kind), ('all', 'all'))
        if e.kind in LOCAL_KINDS:
            keys = (('local', e.kind), ('local', 'all'))
        for key in keys:
            c = per.setdefault(key, collections.Counter())
            c['expected'] += 1
            c[verdict] += 1
        if verdict == 'missed':
            misses.append((e, cause, rec))
    return per, misses


def print_score(per):
    print('\nattribution (found = right orientation; reversed = client/server swapped, accepted)')
    print('  %-16s %-8s %8s %8s %8s %8s %8s' % ('source', 'kind', 'expected', 'found', 'reversed',
                                                 'missed', 'score'))
    for (src, kind) in sorted(per, key=lambda k: (k[0] == 'local', k[0] == 'all', k[0],
                                                  k[1] == 'all', k[1])):
        c = per[(src, kind)]
        pct = 100.0 * (c['found'] + c['reversed']) / c['expected'] if c['expected'] else 100.0
        print('  %-16s %-8s %8d %8d %8d %8d %7.2f%%' % (src, kind, c['expected'], c['found'],
                                                       c['reversed'], c['missed'], pct))


def write_report(path, misses, per, args, results):
    by_cause = collections.Counter((e.kind, cause)
                                   for e, cause, _ in misses)
    with open(path, 'w') as f:
        c = per.get(('all', 'all'), collections.Counter())
        f.write('# leakwatch corpus attribution misses (tests/corpus/run_corpus.py)\n')
        f.write('# daemon: %s\n' % args.daemon)
        f.write('# expected %d, found %d, reversed %d, missed %d\n' % (
            c['expected'], c['found'], c['reversed'], c['missed']))
        f.write('# misses by kind and cause:\n')
        for (kind, cause), n in sorted(by_cause.items(), key=lambda x: (-x[1], x[0])):
            f.write('#   %-6s %-28s %d\n' % (kind, cause, n))
        failed = [r for r in results.values() if r.status != 'ok']
        f.write('# captures that did not exit 0: %d\n' % len(failed))
        f.write('source\tpcap\tkind\tfive_tuple\tname\tcause\trecorded\n')
        for e, cause, rec in sorted(misses, key=lambda m: (m[0].pcap, m[0].kind, m[0].name)):
            f.write('\t'.join((e.source, e.pcap, e.kind, e.tuple_text(), e.name, cause,
                               rec.replace('\t', ' '))) + '\n')


# ---------------------------------------------------------------------------------------------

def select(args, corpus, inventory):
    listed = [(r['path'], r['encapsulation']) for r in inventory]
    if not args.only and not args.from_file:
        return listed
    pats = list(args.only)
    if args.from_file:
        with open(args.from_file) as f:
            pats += [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]
    by_path = dict(listed)
    out, seen = [], set()
    for pat in pats:
        hits = []
        for cand in (pat, os.path.join(corpus, pat)):
            if os.path.isfile(cand):
                ap = os.path.realpath(cand)
                rel = os.path.relpath(ap, os.path.realpath(corpus))
                hits = [(rel, by_path[rel])] if rel in by_path else [(ap, 'unknown')]
                break
        if not hits:
            hits = [(p, lt) for p, lt in listed
                    if fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(os.path.basename(p), pat)
                    or fnmatch.fnmatch(p, '*/' + pat)]
        if not hits:
            print('warning: %s matches no capture' % pat)
        for h in hits:
            if h[0] not in seen:
                seen.add(h[0])
                out.append(h)
    return out


def main():
    ap = argparse.ArgumentParser(description='leakwatch over the shared corpus',
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('--daemon', required=True, help='the leakwatchd executable')
    ap.add_argument('--corpus', required=True, help='the shared corpus directory')
    ap.add_argument('--report', help='write every attribution miss to this file (TSV)')
    ap.add_argument('--results', help='write per-capture status/exit/time to this file (TSV)')
    ap.add_argument('--threshold', type=float, default=99.0,
                    help='minimum overall attribution score, percent (default 99)')
    ap.add_argument('--jobs', type=int, default=2, help='captures at a time (default 2)')
    ap.add_argument('--timeout', type=float, default=60, help='seconds per capture (default 60)')
    ap.add_argument('--only', action='append', default=[], metavar='GLOB|PATH',
                    help='run only these captures: a path, or a glob on the inventory path or '
                    'file name (repeatable)')
    ap.add_argument('--from-file', metavar='FILE', help='capture paths/globs, one a line')
    ap.add_argument('--list', action='store_true', help='print the selected captures and stop')
    ap.add_argument('--keep-dbs', metavar='DIR', help='keep each database in DIR')
    ap.add_argument('--config', help='pass -c CONFIG to the daemon')
    ap.add_argument('--daemon-arg', action='append', default=[], metavar='ARG',
                    help='extra argument for the daemon (repeatable)')
    args = ap.parse_args()

    corpus = args.corpus
    inv_path = os.path.join(corpus, 'expected', 'pcap_inventory.tsv')
    if not os.path.isfile(inv_path):
        print('corpus not found at %s (no expected/pcap_inventory.tsv): skipping' % corpus)
        return 77
    if not os.access(args.daemon, os.X_OK):
        print('%s is not an executable' % args.daemon)
        return 1
    args.daemon = os.path.abspath(args.daemon)
    if args.keep_dbs:
        os.makedirs(args.keep_dbs, exist_ok=True)
    selected = select(args, corpus, read_tsv(inv_path))
    if args.list:
        for p, lt in selected:
            print('%s\t%s' % (p, lt))
        return 0
    if not selected:
        print('no captures selected')
        return 1

    t0 = time.monotonic()
    print('running %s over %d captures, %d at a time, %g s timeout' % (
        args.daemon, len(selected), args.jobs, args.timeout), flush=True)
    results = run_all(args, corpus, selected)
    wall = time.monotonic() - t0

    # Robustness summary
    st = collections.Counter(r.status for r in results.values())
    print('\ncaptures: %d in %.0f s; %s' % (len(results), wall, ', '.join(
        '%s %d' % kv for kv in sorted(st.items()))))
    refused = sorted((r for r in results.values() if r.status.startswith('refused')),
                     key=lambda r: r.path)
    if refused:
        print('clean refusals (accepted):')
        for r in refused:
            print('  %-60s %-10s %s: %s' % (r.path, r.linktype, describe_rc(r), r.message[:120]))
    failures = sorted((r for r in results.values() if r.status in FAILING or r.db_error),
                      key=lambda r: r.path)
    if failures:
        print('FAILURES:')
        for r in failures:
            print('  %-60s %-10s %s %s: %s%s' % (r.path, r.linktype, r.status, describe_rc(r),
                                                 r.message[:160],
                                                 ' [db: %s]' % r.db_error if r.db_error else ''))
            if r.status == 'sanitizer':
                print('    ' + '\n    '.join(r.stderr.splitlines()[:12]))
    slow = sorted(results.values(), key=lambda r: -r.seconds)[:5]
    print('slowest: ' + ', '.join('%s %.1f s' % (r.path, r.seconds) for r in slow))
    if args.results:
        with open(args.results, 'w') as f:
            f.write('pcap\tlinktype\tstatus\texit\tseconds\tflows\tdns\tmessage\n')
            for r in sorted(results.values(), key=lambda r: r.path):
                f.write('%s\t%s\t%s\t%d\t%.2f\t%d\t%d\t%s\n' % (
                    r.path, r.linktype, r.status, r.rc, r.seconds, len(r.flows), len(r.dns),
                    r.message.replace('\t', ' ')))

    # Attribution
    expects = [e for e in load_expectations(os.path.join(corpus, 'expected'))
               if e.pcap in results]
    ok = not failures
    if expects:
        per, misses = score(expects, results)
        print_score(per)
        c = per[('all', 'all')]
        pct = 100.0 * (c['found'] + c['reversed']) / c['expected']
        print('\noverall: %d of %d names attributed (%d reversed) = %.2f%%, threshold %.2f%%' % (
            c['found'] + c['reversed'], c['expected'], c['reversed'], pct, args.threshold))
        if args.report:
            write_report(args.report, misses, per, args, results)
            print('misses written to %s' % args.report)
        if pct < args.threshold:
            print('FAIL: attribution below the threshold')
            ok = False
    else:
        print('\nno attribution expectations for the selected captures')
    if failures:
        print('FAIL: %d capture(s) crashed, timed out, reported sanitizer errors or failed '
              'unexpectedly' % len(failures))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
