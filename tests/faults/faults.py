#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Fault tests: leakwatchd under SIGKILL, a locked database, a full disk, bad configuration and
a database from the future.  Each prints "ok"/"FAIL" lines and exits 0, 1, or 77 (skipped).

  faults.py --daemon PATH sigkill    SIGKILL while writing (live and -r): the database passes
                                     integrity_check and holds every row a reader saw committed
  faults.py --daemon PATH locked     a reader holding a read transaction, then a writer holding
                                     BEGIN EXCLUSIVE for seconds: no row lost, backlog written
  faults.py --daemon PATH diskfull   the database on a small full tmpfs: a clear message, the
                                     daemon keeps capturing and counting, writes when space
                                     returns
  faults.py --daemon PATH config     malformed config, unknown key, newer schema: one line
                                     naming the file (and line), exit 78, nothing overwritten
  faults.py --daemon PATH link       the captured interface going down and up (once, and in
                                     quick flaps), and deleted and created again, under steady
                                     traffic: the daemon keeps running, captures again, and
                                     every transaction sent once the link is back is a row

The live tests run the daemon on one end of a veth pair inside private network and mount
namespaces (unshare -n -m, so nothing is seen outside and everything disappears with the test)
and send generated frames into the other end.  They need root; without it they are skipped.
"""

import argparse
import ctypes
import gzip
import hashlib
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402

CAP_IF, INJ_IF = 'lwcap0', 'lwinj0'
failures = 0


def die_with_parent():
    """In a child before exec: SIGKILL it when the test dies, however it dies (a timeout, a
    broken pipe, an exception), so no daemon outlives its test."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def ok(cond, what, detail=''):
    global failures
    print('%s %s%s' % ('ok  ' if cond else 'FAIL', what, (': ' + detail) if detail and not cond else ''))
    if not cond:
        failures += 1
    return cond


def note(text):
    print('     ' + text)


# ---------------------------------------------------------------------------------------------
# Namespaces, the daemon, the database

def enter_namespaces():
    """Re-runs this script in new network and mount namespaces (once)."""
    if os.environ.get('LW_FAULTS_NS') == '1':
        return
    if os.geteuid() != 0:
        print('needs root (network and mount namespaces)')
        sys.exit(77)
    if not shutil.which('unshare'):
        print('needs unshare(1)')
        sys.exit(77)
    env = dict(os.environ, LW_FAULTS_NS='1')
    r = subprocess.run(['unshare', '-n', '-m', '--propagation', 'private', sys.executable] +
                       sys.argv, env=env, preexec_fn=die_with_parent)
    sys.exit(r.returncode)


