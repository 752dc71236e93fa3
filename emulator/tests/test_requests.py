"""Hand-made requests: parameter placement, response formats, and the gateway's refusals."""

import urllib.parse

import pytest

import client
from harness import KEY_ID, REGION, SECRET, STS_ID, STS_SECRET, STS_TOKEN, upload_params

DESCRIBE = "DescribeServerCertificates"
UPLOAD = "UploadServerCertificate"


@pytest.mark.parametrize("signature", ["V1", "V3"])
def test_upload_with_parameters_in_a_form_body(emu, slbcert_pki, signature):
    reply = emu.call(UPLOAD, upload_params(slbcert_pki, name="from-body"), signature=signature, in_body=True)
    assert reply.status == 200, reply.body
    assert emu.request_log()[-1]["signature"] == signature
    listed = emu.call(DESCRIBE, {"RegionId": REGION}, signature=signature, in_body=True).json()
    [cert] = listed["ServerCertificates"]["ServerCertificate"]
    assert cert["ServerCertificateId"] == reply.json()["ServerCertificateId"]
    assert cert["ServerCertificateName"] == "from-body"


def test_v1_parameters_split_between_query_and_body(emu, slbcert_pki):
    method, target, headers, body = client.v1_request(UPLOAD, upload_params(slbcert_pki), KEY_ID, SECRET,
                                                      in_body=True)
    # Move the operation's own parameters to the query; the signature covers both places.
    fields = dict(urllib.parse.parse_qsl(body.decode()))
    query = {k: fields.pop(k) for k in ("RegionId", "ServerCertificateName")}
    reply = client.send(emu.url, method, "/?" + client.form(query), headers=headers,
                        body=client.form(fields).encode())
    assert reply.status == 200, reply.body


def test_v3_body_must_match_its_content_sha256(emu, slbcert_pki):
    method, target, headers, body = client.v3_request(UPLOAD, upload_params(slbcert_pki), KEY_ID, SECRET,
                                                      emu.host, in_body=True)
    tampered = body.replace(b"example-cert", b"examplX-cert")
    reply = client.send(emu.url, method, target, headers=headers, body=tampered)
    assert (reply.status, reply.code) == (400, "SignatureDoesNotMatch")
    assert reply.json()["Message"].startswith(
        "Specified signature is not matched with our calculation. server string to sign is:"
        "ACS3-HMAC-SHA256\n")


def test_v3_unsigned_acs_header_is_refused(emu):
    method, target, headers, body = client.v3_request(DESCRIBE, {"RegionId": REGION}, KEY_ID,
                                                      SECRET, emu.host)
    headers["x-acs-extra"] = "added after signing"
    reply = client.send(emu.url, method, target, headers=headers, body=body)
    assert (reply.status, reply.code) == (400, "IncompleteSignature")


def test_v3_header_values_are_signed(emu):
    method, target, headers, body = client.v3_request(DESCRIBE, {"RegionId": REGION}, KEY_ID,
                                                      SECRET, emu.host)
    headers["x-acs-action"] = "DeleteServerCertificate"
    reply = client.send(emu.url, method, target, headers=headers, body=body)
    assert (reply.status, reply.code) == (400, "SignatureDoesNotMatch")


@pytest.mark.parametrize("params, missing", [
    ({}, "RegionId"),
    ({"RegionId": REGION}, "ServerCertificateId"),
])
def test_missing_operation_parameter(emu, params, missing):
    reply = emu.call("DeleteServerCertificate", params)
    assert (reply.status, reply.code) == (400, "MissingParameter")
    assert reply.json()["Message"] == (
        f'The input parameter "{missing}" that is mandatory for processing this request is not supplied.')


@pytest.mark.parametrize("dropped", ["AccessKeyId", "Signature", "SignatureNonce", "Timestamp"])
def test_missing_signing_parameter(emu, dropped):
    _, target, _, _ = client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY_ID, SECRET)
    params = dict(urllib.parse.parse_qsl(target[2:]))
    del params[dropped]
    reply = client.send(emu.url, "POST", "/?" + client.form(params))
    assert (reply.status, reply.code) == (400, "MissingParameter")
    assert f'"{dropped}"' in reply.json()["Message"]


def test_unknown_action_and_version(emu):
    assert emu.call("DescribeVServerGroups", {"RegionId": REGION}).code == "InvalidAction.NotFound"
    _, target, _, _ = client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY_ID, SECRET)
    reply = client.send(emu.url, "POST", target.replace("2014-05-15", "2099-01-01"))
    assert (reply.status, reply.code) == (404, "InvalidAction.NotFound")


