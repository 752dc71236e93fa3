"""Fixtures: the emulator (see harness.py) and a test PKI."""

import signal

import pytest

from harness import Emulator
from pki import Pki


@pytest.fixture(scope="session")
def pki():
    return Pki()


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("emulator")).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(shared_emulator):
    """The module's emulator, reset to an empty state."""
    status, _ = shared_emulator.admin("POST", "reset")
    assert status == 200
    return shared_emulator


@pytest.fixture
def start_emulator(tmp_path):
    """Start dedicated emulators (extra command-line options); all are stopped afterwards."""
    started = []

    def start(*extra_args, data_dir=None):
        emulator = Emulator(data_dir or tmp_path / f"emulator{len(started)}", *extra_args).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop(signal.SIGKILL)
