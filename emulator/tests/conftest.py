"""Fixtures: the emulator (harness.Emulator on the shared launcher); the test PKI is the shared
`slbcert_pki` of the slbcert_emulator.testing pytest plugin."""

import signal

import pytest

from harness import Emulator


def pytest_configure(config):
    # The package's pytest11 entry point registers the plugin when it is installed; else load it here.
    if not config.pluginmanager.has_plugin("slbcert_emulator"):
        config.pluginmanager.import_plugin("slbcert_emulator.testing.pytest_plugin")


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("emulator")).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(shared_emulator):
    """The module's emulator, reset to an empty state."""
    assert shared_emulator.admin.send("POST", "reset")[0] == 200
    return shared_emulator


@pytest.fixture
def slbcert_emulator_factory(tmp_path):
    """start(*extra_args, data_dir=None) starts a dedicated emulator with the tests' credentials;
    all are killed (SIGKILL: nothing is saved on the way out) after the test."""
    started = []

    def start(*extra_args, data_dir=None, **options):
        emulator = Emulator(data_dir or tmp_path / f"emulator{len(started)}", *extra_args, **options)
        started.append(emulator)
        return emulator.start()

    yield start
    for emulator in started:
        emulator.stop(signal.SIGKILL)
