#!/usr/bin/env python3
"""NATS nkeys and JWTs for the fleet's credential tests (Ed25519 from python3-cryptography).

nkeys.py pair KIND DIR/NAME   a new key pair of KIND (user, account, operator): its public key
                              (U..., A..., O...) in DIR/NAME.pub, its seed (S...) in
                              DIR/NAME.seed (0600); prints the public key
nkeys.py jwt KIND SIGNER_SEED SUBJECT_PUB NAME [ISSUER_ACCOUNT]
                              a JWT (v2 claims) of KIND (operator, account, user) about
                              SUBJECT_PUB, signed by the seed in the file SIGNER_SEED; an
                              account may use JetStream without limits, a system account
                              (the server's own, KIND system) not; printed
nkeys.py creds JWT_FILE SEED_FILE   a user's .creds file (JWT and seed), printed

The formats (github.com/nats-io/nkeys, github.com/nats-io/jwt v2): a public key is base32
(no padding) of its kind's prefix byte, the 32-byte Ed25519 public key and the CRC16-XMODEM
(little-endian) of those; a seed is base32 of the two bytes of 'S' (18 << 3) and the kind's
prefix, the 32-byte private key and the CRC16.  A JWT is base64url (no padding) of the header
{"typ":"JWT","alg":"ed25519-nkey"}, the claims, and the issuer's Ed25519 signature of both.
"""
import base64
import hashlib
import json
import os
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PREFIX = {'seed': 18 << 3, 'operator': 14 << 3, 'account': 0, 'user': 20 << 3}
RAW = serialization.Encoding.Raw


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def b32(raw):
    return base64.b32encode(raw + crc16(raw).to_bytes(2, 'little')).decode().rstrip('=')


def unb32(text):
    raw = base64.b32decode(text + '=' * (-len(text) % 8))
    if crc16(raw[:-2]) != int.from_bytes(raw[-2:], 'little'):
        raise ValueError('bad nkey checksum')
    return raw[:-2]


def public(kind, key):
    pub = key.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    return b32(bytes([PREFIX[kind]]) + pub)


def seed(kind, key):
    priv = key.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    p = PREFIX[kind]
    return b32(bytes([PREFIX['seed'] | p >> 5, (p & 31) << 3]) + priv)


def from_seed(text):
    raw = unb32(text)
    prefix = (raw[0] & 7) << 5 | raw[1] >> 3
    kind = next(k for k, p in PREFIX.items() if k != 'seed' and p == prefix)
    return kind, Ed25519PrivateKey.from_private_bytes(raw[2:])


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip('=')


def jwt(kind, signer_seed, subject, name, issuer_account=None):
    _, key = from_seed(signer_seed)
    if kind in ('operator', 'system'):
        # the system account (the server's own traffic) may not have JetStream
        nats = {}
    elif kind == 'account':
        # JetStream in operator mode: an account has it when its limits say so (-1: no limit)
        nats = {'limits': {'subs': -1, 'data': -1, 'payload': -1, 'imports': -1,
                           'exports': -1, 'wildcards': True, 'conn': -1, 'leaf': -1,
                           'mem_storage': -1, 'disk_storage': -1, 'streams': -1,
                           'consumer': -1},
                'default_permissions': {'pub': {}, 'sub': {}}}
    else:
        nats = {'pub': {}, 'sub': {}, 'subs': -1, 'data': -1, 'payload': -1}
        if issuer_account:
            nats['issuer_account'] = issuer_account
    nats.update({'type': 'account' if kind == 'system' else kind, 'version': 2})
    claims = {'jti': '', 'iat': int(time.time()), 'iss': public(from_seed(signer_seed)[0], key),
              'name': name, 'sub': subject, 'nats': nats}
    # the id: base32 of the SHA-256 of the claims without it (nats-server 2.9 takes these)
    claims['jti'] = base64.b32encode(hashlib.sha256(
        json.dumps(claims, separators=(',', ':')).encode()).digest()).decode().rstrip('=')
    head = b64(json.dumps({'typ': 'JWT', 'alg': 'ed25519-nkey'}, separators=(',', ':')).encode())
    body = b64(json.dumps(claims, separators=(',', ':')).encode())
    return f'{head}.{body}.{b64(key.sign(f"{head}.{body}".encode()))}'


def read(path):
    with open(path, encoding='ascii') as f:
        return f.read().strip()


def main(argv):
    if len(argv) == 3 and argv[0] == 'pair' and argv[1] in PREFIX and argv[1] != 'seed':
        key = Ed25519PrivateKey.generate()
        with open(argv[2] + '.pub', 'w', encoding='ascii') as f:
            f.write(public(argv[1], key) + '\n')
        fd = os.open(argv[2] + '.seed', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='ascii') as f:
            f.write(seed(argv[1], key) + '\n')
        print(public(argv[1], key))
    elif len(argv) in (5, 6) and argv[0] == 'jwt' and argv[1] in ('operator', 'account',
                                                                   'system', 'user'):
        print(jwt(argv[1], read(argv[2]), argv[3], argv[4], argv[5] if len(argv) == 6 else None))
    elif len(argv) == 3 and argv[0] == 'creds':
        print(f'-----BEGIN NATS USER JWT-----\n{read(argv[1])}\n------END NATS USER JWT------\n\n'
              f'-----BEGIN USER NKEY SEED-----\n{read(argv[2])}\n------END USER NKEY SEED------')
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
