# SPDX-License-Identifier: MIT
"""Golden cases: HTTP bodies as devices send them: whatever the declared type, compressed without a header, requests cut off, SDK keys, phone numbers by number plan.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import gen_captures as g  # noqa: F401

CASES = {
}
