#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The database's life on a router: size per household-day, writes per hour, a day under a cap.

  lifecycle.py household --daemon D --gen G [--base-daemon D0] [--loops 27] [--scale 0.05]
      bytes per household-day: one household (10 phones of the bench home mix) for a day:
      `gen home -n 10 -s 0.05 -l 27` = 16 255 DNS lookups, 31 k flows, 37.5 k leak rows, spread
      over 24 h; read with `leakwatchd -r` with dns_flows = counters (the default) and = rows,
      and with D0 (an older leakwatchd) when given.  Prints file size and rows per table.
  (writes per hour at two commit intervals: bench/commits.sh, live in the lab)
  lifecycle.py replay --daemon D --gen G [--cap-mb 64] [--loops 160] [--scale 0.05]
      a day of the home mix (50 phones; each loop fresh traffic, the loops spread over 24 h from
      noon to noon, so that the second day is whole) piped into `leakwatchd -r` with
      max_db_mb = CAP (in capture files of --chunk loops, each of new phones: leakwatchd -r
      reads regular files only); another thread samples database + WAL every 0.2 s.  Checks: never above
      the cap, rows pruned for it, the file shrank after pruning, and for each day whose raw
      rows are all still there the daily aggregates equal the raw counts.  Exit 1 on a
      failed check (the meson test runs it scaled down: --cap-mb 8 --loops 24).
Every mode prints a "figures:" line.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

FAIL = []


def check(cond, what):
    print('%s %s' % ('ok  ' if cond else 'FAIL', what), flush=True)
    if not cond:
        FAIL.append(what)


def gen_cmd(args, out, phones, loops, scale, start=49600):
    # -t 49600: the capture starts 2023-11-15 12:00:00 UTC
    return [args.gen, 'home', out, '-n', str(phones), '-s', str(scale), '-l', str(loops),
            '-d', '86400', '-t', str(start)]


