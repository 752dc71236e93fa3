"""--help names the command the way it was started."""

import os
import subprocess
import sys
from pathlib import Path


def test_module_form_names_the_module():
    out = subprocess.run([sys.executable, "-m", "slbcert_emulator", "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("usage: python3 -m slbcert_emulator"), out


def test_installed_command_names_itself():
    command = Path(sys.executable).parent / "slbcert-emulator"
    assert command.exists(), f"the console script is installed next to {sys.executable}"
    out = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "COLUMNS": "100"})
    assert out.returncode == 0 and out.stdout.startswith("usage: slbcert-emulator"), out
