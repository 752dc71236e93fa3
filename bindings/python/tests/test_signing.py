"""sign(), redact() and Credentials; signatures checked against an independent computation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from pathlib import Path

import pytest

import slbcert

SECRET = "testsecret"


def _percent(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def _all_parameters(request: slbcert.SignedRequest) -> dict:
    query = request.path_and_query.partition("?")[2]
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if request.body:
        pairs += urllib.parse.parse_qsl(request.body.decode(), keep_blank_values=True)
    return dict(pairs)


def _v1_signature(method: str, parameters: dict, secret: str) -> str:
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(parameters.items()))
    string_to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize("placement", ["body", "query"])
def test_v1_signature_verifies_independently(placement: str) -> None:
    request = slbcert.sign("DescribeServerCertificates", {"RegionId": "cn-hangzhou", "Tag.1.Key": "a b/c"},
                           access_key_id="testid", access_key_secret=SECRET, placement=placement,
                           nonce="fixed-nonce", timestamp="2025-01-02T03:04:05Z")
    assert request.method == "POST"
    parameters = _all_parameters(request)
    signature = parameters.pop("Signature")
    assert signature == request.signature
    assert parameters["Action"] == "DescribeServerCertificates"
    assert parameters["Version"] == "2014-05-15"
    assert parameters["SignatureNonce"] == "fixed-nonce"
    assert parameters["Timestamp"] == "2025-01-02T03:04:05Z"
    assert parameters["Format"] == "JSON"
    assert parameters["AccessKeyId"] == "testid"
    assert parameters["Tag.1.Key"] == "a b/c"
    assert request.signature == _v1_signature("POST", parameters, SECRET)
    if placement == "body":
        assert b"RegionId=cn-hangzhou" in request.body
        assert "RegionId" not in request.path_and_query
        assert ("Content-Type", "application/x-www-form-urlencoded") in request.headers
    else:
        assert request.body == b""
        assert "RegionId=cn-hangzhou" in request.path_and_query
    assert request.string_to_sign.startswith("POST&%2F&")
    assert request.url("https://slb.aliyuncs.com/").startswith("https://slb.aliyuncs.com/?")
    assert "signature" not in repr(request).lower() or request.signature not in repr(request)


def test_v1_is_reproducible_and_get_works() -> None:
    arguments = dict(access_key_id="testid", access_key_secret=SECRET, nonce="n1",
                     timestamp=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), method="GET",
                     placement="query")
    first = slbcert.sign("DescribeRegions", [("A", "1")], **arguments)
    second = slbcert.sign("DescribeRegions", [("A", "1")], **arguments)
    assert first == second
    assert first.method == "GET"
    assert _all_parameters(first)["Timestamp"] == "2025-01-02T03:04:05Z"
    legacy = slbcert.sign("DescribeRegions", [("A", "1")], v1_legacy_signature_type=True, **arguments)
    assert "SignatureType" in _all_parameters(legacy)


def test_v3_signature_verifies_independently() -> None:
    request = slbcert.sign("DescribeServerCertificates", {"RegionId": "cn-hangzhou"}, access_key_id="testid",
                           access_key_secret=SECRET, signature_version="v3", host="127.0.0.1",
                           nonce="nonce-v3", timestamp="2025-01-02T03:04:05Z")
    headers = dict(request.headers)
    assert headers["x-acs-action"] == "DescribeServerCertificates"
    assert headers["x-acs-version"] == "2014-05-15"
    assert headers["x-acs-signature-nonce"] == "nonce-v3"
    assert headers["x-acs-date"] == "2025-01-02T03:04:05Z"
    assert headers["host"] == "127.0.0.1"
    authorization = headers["authorization"]
    assert authorization.startswith("ACS3-HMAC-SHA256 Credential=testid,")
    assert f"Signature={request.signature}" in authorization
    hashed = hashlib.sha256(request.string_to_sign.encode()).hexdigest()
    expected = hmac.new(SECRET.encode(), f"ACS3-HMAC-SHA256\n{hashed}".encode(), hashlib.sha256).hexdigest()
    assert request.signature == expected
    body_hash = hashlib.sha256(request.body).hexdigest()
    assert headers["x-acs-content-sha256"] == body_hash


def test_sign_with_a_credentials_object_and_security_token() -> None:
    with slbcert.Credentials.static("stsid", bytearray(b"stssecret"), security_token="tok") as credentials:
        assert credentials.source == "static"
        assert credentials.access_key_id == "stsid"
        assert credentials.region is None
        request = slbcert.sign("DescribeRegions", credentials=credentials, nonce="x",
                               timestamp="2025-01-02T03:04:05Z")
    assert _all_parameters(request)["SecurityToken"] == "tok"
    with pytest.raises(ValueError, match="closed"):
        credentials.source


def test_sign_bad_arguments() -> None:
    with pytest.raises(ValueError):
        slbcert.sign("A", access_key_id="i", access_key_secret="s", signature_version="v2")
    with pytest.raises(ValueError):
        slbcert.sign("A", access_key_id="i", access_key_secret="s", placement="header")
    with pytest.raises(slbcert.InvalidArgument):
        slbcert.sign("A", access_key_id="i", access_key_secret="s", method="PUT")
    with pytest.raises(slbcert.InvalidArgument):
        slbcert.sign("A", {f"P{i}": "v" for i in range(1025)}, access_key_id="i", access_key_secret="s")
    with pytest.raises(slbcert.InvalidArgument):
        slbcert.Credentials.static("", "secret")
    with pytest.raises(ValueError, match="NUL"):
        slbcert.Credentials.static("id", b"sec\0ret")


def test_credentials_profile_and_default(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = isolated_env / ".aliyun" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"current": "main", "profiles": [
        {"name": "main", "mode": "AK", "access_key_id": "profileid", "access_key_secret": "profilesecret",
         "region_id": "cn-shanghai"},
    ]}))
    with slbcert.Credentials.profile("main") as credentials:
        assert credentials.source == "profile:main"
        assert credentials.access_key_id == "profileid"
        assert credentials.region == "cn-shanghai"
    with slbcert.Credentials.profile() as credentials:  # the file's current profile
        assert credentials.source == "profile:main"
    with pytest.raises(slbcert.CredentialsError):
        slbcert.Credentials.profile("absent")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "envid")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret")
    with slbcert.Credentials.default() as credentials:
        assert credentials.source == "environment"
        assert credentials.access_key_id == "envid"
        assert "envid" in repr(credentials)
    request = slbcert.sign("DescribeRegions", nonce="n", timestamp="2025-01-02T03:04:05Z")  # default chain
    assert _all_parameters(request)["AccessKeyId"] == "envid"
    assert request.signature == _v1_signature("POST", {k: v for k, v in _all_parameters(request).items()
                                                       if k != "Signature"}, "envsecret")
    request = slbcert.sign("DescribeRegions", profile="main", nonce="n", timestamp="2025-01-02T03:04:05Z")
    assert _all_parameters(request)["AccessKeyId"] == "profileid"


def test_default_chain_without_any_source(isolated_env: Path) -> None:
    with pytest.raises(slbcert.CredentialsError) as caught:
        slbcert.Credentials.default()
    assert caught.value.status == -5 and caught.value.message


def test_credentials_constructor_is_not_public() -> None:
    with pytest.raises(TypeError):
        slbcert.Credentials(None)  # type: ignore[arg-type]


def test_redact() -> None:
    text = ("POST /?AccessKeyId=abc&Signature=c2lnbmF0dXJl&x=1 body AccessKeySecret=topsecret&"
            "SecurityToken=tok123\nAuthorization: ACS3-HMAC-SHA256 Credential=abc,Signature=ffff\n"
            '{"PrivateKey": "-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\n-----END RSA PRIVATE KEY-----"}\n'
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n")
    redacted = slbcert.redact(text)
    assert isinstance(redacted, str)
    for secret in ("c2lnbmF0dXJl", "topsecret", "tok123", "MIIB", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"):
        assert secret not in redacted, secret
    assert "[REDACTED]" in redacted
    assert "AccessKeyId=abc" in redacted and "x=1" in redacted
    as_bytes = slbcert.redact(text.encode())
    assert isinstance(as_bytes, bytes) and as_bytes.decode() == redacted
    assert slbcert.redact("") == ""
    assert slbcert.redact("nothing secret here") == "nothing secret here"
    assert slbcert.redact("grüße AccessKeySecret=x") == "grüße AccessKeySecret=[REDACTED]"


def test_redact_a_signed_upload_request(pki) -> None:
    issued = pki.issue_leaf()
    request = slbcert.sign("UploadServerCertificate", {"RegionId": "cn-hangzhou",
                                                       "ServerCertificate": issued.chain_pem.decode(),
                                                       "PrivateKey": issued.key_pem.decode()},
                           access_key_id="testid", access_key_secret=SECRET)
    dump = request.path_and_query + "\n" + request.body.decode()
    redacted = slbcert.redact(dump)
    key_body = issued.key_pem.decode().splitlines()[1]
    assert urllib.parse.quote_plus(key_body)[:20] not in redacted
    assert request.signature not in redacted and urllib.parse.quote(request.signature, safe="") not in redacted