def veth_up():
    for cmd in (['ip', 'link', 'set', 'lo', 'up'],
                ['ip', 'link', 'add', CAP_IF, 'type', 'veth', 'peer', 'name', INJ_IF]):
        subprocess.run(cmd, check=True)
    for ifname in (CAP_IF, INJ_IF):
        # no IPv6 autoconfiguration chatter on the captured link
        with open('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % ifname, 'w') as f:
            f.write('1')
        subprocess.run(['ip', 'link', 'set', ifname, 'up'], check=True)


class Daemon:
    def __init__(self, daemon, db, conf=None, read=None, log=None):
        self.log = log or (db + '.log')
        args = [daemon, '--db', db, '-q']
        args += ['-r', read] if read else ['-i', CAP_IF]
        if conf:
            args += ['-c', conf]
        self.logf = open(self.log, 'w')
        self.p = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT,
                                  preexec_fn=die_with_parent)

    def text(self):
        with open(self.log) as f:
            return f.read()

    def wait_capturing(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if 'capturing on' in self.text():
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def alive(self):
        return self.p.poll() is None

    def wait(self, timeout=60):
        rc = self.p.wait(timeout)
        self.logf.close()
        return rc

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.alive():
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
            ok(False, 'leakwatchd exits within %d s of %s' % (timeout, sig.name))
        self.logf.close()
        return rc

    def sanitizer_clean(self):
        t = self.text()
        return 'runtime error' not in t and 'AddressSanitizer' not in t and \
            'LeakSanitizer' not in t


def query(db, sql, timeout=5.0):
    """Runs one read on its own connection (never left open)."""
    con = sqlite3.connect(db, timeout=timeout)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def count(db, table='dns'):
    try:
        return query(db, 'SELECT count(*) FROM %s' % table)[0][0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def sqlite_cli(db, sql):
    r = subprocess.run(['sqlite3', db, sql], capture_output=True, text=True, timeout=30)
    return r.stdout.strip(), r.stderr.strip(), r.returncode


def write_conf(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def wait_for(cond, timeout, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Pacer(threading.Thread):
    """Sends DNS transactions (numbered from start) at a steady rate until stopped or done."""

    def __init__(self, sender, start, n, per_sec):
        super().__init__(daemon=True)
        self.sender, self.i, self.end, self.per_sec = sender, start, start + n, per_sec
        self.halt = threading.Event()

    def run(self):
        t0, sent = time.time(), 0
        while self.i < self.end and not self.halt.is_set():
            self.sender.send(traffic.dns_transaction(self.i))
            self.i += 1
            sent += 1
            ahead = sent / self.per_sec - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)

    def stop(self):
        self.halt.set()
        self.join()


def send_all(sender, start, n, per_sec=4000):
    p = Pacer(sender, start, n, per_sec)
    p.start()
    p.join()
    return start + n


# ---------------------------------------------------------------------------------------------
# (a) SIGKILL while writing

def check_after_kill(db, seen, label):
    out, err, rc = sqlite_cli(db, 'PRAGMA integrity_check')
    ok(rc == 0 and out == 'ok', '%s: integrity_check after SIGKILL is ok' % label, out + err)
    after = set(r[0] for r in query(db, 'SELECT qname FROM dns'))
    missing = seen - after
    ok(not missing, '%s: all %d rows a reader saw committed before the kill are there (%d now)'
       % (label, len(seen), len(after)), '%d missing, e.g. %s' % (len(missing), sorted(missing)[:3]))


def test_sigkill(args, tmp):
    veth_up()
    # live: the daemon is killed while frames keep arriving and rows keep being committed
    db = os.path.join(tmp, 'live.db')
    d = Daemon(args.daemon, db, write_conf(os.path.join(tmp, 'live.conf'),
                                           '[database]\ncommit_interval_ms = 100\n'))
    if not ok(d.wait_capturing(), 'live: leakwatchd starts capturing', d.text()):
        return
    sender = traffic.Sender(INJ_IF)
    pacer = Pacer(sender, 0, 10 ** 9, 2000)
    pacer.start()
    seen, commits, last = set(), 0, 0
    end = time.time() + 20
    while time.time() < end and not (commits >= 4 and len(seen) >= 500):
        time.sleep(0.05)
        try:
            names = query(db, 'SELECT qname FROM dns')
        except sqlite3.OperationalError:
            continue
        if len(names) > last:
            commits += 1
            last = len(names)
            seen = set(r[0] for r in names)
    os.kill(d.p.pid, signal.SIGKILL)
    d.p.wait()
    pacer.stop()
    sender.close()
    ok(commits >= 4, 'live: a reader saw %d commits (%d rows) before the kill, with %d frames '
       'sent' % (commits, len(seen), sender.sent))
    check_after_kill(db, seen, 'live')

    # the killed database opens again: a second run appends to it
    small = os.path.join(tmp, 'small.pcap')
    traffic.write_pcap(small, traffic.dns_transactions(10 ** 8, 20))
    before = count(db)
    d2 = Daemon(args.daemon, db, read=small)
    rc = d2.wait()
    ok(rc == 0 and count(db) == before + 20, 'live: the database opens after the kill and takes '
       'new rows (exit %d, %d -> %d rows)' % (rc, before, count(db)), d2.text())

    # offline: -r on a large capture, killed once a reader sees rows committed
    big = os.path.join(tmp, 'big.pcap')
    n = 60000
    traffic.write_pcap(big, traffic.dns_transactions(0, n))
    db = os.path.join(tmp, 'offline.db')
    d = Daemon(args.daemon, db, read=big)
    seen = set()
    wait_for(lambda: count(db) > 0 or not d.alive(), 30, step=0.01)
    if d.alive():
        seen = set(r[0] for r in query(db, 'SELECT qname FROM dns'))
        os.kill(d.p.pid, signal.SIGKILL)
    d.p.wait()
    if not seen:
        note('offline: leakwatchd finished before a reader saw a commit; nothing to check')
        return
    ok(len(seen) < n, 'offline: killed mid-way (%d of %d rows seen)' % (len(seen), n))
    check_after_kill(db, seen, 'offline')


# ---------------------------------------------------------------------------------------------
# (b) a reader, then a writer, holding the database

class HeldLock:
    """The sqlite3 CLI holding a transaction open: 'BEGIN; SELECT ...' or 'BEGIN EXCLUSIVE'."""

    def __init__(self, db, begin):
        self.p = subprocess.Popen(['sqlite3', db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1,
                                  preexec_fn=die_with_parent)
        self.p.stdin.write('.timeout 10000\n%s\nSELECT count(*) FROM dns;\n' % begin)
        self.p.stdin.flush()
        self.held_count = int(self.p.stdout.readline().strip())  # the lock is held now

    def release(self):
        self.p.stdin.write('COMMIT;\n.quit\n')
        self.p.stdin.close()
        rest = self.p.stdout.read()
        return self.p.wait(), rest


def test_locked(args, tmp):
    veth_up()
    db = os.path.join(tmp, 'locked.db')
    conf = write_conf(os.path.join(tmp, 'locked.conf'),
                      '[database]\ncommit_interval_ms = 100\nstats_interval = 1\n')
    d = Daemon(args.daemon, db, conf)
    if not ok(d.wait_capturing(), 'leakwatchd starts capturing', d.text()):
        return
    sender = traffic.Sender(INJ_IF)
    total = send_all(sender, 0, 300)
    ok(wait_for(lambda: count(db) == total, 10), 'before any lock: %d rows written' % total)

    # a second leakwatchd on the same database, live or reading a file: refused before it
    # writes anything (two writers would number flows from the same id and merge them)
    pcap = os.path.join(tmp, 'second.pcap')
    traffic.write_pcap(pcap, traffic.dns_transactions(100000, 5))
    for how, extra in (('reading a file', ['-r', pcap]), ('live', ['-i', CAP_IF])):
        r = run_offline(args.daemon, '--db', db, *extra)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        ok(r.returncode == 75 and len(lines) == 1 and db in lines[0] and
           'another leakwatchd' in lines[0],
           'a second leakwatchd (%s) on the database: exit 75, one line' % how, r.stderr)
        note(lines[0] if lines else '(no message)')
    ok(count(db) == total, 'the second leakwatchd wrote nothing (%d rows)' % count(db))
    ok(d.p.poll() is None, 'the first leakwatchd runs on')

    # leakwatch backup while the daemon writes: a consistent copy, new file, mode 0600
    cli = os.path.join(os.path.dirname(os.path.abspath(args.daemon)), '..', 'cli', 'leakwatch')
    before = count(db)
    total = send_all(sender, total, 300)
    bak = os.path.join(tmp, 'backup.db')
    r = subprocess.run([cli, '--db', db, 'backup', bak], capture_output=True, text=True,
                       timeout=60)
    got = count(bak) if r.returncode == 0 else -1
    ok(r.returncode == 0 and before <= got <= total and
       query(bak, 'PRAGMA integrity_check')[0][0] == 'ok' and
       (os.stat(bak).st_mode & 0o777) == 0o600,
       'leakwatch backup while writing: exit 0, integrity ok, mode 0600, %d rows (%d..%d)'
       % (got, before, total), r.stdout + r.stderr)
    r = subprocess.run([cli, '--db', db, 'backup', bak], capture_output=True, text=True,
                       timeout=60)
    ok(r.returncode == 73 and count(bak) == got, 'a backup onto an existing file: exit 73, the '
       'file untouched', r.stderr)
    ok(wait_for(lambda: count(db) == total, 10), 'the daemon wrote on: %d rows' % count(db))

    # a reader with an open read transaction (WAL: the writer goes on beside it)
    r = HeldLock(db, 'BEGIN; SELECT count(*) FROM flows;')
    t0 = time.time()
    total = send_all(sender, total, 300)
    written = wait_for(lambda: count(db) == total, 10)
    time.sleep(max(0.0, 2.0 - (time.time() - t0)))  # held for two seconds at least
    code, _ = r.release()
    ok(written and code == 0, 'a reader holding a read transaction for %.1f s does not stop the '
       'writer (%d rows while it held)' % (time.time() - t0, count(db)))

    # a writer holding BEGIN EXCLUSIVE for 3 s: nothing can commit, nothing may be lost
    w = HeldLock(db, 'BEGIN EXCLUSIVE;')
    held_at = total
    total = send_all(sender, total, 1000)
    time.sleep(max(0.0, 3.0 - 0.25))
    during = count(db)
    code, rest = w.release()
    ok(code == 0 and w.held_count == held_at, 'the sqlite3 CLI held BEGIN EXCLUSIVE', rest)
    ok(during == held_at, 'while the lock is held nothing is committed (%d rows)' % during)
    ok(d.alive(), 'leakwatchd keeps running while the database is locked')
    ok(wait_for(lambda: count(db) == total, 15), 'the backlog is written once the lock is gone '
       '(%d of %d rows)' % (count(db), total))
    ok(wait_for(lambda: 'writing again' in d.text(), 5) and 'locked' in d.text(),
       'the daemon said the database was locked, and when it could write again', d.text())
    rc = d.stop()
    sender.close()
    ok(rc == 0, 'exit status 0 after SIGTERM', d.text())
    ok(count(db) == total, 'no row lost: %d dns rows for %d transactions' % (count(db), total))
    dropped = query(db, 'SELECT max(store_dropped) FROM stats')[0][0]
    ok(dropped == 0, 'no row dropped (stats.store_dropped = %s)' % dropped)
    ok(d.sanitizer_clean(), 'no sanitizer report', d.text())
    note('log: ' + ' | '.join(line for line in d.text().splitlines() if line.strip()))

    # the same with a queue too small for the backlog: rows are dropped and counted, not lost
    # silently, and the daemon says so
    db = os.path.join(tmp, 'small-queue.db')
    conf = write_conf(os.path.join(tmp, 'small-queue.conf'),
                      '[database]\ncommit_interval_ms = 100\nqueue_max = 64\nstats_interval = 1\n')
    d = Daemon(args.daemon, db, conf)
    if not ok(d.wait_capturing(), 'small queue: leakwatchd starts capturing', d.text()):
        return
    sender = traffic.Sender(INJ_IF)
    total = send_all(sender, 0, 20)
    wait_for(lambda: count(db) == total, 10)
    w = HeldLock(db, 'BEGIN EXCLUSIVE;')
    total = send_all(sender, total, 500)
    time.sleep(1.0)
    w.release()
    time.sleep(2.5)  # a stats row after the backlog
    rc = d.stop()
    sender.close()
    rows = count(db)
    dropped = query(db, 'SELECT max(store_dropped) FROM stats')[0][0] or 0
    ok(rows < total and dropped > 0 and rc == 0,
       'small queue: %d of %d rows written, stats.store_dropped = %d' % (rows, total, dropped))
    ok('rows dropped' in d.text() and 'queue_max' in d.text(),
       'small queue: the daemon names the dropped rows and the setting', d.text())


# ---------------------------------------------------------------------------------------------
# (c) a full disk

def test_diskfull(args, tmp):
    veth_up()
    mnt = os.path.join(tmp, 'small')
    os.mkdir(mnt)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'leakwatch-faults', mnt], check=True)
    try:
        diskfull(args, tmp, mnt)
    finally:
        subprocess.run(['umount', '-l', mnt])


def fill(path):
    """Writes zeros until the filesystem refuses the last byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (65536, 4096, 1):
            try:
                while True:
                    os.write(fd, b'\0' * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def diskfull(args, tmp, mnt):
    db = os.path.join(mnt, 'leakwatch.db')
    conf = write_conf(os.path.join(tmp, 'full.conf'),
                      '[database]\ncommit_interval_ms = 100\nstats_interval = 1\n')
    d = Daemon(args.daemon, db, conf, log=os.path.join(tmp, 'full.log'))
    if not ok(d.wait_capturing(), 'leakwatchd starts capturing', d.text()):
        return
    sender = traffic.Sender(INJ_IF)
    total = send_all(sender, 0, 200)
    ok(wait_for(lambda: count(db) == total, 10), 'before the disk fills: %d rows' % total)

    log_before = len(d.text())
    fill(os.path.join(mnt, 'filler'))
    held_at = count(db)
    total = send_all(sender, total, 4000)
    time.sleep(2.0)
    during = count(db)
    ok(during < total, 'with the disk full not everything can be written (%d of %d rows)'
       % (during, total))
    ok(d.alive(), 'leakwatchd keeps running on a full disk')
    said = d.text()[log_before:]
    ok('full' in said.lower() or 'space' in said.lower(),
       'a clear message says the disk is full', said or '(nothing logged)')
    total = send_all(sender, total, 500)  # capturing goes on

    os.unlink(os.path.join(mnt, 'filler'))
    ok(wait_for(lambda: count(db) == total, 20), 'space back: the backlog is written (%d of %d '
       'rows; %d when the disk filled)' % (count(db), total, held_at))
    time.sleep(1.5)  # a stats row with the counts
    rc = d.stop()
    sender.close()
    ok(rc == 0, 'exit status 0 after SIGTERM', d.text())
    packets = query(db, 'SELECT max(packets) FROM stats')[0][0] or 0
    ok(packets >= 2 * total, 'stats counted every frame sent while the disk was full '
       '(packets %d, sent %d)' % (packets, 2 * total))
    ok(count(db) == total, 'no row lost: %d dns rows for %d transactions' % (count(db), total))
    out, err, rc = sqlite_cli(db, 'PRAGMA integrity_check')
    ok(out == 'ok', 'integrity_check is ok', out + err)
    ok(d.sanitizer_clean(), 'no sanitizer report', d.text())
    note('log: ' + ' | '.join(line for line in d.text().splitlines() if line.strip()))


# ---------------------------------------------------------------------------------------------
# (d) bad configuration, a newer schema

def digest(path):
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_offline(daemon, *extra):
    return subprocess.run([daemon, '-q'] + list(extra), capture_output=True, text=True,
                          timeout=60)


def test_config(args, tmp):
    pcap = os.path.join(tmp, 'small.pcap')
    traffic.write_pcap(pcap, traffic.dns_transactions(0, 5))
    db = os.path.join(tmp, 'config.db')
    r = run_offline(args.daemon, '-r', pcap, '--db', db)
    ok(r.returncode == 0 and count(db) == 5, 'a first run writes the database', r.stderr)
    before = {p: digest(p) for p in (db, pcap)}

    cases = [
        # the reason must be the bad line's, not the next line's (max_flows in [database])
        ('malformed', '[database]\nqueue_max = 100\n[flows\nmax_flows = 64\n', 3, 'syntax error'),
        ('unknown key', '[flows]\nmax_flows = 64\nmax_flowz = 64\n', 3, "'max_flowz'"),
        ('unknown section', '\n[capture]\nsnaplen = 1500\n[nonsense]\nx = 1\n', 5, '[nonsense]'),
        ('bad value', '[database]\nqueue_max = lots\n', 2, "'lots'"),
        ('out of range', '[flows]\n\nmax_flows = 1\n', 3, "'1'"),
        # longer than inih's line buffer: not split into a cut value and a bogus next line
        ('long line', '[database]\npath = /tmp/%s.db\n[flows]\nmax_flows = 64\n' % ('a' * 250),
         2, 'longer than'),
        # each lan line adds its prefixes (so a long list fits): the 17th is one too many
        ('too many lan prefixes', '[flows]\n' + ''.join('lan = 10.%d.0.0/16\n' % i
                                                           for i in range(1, 18)),
         18, 'more than 16'),
        # the data's life ([database]): a word where a word is asked, numbers in range
        ('bad journal_mode', '[database]\njournal_mode = delete\n', 2, "'delete'"),
        ('bad dns_flows', '[database]\nmax_db_mb = 64\ndns_flows = none\n', 3, "'none'"),
        ('bad commit_interval_ms', '[database]\ncommit_interval_ms = sometimes\n', 2,
         "'sometimes' is not auto"),
        ('commit_interval_ms out of range', '[database]\ncommit_interval_ms = 600000\n', 2,
         "'600000'"),
        ('negative max_db_mb', '[database]\nmax_db_mb = -1\n', 2, "'-1'"),
        ('bad flows_days', '[database]\nflows_days = 30d\n', 2, "'30d'"),
        ('unknown table days', '[database]\nflow_days = 30\n', 2, "'flow_days'"),
    ]
    # a capture is never read into the service's database by default
    r = run_offline(args.daemon, '-r', pcap)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    ok(r.returncode == 64 and len(lines) == 1 and '--db' in lines[0],
       '-r without --db: exit status 64, one line naming --db (got %d)' % r.returncode, r.stderr)

    for name, text, line, reason in cases:
        conf = write_conf(os.path.join(tmp, name.replace(' ', '-') + '.conf'), text)
        conf_digest = digest(conf)
        r = run_offline(args.daemon, '-r', pcap, '--db', db, '-c', conf)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        ok(r.returncode == 78, '%s config: exit status 78 (got %d)' % (name, r.returncode))
        ok(len(lines) == 1 and ('%s:%d:' % (conf, line)) in lines[0] and reason in lines[0],
           '%s config: one line naming %s:%d and %s' % (name, os.path.basename(conf), line,
                                                        reason), r.stderr)
        ok(digest(conf) == conf_digest and all(digest(p) == h for p, h in before.items()),
           '%s config: nothing overwritten' % name)
        note(lines[0] if lines else '(no message)')

    # a database written by a newer leakwatch
    newer = os.path.join(tmp, 'newer.db')
    shutil.copy(db, newer)
    sqlite_cli(newer, 'PRAGMA user_version = 99')
    sqlite_cli(newer, 'PRAGMA wal_checkpoint(TRUNCATE)')
    files = [newer, newer + '-wal', newer + '-shm']
    saved = {p: digest(p) for p in files}
    r = run_offline(args.daemon, '-r', pcap, '--db', newer)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    ok(r.returncode == 78, 'newer schema: exit status 78 (got %d)' % r.returncode)
    ok(len(lines) == 1 and newer in lines[0], 'newer schema: one line naming the database',
       r.stderr)
    ok(all(digest(p) == h for p, h in saved.items()), 'newer schema: the file is untouched')
    ok(query(newer, 'PRAGMA user_version')[0][0] == 99 and count(newer) == 5,
       'newer schema: version and rows as they were')
    note(lines[0] if lines else '(no message)')


# ---------------------------------------------------------------------------------------------
# (e) limits: every resource a peer controls, driven past its bound by generated traffic

def golden_module():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden'))
    import gen_captures  # the golden generator's QUIC Initial protection and ClientHello
    return gen_captures


def run_case(args, tmp, name, frames, conf=''):
    """leakwatchd -r over frames with conf; returns (exit status, db path, output)."""
    pcap = os.path.join(tmp, name + '.pcap')
    db = os.path.join(tmp, name + '.db')
    traffic.write_pcap(pcap, frames, step=0.001)
    extra = []
    if conf:
        extra = ['-c', write_conf(os.path.join(tmp, name + '.conf'), conf)]
    t0 = time.time()
    r = run_offline(args.daemon, '-r', pcap, '--db', db, *extra)
    out = r.stdout + r.stderr
    ok(r.returncode == 0 and 'runtime error' not in out and 'Sanitizer' not in out,
       '%s: leakwatchd -r exits 0, no sanitizer report (%.1f s)' % (name, time.time() - t0), out)
    return db


def stats_column(db, name, column, proposed):
    """The counted event in stats: checked when the column exists, reported when not."""
    cols = [c[1] for c in query(db, 'PRAGMA table_info(stats)')]
    if column not in cols:
        note('%s: not in stats yet (proposed column: %s)' % (name, proposed))
        return
    v = query(db, 'SELECT max(%s) FROM stats' % column)[0][0] or 0
    ok(v > 0, '%s: counted in stats.%s (%d)' % (name, column, v))


def test_limits(args, tmp):
    tr = traffic

    # flows: 200 conversations through a table of 16
    frames = tr.dns_transactions(0, 200)
    # dns_flows = rows: the lookups' flows are written as flows rows, so evicted ones can be
    # counted (by default they are stats.dns_flows only)
    db = run_case(args, tmp, 'flows', frames,
                  '[flows]\nmax_flows = 16\n[database]\ndns_flows = rows\n')
    stats_column(db, 'flows', 'flows_evicted', 'flows_evicted')
    ok(count(db, 'dns') == 200 and count(db, 'flows') == 200,
       'flows: every evicted flow still written (%d dns, %d flows rows)'
       % (count(db, 'dns'), count(db, 'flows')))

    # store queue: a capture file read faster than the disk takes it, through a queue of 64
    frames = tr.dns_transactions(0, 3000)
    db = run_case(args, tmp, 'queue', frames, '[database]\nqueue_max = 64\n')
    dropped = query(db, 'SELECT max(store_dropped) FROM stats')[0][0]
    ok(count(db, 'dns') == 3000 and dropped == 0,
       'queue: reading a file waits for the writer: %d of 3000 rows, %s dropped'
       % (count(db, 'dns'), dropped))

    # passive DNS names: 200 answers into a table of 16; then flows to the first and the last
    def names_frames():
        f = tr.dns_transactions(0, 200)
        for i, port in ((0, 40000), (199, 40001)):
            c = tr.Tcp(port, dst_ip=bytes([203, 0, 113, 1 + i]), dport=5222)
            f += c.open() + c.send(b'<stream:stream>') + c.close(15)
        return f
    named = "SELECT dst_ip, domain FROM flows WHERE dst_port = 5222 ORDER BY dst_ip"
    db = run_case(args, tmp, 'names', names_frames(), '[names]\nmax_entries = 16\n')
    got = query(db, named)
    ok(got == [('203.0.113.1', None), ('203.0.113.200', 'q199.example.com')],
       'names: the oldest name was evicted, the newest kept (%s)' % got)
    stats_column(db, 'names', 'names_evicted', 'names_evicted')
    db = run_case(args, tmp, 'names-control', names_frames())
    got = query(db, named)
    ok(got == [('203.0.113.1', 'q0.example.com'), ('203.0.113.200', 'q199.example.com')],
       'names (default table): both flows named (%s)' % got)

    # DNS compression jumps: an answer named through 17 pointers (the limit is 16)
    def jumps(hops):
        q = tr.dns_query(7, 'jumps.example.com')
        a = tr.dns_pointer_chain_answer(7, 'jumps.example.com', bytes([203, 0, 113, 77]), hops)
        return [tr.up(17, tr.udp(3333, 53, q)), tr.down(17, tr.udp(53, 3333, a))]
    ans = "SELECT answers FROM dns WHERE qname = 'jumps.example.com'"
    db = run_case(args, tmp, 'dns-jumps-16', jumps(16))
    ok(query(db, ans) == [('203.0.113.77',)], 'dns jumps: 16 pointers are followed (%s)'
       % query(db, ans))
    db = run_case(args, tmp, 'dns-jumps-17', jumps(17))
    ok(query(db, ans) == [(None,)], 'dns jumps: the answer behind 17 pointers is dropped, the '
       'query kept (%s)' % query(db, ans))
    stats_column(db, 'dns jumps', 'dns_malformed', 'dns_malformed (answers dropped as malformed)')

    # HTTP headers: 64 are read, 65 make the request malformed (not named by its Host)
    def http(n_headers, port):
        req = b'GET / HTTP/1.1\r\nHost: headers.example.com\r\n' + \
            b''.join(b'X-H%d: v\r\n' % i for i in range(n_headers - 1)) + b'\r\n'
        c = tr.Tcp(port)
        return c.open() + c.send(req) + c.close(len(req))
    hq = "SELECT name_source FROM flows WHERE dst_port = 80"
    db = run_case(args, tmp, 'http-64', http(64, 41000))
    ok(query(db, hq) == [('http',)], 'http headers: 64 headers are read (%s)' % query(db, hq))
    db = run_case(args, tmp, 'http-65', http(65, 41001))
    ok(query(db, hq) == [(None,)], 'http headers: 65 make the request malformed (%s)'
       % query(db, hq))
    stats_column(db, 'http headers', 'http_malformed', 'http_malformed')

    # TLS extensions: 64 are read, 65 make the ClientHello malformed
    def tls(n, port):
        rec = tr.tls_client_hello('tls-limit.example.com', n)
        c = tr.Tcp(port, dport=443)
        return c.open() + c.send(rec) + c.close(len(rec))
    tq = "SELECT name_source FROM flows WHERE dst_port = 443"
    db = run_case(args, tmp, 'tls-64', tls(64, 44000))
    ok(query(db, tq) == [('sni',)], 'tls extensions: 64 are read (%s)' % query(db, tq))
    db = run_case(args, tmp, 'tls-65', tls(65, 44001))
    ok(query(db, tq) == [(None,)], 'tls extensions: 65 make the hello malformed (%s)'
       % query(db, tq))
    stats_column(db, 'tls extensions', 'tls_malformed', 'tls_malformed')

    # HTTP body and decompression: a gzip body that inflates 1000:1 (a bomb), chunked
    bomb = gzip.compress(b'\0' * (32 << 20), 9)
    head = (b'POST /upload HTTP/1.1\r\nHost: bomb.example.com\r\nContent-Encoding: gzip\r\n'
            b'Transfer-Encoding: chunked\r\n\r\n')
    body = b''.join(b'%x\r\n%s\r\n' % (len(bomb[i:i + 4096]), bomb[i:i + 4096])
                    for i in range(0, len(bomb), 4096)) + b'0\r\n\r\n'
    c = tr.Tcp(45000)
    t0 = time.time()
    db = run_case(args, tmp, 'gzip-bomb', c.open() + c.send(head + body) +
                  c.close(len(head) + len(body)))
    ok(time.time() - t0 < 20 and query(db, hq) == [('http',)],
       'gzip bomb (%d KB inflating to 32 MB): read within the budgets in %.1f s'
       % (len(bomb) // 1024, time.time() - t0))
    stats_column(db, 'gzip bomb', 'detect_budget_hit', 'detect_budget_hit (decoder output '
                 'stopped at max_decode_bytes) and http_body_cut (body beyond http_body_max)')

    # TCP reassembly: a lost first segment and 40 KB behind it, with 1 KB per flow
    data = bytes(range(256)) * 160
    c = tr.Tcp(42000, dport=443)
    frames = c.open() + c.send(data[1400:], at=1400) + c.send(data[:1400]) + c.close(len(data))
    db = run_case(args, tmp, 'reassembly', frames, '[flows]\nreasm_flow_kb = 1\n')
    ok(query(db, 'SELECT bytes_out > 40000 FROM flows WHERE dst_port = 443') == [(1,)],
       'reassembly: the flow is counted whole')
    stats_column(db, 'reassembly', 'reasm_overflow', 'reasm_overflow (segments a budget '
                 'refused) and reasm_gaps (bytes skipped)')

    # IP fragments: two fragmented queries interleaved, one datagram reassembled at a time
    def frags():
        a = tr.udp_fragments(tr.CLIENT_IP, tr.DNS_IP, 5001, 53,
                             tr.dns_query(1, 'frag-a.example.com') + b'\0' * 64, 11, 48)
        b = tr.udp_fragments(tr.CLIENT_IP, tr.DNS_IP, 5002, 53,
                             tr.dns_query(2, 'frag-b.example.com') + b'\0' * 64, 12, 48)
        return [x for pair in zip(a, b) for x in pair]
    fq = "SELECT count(*) FROM dns WHERE qname LIKE 'frag-%'"
    db = run_case(args, tmp, 'fragments-control', frags())
    ok(query(db, fq) == [(2,)], 'fragments (default limits): both datagrams reassembled')
    db = run_case(args, tmp, 'fragments', frags(), '[decode]\nfrag_max_datagrams = 1\n')
    ok(query(db, fq)[0][0] < 2, 'fragments: with room for one datagram, not both are '
       'reassembled (%d)' % query(db, fq)[0][0])
    stats_column(db, 'fragments', 'frag_dropped', 'frag_dropped')

    # QUIC CRYPTO: a ClientHello larger than the 16 KiB reassembled per connection
    try:
        g = golden_module()
        hello = g.client_hello('quic-limit.example.com', 'limits')
    except ImportError as e:
        note('quic: the golden generator needs python3-cryptography (%s); skipped' % e)
        hello = None
    if hello:
        def quic(hs, port):
            pkt = g.quic_initial(b'\x83\x94\xc8\xf0\x3e\x51\x57\x08', b'', 0,
                                 g.crypto_frame(0, hs))
            return [tr.up(17, tr.udp(port, 443, pkt), dst_ip=tr.SERVER_IP)]
        qq = "SELECT app, domain FROM flows WHERE dst_port = 443"
        db = run_case(args, tmp, 'quic-control', quic(hello, 43000))
        ok(query(db, qq) == [('quic', 'quic-limit.example.com')],
           'quic: a normal Initial names the flow (%s)' % query(db, qq))
        big = b'\x01' + struct.pack('>I', 20000)[1:] + hello[4:]
        db = run_case(args, tmp, 'quic-crypto', quic(big, 43001))
        ok(query(db, qq) == [('quic', None)], 'quic: a 20000-byte ClientHello is given up, '
           'not buffered (%s)' % query(db, qq))
        stats_column(db, 'quic crypto', 'quic_too_big', 'quic_too_big (or a general '
                     'limits_hit)')


# ---------------------------------------------------------------------------------------------
# (f) the captured interface going down, up, away and back

class Steady(threading.Thread):
    """Sends DNS transactions q<i> on ifname at a steady rate until stopped, through the link
    going down, away and back: a send that fails (the interface is gone) is skipped and the
    socket opened again.  sent[i] is when transaction i left (absent: it could not be sent)."""

    def __init__(self, ifname, per_sec):
        super().__init__(daemon=True)
        self.ifname, self.per_sec = ifname, per_sec
        self.sent = {}
        self.halt = threading.Event()

    def run(self):
        sender, i, t0 = None, 0, time.time()
        while not self.halt.is_set():
            try:
                if sender is None:
                    sender = traffic.Sender(self.ifname)
                sender.send(traffic.dns_transaction(i))
                self.sent[i] = time.time()
            except OSError:
                if sender:
                    sender.close()
                sender = None
            i += 1
            ahead = i / self.per_sec - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
            elif ahead < -2.0 / self.per_sec:
                t0 = time.time() - i / self.per_sec  # held up (the link changing): no burst
        if sender:
            sender.close()

    def stop(self):
        self.halt.set()
        self.join()


def captured(db):
    try:
        return set(int(r[0][1:].split('.')[0]) for r in query(db, 'SELECT qname FROM dns'))
    except sqlite3.OperationalError:
        return set()


def ip_link(*a):
    subprocess.run(['ip', 'link'] + list(a), check=True)


def test_link(args, tmp):
    veth_up()
    db = os.path.join(tmp, 'link.db')
    conf = write_conf(os.path.join(tmp, 'link.conf'),
                      '[database]\ncommit_interval_ms = 100\n[ap]\nhostapd_ctrl_dir = %s\n'
                      % os.path.join(tmp, 'no-hostapd'))
    d = Daemon(args.daemon, db, conf)
    if not ok(d.wait_capturing(), 'leakwatchd starts capturing', d.text()):
        return
    steady = Steady(INJ_IF, 200)
    steady.start()
    time.sleep(1.0)
    recoveries = []

    def back(what, t_back, t_gone=None, settle=1.5):
        """Checks the transactions sent from t_back on: every one sent later than 1 s after
        it is a row; the recovery is when the last one missing after t_back was sent."""
        time.sleep(settle)
        got = captured(db)
        after = sorted(i for i, t in steady.sent.items() if t >= t_back and t < time.time() - 0.5)
        missing = [i for i in after if i not in got]
        rec = max((steady.sent[i] - t_back for i in missing), default=0.0)
        lost = 0
        if t_gone is not None:
            lost = sum(1 for i, t in steady.sent.items() if t_gone <= t < t_back and i not in got)
        ok(d.alive(), '%s: leakwatchd keeps running' % what, d.text())
        ok(after and rec < 1.0 and not [i for i in missing if steady.sent[i] - t_back >= 1.0],
           '%s: every transaction sent from %.0f ms after the link was back is a row '
           '(%d of %d since it came back)' % (what, rec * 1000, len(after) - len(missing),
                                               len(after)),
           'missing: %s' % missing[:10])
        recoveries.append('%s: %.0f ms (%d transactions lost while it was gone)'
                          % (what, rec * 1000, lost))

    t = time.time()
    back('baseline', t - 1.0, settle=0.6)

    # down for a second, then up
    t_gone = time.time()
    ip_link('set', CAP_IF, 'down')
    time.sleep(1.0)
    ip_link('set', CAP_IF, 'up')
    back('down 1 s, up', time.time(), t_gone)

    # quick flaps: five times down 100 ms, up 200 ms
    t_gone = time.time()
    for _ in range(5):
        ip_link('set', CAP_IF, 'down')
        time.sleep(0.1)
        ip_link('set', CAP_IF, 'up')
        time.sleep(0.2)
    back('five quick flaps', time.time() - 0.2, t_gone)

    # deleted (its peer goes with it), away for a second, created again: a new capture
    before = d.text()
    t_gone = time.time()
    ip_link('del', CAP_IF)
    ok(wait_for(lambda: 'capturing again when it is back' in d.text()[len(before):], 3),
       'deleted: the daemon notices and waits for it', d.text()[len(before):])
    time.sleep(1.0)
    ok(d.alive() and count(db) > 0, 'deleted: leakwatchd keeps running without it')
    veth_up()
    back('deleted, created again 1 s later', time.time(), t_gone)
    ok('%s: capturing again' % CAP_IF in d.text()[len(before):],
       'deleted and created again: the log says it captures again', d.text()[len(before):])

    # deleted and created again at once: the daemon may see the new link before the old
    # capture fails
    t_gone = time.time()
    ip_link('del', CAP_IF)
    veth_up()
    back('deleted and created again at once', time.time(), t_gone)

    steady.stop()
    rc = d.stop()
    ok(rc == 0, 'exit status 0 after SIGTERM', d.text())
    ok(d.sanitizer_clean(), 'no sanitizer report', d.text())
    note('%d transactions sent, %d rows' % (len(steady.sent), count(db)))
    note('recovery (link back -> the last transaction missed was sent): ' +
         '; '.join(recoveries))
    note('log: ' + ' | '.join(line for line in d.text().splitlines() if line.strip()))


TESTS = {'sigkill': test_sigkill, 'locked': test_locked, 'diskfull': test_diskfull,
         'config': test_config, 'limits': test_limits, 'link': test_link}
NEEDS_NS = {'sigkill', 'locked', 'diskfull', 'link'}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--daemon', required=True)
    ap.add_argument('test', choices=sorted(TESTS))
    args = ap.parse_args()
    args.daemon = os.path.abspath(args.daemon)
    if not shutil.which('sqlite3'):
        print('needs the sqlite3 command')
        return 77
    if args.test in NEEDS_NS:
        enter_namespaces()
    tmp = tempfile.mkdtemp(prefix='leakwatch-faults.')
    try:
        TESTS[args.test](args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('%s: %s' % (args.test, 'FAILED' if failures else 'passed'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
