#!/usr/bin/env bash
# leakwatch report: the HTML page of a database made from the Nokia ZZHC golden captures (its
# REGVER 5.0 registration with all five kinds, then the REGVER 2 one sent at boot, screen-on
# and unlock) plus a hostile device whose host name, domains, kinds and snippets are markup.
#   report.sh LEAKWATCHD LEAKWATCH CASES-DIR BUILD-DIR static|render
# static: the page is one file, 0600, fetches nothing, escapes every hostile string, holds the
#   Nokia with its five kinds and one timeline mark per registration, obeys --mac, --since and
#   --limit, stays bounded, and refuses bad usage.
# render: headless Chromium (Debian's chromium) renders it: the DOM holds the device, the
#   timeline's marks and the hostile strings as text; a screenshot is kept in BUILD-DIR
#   (report-screenshot.png).  Skips (77) without chromium.
set -uo pipefail
daemon=$1 cli=$2 cases=$3 build=$4 mode=$5
command -v sqlite3 >/dev/null || { echo "SKIP: needs sqlite3"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
if [ "$mode" = render ]; then
	chrome=$(command -v chromium || command -v chromium-browser) || {
		echo "SKIP: chromium is not installed (apt-get install chromium;" \
			"scripts/install-deps.sh --tests)"
		exit 77
	}
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db=$dir/leakwatch.db
export TZ=UTC
fail=0
ok() { echo "ok   $1"; }
bad() {
	echo "FAIL $1"
	fail=1
}

for c in leak_zzhc_v5 leak_zzhc_repeat; do
	"$daemon" -q -r "$cases/$c.pcap" --db "$db" || { echo "FAIL leakwatchd -r $c"; exit 1; }
done
# the Nokia gets its label; then the hostile device (02:66:...), a flag, a block
sqlite3 "$db" <<'EOF' || { echo "FAIL hostile rows"; exit 1; }
UPDATE devices SET label = 'Nokia 7 Plus' WHERE mac = '00:00:5e:00:53:10';
INSERT INTO devices(mac, first_seen, last_seen, vendor, hostname, dhcp_vendor, randomized, label, ip)
VALUES ('02:66:00:00:00:66', 1700002000, 1700002400, '"><svg onload=alert(3)>',
        '<script>alert(1)</script>', 'x'' onmouseover=''alert(7)', 1, NULL, '192.0.2.66');
INSERT INTO flows(mac, proto, src_ip, src_port, dst_ip, dst_port, first_seen, last_seen, domain,
                  name_source, app, encrypted, pkts_out, bytes_out, pkts_in, bytes_in, ended)
VALUES ('02:66:00:00:00:66', 'tcp', '192.0.2.66', 40000, '203.0.113.66', 80, 1700002010,
        1700002011, 'a"b''c.example', 'http', 'http', 0, 1, 100, 1, 100, 1),
       ('02:66:00:00:00:66', 'tcp', '192.0.2.66', 40001, '203.0.113.67', 80, 1700002020,
        1700002021, '</title></svg><script>alert(2)</script>', 'http', 'http', 0, 1, 1, 1, 1, 1);
INSERT INTO dns(ts, mac, client_ip, server_ip, qname, qtype, rcode, answers, ttl)
VALUES (1700002009, '02:66:00:00:00:66', '192.0.2.66', '198.51.100.53', 'a"b''c.example', 1, 0,
        '203.0.113.66', 60);
INSERT INTO leaks(ts, mac, flow_id, domain, dst_ip, dst_port, proto, kind, value, encoding,
                  location, confidence, snippet)
VALUES (1700002010, '02:66:00:00:00:66', NULL, 'a"b''c.example', '203.0.113.66', 80, 'tcp',
        'imei', '<b>bold</b>', '</svg><script>alert(5)</script>', 'http.query', 'pattern',
        '"><img src=x onerror=alert(4)>'),
       (1700002020, '02:66:00:00:00:66', NULL, '</title></svg><script>alert(2)</script>',
        '203.0.113.67', 80, 'tcp', 'x" onmouseover="alert(6)', 'v', NULL, 'http.query',
        'pattern', NULL);
INSERT INTO device_names(mac, proto, name, first_seen, last_seen, count)
VALUES ('02:66:00:00:00:66', 'mdns', '<marquee>phone</marquee>', 1700002000, 1700002000, 1);
INSERT INTO flagged(domain, mac, reason, source, added)
VALUES ('vnet.cn', NULL, '<i>zzhc</i> & co', 'user', 1700002050);
INSERT INTO blocks(ts, mac, domain, ip, until, reason, action)
VALUES (1700002300, '00:00:5e:00:53:10', 'zzhc.vnet.cn', '203.0.113.126', 1700005900, 'dns',
        'add');
EOF
conf=$dir/leakwatch.conf
printf '[block]\ndomains = example.org\n' >"$conf"
lw() { "$cli" --db "$db" -c "$conf" "$@"; }

# check NAME HTML-FILE PYTHON: the assertions (h the page, t its text) hold
check() {
	local name=$1 file=$2
	if python3 - "$file" "$3" <<'EOF'; then
import re, sys
from html.parser import HTMLParser
h = open(sys.argv[1], encoding="utf-8").read()
# every tag and attribute the report writes; anything else is a string that became markup
TAGS = set("html head meta title style body header h1 h2 h3 p main section table tr th td a "
           "span dl dt dd svg rect line text tspan g footer code tbody br".split())
ATTRS = set("lang charset http-equiv content name class id href title xmlns viewbox role "
            "aria-label x y x1 y1 x2 y2 width height rx text-anchor".split())
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.bad, self.stack = [], [], [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in TAGS:
            self.bad.append("tag " + tag)
        for a, v in attrs:
            if a not in ATTRS:
                self.bad.append("attribute %s=%r on %s" % (a, v, tag))
            if a == "href" and not (v or "").startswith("#"):
                self.bad.append("href " + v)
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
            self.bad.append("meta refresh")
    def handle_data(self, d):
        self.text.append(d)
p = P()
p.feed(h)
t = "".join(p.text)
tags = p.tags
exec(sys.argv[2])
EOF
		ok "$name"
	else
		bad "$name"
	fi
}

out=$dir/report.html
lw report -o "$out" 2>"$dir/err"
rc=$?
[ $rc = 0 ] && [ -s "$out" ] && grep -q "report written to $out" "$dir/err" && ok "report -o" ||
	{ bad "report -o (exit $rc)"; cat "$dir/err"; }
[ "$(stat -c %a "$out")" = 600 ] && ok "mode 0600" || bad "mode $(stat -c %a "$out")"
[ "$(find "$dir" -maxdepth 1 -name '.leakwatch-report.*' | wc -l)" = 0 ] && ok "no temporary file left" ||
	bad "a temporary file left"
if [ "$mode" = static ]; then
	check "nothing fetched: no script, no external src/href/url(), a CSP" "$out" '
assert not p.bad, p.bad
assert not re.search(r"(?i)(src|href|action)\s*=\s*[\"\x27]?\s*(https?:|//|file:|data:)", h)
assert not re.search(r"(?i)url\(|@import|<script|<link|<img|<iframe|<object", h)
assert [u for u in re.findall(r"https?://[^\s\"<]*", h)] == ["http://www.w3.org/2000/svg"] * h.count("<svg"), re.findall(r"https?://[^\s\"<]*", h)
csp = [a["content"] for tg, a in tags if tg == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
assert csp and csp[0].startswith("default-src \x27none\x27"), csp
'
	check "hostile strings escaped, shown as text" "$out" '
for s in ["<script>alert(1)</script>", "a\"b\x27c.example", "</title></svg><script>alert(2)</script>",
          "\"><svg onload=alert(3)>", "</svg><script>alert(5)</script>", "<b>bold</b>",
          "x\" onmouseover=\"alert(6)", "<marquee>phone</marquee>", "<i>zzhc</i> & co"]:
    assert s in t, s
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h
assert "a&quot;b&#39;c.example" in h
assert "<script>" not in h and "<b>" not in h and "<marquee" not in h
assert not p.bad, p.bad  # (no on* attribute: not in ATTRS)
# the snippet, in an attribute (the value tooltip)
assert any(a.get("title") == "\"><img src=x onerror=alert(4)>" for tg, a in tags), "snippet"
# an unknown kind gets the generic class, never its own text
assert not any("onmouseover" in (a.get("class") or "") for tg, a in tags)
'
	check "the Nokia: its section, five kinds, a mark per registration" "$out" '
sec = re.search(r"<section class=\"device\" id=\"d\d+\"><h2>Nokia 7 Plus.*?</section>", h, re.S).group(0)
kinds = set(re.findall(r"<span class=\"kind k\d+\">([a-z_]+)</span>", sec))
assert kinds == {"imei", "iccid", "imsi", "mac", "cell_id"}, kinds
for v in ["353918104627159", "353918104627233", "8986031847204518362", "89860119573062849158",
          "460110937204561", "460036598732104", "460015827364091", "00:00:5e:00:53:10",
          "cid=123456789,sid=13824,nid=1,baseid=4321", "zzhc.vnet.cn", "base64&gt;json:MEID"]:
    assert v in sec, v
svg = re.search(r"<svg class=\"tl\".*?</svg>", sec, re.S).group(0)
marks = re.findall(r"<rect class=\"mark (k\d+|kx)\"", svg)
# imei (k0), iccid (k3), imsi (k4): the v5 registration and the three of REGVER 2
counts = {k: marks.count(k) for k in set(marks)}
assert counts == {"k0": 4, "k3": 4, "k4": 4, "k5": 1, "k12": 1}, counts
assert "2 at 2023-11-14 22:48:20" in svg  # its two IMEIs of one request, one mark
assert "×5" in svg and "×6" in svg  # imei 5 and imsi 6 times (a label per row)
# identifiers table: the IMEI sent four times, validated then known
assert re.search(r"353918104627159</td>.*?known</td>.*?<td class=\"n\">4</td>", sec, re.S)
# domains, with the DNS queries and the block
assert re.search(r"<td class=\"w\">zzhc.vnet.cn</td><td class=\"n\">4</td>.*?<td class=\"n\">4</td><td class=\"n\">18</td><td class=\"n\">1</td><td class=\"flag\">user</td>", sec), "domains row"
assert "203.0.113.126" in sec
'
	check "the flags and what was blocked" "$out" '
fl = re.search(r"<section id=\"flags\">.*?</section>", h, re.S).group(0)
assert "vnet.cn" in fl and "example.org" in fl and ">config<" in fl and ">user<" in fl, fl
assert "[block] domains in" in fl
bl = re.search(r"<section id=\"blocked\">.*?</section>", h, re.S).group(0)
assert "zzhc.vnet.cn" in bl and "203.0.113.126" in bl and "Nokia 7 Plus" in bl, bl
'

	# filters
	lw report --mac 02:66:00:00:00:66 -o "$dir/one.html" 2>/dev/null
	check "--mac: that device only" "$dir/one.html" '
assert h.count("<section class=\"device\"") == 1 and "Nokia 7 Plus" not in t
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h
'
	lw report --mac 'Nokia 7 Plus' --since 1700002250 -o "$dir/since.html" 2>/dev/null
	check "--since: the later registrations only" "$dir/since.html" '
marks = re.findall(r"<rect class=\"mark (k\d+)\"", h)
assert sorted(set(marks)) == ["k0", "k3", "k4"] and marks.count("k0") == 2, marks
assert "cell_id" not in t and "6 identifiers sent out" in t
'
	lw report --limit 1 -o "$dir/limit.html" 2>/dev/null
	check "--limit: one device, the cut said" "$dir/limit.html" '
assert h.count("<section class=\"device\"") == 1
assert "Showing 1 of 2 devices." in t and "Showing 1 of 9 identifiers." in t, t
'
	# replaced whole, still 0600; standard output
	chmod 644 "$out"
	lw report -o "$out" 2>/dev/null && [ "$(stat -c %a "$out")" = 600 ] && ok "replaced, 0600" ||
		bad "replacing the report"
	# (the same page but for when it was made: the two runs may fall in different seconds)
	unmade() { sed 's/ &middot; made [^<]*</</'; }
	lw report -o - 2>/dev/null | unmade | cmp -s - <(unmade <"$out") &&
		ok "-o - writes standard output" || bad "-o -"
	# bounded: a device with 5000 leaks of distinct values to 300 domains
	cp "$db" "$dir/big.db"
	sqlite3 "$dir/big.db" "WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 5000)
		INSERT INTO leaks(ts, mac, domain, kind, value, confidence)
		SELECT 1700000000 + n * 7, '02:66:00:00:00:66', 'd' || (n % 300) || '.example',
		  CASE n % 3 WHEN 0 THEN 'imei' WHEN 1 THEN 'ad_id' ELSE 'serial' END, 'v' || n,
		  'pattern' FROM i"
	"$cli" --db "$dir/big.db" -c "$conf" report -o "$dir/big.html" 2>/dev/null
	check "bounded: 50 rows a table, 24 timeline rows, the cuts said" "$dir/big.html" '
assert len(h) < 1500000, len(h)
sec = re.search(r"<section class=\"device\" id=\"d1\">.*?</section>", h, re.S).group(0)
assert "Showing 50 of 5002 identifiers." in sec, "ids"
assert "Showing 24 of 302 timeline rows" in sec, "timeline"
assert sec.count("<g class=\"row\">") == 24
assert all(int(x) <= 262 + 640 for x in re.findall(r"<rect class=\"mark k\d+\" x=\"(\d+)\"", sec))
'
	# refusals
	lw report >/dev/null 2>"$dir/err"
	[ $? = 64 ] && grep -q "report -o FILE" "$dir/err" && ok "report without -o: 64" ||
		bad "report without -o"
	lw devices -o "$dir/x" >/dev/null 2>"$dir/err"
	[ $? = 64 ] && grep -q "does not take -o" "$dir/err" && ok "-o elsewhere: 64" || bad "-o elsewhere"
	lw report --json -o "$dir/x" >/dev/null 2>"$dir/err"
	[ $? = 64 ] && ok "report --json: 64" || bad "report --json"
	lw report --kind imei -o "$dir/x" >/dev/null 2>"$dir/err"
	[ $? = 64 ] && ok "report --kind: 64" || bad "report --kind"
	lw report -o "$dir" >/dev/null 2>"$dir/err"
	[ $? = 73 ] && grep -q "is a directory" "$dir/err" && ok "-o DIRECTORY: 73" || bad "-o DIRECTORY"
	lw report -o "$dir/none/r.html" >/dev/null 2>"$dir/err"
	[ $? = 73 ] && grep -q "cannot create" "$dir/err" && ok "-o in a missing directory: 73" ||
		bad "-o in a missing directory"
	[ ! -e "$dir/x" ] && ok "nothing written on a refusal" || bad "a file written on a refusal"
	exit $fail
fi

# --- render: headless Chromium -------------------------------------------------------------
shot=$build/report-screenshot.png
rm -f "$shot"
# its own profile; no sandbox (as root); nothing but the file is loaded (the page's CSP)
run_chrome() {
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --user-data-dir="$dir/chrome" \
		--no-first-run --disable-extensions --window-size=1280,2000 "$@" "file://$out" \
		2>>"$dir/chrome.log"
}
run_chrome --dump-dom >"$dir/dom.html"
check "rendered DOM: the Nokia, its kinds, the timeline's marks, hostile text" "$dir/dom.html" '
assert "Nokia 7 Plus" in t
sec = re.search(r"<section class=\"device\" id=\"d\d+\"><h2>Nokia 7 Plus.*?</section>", h, re.S).group(0)
assert set(re.findall(r"<span class=\"kind k\d+\">([a-z_]+)</span>", sec)) == {"imei", "iccid", "imsi", "mac", "cell_id"}
assert len(re.findall(r"<rect class=\"mark k\d+\"", sec)) == 14
assert "<script>alert(1)</script>" in t and "a\"b\x27c.example" in t
assert not p.bad, p.bad
'
run_chrome --screenshot="$shot" >/dev/null
if python3 - "$shot" <<'EOF'; then
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1280, 2000), (w, h)
data, i = b"", 8
while i < len(b):
    n, typ = struct.unpack(">I4s", b[i:i + 8])
    if typ == b"IDAT":
        data += b[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(data)
# a page with text, colours and a chart, not a blank one
assert len(set(raw)) > 64, len(set(raw))
EOF
	ok "screenshot: $shot"
else
	bad "screenshot ($shot)"
	tail -5 "$dir/chrome.log"
fi
echo "screenshot kept: $shot"
exit $fail
