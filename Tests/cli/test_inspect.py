"""slbcert inspect: the facts openssl reports, findings, exit codes, and no key material in the output."""

import datetime
import re

import pytest
from cli_support import PASSPHRASE, assert_no_secrets, openssl_facts


def test_json_matches_openssl(cli, pki):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--json")
    assert result.returncode == 0, result
    report = result.json()
    expected = openssl_facts(pki.leaf_pem)
    assert expected["SubjectAlternativeNames"] == pki.sans  # the openssl parsing itself
    for name, value in expected.items():
        assert report[name] == value, f"{name}: {report[name]!r} != openssl's {value!r}"
    assert isinstance(report["SubjectAlternativeNames"], list)
    assert all(isinstance(name, str) for name in report["SubjectAlternativeNames"])
    assert report["Findings"] == []
    assert report["ChainLength"] == 2
    assert report["Chain"][1]["Fingerprint"] == openssl_facts(pki.int_pem)["Fingerprint"]


def test_text_matches_openssl(cli, pki):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.key_pkcs8)
    assert result.returncode == 0, result
    expected = openssl_facts(pki.leaf_pem)
    leaf_block = result.stdout.split("[1]")[0]
    assert re.search(rf"Fingerprint:\s+{re.escape(expected['Fingerprint'])}\n", leaf_block), result
    assert re.search(rf"Common name:\s+{re.escape(expected['CommonName'])}\n", leaf_block), result
    assert re.search(r"DNS names:\s+" + re.escape(", ".join(expected["SubjectAlternativeNames"])) + r"\n", leaf_block)
    assert re.search(rf"Valid:\s+\S+ to {re.escape(expected['ExpireTime'])}\n", leaf_block), result
    assert "No findings." in result.stdout
    assert_no_secrets(result.output, pki)


def test_findings_have_severity_code_message(cli, pki):
    result = cli("inspect", "--cert", pki.reversed_chain, "--json")
    assert result.returncode == 0, result
    findings = result.json()["Findings"]
    assert findings, result
    for finding in findings:
        assert set(finding) == {"Severity", "Code", "Message"}, finding
        assert finding["Severity"] in ("warning", "error")
        assert finding["Message"]


@pytest.mark.parametrize("json_output", [False, True])
def test_wrong_order_is_reordered_not_refused(cli, pki, json_output):
    result = cli("inspect", "--cert", pki.reversed_chain, "--key", pki.key_pkcs1, *(["--json"] if json_output else []))
    assert result.returncode == 0, result
    assert "CHAIN_REORDERED" in result.stdout, result
    if json_output:
        report = result.json()
        codes = {f["Code"]: f["Severity"] for f in report["Findings"]}
        assert codes == {"CHAIN_REORDERED": "warning"}, report["Findings"]
        # The facts are the leaf's, whatever order the file had.
        assert report["Fingerprint"] == openssl_facts(pki.leaf_pem)["Fingerprint"]


@pytest.mark.parametrize("json_output", [False, True])
def test_mismatched_pair_exits_2(cli, pki, json_output):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.other_key, *(["--json"] if json_output else []))
    assert result.returncode == 2, result
    assert "KEY_MISMATCH" in result.stdout, result
    if json_output:
        report = result.json()
        assert {"Severity": "error", "Code": "KEY_MISMATCH"}.items() <= report["Findings"][0].items()
        assert report["Uploadable"] is False
    assert_no_secrets(result.output, pki)


@pytest.mark.parametrize("key_attr,status", [("key_pkcs1", 0), ("key_pkcs8", 0), ("other_key", 2), ("ec_key", 2)])
@pytest.mark.parametrize("json_output", [False, True])
def test_key_content_never_printed(cli, pki, key_attr, status, json_output):
    result = cli("inspect", "--cert", pki.fullchain, "--key", getattr(pki, key_attr), *(["--json"] if json_output else []))
    assert result.returncode == status, result
    assert ("PrivateKey" if json_output else "Private key:") in result.stdout, result
    assert_no_secrets(result.output, pki)


