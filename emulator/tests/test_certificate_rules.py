"""CLB's certificate rules (docs/protocol.md section 6): each refusal with its code, status and message."""

import base64
import hashlib
import textwrap
import time

import pytest
from cryptography.hazmat.primitives import serialization

from harness import REGION, a_day_ago, issue_leaf
from slbcert_emulator.testing import new_key, pem, private_key_pem
from slbcert_emulator.testing.pki import build_certificate

UPLOAD = "UploadServerCertificate"
CERT_FORMAT = ("InvalidParameter", "The specified parameter ServerCertificate format is error.")
CERT_LAYOUT = ("KeyFormatError", "The specified ServerCertificate is incorrectly formatted.")
KEY_FORMAT = ("InvalidParameter", "The specified parameter key format is error.")
ENCRYPTED = ("PrivateKeyEncryption", "Key has Encrypted .")
EMPTY = ("InvalidParameter", "The specified parameter ServerCertificate or Key is empty.")


def rewrap(pem, width):
    """The same certificate with its base64 wrapped at another width."""
    der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), width))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def upload(emu, certificate, key, **extra):
    return emu.call(UPLOAD, dict(RegionId=REGION, ServerCertificate=certificate, PrivateKey=key,
                                 **extra))


def assert_refused(reply, expected):
    assert reply.status == 400, reply.body
    assert (reply.json()["Code"], reply.json()["Message"]) == expected


def stored(emu):
    return emu.admin.send("GET", "certificates")[1]["Certificates"]


@pytest.fixture(scope="module")
def pair(slbcert_pki):
    leaf = issue_leaf(slbcert_pki)
    # A CA with the intermediate's name but another key: names chain, signatures do not.
    impostor_key = new_key("ec256")
    impostor = build_certificate(slbcert_pki.intermediate.cert.subject, impostor_key.public_key(), impostor_key,
                                 None, profile="ca", start=a_day_ago(), days=365)
    return {"leaf": leaf.cert, "chain": leaf.chain_pem.decode(), "key": leaf.key_bytes("pkcs1").decode(),
            "rsa": leaf.key, "intermediate": slbcert_pki.intermediate.cert_pem.decode(),
            "impostor": pem(impostor).decode()}


def cert_pem(cert):
    return pem(cert).decode()


def key_pem(key, form="pkcs1", passphrase=None):
    return private_key_pem(key, form, passphrase).decode()


