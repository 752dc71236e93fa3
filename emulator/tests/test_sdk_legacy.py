"""The legacy core SDK (aliyun-python-sdk-core + aliyun-python-sdk-slb) against the emulator."""

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.utils import parameter_helper
from aliyunsdkslb.request.v20140515.DeleteServerCertificateRequest import DeleteServerCertificateRequest
from aliyunsdkslb.request.v20140515.DescribeServerCertificatesRequest import (
    DescribeServerCertificatesRequest)
from aliyunsdkslb.request.v20140515.SetServerCertificateNameRequest import (
    SetServerCertificateNameRequest)
from aliyunsdkslb.request.v20140515.UploadServerCertificateRequest import (
    UploadServerCertificateRequest)

from harness import KEY2_ID, KEY_ID, REGION, SECRET2, STS_ID, STS_SECRET, STS_TOKEN, upload_pair
from sdks import Legacy
from slbcert_emulator.testing import private_key_pem


def upload_request(certificate, key, name="legacy-cert"):
    request = UploadServerCertificateRequest()
    request.set_ServerCertificate(certificate)
    request.set_PrivateKey(key)
    request.set_ServerCertificateName(name)
    request.add_query_param("RegionId", REGION)
    return request


def describe(sdk, cert_id=None):
    request = DescribeServerCertificatesRequest()
    request.add_query_param("RegionId", REGION)
    if cert_id:
        request.set_ServerCertificateId(cert_id)
    return json.loads(sdk.call(request))["ServerCertificates"]["ServerCertificate"]


def server_error(call):
    with pytest.raises(ServerException) as info:
        call()
    return info.value


def test_upload_describe_rename_delete(emu, slbcert_pki):
    sdk = Legacy(emu)
    certificate, key, leaf = upload_pair(slbcert_pki, "shop.example.com", ("shop.example.com", "example.com"))
    uploaded = json.loads(sdk.call(upload_request(certificate, key)))
    cert_id = uploaded["ServerCertificateId"]
    assert cert_id.split("_")[0].isdigit() and len(cert_id.split("_")[0]) == 16
    assert uploaded["CommonName"] == "shop.example.com"
    assert uploaded["SubjectAlternativeNames"] == {
        "SubjectAlternativeName": ["shop.example.com", "example.com"]}

    [listed] = describe(sdk, cert_id)
    assert listed["ServerCertificateName"] == "legacy-cert"
    assert listed["Fingerprint"] == uploaded["Fingerprint"]

    rename = SetServerCertificateNameRequest()
    rename.add_query_param("RegionId", REGION)
    rename.set_ServerCertificateId(cert_id)
    rename.set_ServerCertificateName("renamed.cert")
    assert "RequestId" in json.loads(sdk.call(rename))
    assert describe(sdk, cert_id)[0]["ServerCertificateName"] == "renamed.cert"

    delete = DeleteServerCertificateRequest()
    delete.add_query_param("RegionId", REGION)
    delete.set_ServerCertificateId(cert_id)
    sdk.call(delete)
    assert describe(sdk) == []
    error = server_error(lambda: sdk.call(delete))
    assert (error.get_http_status(), error.get_error_code()) == (400, "ServerCertificateId.NotFound")


def test_wrong_secret(emu, slbcert_pki):
    certificate, key, _ = upload_pair(slbcert_pki)
    error = server_error(lambda: Legacy(emu, secret="not-the-secret").call(
        upload_request(certificate, key)))
    # The SDK renames SignatureDoesNotMatch to InvalidAccessKeySecret only when the server's
    # string to sign equals its own: so both sides built the same one.
    assert (error.get_http_status(), error.get_error_code()) == (400, "InvalidAccessKeySecret")
    assert emu.request_log()[-1]["code"] == "SignatureDoesNotMatch"


def test_replayed_nonce(emu, monkeypatch):
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: "a-fixed-nonce-for-this-test")
    sdk = Legacy(emu)
    assert describe(sdk) == []
    error = server_error(lambda: describe(sdk))
    assert (error.get_http_status(), error.get_error_code()) == (400, "SignatureNonceUsed")


@pytest.mark.parametrize("skew_seconds", [16 * 60, -16 * 60])
def test_skewed_clock(emu, skew_seconds):
    emu.admin.send("POST", "clock", {"offset_seconds": skew_seconds})
    error = server_error(lambda: describe(Legacy(emu)))
    assert (error.get_http_status(), error.get_error_code()) == (400, "InvalidTimeStamp.Expired")
    assert error.get_error_msg() == "Specified time stamp or date value is expired."


def test_mismatched_pair(emu, slbcert_pki):
    certificate, _, _ = upload_pair(slbcert_pki)
    other_key = private_key_pem(slbcert_pki.stray.key, "pkcs1").decode()
    error = server_error(lambda: Legacy(emu).call(upload_request(certificate, other_key)))
    assert (error.get_http_status(), error.get_error_code()) == (400, "CertificateNotMatchPrivateKey")


def test_encrypted_key(emu, slbcert_pki):
    certificate, _, _ = upload_pair(slbcert_pki)
    error = server_error(lambda: Legacy(emu).call(
        upload_request(certificate, private_key_pem(slbcert_pki.leaf.key, "pkcs1-enc").decode())))
    assert (error.get_http_status(), error.get_error_code()) == (400, "PrivateKeyEncryption")
    assert error.get_error_msg() == "Key has Encrypted ."


def test_sts_credentials(emu, slbcert_pki):
    assert describe(Legacy(emu, STS_ID, STS_SECRET, STS_TOKEN)) == []
    error = server_error(lambda: describe(Legacy(emu, STS_ID, STS_SECRET, "another-token")))
    assert error.get_error_code() == "InvalidSecurityToken.MismatchWithAccessKey"


def test_unknown_access_key(emu):
    error = server_error(lambda: describe(Legacy(emu, key_id="LTAInobody")))
    assert (error.get_http_status(), error.get_error_code()) == (404, "InvalidAccessKeyId.NotFound")


def test_accounts_are_separate(emu, slbcert_pki):
    certificate, key, _ = upload_pair(slbcert_pki)
    Legacy(emu).call(upload_request(certificate, key))
    assert describe(Legacy(emu, KEY2_ID, SECRET2)) == []
    assert len(describe(Legacy(emu, KEY_ID))) == 1