def test_passphrase_file_from_stdin(cli, pki):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.key_pkcs8_encrypted, "--passphrase-file", "-",
                 "--json", input=PASSPHRASE + "\n")
    assert result.returncode == 0, result
    report = result.json()
    assert report["Findings"] == [], report["Findings"]
    assert "encrypted" in report["PrivateKey"]["Form"].lower()
    assert report["Uploadable"] is True
    assert_no_secrets(result.output, pki, extra=[PASSPHRASE])


def test_passphrase_file(cli, pki):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.key_pkcs8_encrypted,
                 "--passphrase-file", pki.passphrase_file)
    assert result.returncode == 0, result
    assert "No findings." in result.stdout, result
    assert_no_secrets(result.output, pki, extra=[PASSPHRASE])


def test_encrypted_key_without_passphrase(cli, pki):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.key_pkcs8_encrypted, "--json")
    assert result.returncode == 2, result
    finding = next(f for f in result.json()["Findings"] if f["Code"] == "KEY_ENCRYPTED")
    assert "--passphrase-file" in finding["Message"], finding


def test_wrong_passphrase_from_stdin(cli, pki):
    result = cli("inspect", "--cert", pki.fullchain, "--key", pki.key_pkcs8_encrypted, "--passphrase-file", "-",
                 "--json", input="not the passphrase\n")
    assert result.returncode == 2, result
    finding = next(f for f in result.json()["Findings"] if f["Code"] == "KEY_PASSPHRASE_WRONG")
    assert "--passphrase-file" in finding["Message"], finding
    assert "not the passphrase" not in result.output


def test_certificate_from_stdin(cli, pki):
    result = cli("inspect", "--cert", "-", "--json", input=pki.fullchain.read_text())
    assert result.returncode == 0, result
    assert result.json()["Fingerprint"] == openssl_facts(pki.leaf_pem)["Fingerprint"]


def test_ec_key_refused_unless_allowed(cli, pki):
    refused = cli("inspect", "--cert", pki.ec_chain, "--key", pki.ec_key, "--json")
    assert refused.returncode == 2, refused
    assert {"Severity": "error", "Code": "KEY_NOT_RSA"}.items() <= refused.json()["Findings"][0].items()
    allowed = cli("inspect", "--cert", pki.ec_chain, "--key", pki.ec_key, "--allow-non-rsa", "--json")
    assert allowed.returncode == 0, allowed
    assert [(f["Severity"], f["Code"]) for f in allowed.json()["Findings"]] == [("warning", "KEY_NOT_RSA")]
    assert_no_secrets(refused.output + allowed.output, pki)


def test_missing_file_is_a_usage_error(cli, pki, tmp_path):
    result = cli("inspect", "--cert", tmp_path / "absent.pem")
    assert result.returncode == 1, result
    assert "absent.pem" in result.stderr


def test_expired_leaf_is_an_error(cli, pki):
    expired = pki.issue_leaf("old.cli.example", days=10, not_before=pki.now - datetime.timedelta(days=30))
    result = cli("inspect", "--cert", expired, "--key", pki.key_pkcs1, "--json")
    assert result.returncode == 2, result
    assert ("error", "LEAF_EXPIRED") in [(f["Severity"], f["Code"]) for f in result.json()["Findings"]]


def test_leaf_expiring_soon_is_a_warning(cli, pki):
    soon = pki.issue_leaf("soon.cli.example", days=40, not_before=pki.now - datetime.timedelta(days=30))
    result = cli("inspect", "--cert", soon, "--key", pki.key_pkcs1, "--json")
    assert result.returncode == 0, result
    assert [(f["Severity"], f["Code"]) for f in result.json()["Findings"]] == [("warning", "LEAF_EXPIRES_SOON")]
    quiet = cli("inspect", "--cert", soon, "--key", pki.key_pkcs1, "--json", "--expiry-warning-days", "5")
    assert quiet.json()["Findings"] == [], quiet
