"""What a new user tripped over, one test each (issue: one home for every rule, item 7)."""

import json
import os
import pty
import select
import subprocess
import time

import pytest
from cli_support import CLI, service_args

COMMANDS = ["", "inspect", "normalize", "upload", "list", "rename", "delete", "sign"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("width", [80, 100])
def test_help_rewraps_to_the_terminal(cli, command, width):
    result = cli(*([command] if command else []), "--help", env={"COLUMNS": str(width)})
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    # (The USAGE synopsis is argument-parser's own one-line summary and is left as it makes it.)
    too_long = [line for line in lines if len(line) > width and not line.startswith("USAGE:")]
    assert not too_long, too_long
    # An example continued with "\" is never broken in the middle of its next part.
    for line, following in zip(lines, lines[1:]):
        if line.endswith("\\"):
            assert following.startswith(" " * 8), (line, following)
    # Prose is re-wrapped, not hard-wrapped at another width: a hard-wrapped paragraph shows as a short
    # fragment ("server computes") followed by the rest of the sentence on the next line.
    for line, following in zip(lines, lines[1:]):
        prose = line and following and not line.startswith(" ") and not following.startswith(" ")
        if prose and not line.startswith(("USAGE:", "OVERVIEW:")) and line[-1] not in ".:)":
            assert len(line) > width * 0.6, (line, following)


def test_sign_names_the_api_version_unambiguously(cli):
    help_text = cli("sign", "--help").stdout
    assert "--api-version" in help_text
    assert help_text.count("--version") == 1, help_text  # the tool's own --version only
    missing = cli("sign", "--api-version", "2014-05-15", "--host", "slb.aliyuncs.com")
    assert missing.returncode == 1 and "--action" in missing.stderr, missing


def test_a_negative_timeout_is_a_range_error_in_either_spelling(cli):
    for args in (["--timeout", "-3"], ["--timeout=-3"]):
        result = cli("list", "--region", "cn-hangzhou", *args)
        assert result.returncode == 1, result
        assert "--timeout -3 is out of range" in result.stderr, result


def test_name_of_a_copy_already_present_is_not_ignored_silently(cli, pki, emulator):
    chain = pki.issue_leaf("named.cli.example")
    first = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--name", "first-name", *service_args(emulator))
    assert first.returncode == 0, first
    again = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--name", "second-name", *service_args(emulator))
    assert again.returncode == 0, again
    assert "keeps its name \"first-name\"" in again.stderr and "slbcert rename" in again.stderr, again
    same = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--name", "first-name", *service_args(emulator))
    assert "keeps its name" not in same.stderr, same


def test_no_ensure_does_not_claim_a_count_it_did_not_read(cli, pki, emulator):
    cli("upload", "--cert", pki.issue_leaf("other.cli.example"), "--key", pki.key_pkcs1, *service_args(emulator))
    result = cli("upload", "--cert", pki.issue_leaf("plain.cli.example"), "--key", pki.key_pkcs1, "--no-ensure",
                 *service_args(emulator))
    assert result.returncode == 0, result
    assert "certificate(s) there" not in result.stdout, result


def test_json_failures_print_a_json_error_object(cli, pki, emulator):
    emulator.admin("POST", "faults", [{"action": "DescribeServerCertificates", "fault": "throttle", "times": 5}])
    result = cli("list", "--json", "--max-attempts", "1", *service_args(emulator))
    assert result.returncode == 3, result
    error = json.loads(result.stdout)
    assert error["Code"] == "Throttling.User" and error["Kind"] == "service" and error["RequestId"]
    assert error["Message"] and error["Hint"]
    assert "Throttling.User" in result.stderr  # the line on stderr is still there
    bad = cli("upload", "--cert", pki.fullchain, "--key", pki.other_key, "--json", *service_args(emulator))
    assert bad.returncode == 2, bad
    assert json.loads(bad.stdout)["Code"] == "KEY_MISMATCH"


@pytest.mark.parametrize("placement,suggests_body", [("query", True), ("body", False)])
def test_the_414_hint_fits_the_placement_in_use(cli, emulator, placement, suggests_body):
    emulator.admin("POST", "faults", [{"action": "*", "fault": "html-414", "times": 1}])
    result = cli("list", "--placement", placement, "--max-attempts", "1", *service_args(emulator))
    assert result.returncode == 3, result
    assert ("--placement query" in result.stderr) == suggests_body, result


def test_retries_are_announced_on_a_terminal(cli, emulator):
    emulator.admin("POST", "faults", [{"action": "DescribeServerCertificates", "fault": "throttle", "times": 1}])
    # stderr is a terminal here; stdout stays a pipe.
    leader, follower = pty.openpty()
    process = subprocess.Popen([str(CLI), "list", *map(str, service_args(emulator))], env=cli.env, stdout=subprocess.PIPE,
                               stderr=follower, cwd=cli.home)
    os.close(follower)
    output, deadline = b"", time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=30)
    os.close(leader)
    text = output.decode()
    assert process.returncode == 0, text
    assert "retrying DescribeServerCertificates in" in text and "after Throttling.User, attempt 2 of 3" in text, text
    # Not on a pipe: a script's stderr stays quiet.
    emulator.admin("POST", "faults", [{"action": "DescribeServerCertificates", "fault": "throttle", "times": 1}])
    quiet = cli("list", *service_args(emulator))
    assert quiet.returncode == 0 and "retrying" not in quiet.stderr, quiet
