# shellcheck shell=bash
# The hostile tests' lab: source it right after `set -uo pipefail` and `daemon=...`, then call
# hostile_need.  phone1 attacks, phone2 is the victim, both on the AP's bridge (tests/lab/lab.sh),
# blocking helpers from tests/lab/block-lib.sh.  Sets here (this directory) and lab.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab=$here/../lab
# shellcheck source=../lab/lab.sh
. "$lab/lab.sh"
# shellcheck source=../lab/block-lib.sh
. "$lab/block-lib.sh"

# hostile_need [CMD...]: skip unless root with what every hostile test uses, and CMD...
hostile_need() { lab_need root dnsmasq nft sqlite3 python3 "$@"; }

# hostile_phones [VICTIM_MAC]: the lab with phone1 (02:10:00:00:00:01, 192.0.2.11) and phone2
# (VICTIM_MAC, default 3c:28:6d:00:00:02 — a real vendor's OUI; 192.0.2.12); sets P1 and P2 (their
# namespaces) and db (the daemon's database, as block_start writes it).
# shellcheck disable=SC2034,SC2120 # P1, P2 and db are for the test that sources this
hostile_phones() {
	lab_up
	lab_phone phone1 02:10:00:00:00:01 192.0.2.11
	lab_phone phone2 "${1:-3c:28:6d:00:00:02}" 192.0.2.12
	P1=$LAB_ID-phone1
	P2=$LAB_ID-phone2
	db=$LAB_DIR/block.db
}

# hostile_servers PROTO PORT SPEC...: the upstream's servers (tests/lab/servers.py SPEC...),
# waited for on PROTO PORT, and the AP's own address and resolver (block_ap_net).  Exits the
# test when they do not come up.
hostile_servers() {
	local proto=$1 port=$2
	shift 2
	lab_bg "$LAB_UP" "$LAB_DIR/servers.log" python3 "$lab/servers.py" "$@"
	lab_wait_port "$LAB_UP" "$proto" "$port" || exit 1
	block_ap_net
}
