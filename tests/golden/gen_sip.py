# SPDX-License-Identifier: MIT
"""Golden cases: VoLTE/IMS signalling: SIP over UDP and TCP and inside GTP-U, with IMEI, IMSI and tel identities.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import gen_captures as g  # noqa: F401

CASES = {
}
