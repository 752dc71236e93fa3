"""alibabacloud-slb20140515 (tea-openapi) against the emulator, with V3 and V1 signatures."""

import pytest
from alibabacloud_slb20140515 import models
from alibabacloud_tea_openapi import utils as tea_utils
from alibabacloud_tea_openapi.exceptions import ClientException

from harness import REGION, STS_ID, STS_SECRET, STS_TOKEN, upload_pair
from sdks import tea

SIGNATURES = pytest.mark.parametrize("v1", [False, True], ids=["V3", "V1"])


def upload(client, certificate, key, name="tea-cert", tags=()):
    return client.upload_server_certificate(models.UploadServerCertificateRequest(
        region_id=REGION, server_certificate=certificate, private_key=key,
        server_certificate_name=name, resource_group_id="rg-acfmtest0001",
        tag=[models.UploadServerCertificateRequestTag(key=k, value=v) for k, v in tags])).body


def describe(client, **filters):
    body = client.describe_server_certificates(
        models.DescribeServerCertificatesRequest(region_id=REGION, **filters)).body
    return body.server_certificates.server_certificate


def client_error(call):
    with pytest.raises(ClientException) as info:
        call()
    return info.value


@SIGNATURES
def test_upload_describe_rename_delete(emu, slbcert_pki, v1):
    client = tea(emu, v1=v1)
    certificate, key, _ = upload_pair(slbcert_pki, "api.example.com", ("api.example.com",))
    uploaded = upload(client, certificate, key, tags=[("env", "prod"), ("team", "web")])
    assert uploaded.common_name == "api.example.com"
    assert uploaded.resource_group_id == "rg-acfmtest0001"
    assert uploaded.is_ali_cloud_certificate == 0
    assert uploaded.expire_time_stamp > uploaded.create_time_stamp
    assert emu.request_log()[-1]["signature"] == ("V1" if v1 else "V3")
    upload(client, *upload_pair(slbcert_pki, "other.example.com", ("other.example.com",))[:2],
           name="other", tags=[("env", "dev")])

    [found] = describe(client, tag=[models.DescribeServerCertificatesRequestTag(key="env", value="prod")])
    assert found.server_certificate_id == uploaded.server_certificate_id
    assert [(t.tag_key, t.tag_value) for t in found.tags.tag] == [("env", "prod"), ("team", "web")]
    assert found.subject_alternative_names.subject_alternative_name == ["api.example.com"]
    assert len(describe(client)) == 2
    assert len(describe(client, resource_group_id="rg-acfmtest0001")) == 2
    assert describe(client, resource_group_id="rg-other") == []
    assert describe(client, server_certificate_id="123_unknown") == []

    client.set_server_certificate_name(models.SetServerCertificateNameRequest(
        region_id=REGION, server_certificate_id=found.server_certificate_id,
        server_certificate_name="api-2025"))
    [renamed] = describe(client, server_certificate_id=found.server_certificate_id)
    assert renamed.server_certificate_name == "api-2025"

    client.delete_server_certificate(models.DeleteServerCertificateRequest(
        region_id=REGION, server_certificate_id=found.server_certificate_id))
    assert [c.server_certificate_name for c in describe(client)] == ["other"]


@SIGNATURES
def test_wrong_secret(emu, v1):
    error = client_error(lambda: describe(tea(emu, v1=v1, secret="wrong")))
    assert (error.status_code, error.code) == (400, "SignatureDoesNotMatch")
    assert "server string to sign is:" in error.message


@SIGNATURES
def test_sts_token(emu, v1):
    assert describe(tea(emu, v1=v1, key_id=STS_ID, secret=STS_SECRET, token=STS_TOKEN)) == []
    error = client_error(lambda: describe(tea(emu, v1=v1, key_id=STS_ID, secret=STS_SECRET)))
    assert error.code == "InvalidSecurityToken.MismatchWithAccessKey"


def test_replayed_nonce_v3(emu, monkeypatch):
    monkeypatch.setattr(tea_utils.Utils, "get_nonce", staticmethod(lambda: "fixed-nonce-v3"))
    client = tea(emu)
    describe(client)
    error = client_error(lambda: describe(client))
    assert (error.status_code, error.code) == (400, "SignatureNonceUsed")


def test_skewed_clock_v3(emu):
    emu.admin.send("POST", "clock", {"offset_seconds": -3600})
    error = client_error(lambda: describe(tea(emu)))
    assert (error.status_code, error.code) == (400, "InvalidTimeStamp.Expired")


@SIGNATURES
def test_pkcs8_key_is_refused(emu, slbcert_pki, v1):
    certificate, _, _ = upload_pair(slbcert_pki)
    error = client_error(lambda: upload(tea(emu, v1=v1), certificate, slbcert_pki.leaf.key_bytes("pkcs8").decode()))
    assert (error.status_code, error.code) == (400, "InvalidParameter")
    assert "key format is error" in error.message


def test_unknown_region(emu):
    client = tea(emu)
    error = client_error(lambda: client.describe_server_certificates(
        models.DescribeServerCertificatesRequest(region_id="xx-nowhere-1")))
    assert (error.status_code, error.code) == (404, "InvalidRegionId.NotFound")
