"""upload, list, rename and delete against the emulator; --dry-run, --tag, placement, signature version."""

import re

import pytest
from cli_support import ACCESS_KEY_SECRET, REGION, assert_no_secrets, openssl_facts, service_args
from cryptography import x509

ID = re.compile(r"\d{16}_[0-9a-f]+_\d+_\d+")


def stored_leaf(pem_text):
    return x509.load_pem_x509_certificates(pem_text.encode())[0]


def test_upload_text_twice(cli, pki, emulator):
    args = ["upload", "--cert", pki.fullchain, "--key", pki.key_pkcs8, "--name", "www-cli", *service_args(emulator)]
    first = cli(*args)
    assert first.returncode == 0, first
    match = re.match(rf"Uploaded ({ID.pattern})\n", first.stdout)
    assert match, first
    fingerprint = openssl_facts(pki.leaf_pem)["Fingerprint"]
    assert re.search(rf"Fingerprint:\s+{fingerprint}", first.stdout)
    assert re.search(r"Name:\s+www-cli\n", first.stdout)

    second = cli(*args)
    assert second.returncode == 0, second
    assert second.stdout.startswith(f"Already present as {match.group(1)}"), second
    assert "nothing uploaded" in second.stdout

    stored = emulator.admin.certificates()
    assert len(stored) == 1
    assert stored[0]["ServerCertificateId"] == match.group(1)
    assert stored[0]["Fingerprint"] == fingerprint
    assert emulator.admin.requests().get("UploadServerCertificate") == 1
    assert_no_secrets(first.output + second.output, pki)


def test_upload_json_twice(cli, pki, emulator):
    args = ["upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--name", "www-json", "--json",
            *service_args(emulator)]
    first = cli(*args)
    assert first.returncode == 0, first
    uploaded = first.json()
    assert uploaded["Uploaded"] is True
    facts = openssl_facts(pki.leaf_pem)
    assert ID.fullmatch(uploaded["ServerCertificateId"])
    assert uploaded["ServerCertificateName"] == "www-json"
    for name in ("Fingerprint", "CommonName", "SubjectAlternativeNames", "ExpireTime", "ExpireTimeStamp"):
        assert uploaded[name] == facts[name], name
    assert uploaded["RegionId"] == REGION
    assert uploaded["RequestId"]
    for name in ("CreateTime", "CreateTimeStamp", "ResourceGroupId", "IsAliCloudCertificate"):
        assert name in uploaded, name

    second = cli(*args)
    assert second.returncode == 0, second
    again = second.json()
    assert again["Uploaded"] is False
    assert again["ServerCertificateId"] == uploaded["ServerCertificateId"]
    assert again["Fingerprint"] == uploaded["Fingerprint"]
    assert len(emulator.admin.certificates()) == 1


def test_upload_sends_the_normalised_chain(cli, pki, emulator):
    """A reversed chain with a PKCS#8 key is sent leaf first with a PKCS#1 key (the emulator enforces CLB's rules)."""
    result = cli("upload", "--cert", pki.reversed_chain, "--key", pki.key_pkcs8, *service_args(emulator))
    assert result.returncode == 0, result
    [stored] = emulator.admin.certificates()
    assert stored_leaf(stored["ServerCertificate"]) == pki.leaf


def test_upload_encrypted_key_with_passphrase_from_stdin(cli, pki, emulator):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs8_encrypted, "--passphrase-file", "-",
                 *service_args(emulator), input="correct horse battery staple\n")
    assert result.returncode == 0, result
    assert len(emulator.admin.certificates()) == 1


def test_tags_show_in_list_json(cli, pki, emulator):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--tag", "env=test", "--tag", "team=web",
                 "--json", *service_args(emulator))
    assert result.returncode == 0, result
    certificate_id = result.json()["ServerCertificateId"]

    listed = cli("list", "--json", *service_args(emulator))
    assert listed.returncode == 0, listed
    [entry] = listed.json()["ServerCertificates"]
    assert entry["ServerCertificateId"] == certificate_id
    assert {(t["TagKey"], t["TagValue"]) for t in entry["Tags"]} == {("env", "test"), ("team", "web")}

    filtered = cli("list", "--json", "--tag", "env=test", *service_args(emulator))
    assert [c["ServerCertificateId"] for c in filtered.json()["ServerCertificates"]] == [certificate_id]
    other = cli("list", "--json", "--tag", "env=prod", *service_args(emulator))
    assert other.returncode == 0, other
    assert other.json()["ServerCertificates"] == []


