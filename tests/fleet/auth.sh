#!/usr/bin/env bash
# The fleet's credentials and TLS against real nats-server processes (README "Many APs"), one
# single JetStream server of this test's per way of proving who we are, each with a stream of
# 1 replica, and one PostgreSQL:
#  - nkeys: a user nkey pair made here (tests/fleet/nkeys.py); the server knows only its public
#    key. leakwatch-collect --init and leakwatch-push with --nkey and --nkey-seed work, and the
#    rows reach PostgreSQL (tests/fleet/compare.py); the right public key with another key's
#    seed, or no credentials, are refused: one line, exit 69, no row marked sent;
#  - TLS: a CA and a certificate for 127.0.0.1 (IP SAN) made with openssl; with --ca it works;
#    without --ca, with another CA's file, by a name the certificate does not hold: exit 69,
#    one line; --ca against a server without TLS is refused too, never sent in clear;
#  - .creds: operator mode (an operator, a system account, an account with JetStream, a user:
#    JWTs signed here, the accounts preloaded in a MEMORY resolver); with --creds it works; a
#    .creds with the right JWT and another user's seed, or a user of an account the server
#    does not know: refused, exit 69;
#  - the daemon's [fleet] keys: a replay with [fleet] enabled and nkey / nkey_seed_file sends
#    its rows itself (leakwatchd runs leakwatch-push --config), and leakwatch-push --config
#    takes ca_file and creds_file from the file; a wrong key in the file is refused the same.
#   auth.sh LEAKWATCHD LEAKWATCH-PUSH LEAKWATCH-COLLECT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh" # $daemon, $push, $collect (from $1..$3), $cases
fleet_need nats-server psql python3 sqlite3 runuser openssl
python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null || {
	echo "needs python3-cryptography (Ed25519 for the nkeys)"
	exit 77
}

NKEY=nats://127.0.0.1:$((BASE + 4))
TLS=nats://127.0.0.1:$((BASE + 5))
OPER=nats://127.0.0.1:$((BASE + 6))
APS=() # AP=DB of every access point whose rows reached PostgreSQL

nk() { python3 "$here/nkeys.py" "$@"; }

# the rows marked sent in an access point's database (leakwatch-push's fleet_sent_<table>)
marked() { # DB
	sqlite3 "$1" "SELECT count(*) FROM meta WHERE key LIKE 'fleet_sent_%'"
}

# CMD... must fail: exit 69 with one line that says PATTERN (printed)
refused() { # WHAT PATTERN CMD...
	local what=$1 pattern=$2 rc
	shift 2
	"$@" >"$DIR/out" 2>"$DIR/err"
	rc=$?
	if [ "$rc" = 69 ] && [ "$(wc -l <"$DIR/err")" = 1 ] && grep -q -- "$pattern" "$DIR/err"; then
		ok "$what: $(cat "$DIR/err")"
	else
		bad "$what: exit $rc (69 and one line with '$pattern' expected): $(cat "$DIR/err")"
	fi
}

# a push refused: also no row marked sent, none central
push_refused() { # WHAT PATTERN AP ARGS...
	local what=$1 pattern=$2 ap=$3
	shift 3
	refused "$what" "$pattern" "$push" --db "$DIR/$ap.db" --ap "$ap" "$@"
	[ "$(marked "$DIR/$ap.db")" = 0 ] || bad "$what: rows marked sent in $ap.db"
}

push_ok() { # AP ARGS...
	local ap=$1
	shift
	if "$push" --db "$DIR/$ap.db" --ap "$ap" "$@" 2>"$DIR/push-$ap.log" &&
		grep -q " 0 rows left" "$DIR/push-$ap.log"; then
		ok "push $ap: $(tail -1 "$DIR/push-$ap.log")"
	else
		bad "push $ap: $(cat "$DIR/push-$ap.log")"
	fi
	APS+=("$ap=$DIR/$ap.db")
}

# init: the stream (1 replica) and the buckets on that server
collect_init() { # WHAT ARGS...
	local what=$1
	shift
	if "$collect" --pg "$PG" --replicas 1 --init "$@" 2>"$DIR/init.log"; then
		ok "$what: collect --init"
	else
		bad "$what: collect --init failed: $(cat "$DIR/init.log")"
		exit 1
	fi
}

