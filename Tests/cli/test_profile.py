"""Credentials from the aliyun CLI profile file (~/.aliyun/config.json) in the test's HOME."""

import json

import pytest
from cli_support import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION

NO_ENV_KEYS = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")


def write_config(home, mode, current="default"):
    directory = home / ".aliyun"
    directory.mkdir(exist_ok=True)
    config = directory / "config.json"
    config.write_text(json.dumps({"current": current, "profiles": [
        {"name": "default", "mode": "AK", "access_key_id": "LTAI5tNotTheEmulator", "access_key_secret": "not-it",
         "region_id": "cn-beijing"},
        {"name": "emu", "mode": "AK", "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET,
         "region_id": REGION},
    ], "meta_path": ""}, indent=2))
    config.chmod(mode)
    return config


def test_profile_0600(cli, home, pki, emulator):
    write_config(home, 0o600)
    # No --region: the profile's region_id is used.
    result = cli("list", "--profile", "emu", "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file, "--json",
                 unset=NO_ENV_KEYS)
    assert result.returncode == 0, result
    assert result.json()["ServerCertificates"] == []
    assert "warning" not in result.stderr, result
    assert ACCESS_KEY_SECRET not in result.output

    upload = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--profile", "emu",
                 "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file, "--json", unset=NO_ENV_KEYS)
    assert upload.returncode == 0, upload
    assert upload.json()["RegionId"] == REGION
    [stored] = emulator.admin.certificates()
    assert stored["RegionId"] == REGION


def test_profile_0644_warns(cli, home, emulator):
    config = write_config(home, 0o644)
    result = cli("list", "--profile", "emu", "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file,
                 unset=NO_ENV_KEYS)
    assert result.returncode == 0, result
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings, result
    assert str(config) in warnings[0] and "chmod 600" in warnings[0], warnings
    assert ACCESS_KEY_SECRET not in result.output


def test_current_profile_used_without_profile_option(cli, home, emulator):
    write_config(home, 0o600, current="emu")
    result = cli("list", "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file, unset=NO_ENV_KEYS)
    assert result.returncode == 0, result
    assert "No server certificates in cn-hangzhou" in result.stdout, result


def test_profile_from_environment_variable(cli, home, emulator):
    write_config(home, 0o600)
    result = cli("list", "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file, unset=NO_ENV_KEYS,
                 env={"ALIBABA_CLOUD_PROFILE": "emu"})
    assert result.returncode == 0, result
    assert "No server certificates in cn-hangzhou" in result.stdout, result


def test_named_profile_wins_over_environment_keys(cli, home, emulator):
    """--profile names what to use: the environment's keys (here wrong ones) are not consulted."""
    write_config(home, 0o600)
    result = cli("list", "--profile", "emu", "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file,
                 env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tWrong", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong"})
    assert result.returncode == 0, result
    assert "No server certificates in cn-hangzhou" in result.stdout, result


@pytest.mark.parametrize("region_option", [[], ["--region", "cn-shanghai"]])
def test_region_option_wins_over_profile(cli, home, pki, emulator, region_option):
    write_config(home, 0o600)
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--profile", "emu", *region_option,
                 "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file, "--json", unset=NO_ENV_KEYS)
    assert result.returncode == 0, result
    assert result.json()["RegionId"] == (region_option[1] if region_option else REGION)