def test_list_rename_delete(cli, pki, emulator):
    first = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--name", "alpha", "--json", *service_args(emulator))
    second = cli("upload", "--cert", pki.issue_leaf("beta.cli.example"), "--key", pki.key_pkcs1, "--name", "beta",
                 "--json", *service_args(emulator))
    assert first.returncode == 0 and second.returncode == 0, (first, second)
    alpha, beta = first.json()["ServerCertificateId"], second.json()["ServerCertificateId"]

    listed = cli("list", *service_args(emulator))
    assert listed.returncode == 0, listed
    lines = listed.stdout
    assert re.search(rf"^{alpha}\s+alpha\s+www\.example\.test\s", lines, re.M), listed
    assert re.search(rf"^{beta}\s+beta\s+beta\.cli\.example\s", lines, re.M), listed
    assert first.json()["Fingerprint"] in lines

    listed_json = cli("list", "--json", *service_args(emulator)).json()
    assert listed_json["RequestId"]
    assert {c["ServerCertificateId"]: c["ServerCertificateName"] for c in listed_json["ServerCertificates"]} == \
        {alpha: "alpha", beta: "beta"}
    one = cli("list", "--json", "--id", beta, *service_args(emulator)).json()["ServerCertificates"]
    assert [c["ServerCertificateId"] for c in one] == [beta]

    renamed = cli("rename", alpha, "alpha-2027", *service_args(emulator))
    assert renamed.returncode == 0, renamed
    assert alpha in renamed.stdout and "alpha-2027" in renamed.stdout
    renamed_json = cli("rename", beta, "beta-2027", "--json", *service_args(emulator))
    assert renamed_json.returncode == 0, renamed_json
    assert renamed_json.json()["RequestId"]
    assert {c["ServerCertificateId"]: c["ServerCertificateName"] for c in emulator.admin.certificates()} == \
        {alpha: "alpha-2027", beta: "beta-2027"}

    deleted = cli("delete", alpha, *service_args(emulator))
    assert deleted.returncode == 0, deleted
    assert alpha in deleted.stdout
    deleted_json = cli("delete", beta, "--json", *service_args(emulator))
    assert deleted_json.returncode == 0, deleted_json
    assert deleted_json.json()["RequestId"]
    assert emulator.admin.certificates() == []

    empty = cli("list", *service_args(emulator))
    assert empty.returncode == 0 and "No server certificates" in empty.stdout, empty
    assert cli("list", "--json", *service_args(emulator)).json()["ServerCertificates"] == []

    again = cli("delete", alpha, *service_args(emulator))
    assert again.returncode == 3, again
    assert "ServerCertificateId.NotFound" in again.stderr


def test_delete_bound_certificate_is_refused(cli, pki, emulator):
    uploaded = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--json", *service_args(emulator))
    certificate_id = uploaded.json()["ServerCertificateId"]
    emulator.admin("POST", "bind", {"ServerCertificateId": certificate_id})
    result = cli("delete", certificate_id, *service_args(emulator))
    assert result.returncode == 3, result
    assert "CertificateAndPrivateKeyIsRefered" in result.stderr
    assert "hint:" in result.stderr
    assert len(emulator.admin.certificates()) == 1


@pytest.mark.parametrize("signature_version,placement", [("v1", "body"), ("v1", "query"), ("v3", "body"),
                                                         ("v3", "query")])