collect_drain() { # WHAT ARGS...
	local what=$1
	shift
	"$collect" --pg "$PG" --idle-exit 2 "$@" 2>"$DIR/collect.log" ||
		bad "$what: collect: exit $?: $(cat "$DIR/collect.log")"
	if python3 "$here/compare.py" "$PG" "${APS[@]}" >"$DIR/cmp"; then
		ok "$what: the central tables hold every access point's rows so far (${#APS[@]})"
	else
		cat "$DIR/cmp"
		bad "$what: the central tables differ from the databases"
	fi
}

fleet_pg_up

# ---- nkeys -------------------------------------------------------------------------------
user=$(nk pair user "$DIR/user") || exit 1
nk pair user "$DIR/other" >/dev/null || exit 1
fleet_nats_single nkey $((BASE + 4)) <<CONF
authorization { users = [ { nkey: $user } ] }
CONF
auth=(--servers "$NKEY" --nkey "$user" --nkey-seed "$DIR/user.seed")
collect_init nkey "${auth[@]}"
fleet_make_db nk dns_http 200
push_refused "nkey user with another key's seed" "Authorization Violation" nk \
	--servers "$NKEY" --nkey "$user" --nkey-seed "$DIR/other.seed"
push_refused "no credentials to an nkey server" "Authorization Violation" nk --servers "$NKEY"
push_refused "another nkey user" "Authorization Violation" nk \
	--servers "$NKEY" --nkey "$(cat "$DIR/other.pub")" --nkey-seed "$DIR/other.seed"
refused "collect with another key's seed" "Authorization Violation" \
	"$collect" --pg "$PG" --idle-exit 2 --servers "$NKEY" --nkey "$user" \
	--nkey-seed "$DIR/other.seed"
push_ok nk "${auth[@]}"
collect_drain nkey "${auth[@]}"

# ---- TLS ---------------------------------------------------------------------------------
for ca in ca other-ca; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/$ca.key" -out "$DIR/$ca.pem" \
		-days 2 -subj "/CN=leakwatch test $ca" 2>>"$DIR/openssl.log" || exit 1
done
# the server's certificate, for its address (IP SAN), signed by ca
printf 'subjectAltName = IP:127.0.0.1\n' >"$DIR/san.ext"
if ! openssl req -newkey rsa:2048 -nodes -keyout "$DIR/server.key" -out "$DIR/server.csr" \
	-subj "/CN=leakwatch test server" 2>>"$DIR/openssl.log" ||
	! openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
		-CAcreateserial -days 2 -extfile "$DIR/san.ext" -out "$DIR/server.pem" \
		2>>"$DIR/openssl.log"; then
	cat "$DIR/openssl.log"
	exit 1
fi
fleet_nats_single tls $((BASE + 5)) <<CONF
tls {
	cert_file: "$DIR/server.pem"
	key_file: "$DIR/server.key"
}
CONF
collect_init tls --servers "$TLS" --ca "$DIR/ca.pem"
fleet_make_db tls two_clients 200
push_refused "TLS without --ca" "unable to get local issuer certificate" tls --servers "$TLS"
push_refused "TLS with another CA" "unable to get local issuer certificate" tls \
	--servers "$TLS" --ca "$DIR/other-ca.pem"
push_refused "TLS by a name the certificate does not hold" "hostname mismatch" tls \
	--servers "nats://localhost:$((BASE + 5))" --ca "$DIR/ca.pem"
push_refused "--ca to a server without TLS" "Secure Connection not available" tls \
	--servers "$NKEY" --ca "$DIR/ca.pem" --nkey "$user" --nkey-seed "$DIR/user.seed"
refused "collect with another CA" "unable to get local issuer certificate" \
	"$collect" --pg "$PG" --idle-exit 2 --servers "$TLS" --ca "$DIR/other-ca.pem"
push_ok tls --servers "$TLS" --ca "$DIR/ca.pem"
collect_drain tls --servers "$TLS" --ca "$DIR/ca.pem"