def write_conf(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def db_files_size(db):
    n = 0
    for s in ('', '-wal', '-journal'):
        try:
            n += os.stat(db + s).st_size
        except OSError:
            pass
    return n


def table_counts(db):
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'")]
        return {n: con.execute('SELECT count(*) FROM "%s"' % n).fetchone()[0] for n in names}
    finally:
        con.close()


# --- household ---------------------------------------------------------------------------------

def household(args, tmp):
    cap = os.path.join(tmp, 'household.pcap')
    subprocess.run(gen_cmd(args, cap, 10, args.loops, args.scale), check=True)
    runs = [('counters', args.daemon, ''), ('rows', args.daemon, '[database]\ndns_flows = rows\n')]
    if args.base_daemon:
        runs.append(('before', args.base_daemon, ''))
    figures = []
    for name, daemon, conf in runs:
        db = os.path.join(tmp, name + '.db')
        cmd = [daemon, '-q', '-r', cap, '--db', db]
        if conf:
            cmd += ['-c', write_conf(os.path.join(tmp, name + '.conf'), conf)]
        subprocess.run(cmd, check=True)
        size = db_files_size(db)
        c = table_counts(db)
        print('%-9s %10d bytes  flows %d  dns %d  leaks %d' % (
            name, size, c.get('flows', 0), c.get('dns', 0), c.get('leaks', 0)))
        figures.append('%s %.2f MB (flows %d, dns %d, leaks %d)' % (
            name, size / 1e6, c.get('flows', 0), c.get('dns', 0), c.get('leaks', 0)))
    print('figures: bytes per household-day: ' + '; '.join(figures))


# --- replay ------------------------------------------------------------------------------------

def replay(args, tmp):
    db = os.path.join(tmp, 'replay.db')
    cap = args.cap_mb << 20
    conf = write_conf(os.path.join(tmp, 'replay.conf'),
                      '[database]\nmax_db_mb = %d\nstats_interval = 60\n' % args.cap_mb
                      + ('queue_max = %d\n' % args.queue_max if args.queue_max else ''))
    samples, stop = [], threading.Event()

    mains = []  # the main file alone: it only gets smaller by the vacuum after pruning

    def sampler():
        while not stop.is_set():
            samples.append(db_files_size(db))
            try:
                mains.append(os.stat(db).st_size)
            except OSError:
                pass
            time.sleep(0.2)

    t = threading.Thread(target=sampler)
    t.start()
    t0 = time.monotonic()
    # leakwatchd -r reads regular files only: the day in chunks of --chunk loops, each a file
    # read into the same database (as a daemon restarted now and then would), each chunk a new
    # seed: fresh phones (MACs, identifiers) and fresh traffic
    chunk_file, runs_ok, k = os.path.join(tmp, 'chunk.pcap'), True, 0
    for first in range(0, args.loops, args.chunk):
        n = min(args.chunk, args.loops - first)
        cmd = [args.gen, 'home', chunk_file, '-n', '50', '-s', str(args.scale), '-l', str(n),
               '-d', str(n * 86400.0 / args.loops), '-S', str(7 + k),
               '-t', str(int(49600 + first * 86400.0 / args.loops))]
        g = subprocess.run(cmd)
        d = subprocess.run([args.daemon, '-q', '-r', chunk_file, '--db', db, '-c', conf],
                           capture_output=True, text=True)
        if g.returncode or d.returncode:
            runs_ok = False
            print('chunk %d: gen %d, leakwatchd %d: %s' % (k, g.returncode, d.returncode,
                                                          d.stderr.strip()))
        k += 1
    os.unlink(chunk_file)
    elapsed = time.monotonic() - t0
    stop.set()
    t.join()
    samples.append(db_files_size(db))
    check(runs_ok, 'every gen and leakwatchd -r run exits 0 (%d chunks)' % k)
    peak = max(samples)
    drops = sum(1 for a, b in zip(mains, mains[1:]) if b < a)
    con = sqlite3.connect(db)
    q = lambda sql: con.execute(sql).fetchall()
    st = q('SELECT max(pruned_rows), max(cap_pruned), max(vacuum_pages), max(db_bytes), '
           'max(dns_flows), max(store_dropped) FROM stats')[0]
    pruned, cap_pruned, vacuum, db_bytes, dns_flows, dropped = [v or 0 for v in st]
    check(peak <= cap, 'database + WAL never above the %d MiB cap (peak %d bytes, %d samples '
          'every 0.2 s)' % (args.cap_mb, peak, len(samples)))
    check(cap_pruned > 0, 'rows pruned for the cap (stats.cap_pruned %d)' % cap_pruned)
    check(drops > 0 and vacuum > 0, 'the file shrank after pruning (the main file smaller than '
          'at the sample before %d times; stats.vacuum_pages %d)' % (drops, vacuum))
    check(dropped == 0, 'no row dropped by the writer queue (%d)' % dropped)

    # per table, the days whose raw rows are all still there (the table's oldest remaining row
    # is older than the day: the cap and retention delete oldest first) must have daily
    # aggregates equal to the raw counts
    days = [r[0] for r in q("SELECT day FROM daily_traffic UNION SELECT day FROM daily_leaks "
                            "ORDER BY 1")]
    tables = (('flows', 'last_seen', 'first_seen', 'daily_traffic', 'flows'),
              ('dns', 'ts', 'ts', 'daily_traffic', 'dns_queries'))
    full_checked, figures_days = 0, []
    for day in days:
        start = q("SELECT CAST(strftime('%%s', '%s') AS REAL)" % day)[0][0]
        parts = []
        for table, age_col, day_col, agg_table, agg_col in tables:
            oldest = q('SELECT min(%s) FROM %s' % (age_col, table))[0][0]
            agg = int(q("SELECT total(%s) FROM %s WHERE day = '%s'" % (agg_col, agg_table,
                                                                       day))[0][0])
            raw = q("SELECT count(*) FROM %s WHERE date(%s, 'unixepoch') = '%s'" % (
                table, day_col, day))[0][0]
            whole = oldest is not None and oldest < start
            parts.append('%s %d/%d%s' % (table, agg, raw, ' whole' if whole else ''))
            if whole:
                full_checked += 1
                check(agg == raw, '%s %s kept whole: daily %s = raw count (%d, %d)' % (
                    day, table, agg_table, agg, raw))
        # leaks are pruned by device (the device with the most first): per device, a day is
        # whole when that device's oldest remaining leak is older than it
        macs = q("SELECT mac, min(ts) FROM leaks GROUP BY mac HAVING min(ts) < %r" % start)
        good = 0
        for mac, _ in macs:
            agg = int(q("SELECT total(leaks) FROM daily_leaks WHERE day = '%s' AND mac = '%s'"
                        % (day, mac))[0][0])
            raw = q("SELECT count(*) FROM leaks WHERE date(ts, 'unixepoch') = '%s' AND "
                    "mac = '%s'" % (day, mac))[0][0]
            good += agg == raw
            full_checked += 1
        if macs:
            check(good == len(macs), '%s: daily_leaks = raw leaks for each of the %d devices '
                  'kept whole (%d equal)' % (day, len(macs), good))
        parts.append('devices with leaks kept whole %d' % len(macs))
        figures_days.append('%s: daily/raw %s' % (day, ', '.join(parts)))
    check(full_checked > 0, 'at least one table-day kept whole to compare (%d)' % full_checked)
    con.close()
    print('figures: %d loops of the home mix at scale %g (50 phones) over 24 h in %.0f s; cap '
          '%d MiB: peak %.2f MiB (%.1f%%), final %.2f MiB; pruned_rows %d (cap_pruned %d), '
          'vacuum_pages %d, dns_flows %d; %s' % (
              args.loops, args.scale, elapsed, args.cap_mb, peak / 1048576, 100.0 * peak / cap,
              samples[-1] / 1048576, pruned, cap_pruned, vacuum, dns_flows,
              '; '.join(figures_days)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=('household', 'replay'))
    ap.add_argument('--daemon', required=True)
    ap.add_argument('--gen', required=True)
    ap.add_argument('--base-daemon')
    ap.add_argument('--loops', type=int)
    ap.add_argument('--scale', type=float, default=0.05)
    ap.add_argument('--cap-mb', type=int, default=64)
    # the writer queue (default: leakwatchd's, 65 536; the store splits what it takes into
    # transactions small enough for the cap)
    ap.add_argument('--queue-max', type=int)
    ap.add_argument('--chunk', type=int, default=8, help='replay: loops per capture file')
    ap.add_argument('--tmp', help='keep the files here')
    args = ap.parse_args()
    if args.loops is None:
        args.loops = 27 if args.mode == 'household' else 160
    with tempfile.TemporaryDirectory(prefix='lw-lifecycle-') as tmp:
        if args.tmp:
            os.makedirs(args.tmp, exist_ok=True)
            tmp = args.tmp
        {'household': household, 'replay': replay}[args.mode](args, tmp)
    sys.exit(1 if FAIL else 0)


if __name__ == '__main__':
    main()
