#!/usr/bin/env bash
# Makes docs/report.png, the README's picture of `leakwatch report`: a database from the golden
# captures (the Nokia's REGVER 5.0 registration and the REGVER 2 one at boot, screen-on and
# unlock; an Apple device's ordinary DNS and HTTP), vnet.cn flagged, the page rendered by headless Chromium.  Needs a build (build/) and chromium.
#   docs/report-png.sh [OUT.png]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/docs/report.png}")
cases=$top/tests/golden/cases
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for c in leak_zzhc_v5 leak_zzhc_repeat dns_http; do
	"$top/build/daemon/leakwatchd" -q -r "$cases/$c.pcap" --db "$dir/leakwatch.db"
done
cd "$dir"
sqlite3 leakwatch.db "UPDATE devices SET label = 'Nokia 7 Plus' WHERE mac = '00:00:5e:00:53:10'"
"$top/build/cli/leakwatch" --db leakwatch.db -c /dev/null flag vnet.cn --reason "sends the IMEI" >/dev/null
TZ=UTC "$top/build/cli/leakwatch" --db leakwatch.db -c /dev/null --utc report -o "$dir/report.html" 2>/dev/null
timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$dir/chrome" \
	--hide-scrollbars --window-size=1100,1400 --screenshot="$out" "file://$dir/report.html" 2>/dev/null
echo "$out: $(stat -c %s "$out") bytes"
