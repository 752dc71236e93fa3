"""Fixtures: the test PKI and the SLB emulator (HTTPS on loopback), both from the emulator package's
pytest plugin (slbcert_emulator.testing: the `slbcert_pki` and `slbcert_emulator` fixtures).

The library is found the way the package finds it (set SLBCERT_LIBRARY to use a build tree's).
When the emulator package is not installed, the repository's emulator/ directory is used.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import slbcert

REPO = Path(__file__).resolve().parents[3]
try:
    import slbcert_emulator.testing  # noqa: F401
except ImportError:
    sys.path.insert(0, str(REPO / "emulator"))

from slbcert_emulator.testing import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, Emulator, TestPKI, key_type,  # noqa: E402
                                      not_after, not_before, pem, private_key_pem)

PKI = TestPKI
__all__ = ["ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "Emulator", "PKI", "not_after", "not_before", "pem"]


def pytest_configure(config: pytest.Config) -> None:
    # The package's pytest11 entry point registers the plugin when it is installed; else load it here.
    if not config.pluginmanager.has_plugin("slbcert_emulator"):
        config.pluginmanager.import_plugin("slbcert_emulator.testing.pytest_plugin")


# ------------------------------------------------------------------------------------------------
# The test PKI

def key_pem(key: Any, password: bytes | None = None, pkcs8: bool = False) -> bytes:
    """PEM of a key: encrypted PKCS#8 with a password, else PKCS#1 for RSA (unless pkcs8), else PKCS#8."""
    if password:
        return private_key_pem(key, "pkcs8-enc", password)
    return private_key_pem(key, "pkcs1" if key_type(key)[0] == "RSA" and not pkcs8 else "pkcs8")


@pytest.fixture(scope="session")
def pki(slbcert_pki: TestPKI) -> TestPKI:
    return slbcert_pki


@pytest.fixture(scope="session")
def other_key(slbcert_pki: TestPKI) -> Any:
    """An RSA key that belongs to no certificate."""
    return slbcert_pki.stray.key


@pytest.fixture(scope="session")
def ec_key(slbcert_pki: TestPKI) -> Any:
    """A P-256 key."""
    return slbcert_pki["leaf-p256"].key


_counter = iter(range(1, 1_000_000))
_counter_lock = threading.Lock()


def unique_cn(prefix: str = "host") -> str:
    with _counter_lock:
        n = next(_counter)
    return f"{prefix}-{n}-{os.getpid()}.example.test"


# ------------------------------------------------------------------------------------------------
# The emulator

@pytest.fixture(scope="session")
def emulator(slbcert_emulator_session: Emulator) -> Emulator:
    return slbcert_emulator_session


@pytest.fixture
def fresh(slbcert_emulator: Emulator) -> Emulator:
    """The emulator with an empty store and no pending fault."""
    return slbcert_emulator


def client_for(emulator: Emulator, **options: Any) -> slbcert.Client:
    """A client for the emulator with the test credentials (options override)."""
    settings: Dict[str, Any] = dict(region="cn-hangzhou", endpoint=emulator.url, ca_bundle=str(emulator.ca_file),
                                    access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET)
    settings.update(options)
    return slbcert.Client(**settings)


@pytest.fixture
def client(fresh: Emulator) -> Iterator[slbcert.Client]:
    with client_for(fresh) as made:
        yield made


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """HOME at an empty directory and no Alibaba Cloud variables: only what a test sets is seen."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "ALIYUN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    return home


def free_closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
