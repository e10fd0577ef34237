#!/usr/bin/env bash
# Alerts over MQTT, against a real mosquitto started here (in a network namespace of this
# test's own, on 127.0.0.1):
#  - leakwatchd captures live on a veth while the Nokia ZZHC registration (the golden capture
#    leak_zzhc_v5) is sent past it: the new_leak events arrive (the time from the request's
#    frame to the message is printed, a figure; the issue's bound is 1 s), with the exec hook's
#    JSON;
#  - the Home Assistant discovery topics are retained, valid JSON with what HA needs (name,
#    unique_id, state_topic, availability, device {identifiers, name}); status is "online";
#  - the broker stopped, a second phone's registration sent, the broker started again: every
#    event queued meanwhile arrives;
#  - TLS (a CA file) with a user name and password: events arrive; a wrong password is
#    refused with a clear line.
#   mqtt.sh LEAKWATCHD
set -uo pipefail
daemon=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cases=$(cd "$here/../golden/cases" && pwd)
# shellcheck source=alerts-lib.sh
. "$here/alerts-lib.sh"
alerts_need mosquitto mosquitto_sub mosquitto_passwd openssl python3
"$daemon" -V | grep -q "features:.* mqtt" || {
	echo "leakwatchd is built without MQTT (-Dmqtt)"
	exit 77
}
alerts_up

port=$((18830 + $$ % 1000))
tls_port=$((port + 1))
# a CA and a server certificate for 127.0.0.1 (and "localhost", which a minimal root may not
# resolve: it has no /etc/hosts)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=leakwatch-test-ca \
	-keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$DIR/server.key" \
	-out "$DIR/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$DIR/san.ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" \
	-CAcreateserial -days 2 -extfile "$DIR/san.ext" -out "$DIR/server.crt" 2>/dev/null
mosquitto_passwd -b -c "$DIR/passwd" lw 's3cret"pw' 2>/dev/null
chmod 0600 "$DIR/passwd"
cat >"$DIR/broker.conf" <<CONF
user root
per_listener_settings true
persistence true
persistence_location $DIR/
listener $port 127.0.0.1
allow_anonymous true
listener $tls_port 127.0.0.1
cafile $DIR/ca.crt
certfile $DIR/server.crt
keyfile $DIR/server.key
allow_anonymous false
password_file $DIR/passwd
CONF
alerts_broker "$DIR/broker.conf" "$DIR/broker.log"
alerts_wait_port "$port" || {
	bad "mosquitto did not start"
	cat "$DIR/broker.log"
	exit 1
}

# a subscriber with a persistent session (QoS 1): what is published while it is away (the
# broker restarting) waits for it in the broker's persistence
ip netns exec "$NS" mosquitto_sub -h 127.0.0.1 -p "$port" -c -i "lwsub$$" -q 1 -t 'leakwatch/#' \
	-t 'homeassistant/#' -t 'lwtls/#' -t probe -F '%U %r %t %p' >"$DIR/sub.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	ns mosquitto_pub -h 127.0.0.1 -p "$port" -t probe -m ready
	alerts_wait_log "$DIR/sub.log" " probe ready" 0 && break
	sleep 0.1
done

cat >"$DIR/hook.sh" <<HOOK
#!/bin/sh
cat >>"$DIR/hook.jsonl"
HOOK
chmod 0755 "$DIR/hook.sh"
cat >"$DIR/lw.conf" <<CONF
[capture]
interface = cap0
[ap]
enabled = no
netlink = no
[block]
enabled = no
[alerts]
exec = $DIR/hook.sh
mqtt_host = 127.0.0.1
mqtt_port = $port
CONF
alerts_daemon "$DIR/lw.log" "$daemon" -c "$DIR/lw.conf" --db "$DIR/lw.db"
if ! alerts_wait_log "$DIR/lw.log" "capturing on" || ! alerts_wait_log "$DIR/lw.log" "MQTT: connected"; then
	bad "leakwatchd did not start capturing and connect"
	cat "$DIR/lw.log"
	exit 1
fi

