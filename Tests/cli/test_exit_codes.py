"""Exit statuses: 2 validation, 3 service, 4 network/TLS, 5 credentials; and what stderr says."""

import datetime
import json
import re

import pytest
from cli_support import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, assert_no_secrets, closed_port, service_args

REQUEST_ID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
NO_ENV_KEYS = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")


def test_service_error_exits_3_with_code_request_id_and_hint(cli, emulator):
    result = cli("rename", "1234567890123456_18c0a1b2c3d_1_2", "new-name", *service_args(emulator))
    assert result.returncode == 3, result
    assert result.stdout == ""
    assert "ServerCertificateId.NotFound" in result.stderr, result
    request_ids = REQUEST_ID.findall(result.stderr)
    assert request_ids, result
    logged = [json.loads(line) for line in (emulator.data_dir / "requests.log").read_text().splitlines()]
    assert request_ids[0] == logged[-1]["request_id"], "not the RequestId the service answered with"
    assert re.search(r"(?m)^hint: \S", result.stderr), f"no hint line:\n{result.stderr}"


def test_service_error_json_mode_still_exits_3(cli, emulator):
    result = cli("delete", "1234567890123456_18c0a1b2c3d_1_2", "--json", *service_args(emulator))
    assert result.returncode == 3, result
    assert "ServerCertificateId.NotFound" in result.stderr