def test_dry_run_redacts_and_sends_nothing(cli, pki, emulator, signature_version, placement):
    before = emulator.admin("GET", "stats")
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs8, "--name", "dry", "--dry-run",
                 "--signature-version", signature_version, "--placement", placement, *service_args(emulator))
    assert result.returncode == 0, result
    after = emulator.admin("GET", "stats")
    assert after["requests"] == {}, after
    assert after["connections_accepted"] == before["connections_accepted"] + 1, "the CLI connected to the emulator"
    assert emulator.admin.certificates() == []

    out = result.stdout
    request_line = out.splitlines()[0]
    assert request_line.startswith(f"POST {emulator.url}/"), out
    assert "[REDACTED]" in out
    assert "PrivateKey=[REDACTED]" in out
    if signature_version == "v1":
        assert re.search(r"Signature=\[REDACTED\]", out), out
    else:
        assert re.search(r"(?im)^authorization: ACS3-HMAC-SHA256 .*Signature=\[REDACTED\]$", out), out
        assert re.search(r"(?im)^x-acs-action: UploadServerCertificate$", out), out
    if placement == "query":
        assert "PrivateKey=[REDACTED]" in request_line and "ServerCertificate=" in request_line
    else:
        assert "PrivateKey" not in request_line and "ServerCertificate=" not in request_line
        assert re.search(r"(?im)^content-type: application/x-www-form-urlencoded", out), out
    assert "ServerCertificateName=dry" in out
    assert_no_secrets(result.output, pki)
    # No signature value in any form: V1 base64 (28 chars) or V3 hex (64 chars).
    assert not re.search(r"Signature=(?!\[REDACTED\])", out)
    unhashed = "\n".join(line for line in out.splitlines() if not line.lower().startswith("x-acs-content-sha256:"))
    assert not re.search(r"\b[0-9a-f]{64}\b", unhashed)


def test_dry_run_json(cli, pki, emulator):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs8, "--dry-run", "--json", *service_args(emulator))
    assert result.returncode == 0, result
    request = result.json()
    assert "[REDACTED]" in str(request)
    assert_no_secrets(result.output, pki)
    assert emulator.admin.requests() == {}


def test_dry_run_refuses_a_mismatched_pair(cli, pki, emulator):
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.other_key, "--dry-run", *service_args(emulator))
    assert result.returncode == 2, result
    assert "KEY_MISMATCH" in result.output
    assert emulator.admin.requests() == {}


@pytest.mark.parametrize("signature_version,placement", [("v1", "query"), ("v3", "body"), ("v3", "query")])
def test_placement_and_signature_version_work(cli, pki, emulator, signature_version, placement):
    options = ["--signature-version", signature_version, "--placement", placement]
    result = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--name", f"sv-{signature_version}",
                 "--json", *options, *service_args(emulator))
    assert result.returncode == 0, result
    certificate_id = result.json()["ServerCertificateId"]
    listed = cli("list", "--json", *options, *service_args(emulator))
    assert listed.returncode == 0, listed
    assert [c["ServerCertificateId"] for c in listed.json()["ServerCertificates"]] == [certificate_id]
    assert cli("rename", certificate_id, "renamed", *options, *service_args(emulator)).returncode == 0
    assert cli("delete", certificate_id, *options, *service_args(emulator)).returncode == 0
    log = (emulator.data_dir / "requests.log").read_text().splitlines()[-5:]
    assert all(f'"signature":"{signature_version.upper()}"' in line for line in log), log


def test_verbose_logs_no_secrets(cli, pki, emulator):
    upload = cli("upload", "--cert", pki.fullchain, "--key", pki.key_pkcs8, "--verbose", *service_args(emulator))
    v3 = cli("list", "--verbose", "--signature-version", "v3", "--placement", "query", *service_args(emulator))
    failed = cli("rename", "1234567890123456_abc_1_2", "x", "--verbose", *service_args(emulator))
    assert upload.returncode == 0 and v3.returncode == 0 and failed.returncode == 3, (upload, v3, failed)
    for result in (upload, v3, failed):
        lines = [line for line in result.stderr.splitlines() if "action=" in line]
        assert lines, result
        text = result.stderr
        assert_no_secrets(text, pki)
        assert ACCESS_KEY_SECRET not in text
        assert "BEGIN" not in text and "CERTIFICATE" not in text
        assert "Signature=" not in text and "signature=" not in text.lower().replace("signature_version", "")
        assert not re.search(r"[A-Za-z0-9+/]{27}=", text), "something like a V1 signature was logged"
        assert not re.search(r"\b[0-9a-f]{64}\b", text), "something like a V3 signature was logged"
