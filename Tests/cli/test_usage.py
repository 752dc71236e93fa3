"""Version, help, usage errors, and that no option takes a secret."""

import re

import pytest

SUBCOMMANDS = ["inspect", "normalize", "upload", "deploy", "rollback", "list", "rename", "delete", "sign"]
SERVICE_COMMANDS = ["upload", "deploy", "rollback", "list", "rename", "delete"]


def test_version(cli):
    result = cli("--version")
    assert result.returncode == 0, result
    assert result.stdout.strip() == "1.1.0", result


def test_root_help_lists_every_subcommand(cli):
    result = cli("--help")
    assert result.returncode == 0, result
    listed = re.findall(r"^  ([a-z]+)\s", result.stdout.split("SUBCOMMANDS:")[1], re.M)
    assert listed == SUBCOMMANDS, result


def test_root_help_has_an_example(cli):
    result = cli("--help")
    assert result.returncode == 0, result
    assert "Example" in result.stdout, result


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help_has_an_example(cli, command):
    result = cli(command, "--help")
    assert result.returncode == 0, result
    assert "Example" in result.stdout, result
    assert f"slbcert {command}" in result.stdout, result


@pytest.mark.parametrize("args", [["--bogus"], ["inspect", "--cert", "x.pem", "--bogus"], ["list", "--bogus"],
                                  ["frobnicate"]])
def test_unknown_option_is_a_usage_error(cli, args):
    result = cli(*args)
    assert result.returncode == 1, result
    assert result.stdout == "", result
    assert "Usage:" in result.stderr or "USAGE:" in result.stderr, result
    assert "--help" in result.stderr or "help" in result.stderr.lower(), result


def test_missing_required_option_is_a_usage_error(cli):
    result = cli("upload", "--key", "k.pem")
    assert result.returncode == 1, result
    assert "--cert" in result.stderr, result


@pytest.mark.parametrize("command", SERVICE_COMMANDS + ["sign"])
@pytest.mark.parametrize("option", ["--access-key-secret", "--access-key-id", "--secret", "--security-token",
                                    "--passphrase", "--password"])
def test_no_option_takes_a_secret(cli, command, option):
    result = cli(command, option, "s3cr3t-from-argv")
    assert result.returncode == 1, result
    assert "s3cr3t-from-argv" not in result.stdout


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_offers_no_secret_option(cli, command):
    help_text = cli(command, "--help").stdout
    options = set(re.findall(r"--[a-z][a-z0-9-]*", help_text))
    assert "--help" in options and len(options) > 2, help_text
    suspicious = {o for o in options if re.search(r"secret|token|password|access-key", o)}
    suspicious |= {o for o in options if "passphrase" in o and not o.endswith("-file")}
    assert not suspicious, f"options that would take a secret from argv: {suspicious}"


def test_the_core_names_no_flag_of_the_cli(cli):
    """The core's words are neutral: a flag is named only by the CLI's own wording layer."""
    from pathlib import Path
    flags = set()
    for command in SUBCOMMANDS + ["check-expiry"]:
        result = cli(command, "--help")
        assert result.returncode == 0, result
        flags.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", result.stdout))
    flags -= {"--help", "--version"}
    assert "--passphrase-file" in flags and "--region" in flags, sorted(flags)
    core = Path(__file__).resolve().parents[2] / "Sources" / "SLBCert"
    named = []
    for source in sorted(core.rglob("*.swift")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', line):
                for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", literal.replace("aliyun configure --profile", "")):
                    if flag in flags:
                        named.append(f"{source.relative_to(core)}:{number}: {flag}")
    assert named == [], named