def test_wrong_secret_is_a_service_error_without_the_secret(cli, emulator):
    wrong = "wrong-secret-value-123456"
    result = cli("list", *service_args(emulator), env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": wrong})
    assert result.returncode == 3, result
    assert "SignatureDoesNotMatch" in result.stderr
    assert wrong not in result.output and ACCESS_KEY_SECRET not in result.output


def test_unknown_access_key_is_a_service_error(cli, emulator):
    result = cli("list", *service_args(emulator), env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tUnknownKey99"})
    assert result.returncode == 3, result
    assert "InvalidAccessKeyId.NotFound" in result.stderr
    assert ACCESS_KEY_SECRET not in result.output


def test_closed_port_exits_4(cli, emulator):
    sock = closed_port()
    try:
        port = sock.getsockname()[1]
        result = cli("list", "--endpoint", f"https://127.0.0.1:{port}", "--ca-bundle", emulator.ca_file, "--region", REGION,
                     "--timeout", "5")
    finally:
        sock.close()
    assert result.returncode == 4, result
    assert result.stdout == ""
    assert result.stderr.startswith("slbcert: error:"), result
    assert "hint:" in result.stderr


def test_wrong_ca_exits_4(cli, pki, emulator):
    result = cli("list", "--endpoint", emulator.url, "--ca-bundle", pki.root_pem, "--region", REGION)
    assert result.returncode == 4, result
    assert re.search(r"TLS|SSL|certificate", result.stderr), result
    assert emulator.admin.requests() == {}


def test_wrong_ca_from_environment_exits_4(cli, pki, emulator):
    result = cli("list", "--endpoint", emulator.url, "--region", REGION,
                 env={"ALIBABA_CLOUD_CA_BUNDLE": str(pki.root_pem)})
    assert result.returncode == 4, result


def test_ca_bundle_from_environment_works(cli, emulator):
    result = cli("list", "--endpoint", emulator.url, "--region", REGION,
                 env={"ALIBABA_CLOUD_CA_BUNDLE": str(emulator.ca_file)})
    assert result.returncode == 0, result
    assert "No server certificates" in result.stdout, result
    assert emulator.admin.requests() == {"DescribeServerCertificates": 1}


def test_system_trust_does_not_accept_the_test_ca(cli, emulator):
    result = cli("list", "--endpoint", emulator.url, "--region", REGION)
    assert result.returncode == 4, result


@pytest.mark.parametrize("command", [["list"], ["rename", "1234567890123456_a_1_2", "n"], ["delete", "1234567890123456_a_1_2"],
                                     ["upload", "--cert", "CERT", "--key", "KEY"]])
def test_no_credentials_exits_5(cli, pki, emulator, command):
    command = [str(pki.fullchain) if a == "CERT" else str(pki.key_pkcs1) if a == "KEY" else a for a in command]
    result = cli(*command, *service_args(emulator), unset=NO_ENV_KEYS)
    assert result.returncode == 5, result
    assert result.stdout == ""
    stderr = result.stderr
    # Which sources were tried: the environment and both profile files (in the empty HOME).
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in stderr, stderr
    assert f"{cli.home}/.aliyun/config.json" in stderr, stderr
    assert f"{cli.home}/.alibabacloud/credentials" in stderr, stderr
    assert "hint:" in stderr
    assert emulator.admin.requests() == {}


def test_half_configured_environment_exits_5_without_the_secret(cli, emulator):
    only_secret = cli("list", *service_args(emulator), unset=["ALIBABA_CLOUD_ACCESS_KEY_ID"])
    assert only_secret.returncode == 5, only_secret
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in only_secret.stderr
    assert ACCESS_KEY_SECRET not in only_secret.output
    only_id = cli("list", *service_args(emulator), unset=["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    assert only_id.returncode == 5, only_id
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in only_id.stderr


def test_unknown_profile_exits_5_without_the_secret(cli, home, emulator):
    (home / ".aliyun").mkdir()
    config = home / ".aliyun" / "config.json"
    config.write_text(json.dumps({"current": "emu", "profiles": [
        {"name": "emu", "mode": "AK", "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET,
         "region_id": REGION}]}))
    config.chmod(0o600)
    result = cli("list", "--profile", "absent", *service_args(emulator), unset=NO_ENV_KEYS)
    assert result.returncode == 5, result
    assert "absent" in result.stderr
    assert ACCESS_KEY_SECRET not in result.output


def test_mismatched_pair_exits_2_before_sending(cli, pki, emulator):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.other_key, *service_args(emulator))
    assert result.returncode == 2, result
    assert "KEY_MISMATCH" in result.stderr
    assert emulator.admin.requests() == {}
    assert emulator.admin.certificates() == []
    assert_no_secrets(result.output, pki)


def test_mismatched_pair_exits_2_even_without_credentials(cli, pki, emulator):
    """The pair is checked before anything else: a bad pair is a bad pair, whatever the credentials."""
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.other_key, *service_args(emulator), unset=NO_ENV_KEYS)
    assert result.returncode == 2, result
    assert "KEY_MISMATCH" in result.stderr


def test_region_is_required(cli, emulator):
    result = cli("list", "--endpoint", emulator.url, "--ca-bundle", emulator.ca_file)
    assert result.returncode == 1, result
    assert "region" in result.stderr.lower()


def test_expired_certificate_exits_2_before_sending(cli, pki, emulator):
    expired = pki.issue_leaf("old.cli.example", days=10, not_before=pki.now - datetime.timedelta(days=30))
    result = cli("upload", "--cert", expired, "--key", pki.key_pkcs1, *service_args(emulator))
    assert result.returncode == 2, result
    assert "LEAF_EXPIRED" in result.stderr
    assert emulator.admin.requests() == {}


def test_plain_http_to_a_remote_host_is_refused(cli, pki):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--endpoint", "http://slb.aliyuncs.com",
                 "--region", REGION)
    assert result.returncode == 1, result
    assert "https://" in result.stderr


@pytest.mark.parametrize("args", [["--name", "1-starts-with-a-digit"], ["--name", "x" * 81], ["--tag", "aliyun:k=v"],
                                  ["--tag", "k=http://x"]])
def test_invalid_name_or_tag_is_refused_before_sending(cli, pki, emulator, args):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, *args, *service_args(emulator))
    assert result.returncode == 1, result
    assert emulator.admin.requests() == {}