def test_unknown_access_key_and_bad_token(emu):
    reply = emu.call(DESCRIBE, {"RegionId": REGION}, key_id="LTAIunknown")
    assert (reply.status, reply.code) == (404, "InvalidAccessKeyId.NotFound")
    assert reply.json()["Message"] == "Specified access key is not found."
    reply = emu.call(DESCRIBE, {"RegionId": REGION}, key_id=STS_ID, secret=STS_SECRET,
                     signature="V3", token="forged")
    assert (reply.status, reply.code) == (400, "InvalidSecurityToken.MismatchWithAccessKey")
    reply = emu.call(DESCRIBE, {"RegionId": REGION}, token=STS_TOKEN)  # a token on a plain key
    assert reply.code == "InvalidSecurityToken.MismatchWithAccessKey"


def test_malformed_timestamp(emu):
    reply = emu.call(DESCRIBE, {"RegionId": REGION}, timestamp="2024-01-01 12:00:00")
    assert (reply.status, reply.code) == (400, "InvalidTimeStamp.Format")


def test_nonce_is_spent_only_by_an_authenticated_request(emu):
    bad = emu.call(DESCRIBE, {"RegionId": REGION}, secret="wrong", nonce="shared-nonce")
    assert bad.code == "SignatureDoesNotMatch"
    assert emu.call(DESCRIBE, {"RegionId": REGION}, nonce="shared-nonce").status == 200
    assert emu.call(DESCRIBE, {"RegionId": REGION}, nonce="shared-nonce").code == "SignatureNonceUsed"


def test_xml_is_the_default_format(emu, slbcert_pki):
    reply = emu.call(UPLOAD, upload_params(slbcert_pki, name="xml-cert"), fmt=None)
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/xml;charset=utf-8"
    root = reply.xml()
    assert root.tag == "UploadServerCertificateResponse"
    assert root.findtext("ServerCertificateName") == "xml-cert"
    assert root.findall("SubjectAlternativeNames/SubjectAlternativeName")[1].text == "example.com"

    listed = emu.call(DESCRIBE, {"RegionId": REGION, "Tag.1.Key": "absent"}, fmt="XML").xml()
    assert listed.tag == "DescribeServerCertificatesResponse"
    assert listed.findall("ServerCertificates/ServerCertificate") == []
    listed = emu.call(DESCRIBE, {"RegionId": REGION}, fmt="xml").xml()
    [cert] = listed.findall("ServerCertificates/ServerCertificate")
    assert cert.findtext("ServerCertificateId") == root.findtext("ServerCertificateId")

    error = emu.call(DESCRIBE, {}, fmt=None)
    assert error.xml().tag == "Error" and error.xml().findtext("Code") == "MissingParameter"
    assert error.xml().findtext("RequestId") == error.headers["x-acs-request-id"]


def test_json_format_is_case_insensitive(emu):
    reply = emu.call(DESCRIBE, {"RegionId": REGION}, fmt="json")
    assert reply.headers["Content-Type"] == "application/json;charset=utf-8"
    assert reply.json() == {"RequestId": reply.headers["x-acs-request-id"],
                            "ServerCertificates": {"ServerCertificate": []}}


def test_error_body_fields(emu):
    reply = emu.call(DESCRIBE, {"RegionId": "mars-1"})
    body = reply.json()
    assert (reply.status, body["Code"]) == (404, "InvalidRegionId.NotFound")
    assert body["Message"] == "The specified RegionId does not exist."
    assert body["Recommend"].endswith(f"q=InvalidRegionId.NotFound&product=Slb&requestId={body['RequestId']}")
    assert body["HostId"] == "127.0.0.1"


def test_get_requests_work_too(emu):
    assert emu.call(DESCRIBE, {"RegionId": REGION}, method="GET").status == 200


def test_invalid_utf8_is_refused(emu):
    reply = client.send(emu.url, "POST", "/?Action=DescribeServerCertificates&RegionId=%ff",
                        headers={"Accept": "application/json"})
    assert (reply.status, reply.code) == (400, "InvalidParameter")


def test_other_paths_and_methods(emu):
    _, target, _, _ = client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY_ID, SECRET)
    assert client.send(emu.url, "PUT", target).code == "InvalidAction.NotFound"
    assert client.send(emu.url, "POST", "/v1" + target).code == "InvalidAction.NotFound"


def test_rename_of_an_unknown_certificate(emu):
    reply = emu.call("SetServerCertificateName", {"RegionId": REGION, "ServerCertificateId": "1_2_3_4",
                                                  "ServerCertificateName": "new-name"})
    assert (reply.status, reply.code) == (400, "ServerCertificateId.NotFound")
