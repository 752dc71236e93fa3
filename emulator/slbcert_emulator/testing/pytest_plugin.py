"""pytest fixtures for testing code that talks to SLB: the emulator on a free loopback port.

Registered through the `pytest11` entry point of the slbcert-emulator package, so installing the
package is enough (with plugin autoloading off: `pytest -p slbcert_emulator.testing.pytest_plugin`).

* `slbcert_emulator`: the session's emulator (HTTPS, a test CA), reset before each test: no
  certificates, faults, nonces, clock offset or counts are left from an earlier test. It has `url`,
  `ca_file`, `credentials` (`access_key_id`, `access_key_secret`), `region`, `admin` (an
  AdminClient: certificates(), requests(), set_faults(), bind(), ...), `env` (the variables that
  point slbcert at it), `child_env()` (os.environ plus those, for a subprocess) and
  `setenv(monkeypatch)` (this process, for one test).
* `slbcert_emulator_session`: the same process without the reset (session-scoped).
* `slbcert_emulator_options`: override it (session-scoped) to change how the session's emulator is
  started: keyword arguments of `Emulator` (access_keys, sts_tokens, tls, extra_args, ...).
* `slbcert_emulator_factory`: `start(**options)` starts further, dedicated emulators; all are
  stopped after the test.
* `slbcert_pki`: the test PKI (TestPKI) in a session temporary directory.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List

import pytest

from .launcher import Emulator
from .pki import TestPKI


@pytest.fixture(scope="session")
def slbcert_emulator_options() -> Dict[str, Any]:
    """Keyword arguments for the session's Emulator; override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def slbcert_emulator_session(tmp_path_factory: pytest.TempPathFactory,
                             slbcert_emulator_options: Dict[str, Any]) -> Iterator[Emulator]:
    emulator = Emulator(tmp_path_factory.mktemp("slbcert-emulator"), **slbcert_emulator_options)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def slbcert_emulator(slbcert_emulator_session: Emulator) -> Emulator:
    """The session's emulator, empty: reset before the test."""
    if not slbcert_emulator_session.running:
        pytest.fail("the emulator has exited; its stderr:\n" + slbcert_emulator_session.stderr_text())
    slbcert_emulator_session.reset()
    return slbcert_emulator_session


@pytest.fixture
def slbcert_emulator_factory(tmp_path: Any) -> Iterator[Callable[..., Emulator]]:
    """start(**options) -> a dedicated, started Emulator (data in the test's tmp_path)."""
    started: List[Emulator] = []

    def start(**options: Any) -> Emulator:
        options.setdefault("data_dir", tmp_path / f"emulator{len(started)}")
        emulator = Emulator(**options)
        started.append(emulator)
        return emulator.start()

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="session")
def slbcert_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI(tmp_path_factory.mktemp("slbcert-pki"))