# --- the event, and how long it took ---
sent=$(ns python3 "$here/inject.py" inj0 "$cases/leak_zzhc_v5.pcap")
alerts_wait_log "$DIR/sub.log" " leakwatch/00005e005310/event .*\"kind\":\"cell_id\"" 10 ||
	bad "no new_leak event for cell_id"
python3 - "$DIR/sub.log" "$sent" <<'PY' || fail=1
import json, sys
sent = float(sys.argv[2])
got = {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    ts, retained, topic, payload = (line.rstrip("\n").split(" ", 3) + ["", "", ""])[:4]
    if topic == "leakwatch/00005e005310/event":
        e = json.loads(payload)
        got.setdefault(e["kind"], float(ts))
kinds = sorted(got)
if kinds != ["cell_id", "iccid", "imei", "imsi", "mac"]:
    print(f"FAIL new_leak events for {kinds}, expected the five kinds")
    sys.exit(1)
late = max(got.values()) - sent
print(f"ok   five new_leak events (cell_id, iccid, imei, imsi, mac) on the device's topic")
print(f"figure: the first event {1000 * (min(got.values()) - sent):.1f} ms and the last "
      f"{1000 * late:.1f} ms after the registration's frame was sent")
# a figure, not a check (times are not asserted in tests): the issue's bound is 1 s
if late > 1.0:
    print("note: the last event came later than the issue's 1 s on this run")
PY

# the hook read the same events as JSON (the hook runs once per event, apart from MQTT's
# thread: its last lines may come after the MQTT messages)
for _ in $(seq 100); do
	[ "$(wc -l <"$DIR/hook.jsonl" 2>/dev/null || echo 0)" -ge 6 ] && break
	sleep 0.1
done
python3 - "$DIR/hook.jsonl" <<'PY' || fail=1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
types = [e["event_type"] for e in ev]
kinds = sorted(e["kind"] for e in ev if e["event_type"] == "new_leak")
if types.count("new_device") != 1 or kinds != ["cell_id", "iccid", "imei", "imsi", "mac"]:
    print(f"FAIL hook events: {types} {kinds}")
    sys.exit(1)
if any(e["device"]["mac"] != "00:00:5e:00:53:10" for e in ev):
    print("FAIL hook events name another device")
    sys.exit(1)
print(f"ok   the exec hook read {len(ev)} JSON events on stdin (1 new_device, 5 new_leak)")
PY
grep -q "new leak: 00:00:5e:00:53:10 .* sent its imei to zzhc.vnet.cn port 9999" "$DIR/lw.log" &&
	ok "a log line for the new leak" || bad "no log line for the new leak"

# --- Home Assistant discovery: retained, valid, with what HA needs ---
ns timeout 5 mosquitto_sub -h 127.0.0.1 -p "$port" -t 'homeassistant/#' -t 'leakwatch/status' \
	-t 'leakwatch/+/leaks_today' -W 2 -F '%r %t %p' >"$DIR/retained.log" 2>/dev/null
python3 - "$DIR/retained.log" <<'PY' || fail=1
import json, sys
msgs = {}
for line in open(sys.argv[1], encoding="utf-8"):
    retained, topic, payload = line.rstrip("\n").split(" ", 2)
    msgs[topic] = (retained, payload)
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond
need(msgs.get("leakwatch/status") == ("1", "online"), "leakwatch/status is a retained 'online'")
for comp, obj in (("sensor", "leaks_today"), ("event", "new_leak")):
    t = f"homeassistant/{comp}/leakwatch_00005e005310/{obj}/config"
    if t not in msgs:
        need(False, f"{t} retained")
        continue
    c = json.loads(msgs[t][1])
    need(msgs[t][0] == "1" and all(c.get(k) for k in ("name", "unique_id", "state_topic",
         "availability")) and c["device"].get("identifiers") and c["device"].get("name"),
         f"{t}: retained JSON with name, unique_id, state_topic, availability, device "
         f"{{identifiers, name}} (device named '{c['device'].get('name')}')")
    need(c["availability"][0]["topic"] == "leakwatch/status", f"{obj}: availability topic")
    if comp == "sensor":
        state = msgs.get(c["state_topic"])
        need(state is not None and state[0] == "1" and int(state[1]) >= 5,
             f"{c['state_topic']} = {state[1] if state else None} (retained)")
    else:
        need(c.get("event_types") == ["new_leak"], "event entity's event_types")
sys.exit(0 if ok else 1)
PY

# --- the broker away: what is queued meanwhile arrives when it is back ---
alerts_stop "$BROKER_PID"
alerts_wait_log "$DIR/lw.log" "MQTT: lost" 10 && ok "leakwatchd noticed the broker gone" ||
	bad "no 'lost' line"
sent=$(ns python3 "$here/inject.py" inj0 "$cases/leak_zzhc_v5.pcap" --mac 00:00:5e:00:53:10=00:00:5e:00:53:20)
sleep 1
alerts_broker "$DIR/broker.conf" "$DIR/broker2.log"
alerts_wait_port "$port" || bad "mosquitto did not start again"
t0=$(date +%s.%N)
if alerts_wait_log "$DIR/sub.log" " leakwatch/00005e005320/event .*\"kind\":\"cell_id\"" 40; then
	# cell_id need not be the last of the six: wait for them all (QoS 1 is at least once: a
	# message the broker sends twice is counted once, and said)
	for _ in $(seq 100); do
		n=$(grep " leakwatch/event .*00:00:5e:00:53:20" "$DIR/sub.log" | cut -d' ' -f3- | sort -u | wc -l)
		[ "$n" -ge 6 ] && break
		sleep 0.1
	done
	dups=$(($(grep -c " leakwatch/event .*00:00:5e:00:53:20" "$DIR/sub.log") - n))
	[ "$n" -eq 6 ] && ok "after the broker's restart: the 6 events queued meanwhile arrived" \
		"(and $dups sent twice)" ||
		bad "after the broker's restart: $n distinct events of the 6 queued"
	echo "figure: delivered within $(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s of the broker being back (libmosquitto's reconnect back-off, 1 to 30 s)"
else
	bad "the events queued while the broker was away did not arrive"
fi

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
rc=$?
[ $rc -eq 0 ] && ok "leakwatchd exit status 0" || bad "leakwatchd exit status $rc"
grep -q "offline" <(ns timeout 8 mosquitto_sub -h 127.0.0.1 -p "$port" -t leakwatch/status -C 1 -W 6 2>/dev/null) &&
	ok "status 'offline' after a clean stop" || bad "status not 'offline' after the stop"

# --- TLS with a CA file, user name and password ---
cat >"$DIR/tls.conf" <<CONF
[alerts]
mqtt_host = 127.0.0.1
mqtt_port = $tls_port
mqtt_ca_file = $DIR/ca.crt
mqtt_username = lw
mqtt_password = s3cret"pw
mqtt_topic_prefix = lwtls
CONF
ns "$daemon" -q -r "$cases/leak_zzhc_v5.pcap" --db "$DIR/tls.db" -c "$DIR/tls.conf" >"$DIR/tls.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && alerts_wait_log "$DIR/sub.log" " lwtls/00005e005310/event .*\"kind\":\"imei\"" 5; then
	ok "TLS with user name and password: events arrive"
else
	bad "TLS with user name and password (exit $rc)"
	cat "$DIR/tls.log"
fi
sed -i 's/^mqtt_password = .*/mqtt_password = wrong/' "$DIR/tls.conf"
ns "$daemon" -q -r "$cases/leak_zzhc_v5.pcap" --db "$DIR/tls2.db" -c "$DIR/tls.conf" >"$DIR/tls2.log" 2>&1
grep -q "refused the connection: .*authori[sz]ed" "$DIR/tls2.log" &&
	ok "a wrong password is named: $(grep -o 'refused.*' "$DIR/tls2.log" | head -1)" ||
	{
		bad "a wrong password: no clear line"
		cat "$DIR/tls2.log"
	}
grep -q "events dropped" "$DIR/tls2.log" && ok "the undelivered events are counted" ||
	bad "the undelivered events are not counted"
grep -q "runtime error\|AddressSanitizer" "$DIR"/*.log && {
	bad "sanitizer"
	grep -h "runtime error\|AddressSanitizer" "$DIR"/*.log
}
if [ $fail -ne 0 ]; then
	echo "--- leakwatchd"
	cat "$DIR/lw.log"
fi
exit $fail
