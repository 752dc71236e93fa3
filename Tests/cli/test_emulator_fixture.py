"""The emulator README's pytest example, run as a user runs it: its own pytest, the plugin found through
the package's entry point, a deploy hook of the user's that calls the slbcert CLI."""

import re
import subprocess
import sys

from cli_support import CLI, REPO

README = REPO / "emulator" / "README.md"
TOP_README = REPO / "README.md"


def example(readme):
    """The first ```python block after the heading that introduces the pytest plugin."""
    text = readme.read_text(encoding="utf-8")
    match = re.search(r"(?:### The pytest plugin|\*\*In your own tests\.\*\*).*?```python\n(.*?)```", text, re.S)
    assert match, f"no pytest example in {readme}"
    return match.group(1)


def run_example(tmp_path, hook_options):
    (tmp_path / "test_example.py").write_text(example(README))
    hook = tmp_path / "deploy-hook.sh"
    hook.write_text(f'#!/bin/sh\nexec "{CLI}" upload --cert "$1" --key "$2" {hook_options}\n')
    hook.chmod(0o755)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_readme_example_passes_for_a_duplicate_safe_hook(tmp_path):
    result = run_example(tmp_path, "")
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr


def test_readme_example_catches_a_hook_that_uploads_twice(tmp_path):
    result = run_example(tmp_path, "--no-ensure")
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout + result.stderr
    assert "assert [" in result.stdout, result.stdout


def test_top_level_readme_shows_the_same_example():
    assert example(TOP_README) == example(README)
