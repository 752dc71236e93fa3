"""Test tooling every suite shares: the emulator as a child process, its admin API, and a test PKI.

Python: `Emulator` (launcher.py), `AdminClient`, `TestPKI` (pki.py), and the pytest plugin
(pytest_plugin.py, registered as `slbcert_emulator`: the fixtures `slbcert_emulator`, `slbcert_pki`,
...). Other languages and shell scripts: `python3 -m slbcert_emulator.testing --help` (pki, serve,
run). README.md, "Testing your own automation", describes both.
"""

from .launcher import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, AdminClient, AdminError, Emulator,
                       EmulatorError, without_proxies)
from .pki import (KEY_FORMS, KEY_SPECS, LEAF_COMMON_NAME, LEAF_DNS_NAMES, LEAF_IP_ADDRESSES, PASSPHRASE,
                  STANDARD, Issued, TestPKI, fingerprint, key_type, new_key, not_after, not_before, pem,
                  private_key_pem)

__all__ = ["ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "REGION", "AdminClient", "AdminError", "Emulator",
           "EmulatorError", "without_proxies", "KEY_FORMS", "KEY_SPECS", "LEAF_COMMON_NAME", "LEAF_DNS_NAMES",
           "LEAF_IP_ADDRESSES", "PASSPHRASE", "STANDARD", "Issued", "TestPKI", "fingerprint", "key_type",
           "new_key", "not_after", "not_before", "pem", "private_key_pem"]