def test_accepted_upload_reports_the_leaf_facts(emu, slbcert_pki):
    leaf = issue_leaf(slbcert_pki, "*.wild.example.com", ("*.wild.example.com", "wild.example.com"))
    cert = leaf.cert
    before = time.time()
    reply = upload(emu, leaf.chain_pem.decode() + slbcert_pki.root.cert_pem.decode(), key_pem(leaf.key))
    body = reply.json()
    der = cert.public_bytes(serialization.Encoding.DER)
    assert body["Fingerprint"] == ":".join(f"{b:02x}" for b in hashlib.sha1(der).digest())
    assert body["CommonName"] == "*.wild.example.com"
    assert body["ServerCertificateName"] == "*.wild.example.com"  # unnamed: the CN
    assert body["ExpireTimeStamp"] == int(cert.not_valid_after_utc.timestamp()) * 1000
    assert body["ExpireTime"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert before - 1 <= body["CreateTimeStamp"] / 1000 <= time.time() + 1
    assert body["RegionId"] == body["RegionIdAlias"] == REGION
    assert body["ResourceGroupId"].startswith("rg-")
    account, hex_ms, first, second = body["ServerCertificateId"].split("_")
    assert len(account) == 16 and int(hex_ms, 16) == body["CreateTimeStamp"]
    assert first.isdigit() and second.isdigit()


def test_a_leaf_alone_is_accepted(emu, pair):
    assert upload(emu, cert_pem(pair["leaf"]), pair["key"]).status == 200


@pytest.mark.parametrize("bits", [1024, 4096])
def test_other_rsa_sizes_are_accepted(emu, slbcert_pki, bits):
    leaf = issue_leaf(slbcert_pki, key=f"leaf-rsa{bits}")
    assert upload(emu, leaf.chain_pem.decode(), key_pem(leaf.key)).status == 200


def test_rsa_3072_is_refused(emu, slbcert_pki):
    leaf = issue_leaf(slbcert_pki, key="leaf-rsa3072")
    assert_refused(upload(emu, leaf.chain_pem.decode(), key_pem(leaf.key)), KEY_FORMAT)


CERTIFICATE_CASES = {
    "wrapped at 76": (lambda p: rewrap(cert_pem(p["leaf"]), 76), CERT_LAYOUT),
    "blank line between certificates": (lambda p: p["chain"].replace("-----\n-----", "-----\n\n-----"),
                                        CERT_LAYOUT),
    "CRLF line ends": (lambda p: p["chain"].replace("\n", "\r\n"), CERT_LAYOUT),
    "trailing space": (lambda p: p["chain"].replace("-----BEGIN CERTIFICATE-----\n",
                                                    "-----BEGIN CERTIFICATE----- \n", 1), CERT_LAYOUT),
    "intermediate first": (lambda p: p["intermediate"] + cert_pem(p["leaf"]), CERT_FORMAT),
    "impostor intermediate": (lambda p: cert_pem(p["leaf"]) + p["impostor"], CERT_FORMAT),
    "not PEM": (lambda p: "hello, world", CERT_FORMAT),
    "PEM of no certificate": (lambda p: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                              CERT_FORMAT),
    "a key instead": (lambda p: p["key"], CERT_FORMAT),
    "unterminated": (lambda p: p["chain"].rsplit("-----END", 1)[0], CERT_FORMAT),
}


@pytest.mark.parametrize("case", CERTIFICATE_CASES)
def test_certificate_refusals(emu, pair, case):
    make, expected = CERTIFICATE_CASES[case]
    assert_refused(upload(emu, make(pair), pair["key"]), expected)
    assert stored(emu) == []


KEY_CASES = {
    "PKCS#8": (lambda p: key_pem(p["rsa"], "pkcs8"), KEY_FORMAT),
    "encrypted PKCS#8": (lambda p: key_pem(p["rsa"], "pkcs8-enc", b"pass"), ENCRYPTED),
    "encrypted PKCS#1": (lambda p: key_pem(p["rsa"], "pkcs1-enc"), ENCRYPTED),
    "blank line": (lambda p: p["key"].replace("\n", "\n\n", 2), KEY_FORMAT),
    "two keys": (lambda p: p["key"] + p["key"], KEY_FORMAT),
    "garbage": (lambda p: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
                KEY_FORMAT),
}


@pytest.mark.parametrize("case", KEY_CASES)
def test_key_refusals(emu, pair, case):
    make, expected = KEY_CASES[case]
    assert_refused(upload(emu, pair["chain"], make(pair)), expected)
    assert stored(emu) == []


def test_ec_certificate_and_key_are_refused(emu, slbcert_pki):
    leaf = issue_leaf(slbcert_pki, key="leaf-p256")
    assert_refused(upload(emu, leaf.chain_pem.decode(), key_pem(leaf.key, "sec1")), KEY_FORMAT)


def test_key_of_another_certificate(emu, pair, slbcert_pki):
    reply = upload(emu, pair["chain"], key_pem(slbcert_pki.stray.key))
    assert_refused(reply, ("CertificateNotMatchPrivateKey", "Certificate and key does not match."))


@pytest.mark.parametrize("pem", ["ServerCertificate", "PrivateKey"])
@pytest.mark.parametrize("absent", [True, False], ids=["absent", "empty"])
def test_missing_pem(emu, pair, pem, absent):
    params = {"RegionId": REGION, "ServerCertificate": pair["chain"], "PrivateKey": pair["key"]}
    if absent:
        del params[pem]
    else:
        params[pem] = ""
    assert_refused(emu.call(UPLOAD, params), EMPTY)


@pytest.mark.parametrize("name, ok", [
    ("a", True), ("A" * 80, True), ("web.example_com-2", True),
    ("A" * 81, False), ("1cert", False), ("my cert", False), ("cert/1", False), ("", False),
    ("证书", False),
])
def test_certificate_names(emu, pair, name, ok):
    reply = upload(emu, pair["chain"], pair["key"], ServerCertificateName=name)
    if ok:
        assert reply.json()["ServerCertificateName"] == name
    else:
        assert_refused(reply, ("InvalidParameter",
                               "The specified parameter ServerCertificateName is not valid."))


def tags(count, **override):
    params = {}
    for n in range(1, count + 1):
        params[f"Tag.{n}.Key"], params[f"Tag.{n}.Value"] = f"k{n}", f"v{n}"
    params.update(override)
    return params


def test_twenty_tags_are_accepted_and_twenty_one_refused(emu, pair):
    assert upload(emu, pair["chain"], pair["key"], **tags(20)).status == 200
    assert_refused(upload(emu, pair["chain"], pair["key"], **tags(21)),
                   ("TagCountLimit", "Tags count limit exceeded."))


@pytest.mark.parametrize("override, param", [
    ({"Tag.1.Key": "aliyun-env"}, "Tag.1.Key"),
    ({"Tag.1.Key": "acs:env"}, "Tag.1.Key"),
    ({"Tag.1.Key": "k" * 65}, "Tag.1.Key"),
    ({"Tag.2.Key": "k1"}, "Tag.2.Key"),  # the same key twice
    ({"Tag.1.Value": "see https://example.com"}, "Tag.1.Value"),
    ({"Tag.1.Value": "v" * 129}, "Tag.1.Value"),
])
def test_tag_rules(emu, pair, override, param):
    assert_refused(upload(emu, pair["chain"], pair["key"], **tags(2, **override)),
                   ("InvalidParameter", f"The specified parameter {param} is not valid."))


def test_tag_value_without_key(emu, pair):
    reply = upload(emu, pair["chain"], pair["key"], **{"Tag.1.Value": "orphan"})
    assert reply.json()["Code"] == "MissingParameter" and '"Tag.1.Key"' in reply.json()["Message"]


def test_quota_per_account_and_region(slbcert_emulator_factory, pair):
    emu = slbcert_emulator_factory("--quota", "2")
    for _ in range(2):
        assert upload(emu, pair["chain"], pair["key"]).status == 200
    reply = upload(emu, pair["chain"], pair["key"])
    assert_refused(reply, ("OverQuota", "The Total is over the quota."))
    assert len(stored(emu)) == 2
    assert emu.call(UPLOAD, dict(RegionId="eu-central-1", ServerCertificate=pair["chain"],
                                 PrivateKey=pair["key"])).status == 200


@pytest.mark.parametrize("region", ["cn-hangzhou", "eu-central-1", "ap-southeast-5", "me-east-1",
                                    "cn-shanghai-finance-1", "cn-wulanchabu"])
def test_known_regions(emu, region):
    assert emu.call("DescribeServerCertificates", {"RegionId": region}).status == 200


def test_certificates_are_regional(emu, pair):
    cert_id = upload(emu, pair["chain"], pair["key"]).json()["ServerCertificateId"]
    reply = emu.call("DeleteServerCertificate", {"RegionId": "cn-beijing", "ServerCertificateId": cert_id})
    assert_refused(reply, ("ServerCertificateId.NotFound",
                           "The specified ServerCertificateId does not exist."))
