#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Golden tests: a generated capture in, database rows out.

For a case NAME:
  1. regenerate NAME's capture with gen_captures.py into a temporary directory and check it is
     byte for byte the committed cases/NAME.pcap[ng] (the generator is deterministic);
  2. run `leakwatchd -r cases/NAME.pcap --db TMP/NAME.db [-c cases/NAME.conf]`: it must exit 0
     with no sanitizer report;
  3. run every query of cases/NAME.expected with python's sqlite3 and compare the rows with the
     expected ones, printing a unified diff per query that differs.

cases/NAME.expected holds blocks of

    query: SELECT ... (one line)
    value | value | ...       one line per row; NULL for SQL NULL; "(no rows)" for none

separated by blank lines; lines starting with '#' are comments; `config: FILE` (a file in
cases/) passes `-c FILE` to the daemon; `needs: FEATURE...` skips the case (exit 77, saying
so) when `leakwatchd -V` does not list that optional part (e.g. phonenumber).  The rows were written by hand from the description of
each case in gen_captures.py, never copied from the daemon's output: review them as such.

Error cases (--error NAME) feed a missing, truncated or foreign capture, or an unusable
database path, and require a clean failure: exit status 1..127, exactly one line on stderr, no
sanitizer report.

Usage:
  run_golden.py --daemon PATH --case NAME      one golden case
  run_golden.py --daemon PATH --error NAME     one error case
  run_golden.py --daemon PATH --all            everything (for a quick manual run)
  run_golden.py ... --wrapper=WORD...          run the daemon under WORD... (qemu-user)
  run_golden.py --daemon PATH --show NAME      print the case's query results as the daemon
                                               gives them, in .expected format (to review)
  run_golden.py --check-list NAME...           the names meson registers == the generator's