# ---- .creds (operator mode) --------------------------------------------------------------
operator=$(nk pair operator "$DIR/operator") &&
	system=$(nk pair account "$DIR/system") &&
	account=$(nk pair account "$DIR/account") &&
	nk pair account "$DIR/stranger" >/dev/null &&
	cuser=$(nk pair user "$DIR/cuser") &&
	nk pair user "$DIR/cother" >/dev/null &&
	nk jwt operator "$DIR/operator.seed" "$operator" leakwatch-test >"$DIR/operator.jwt" &&
	nk jwt system "$DIR/operator.seed" "$system" SYS >"$DIR/system.jwt" &&
	nk jwt account "$DIR/operator.seed" "$account" fleet >"$DIR/account.jwt" &&
	nk jwt user "$DIR/account.seed" "$cuser" ap >"$DIR/cuser.jwt" &&
	nk creds "$DIR/cuser.jwt" "$DIR/cuser.seed" >"$DIR/good.creds" &&
	nk creds "$DIR/cuser.jwt" "$DIR/cother.seed" >"$DIR/wrong-seed.creds" &&
	nk jwt user "$DIR/stranger.seed" "$cuser" ap >"$DIR/stranger.jwt" &&
	nk creds "$DIR/stranger.jwt" "$DIR/cuser.seed" >"$DIR/stranger.creds" || exit 1
fleet_nats_single oper $((BASE + 6)) <<CONF
operator: "$DIR/operator.jwt"
system_account: $system
resolver: MEMORY
resolver_preload: {
	$system: "$(cat "$DIR/system.jwt")"
	$account: "$(cat "$DIR/account.jwt")"
}
CONF
collect_init creds --servers "$OPER" --creds "$DIR/good.creds"
fleet_make_db creds leak_zzhc_repeat 200
push_refused ".creds with another user's seed" "Authorization Violation" creds \
	--servers "$OPER" --creds "$DIR/wrong-seed.creds"
push_refused ".creds of an account the server does not know" "Authorization Violation" creds \
	--servers "$OPER" --creds "$DIR/stranger.creds"
push_refused "no .creds to an operator-mode server" "Authorization Violation" creds \
	--servers "$OPER"
push_ok creds --servers "$OPER" --creds "$DIR/good.creds"
collect_drain creds --servers "$OPER" --creds "$DIR/good.creds"

# ---- the daemon's [fleet] keys -----------------------------------------------------------
conf() { # AP SERVERS KEY=VALUE...: $DIR/AP.conf
	local ap=$1 servers=$2
	shift 2
	{
		printf '[database]\npath = %s\n' "$DIR/$ap.db"
		printf '[fleet]\nenabled = yes\nap_id = %s\nservers = %s\n' "$ap" "$servers"
		printf '%s\n' "${@/=/ = }"
	} >"$DIR/$ap.conf"
}
# leakwatchd with [fleet] enabled ends its replay with leakwatch-push --config
conf nkconf "$NKEY" nkey="$user" nkey_seed_file="$DIR/user.seed"
if LEAKWATCH_PUSH=$push "$daemon" -q -c "$DIR/nkconf.conf" -r "$cases/dns_only_name.pcap" \
	--db "$DIR/nkconf.db" \
	>"$DIR/nkconf.log" 2>&1 && grep -q "ap nkconf: .* 0 rows left" "$DIR/nkconf.log"; then
	ok "replay with [fleet] nkey, nkey_seed_file: $(grep "ap nkconf" "$DIR/nkconf.log")"
else
	bad "replay with [fleet] nkey, nkey_seed_file: $(cat "$DIR/nkconf.log")"
fi
APS+=("nkconf=$DIR/nkconf.db")
collect_drain "[fleet] nkey" "${auth[@]}"

fleet_make_db tlsconf dns_http 50
conf tlsconf "$TLS" ca_file="$DIR/other-ca.pem"
push_refused "[fleet] ca_file of another CA" "unable to get local issuer certificate" tlsconf \
	--config "$DIR/tlsconf.conf"
conf tlsconf "$TLS" ca_file="$DIR/ca.pem"
push_ok tlsconf --config "$DIR/tlsconf.conf"
collect_drain "[fleet] ca_file" --servers "$TLS" --ca "$DIR/ca.pem"

fleet_make_db credsconf two_clients 50
conf credsconf "$OPER" creds_file="$DIR/wrong-seed.creds"
push_refused "[fleet] creds_file with another user's seed" "Authorization Violation" credsconf \
	--config "$DIR/credsconf.conf"
conf credsconf "$OPER" creds_file="$DIR/good.creds"
push_ok credsconf --config "$DIR/credsconf.conf"
collect_drain "[fleet] creds_file" --servers "$OPER" --creds "$DIR/good.creds"
exit "$fail"
