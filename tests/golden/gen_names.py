# SPDX-License-Identifier: MIT
"""Golden cases: Local discovery names (mDNS, LLMNR, NetBIOS name service) and DNS UPDATE.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import gen_captures as g  # noqa: F401

CASES = {
}
