"""slbcert sign reproduces the golden signing vectors (the official SDKs' signatures)."""

import json
import re

import pytest
from cli_support import REPO

# The repository's one copy of the vectors (docs/protocol.md says where they come from).
VECTORS_PATH = REPO / "Tests" / "SLBCertTests" / "Fixtures" / "signing-vectors.json"


@pytest.fixture(scope="module")
def vectors():
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def sign(cli, vectors, tmp_path):
    """Runs `slbcert sign` for UploadServerCertificate with the vectors' inputs: the PEMs through
    --param-file (no trailing newline, as the vectors have none), the rest through --param."""
    inputs = vectors["inputs"]
    certificate = tmp_path / "certificate.pem"
    certificate.write_bytes(inputs["ServerCertificate"].encode())
    key = tmp_path / "key.pem"
    key.write_bytes(inputs["PrivateKey"].encode())
    environment = {"ALIBABA_CLOUD_ACCESS_KEY_ID": inputs["AccessKeyId"],
                   "ALIBABA_CLOUD_ACCESS_KEY_SECRET": inputs["AccessKeySecret"]}

    def run(*options):
        return cli("sign", "--action", "UploadServerCertificate", "--api-version", "2014-05-15", "--host", "slb.aliyuncs.com",
                   "--param", f"RegionId={inputs['RegionId']}",
                   "--param-file", f"ServerCertificate={certificate}",
                   "--param-file", f"PrivateKey={key}",
                   "--param", f"ServerCertificateName={inputs['ServerCertificateName']}",
                   "--nonce", inputs["SignatureNonce"], "--timestamp", inputs["Timestamp"], *options, env=environment)
    return run


def signature_of(authorization):
    return re.search(r"Signature=([0-9a-f]{64})$", authorization).group(1)


def test_m1_v3_text(sign, vectors):
    vector = vectors["v3"]["M1_minimal_headers"]
    result = sign("--signature-version", "v3", "--placement", "query")
    assert result.returncode == 0, result
    out = result.stdout
    canonical = re.search(r"Canonical request:\n(.*?)\n\nString to sign:", out, re.S)
    assert canonical, out
    assert canonical.group(1) == vector["canonical_request"]
    string_to_sign = re.search(r"String to sign:\n(.*?)\n\n", out, re.S).group(1)
    assert string_to_sign == vector["string_to_sign"]
    assert re.search(rf"(?m)^Signature: {signature_of(vector['authorization'])}$", out), out
    assert vectors["inputs"]["AccessKeySecret"] not in result.output
    # The request shown at the end keeps the signature and the key out.
    request = out.split("Request (secrets redacted):\n", 1)[1]
    assert "Signature=[REDACTED]" in request and "PrivateKey=[REDACTED]" in request
    assert signature_of(vector["authorization"]) not in request


def test_m1_v3_json(sign, vectors):
    vector = vectors["v3"]["M1_minimal_headers"]
    result = sign("--signature-version", "v3", "--placement", "query", "--json")
    assert result.returncode == 0, result
    report = result.json()
    assert report["CanonicalRequest"] == vector["canonical_request"]
    assert report["StringToSign"] == vector["string_to_sign"]
    assert report["Signature"] == signature_of(vector["authorization"])
    assert report["CredentialsSource"] == "environment"
    assert vectors["inputs"]["AccessKeySecret"] not in result.output
    assert signature_of(vector["authorization"]) not in json.dumps(report["Request"])


def test_b_v1_text(sign, vectors):
    vector = vectors["v1"]["B_tea_openapi_v2_POST_Format_json"]
    result = sign("--param", "Format=json", "--placement", "query")
    assert result.returncode == 0, result
    out = result.stdout
    string_to_sign = re.search(r"String to sign:\n(.*?)\n\n", out, re.S).group(1)
    assert string_to_sign == vector["string_to_sign"]
    assert re.search(rf"(?m)^Signature: {re.escape(vector['signature'])}$", out), out
    assert vectors["inputs"]["AccessKeySecret"] not in result.output
    request = out.split("Request (secrets redacted):\n", 1)[1]
    assert vector["signature"] not in request
    assert "Format=json" in request and "Format=JSON" not in request


def test_b_v1_json(sign, vectors):
    vector = vectors["v1"]["B_tea_openapi_v2_POST_Format_json"]
    result = sign("--param", "Format=json", "--placement", "query", "--signature-version", "v1", "--json")
    assert result.returncode == 0, result
    report = result.json()
    assert report["SignatureVersion"] == "v1"
    assert report["StringToSign"] == vector["string_to_sign"]
    assert report["Signature"] == vector["signature"]
    assert vectors["inputs"]["AccessKeySecret"] not in result.output
    assert vector["signature"] not in json.dumps(report["Request"])


def test_a_legacy_signature_type(sign, vectors):
    vector = vectors["v1"]["A_legacy_core_POST_Format_JSON_SignatureType_empty"]
    result = sign("--legacy-signature-type", "--placement", "query", "--json")
    assert result.returncode == 0, result
    assert result.json()["StringToSign"] == vector["string_to_sign"]
    assert result.json()["Signature"] == vector["signature"]


def test_sign_without_credentials_exits_5(cli):
    result = cli("sign", "--action", "DescribeServerCertificates", "--api-version", "2014-05-15", "--host", "slb.aliyuncs.com",
                 unset=["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    assert result.returncode == 5, result


def test_sign_fresh_nonce_each_time(cli):
    args = ["sign", "--action", "DescribeServerCertificates", "--api-version", "2014-05-15", "--host", "slb.aliyuncs.com",
            "--param", "RegionId=cn-hangzhou", "--json"]
    first, second = cli(*args), cli(*args)
    assert first.returncode == 0 and second.returncode == 0, (first, second)
    assert first.json()["Signature"] != second.json()["Signature"]
