#!/usr/bin/env python3
"""The central tables against the access points' databases, row for row.

compare.py PG_CONNINFO AP=DB [AP=DB...]: for every published table, the central rows of each
access point equal that access point's SQLite rows (same ids, same values: numbers compared as
numbers, texts exactly, NULL as NULL), and the central table holds no row of another access
point.  Prints a line per table; exit 1 on a difference.
"""
import json
import sqlite3
import subprocess
import sys

# the published tables and their row id (lib/fleet/row.c)
TABLES = [('devices', 'rowid'), ('sessions', 'id'), ('flows', 'id'), ('dns', 'id'),
          ('leaks', 'id'), ('flagged', 'id'), ('blocks', 'id'), ('stats', 'rowid')]


def psql(conninfo, sql):
    out = subprocess.run(['psql', conninfo, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
                          '-c', sql], check=True, capture_output=True, text=True).stdout
    return out.strip()


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        return isinstance(b, (int, float)) and float(a) == float(b) and (
            not isinstance(a, int) or not isinstance(b, int) or a == b)
    return a == b


def main():
    conninfo = sys.argv[1]
    aps = dict(arg.split('=', 1) for arg in sys.argv[2:])
    failed = False
    for table, rowid in TABLES:
        total_local = 0
        counts = []
        for ap, path in aps.items():
            db = sqlite3.connect(f'file:{path}?mode=ro', uri=True)
            cols = [r[1] for r in db.execute(f'PRAGMA table_info({table})') if r[1] != 'id']
            qcols = ', '.join(f'"{c}"' for c in cols)
            local = {r[0]: r[1:] for r in
                     db.execute(f'SELECT {rowid}, {qcols} FROM {table}')}
            db.close()
            got = psql(conninfo, f"SELECT coalesce(json_agg(json_build_array(id, {qcols})), "
                                 f"'[]') FROM \"{table}\" WHERE ap = '{ap}'")
            central = {r[0]: tuple(r[1:]) for r in json.loads(got)}
            total_local += len(local)
            counts.append(f'{ap} {len(local)}')
            missing = sorted(set(local) - set(central))
            extra = sorted(set(central) - set(local))
            differ = [i for i in local if i in central and
                      not all(same(x, y) for x, y in zip(local[i], central[i]))]
            if missing or extra or differ:
                failed = True
                print(f'FAIL {table} of {ap}: {len(missing)} missing {missing[:5]}, '
                      f'{len(extra)} extra {extra[:5]}, {len(differ)} differ')
                for i in differ[:3]:
                    print(f'     id {i}: local {local[i]}')
                    print(f'     id {i}: central {central[i]}')
        central_total = int(psql(conninfo, f'SELECT count(*) FROM "{table}"'))
        if central_total != total_local:
            failed = True
            print(f'FAIL {table}: {central_total} central rows, {total_local} local')
        print(f'{"FAIL" if failed else "ok  "} {table}: {", ".join(counts)} rows; '
              f'{central_total} central')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
