#!/usr/bin/env bash
# Lab test: the storage under the database, forced with LEAKWATCH_STORAGE (the probe's answer
# for a filesystem the lab does not have).
#  - jffs2: no shared writable mmap there, so no WAL: the daemon must run with a rollback
#    journal (TRUNCATE).  While a phone looks names up, the database file is a rollback-journal
#    database (header bytes 18-19 = 1, not 2 as WAL), no -wal or -shm file ever appears, the
#    daemon says it uses truncate (meta storage.journal, `leakwatch status`), the rows are
#    written, and a concurrent sqlite3 reader keeps reading (a count that grows) while it
#    writes.  (`PRAGMA journal_mode` of another connection says the file's persistent mode:
#    "wal" for a WAL database, "delete" otherwise; TRUNCATE is the daemon connection's own.)
#  - tmpfs: the warning that the database is in RAM and lost at reboot is logged and shown by
#    `leakwatch status`.
#   storage.sh LEAKWATCHD LEAKWATCH
set -uo pipefail
daemon=$(realpath "$1")
cli=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab.sh
. "$here/lab.sh"
lab_need root dnsmasq sqlite3 python3

fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (expected $3, got $2)"; fi; }

lab_up
lab_phone phone1 02:10:00:00:00:01 192.0.2.11
lab_dns_start --address=/storage.example/203.0.113.40 || exit 1
P1=$LAB_ID-phone1

# start KIND DB: leakwatchd -i br0 with LEAKWATCH_STORAGE=KIND, commits every 200 ms so a
# short test sees many of them (journal_mode stays auto: the storage's advice)
start() {
	: >"$LAB_DIR/leakwatchd.$1.log"
	printf '[ap]\nenabled = no\n[block]\nenabled = no\n[database]\ncommit_interval_ms = 200\n' \
		>"$LAB_DIR/lw.conf"
	lab_bg "$LAB_AP" "$LAB_DIR/leakwatchd.$1.log" env LEAKWATCH_STORAGE="$1" "$daemon" -i br0 \
		--db "$2" -c "$LAB_DIR/lw.conf"
	pid=${LAB_PIDS[-1]}
	for _ in $(seq 100); do
		grep -qs "capturing on" "$LAB_DIR/leakwatchd.$1.log" && return 0
		sleep 0.1
	done
	bad "$1: leakwatchd did not start"
	cat "$LAB_DIR/leakwatchd.$1.log"
	return 1
}

stop() {
	kill -TERM "$pid"
	wait "$pid"
	expect "$1: leakwatchd exits 0 after SIGTERM" "$?" 0
}

# --- jffs2 -----------------------------------------------------------------------------------
db=$LAB_DIR/jffs2.db
start jffs2 "$db" || exit 1
# the phone looks up 200 names, one every 25 ms, while a reader counts the rows every 50 ms
lab_bg "$P1" "$LAB_DIR/lookups.log" python3 "$here/../hostile/dns_tools.py" lookups \
	192.0.2.1 www.storage.example 200 0.025 1
lookups=${LAB_PIDS[-1]}
python3 - "$db" >"$LAB_DIR/reader.log" 2>&1 <<'PY' &
import os, sqlite3, sys, time
db = sys.argv[1]
reads = errors = 0
counts, sidecars = [], set()
end = time.time() + 7
while time.time() < end:
    for s in ('-wal', '-shm'):
        if os.path.exists(db + s):
            sidecars.add(s)
    try:
        c = sqlite3.connect('file:%s?mode=ro' % db, uri=True, timeout=10)
        counts.append(c.execute('SELECT count(*) FROM dns').fetchone()[0])
        c.close()
        reads += 1
    except sqlite3.Error as e:
        errors += 1
        print('read error:', e)
    time.sleep(0.05)
grew = sum(1 for a, b in zip(counts, counts[1:]) if b > a)
print('reads %d errors %d first %d last %d grew %d sidecars %s' % (
    reads, errors, counts[0] if counts else -1, counts[-1] if counts else -1, grew,
    ','.join(sorted(sidecars)) or 'none'))
PY
reader=$!
wait "$reader"
wait "$lookups"
read -r _ reads _ errors _ first _ last _ grew _ sidecars < <(tail -n 1 "$LAB_DIR/reader.log")
header=$(od -An -tu1 -j18 -N2 "$db" | tr -s ' ' | sed 's/^ //')
pragma=$(sqlite3 "$db" 'PRAGMA journal_mode')
meta=$(sqlite3 -cmd '.timeout 5000' "$db" "SELECT value FROM meta WHERE key = 'storage.journal'")
st=$("$cli" --db "$db" status)
stop jffs2
rows=$(sqlite3 "$db" 'SELECT count(*) FROM dns')
expect "jffs2: the file is a rollback-journal database (header bytes 18-19)" "$header" "1 1"
expect "jffs2: another connection's PRAGMA journal_mode is not wal" "$pragma" delete
expect "jffs2: no -wal or -shm file while it wrote" "$sidecars" none
[ ! -e "$db-wal" ] && [ ! -e "$db-shm" ] && ok "jffs2: no -wal or -shm file after it stopped" ||
	bad "jffs2: a -wal or -shm file after it stopped"
expect "jffs2: the daemon uses a truncate journal (meta storage.journal)" "${meta%%,*}" truncate
grep -q "^journal: *truncate" <<<"$st" && ok "jffs2: leakwatch status shows the truncate journal" ||
	{ bad "jffs2: leakwatch status:"; echo "$st"; }
grep -q "^storage: *jffs2" <<<"$st" && ok "jffs2: leakwatch status names the storage" ||
	bad "jffs2: leakwatch status names no jffs2"
expect "jffs2: every lookup written (dns rows)" "$((rows >= 200))" 1
expect "jffs2: the concurrent reader never failed" "${errors:-x}" 0
expect "jffs2: the reader saw the rows grow while the daemon wrote" "$(( ${grew:-0} >= 3 ))" 1
grep -q "jffs2: rollback journal" "$LAB_DIR/leakwatchd.jffs2.log" &&
	ok "jffs2: the log says what the storage means" ||
	{ bad "jffs2: no storage line in the log"; cat "$LAB_DIR/leakwatchd.jffs2.log"; }
jffs2_fig="jffs2: $rows dns rows, reader $reads reads ($errors errors, count $first -> $last, grew $grew times), header $header, PRAGMA journal_mode $pragma, sidecars $sidecars"

# --- tmpfs -----------------------------------------------------------------------------------
db=$LAB_DIR/tmpfs.db
start tmpfs "$db" || exit 1
lab_ns "$P1" python3 "$here/../hostile/dns_tools.py" lookups 192.0.2.1 www.storage.example \
	5 0.05 1 >/dev/null
sleep 0.5
st=$("$cli" --db "$db" status)
stop tmpfs
line=$(grep "in RAM and lost at reboot" "$LAB_DIR/leakwatchd.tmpfs.log")
[ -n "$line" ] && ok "tmpfs: the warning is logged" ||
	{ bad "tmpfs: no warning in the log"; cat "$LAB_DIR/leakwatchd.tmpfs.log"; }
grep -q "^storage: *tmpfs — .*in RAM and lost at reboot" <<<"$st" &&
	ok "tmpfs: leakwatch status shows it" || { bad "tmpfs: leakwatch status:"; echo "$st"; }
grep -q "^journal: *wal" <<<"$st" && ok "tmpfs: WAL journal (the advice for RAM)" ||
	bad "tmpfs: journal not wal"

echo "figures: $jffs2_fig; tmpfs log: ${line:-none}"
exit $fail
