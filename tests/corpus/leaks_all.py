#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every leak leakwatch reports over the whole shared corpus, against a reviewed list.

Runs `leakwatchd -r` over every capture of expected/pcap_inventory.tsv (with run_corpus.py's
runner: same timeouts, same parallelism), collects every leaks row as

    pcap, mac, domain, kind, value, encoding, location, confidence

and compares them, with how many times each occurs, with leaks-reviewed.tsv beside this
script. In that list every line carries a verdict, `true` or `false` (positive), and a
one-line justification written after looking at the packet. The test fails when

  - a row appears that the list does not have (a new finding: review it),
  - a listed row no longer appears, or appears a different number of times,
  - a line has no verdict or no justification,
  - a capture crashed, timed out or drew a sanitizer report (its leaks would be incomplete).

It prints the false positives per kind: README.md says why that level is acceptable.

--suggest FILE writes the list as this run would need it: lines still seen keep their verdict
and justification (with the new count), vanished lines are dropped, new ones get verdict `?`
to be reviewed by hand before the file replaces leaks-reviewed.tsv.

Exit status: 0 all good; 1 a failure; 77 the corpus is not there (meson's "skipped").

  leaks_all.py --daemon build/daemon/leakwatchd --corpus ../shared/corpus [--jobs 2]
  leaks_all.py ... --suggest /tmp/leaks-reviewed.tsv
  leaks_all.py ... --only 'nDPI/pcap/smtp*'     (a subset: rows of other captures are ignored)
"""

import argparse
import collections
import os
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import run_corpus  # noqa: E402

KEY = ('pcap', 'mac', 'domain', 'kind', 'value', 'encoding', 'location', 'confidence')
COLUMNS = KEY + ('count', 'verdict', 'why')
VERDICTS = ('true', 'false')
REVIEWED = os.path.join(HERE, 'leaks-reviewed.tsv')


def clean(v):
    """One field of the list: NULL for SQL NULL, no tabs or line breaks."""
    if v is None:
        return 'NULL'
    return str(v).replace('\t', ' ').replace('\n', ' ').replace('\r', ' ')


def read_reviewed(path):
    """Returns ({key: line dict}, [problems])."""
    lines, problems = {}, []
    if not os.path.isfile(path):
        return lines, ['%s does not exist' % path]
    with open(path) as f:
        header = None
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip('\n')
            if not raw.strip() or raw.startswith('#'):
                continue
            fields = raw.split('\t')
            if header is None:
                header = fields
                if tuple(header) != COLUMNS:
                    problems.append('%s:%d: header must be %s' % (path, n, '\t'.join(COLUMNS)))
                    return lines, problems
                continue
            if len(fields) != len(COLUMNS):
                problems.append('%s:%d: %d fields, expected %d' % (path, n, len(fields),
                                                                   len(COLUMNS)))
                continue
            d = dict(zip(COLUMNS, fields))
            key = tuple(d[k] for k in KEY)
            if key in lines:
                problems.append('%s:%d: the same row twice' % (path, n))
            if d['verdict'] not in VERDICTS:
                problems.append('%s:%d: verdict %r is not one of %s' % (path, n, d['verdict'],
                                                                        '/'.join(VERDICTS)))
            if len(d['why'].strip()) < 10:
                problems.append('%s:%d: no justification' % (path, n))
            try:
                d['count'] = int(d['count'])
            except ValueError:
                problems.append('%s:%d: count %r is not a number' % (path, n, d['count']))
                d['count'] = 0
            d['line'] = n
            lines[key] = d
    return lines, problems


def collect(db, pcap):
    con = sqlite3.connect(db)
    try:
        return [(pcap,) + tuple(clean(v) for v in r) for r in con.execute(
            'SELECT mac, domain, kind, value, encoding, location, confidence FROM leaks')]
    finally:
        con.close()


def write_list(path, lines):
    with open(path, 'w') as f:
        f.write('# Every leaks row leakwatchd writes over the shared corpus, reviewed: see '
                'README.md "Leaks over the whole corpus".\n')
        f.write('# verdict: true = the value is an identifier of that kind, read correctly, '
                'sent by the client; false = anything else.\n')
        f.write('\t'.join(COLUMNS) + '\n')
        for key in sorted(lines):
            d = lines[key]
            f.write('\t'.join(list(key) + [str(d['count']), d['verdict'], d['why']]) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('--daemon', required=True, help='the leakwatchd executable')
    ap.add_argument('--corpus', required=True, help='the shared corpus directory')
    ap.add_argument('--reviewed', default=REVIEWED, help='the reviewed list (default: %(default)s)')
    ap.add_argument('--jobs', type=int, default=2, help='captures at a time (default 2)')
    ap.add_argument('--timeout', type=float, default=60, help='seconds per capture (default 60)')
    ap.add_argument('--only', action='append', default=[], metavar='GLOB|PATH',
                    help='only these captures (as run_corpus.py --only); rows of others ignored')
    ap.add_argument('--suggest', metavar='FILE', help='write the list this run would need')
    args = ap.parse_args()

    inv_path = os.path.join(args.corpus, 'expected', 'pcap_inventory.tsv')
    if not os.path.isfile(inv_path):
        print('corpus not found at %s (no expected/pcap_inventory.tsv): skipping' % args.corpus)
        return 77
    if not os.access(args.daemon, os.X_OK):
        print('%s is not an executable' % args.daemon)
        return 1
    args.daemon = os.path.abspath(args.daemon)
    reviewed, problems = read_reviewed(args.reviewed)

    # run_corpus.py's runner wants its own options: no config, no extra daemon arguments,
    # databases kept (in our temporary directory) so that their leaks can be read.
    args.config, args.daemon_arg, args.from_file = None, [], None
    selected = run_corpus.select(args, args.corpus, run_corpus.read_tsv(inv_path))
    if not selected:
        print('no captures selected')
        return 1
    rows = collections.Counter()
    with tempfile.TemporaryDirectory(prefix='lw-leaks-all-') as tmp:
        args.keep_dbs = tmp
        print('running %s over %d captures, %d at a time' % (args.daemon, len(selected),
                                                             args.jobs), flush=True)
        results = run_corpus.run_all(args, args.corpus, selected)
        for rel, r in sorted(results.items()):
            if r.status in run_corpus.FAILING:
                problems.append('%s: %s (%s) %s' % (rel, r.status, run_corpus.describe_rc(r),
                                                    r.message[:200]))
            db = os.path.join(tmp, rel.replace('/', '__') + '.db')
            if os.path.exists(db):
                try:
                    rows.update(collect(db, rel))
                except sqlite3.Error as e:
                    problems.append('%s: cannot read its leaks: %s' % (rel, e))

    pcaps = {p for p, _ in selected}
    wanted = {k: d for k, d in reviewed.items() if k[0] in pcaps}
    new = sorted(k for k in rows if k not in wanted)
    gone = sorted(k for k in wanted if k not in rows)
    recount = sorted(k for k in rows if k in wanted and rows[k] != wanted[k]['count'])
    for k in new:
        problems.append('new, not reviewed (x%d): %s' % (rows[k], '\t'.join(k)))
    for k in gone:
        problems.append('listed (line %d) but no longer reported: %s' % (wanted[k]['line'],
                                                                         '\t'.join(k)))
    for k in recount:
        problems.append('reported %d times, listed %d (line %d): %s' % (
            rows[k], wanted[k]['count'], wanted[k]['line'], '\t'.join(k)))

    # false positives per kind, over the rows of this run that the list judges
    per = collections.defaultdict(lambda: [0, 0, 0, 0])   # kind -> rows, fp rows, lines, fp
    for k, n in rows.items():
        d = wanted.get(k)
        if not d:
            continue
        per[k[3]][0] += n
        per[k[3]][2] += 1
        if d['verdict'] == 'false':
            per[k[3]][1] += n
            per[k[3]][3] += 1
    print('\n%-11s %6s %6s %6s   %s' % ('kind', 'rows', 'false', 'share', 'distinct (false)'))
    for kind in sorted(per):
        t, f, lt, lf = per[kind]
        print('%-11s %6d %6d %5.1f%%   %d (%d)' % (kind, t, f, 100.0 * f / t if t else 0, lt,
                                                  lf))
    total = [sum(v[i] for v in per.values()) for i in range(4)]
    print('%-11s %6d %6d %5.1f%%   %d (%d)' % ('all', total[0], total[1],
                                              100.0 * total[1] / total[0] if total[0] else 0,
                                              total[2], total[3]))

    if args.suggest:
        out = {}
        for k, n in rows.items():
            d = dict(wanted.get(k) or {'verdict': '?', 'why': ''})
            d['count'] = n
            out[k] = d
        for k, d in reviewed.items():       # lines of captures this run did not select
            if k[0] not in pcaps:
                out[k] = d
        write_list(args.suggest, out)
        print('\nwrote %s: %d lines, %d to review (verdict ?)' % (
            args.suggest, len(out), sum(1 for d in out.values() if d['verdict'] == '?')))

    if problems:
        print('\nFAIL: %d problem(s)' % len(problems))
        for p in problems:
            print('  ' + p)
        return 1
    print('\nok: %d rows in %d distinct lines, all reviewed' % (sum(rows.values()), len(rows)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
