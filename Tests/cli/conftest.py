"""pytest wiring for the CLI tests: the fixtures and hooks live in cli_support.py."""

from cli_support import cli, emulator, home, pki, pytest_configure  # noqa: F401