"""

import argparse
import difflib
import os
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, 'cases')
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_captures  # noqa: E402

TIMEOUT = 60
SANITIZER_MARKS = ('runtime error:', 'AddressSanitizer', 'LeakSanitizer',
                   'UndefinedBehaviorSanitizer', 'ThreadSanitizer', 'MemorySanitizer')

# name -> (capture: a generator name, or None for a file that does not exist,
#          database: 'fresh' | 'under-a-file' | 'foreign')
ERROR_CASES = {
    'missing_file': (None, 'fresh'),
    'truncated': ('error_truncated', 'fresh'),
    'short_header': ('error_short_header', 'fresh'),
    'text_as_pcap': ('error_text', 'fresh'),
    'db_unwritable': ('dns_http', 'under-a-file'),
    'db_foreign': ('dns_http', 'foreign'),
}

FOREIGN_DB = b'This is not an SQLite database; leakwatchd must refuse it and leave it alone.\n'


class Failure(Exception):
    pass


def daemon_env():
    env = dict(os.environ)
    env.setdefault('ASAN_OPTIONS', 'detect_leaks=1:abort_on_error=0')
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1')
    return env


# The words that run the daemon's executable (--wrapper: qemu-user for a cross build's daemon,
# the cross file's golden_wrapper property), empty when it runs as it is.
WRAPPER = []


def run_daemon(daemon, capture, db, config=None):
    cmd = WRAPPER + [daemon, '-r', capture, '--db', db]
    if config:
        cmd += ['-c', config]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT,
                           env=daemon_env())
    except subprocess.TimeoutExpired:
        raise Failure('%s: timed out after %d s' % (' '.join(cmd), TIMEOUT))
    return cmd, p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def sanitizer_report(text):
    return any(m in text for m in SANITIZER_MARKS)


def describe_exit(rc):
    return 'killed by signal %d' % -rc if rc < 0 else 'exit status %d' % rc


def committed_path(name):
    fname, _ = gen_captures.build(name)
    return os.path.join(CASES_DIR, fname)


def check_determinism(name, tmp):
    """Regenerates name into tmp and compares with the committed file. Returns problems."""
    fname, data = gen_captures.build(name)
    fresh = os.path.join(tmp, 'fresh-' + fname)
    with open(fresh, 'wb') as f:
        f.write(data)
    committed = os.path.join(CASES_DIR, fname)
    if not os.path.exists(committed):
        return ['%s is not committed (generate it with gen_captures.py --out cases %s)'
                % (committed, name)]
    with open(committed, 'rb') as f:
        old = f.read()
    if old == data:
        return []
    at = next((i for i, (a, b) in enumerate(zip(old, data)) if a != b), min(len(old), len(data)))
    return ['%s differs from a fresh generation (%d vs %d bytes, first difference at byte %d): '
            'the generator is not deterministic, or it changed and the capture was not '
            'regenerated (and its expected rows not reviewed again)' % (committed, len(old),
                                                                        len(data), at)]


def parse_expected(path):
    """Returns (config or None, [(query, [row lines])], [features the case needs])."""
    config, blocks, cur, needs = None, [], None, []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if line.startswith('#'):
                continue
            if not line.strip():
                cur = None
                continue
            if line.startswith('config:'):
                config = line.split(':', 1)[1].strip()
            elif line.startswith('needs:'):
                needs.extend(line.split(':', 1)[1].split())
            elif line.startswith('query:'):
                cur = (line.split(':', 1)[1].strip(), [])
                blocks.append(cur)
            elif cur is None:
                raise Failure('%s:%d: a row outside a query block' % (path, n))
            else:
                cur[1].append(line.rstrip())
    for q, rows in blocks:
        if rows == ['(no rows)']:
            rows.clear()
    if not blocks:
        raise Failure('%s: no queries' % path)
    return config, blocks, needs


class Skip(Exception):
    """The case needs an optional part this build of the daemon was built without."""


def daemon_features(daemon):
    """The optional parts the daemon was built with (`leakwatchd -V`, line "features: ...")."""
    out = subprocess.run(WRAPPER + [daemon, '-V'], capture_output=True, text=True,
                         timeout=30).stdout
    for line in out.splitlines():
        if line.startswith('features:'):
            return set(line.split(':', 1)[1].split())
    return set()


def fmt_value(v):
    if v is None:
        return 'NULL'
    if isinstance(v, bytes):
        return 'x\'%s\'' % v.hex()
    return str(v)


def run_query(db, query):
    con = sqlite3.connect(db)
    try:
        return [' | '.join(fmt_value(v) for v in row) for row in con.execute(query)]
    except sqlite3.Error as e:
        return ['ERROR: %s' % e]
    finally:
        con.close()


def run_case(daemon, name, show=False):
    exp_path = os.path.join(CASES_DIR, name + '.expected')
    config, blocks, needs = parse_expected(exp_path)
    missing = [n for n in needs if n not in daemon_features(daemon)]
    if missing:
        raise Skip('%s needs a leakwatchd built with %s' % (name, ', '.join(missing)))
    problems = []
    with tempfile.TemporaryDirectory(prefix='lw-golden-') as tmp:
        problems += check_determinism(name, tmp)
        capture = committed_path(name)
        db = os.path.join(tmp, name + '.db')
        conf = os.path.join(CASES_DIR, config) if config else None
        cmd, rc, out, err = run_daemon(daemon, capture, db, conf)
        if sanitizer_report(err):
            problems.append('sanitizer report from %s:\n%s' % (' '.join(cmd), err))
        if rc != 0:
            problems.append('%s: %s, stderr:\n%s' % (' '.join(cmd), describe_exit(rc), err))
            return problems
        if not os.path.exists(db):
            problems.append('%s: exit 0 but no database at %s' % (' '.join(cmd), db))
            return problems
        for i, (query, expected) in enumerate(blocks, 1):
            actual = run_query(db, query)
            if show:
                print('query: %s\n%s\n' % (query, '\n'.join(actual) or '(no rows)'))
            if actual != expected:
                diff = difflib.unified_diff(expected, actual, 'expected', 'actual', lineterm='',
                                            n=len(expected) + len(actual))
                problems.append('query %d differs:\n  %s\n%s' % (
                    i, query, '\n'.join('  ' + d for d in diff)))
    return problems


def run_error(daemon, name):
    capture_name, db_kind = ERROR_CASES[name]
    problems = []
    with tempfile.TemporaryDirectory(prefix='lw-golden-') as tmp:
        if capture_name is None:
            capture = os.path.join(tmp, 'no-such-capture.pcap')
        else:
            problems += check_determinism(capture_name, tmp)
            capture = committed_path(capture_name)
        if db_kind == 'under-a-file':
            blocker = os.path.join(tmp, 'a-regular-file')
            with open(blocker, 'w') as f:
                f.write('not a directory\n')
            db = os.path.join(blocker, 'leakwatch.db')
        elif db_kind == 'foreign':
            db = os.path.join(tmp, 'foreign.db')
            with open(db, 'wb') as f:
                f.write(FOREIGN_DB)
            os.chmod(db, 0o600)  # private, so it is refused for being foreign, not for its mode
        else:
            db = os.path.join(tmp, 'leakwatch.db')
        cmd, rc, out, err = run_daemon(daemon, capture, db)
        what = ' '.join(cmd)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if sanitizer_report(err):
            problems.append('sanitizer report from %s:\n%s' % (what, err))
        if rc == 0:
            problems.append('%s: exit status 0, expected a failure' % what)
        elif rc < 0 or rc >= 128:
            problems.append('%s: %s (a crash, not a clean failure)' % (what, describe_exit(rc)))
        if len(lines) != 1:
            problems.append('%s: expected exactly one line on stderr, got %d:\n%s'
                            % (what, len(lines), err))
        if db_kind == 'foreign':
            with open(db, 'rb') as f:
                if f.read() != FOREIGN_DB:
                    problems.append('%s: the foreign file given as --db was modified' % what)
        if not problems:
            print('%s: %s, "%s"' % (name, describe_exit(rc), lines[0]))
    return problems


def check_list(names):
    want = sorted(gen_captures.all_cases())
    got = sorted(n for n in names if not n.startswith('error-'))
    errs = sorted(n[len('error-'):] for n in names if n.startswith('error-'))
    problems = []
    if got != want:
        problems.append('meson registers cases %s but gen_captures.py has %s' % (got, want))
    if errs != sorted(ERROR_CASES):
        problems.append('meson registers error cases %s but run_golden.py has %s'
                        % (errs, sorted(ERROR_CASES)))
    for n in want:
        if not os.path.exists(os.path.join(CASES_DIR, n + '.expected')):
            problems.append('cases/%s.expected is missing' % n)
    for n in gen_captures.all_names():
        if not os.path.exists(committed_path(n)):
            problems.append('%s is not committed' % committed_path(n))
    return problems


def report(label, problems):
    if problems:
        print('FAIL %s' % label)
        for p in problems:
            print(p)
        return 1
    print('ok %s' % label)
    return 0


def main():
    ap = argparse.ArgumentParser(description='leakwatch golden tests')
    ap.add_argument('--daemon', help='the leakwatchd executable')
    ap.add_argument('--wrapper', action='append', default=[], metavar='WORD',
                    help='run the daemon under this program (one word each, in order: '
                         '--wrapper=qemu-aarch64)')
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--case', help='run one golden case')
    g.add_argument('--error', help='run one error case')
    g.add_argument('--all', action='store_true', help='run every case and error case')
    g.add_argument('--show', metavar='CASE', help='print actual results of a case\'s queries')
    g.add_argument('--check-list', nargs='+', metavar='NAME',
                   help='check the case names meson registers')
    a = ap.parse_args()
    WRAPPER[:] = a.wrapper
    if a.check_list:
        return report('case list', check_list(a.check_list))
    if not a.daemon:
        ap.error('--daemon is required')
    if not os.access(a.daemon, os.X_OK):
        print('%s is not an executable' % a.daemon)
        return 1
    try:
        if a.case:
            if a.case not in gen_captures.all_cases():
                ap.error('unknown case %s' % a.case)
            try:
                return report(a.case, run_case(a.daemon, a.case))
            except Skip as e:
                print('skip: %s' % e)
                return 77
        if a.error:
            if a.error not in ERROR_CASES:
                ap.error('unknown error case %s' % a.error)
            return report('error-' + a.error, run_error(a.daemon, a.error))
        if a.show:
            problems = run_case(a.daemon, a.show, show=True)
            return 1 if problems else 0
        failed = 0
        for name in gen_captures.all_cases():
            try:
                failed += report(name, run_case(a.daemon, name))
            except Skip as e:
                print('skip: %s' % e)
        for name in ERROR_CASES:
            failed += report('error-' + name, run_error(a.daemon, name))
        print('%d of %d failed' % (failed, len(gen_captures.all_cases()) + len(ERROR_CASES)))
        return 1 if failed else 0
    except Failure as e:
        print('FAIL: %s' % e)
        return 1


if __name__ == '__main__':
    sys.exit(main())
