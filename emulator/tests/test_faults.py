"""Injected faults: every kind, how many times it fires, and what it leaves behind."""

import http.client
import time
import urllib.error

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from alibabacloud_slb20140515 import models
from alibabacloud_tea_openapi.exceptions import ThrottlingException

from harness import REGION, upload_pair, upload_params
from sdks import Legacy, tea
from test_sdk_legacy import upload_request

UPLOAD = "UploadServerCertificate"
DESCRIBE = "DescribeServerCertificates"


def set_faults(emu, *rules):
    status, body = emu.admin.send("POST", "faults", list(rules))
    assert status == 200, body
    return body["pending"]


def stored(emu):
    return emu.admin.send("GET", "certificates")[1]["Certificates"]


@pytest.mark.parametrize("fault, status, code, message", [
    ("throttle", 400, "Throttling.User", "Request was denied due to user flow control."),
    ("busy", 449, "SystemBusy", "The system is busy."),
    ("internal", 500, "InternalError",
     "The request processing has failed due to backend service exception."),
    ("unavailable", 503, "ServiceUnavailable",
     "The request has failed due to a temporary failure of the server."),
])
def test_error_faults(emu, slbcert_pki, fault, status, code, message):
    set_faults(emu, {"action": UPLOAD, "fault": fault, "times": 2})
    for _ in range(2):
        reply = emu.call(UPLOAD, upload_params(slbcert_pki))
        assert (reply.status, reply.json()["Code"], reply.json()["Message"]) == (status, code, message)
        assert "x-acs-retry-after" not in reply.headers
    assert stored(emu) == []
    assert emu.call(UPLOAD, upload_params(slbcert_pki)).status == 200
    assert emu.admin.send("GET", "stats")[1]["faults_fired"] == {fault: 2}


def test_retry_after_header_reaches_the_sdk(emu):
    set_faults(emu, {"action": "*", "fault": "throttle", "retry_after_ms": 1500})
    with pytest.raises(ThrottlingException) as info:
        tea(emu).describe_server_certificates(models.DescribeServerCertificatesRequest(region_id=REGION))
    assert (info.value.code, info.value.retry_after) == ("Throttling.User", 1500)


def test_a_service_fault_spends_the_nonce(emu):
    set_faults(emu, {"action": DESCRIBE, "fault": "unavailable"})
    assert emu.call(DESCRIBE, {"RegionId": REGION}, nonce="n-1").status == 503
    assert emu.call(DESCRIBE, {"RegionId": REGION}, nonce="n-1").json()["Code"] == "SignatureNonceUsed"


def test_faults_match_their_action(emu, slbcert_pki):
    set_faults(emu, {"action": "DeleteServerCertificate", "fault": "internal"})
    assert emu.call(DESCRIBE, {"RegionId": REGION}).status == 200
    assert emu.call(UPLOAD, upload_params(slbcert_pki)).status == 200
    assert emu.admin.send("GET", "faults")[1]["pending"] == [
        {"action": "DeleteServerCertificate", "fault": "internal", "times": 1, "delay_ms": 0}]


def test_delay(emu):
    set_faults(emu, {"action": "*", "fault": "delay", "delay_ms": 400})
    started = time.monotonic()
    assert emu.call(DESCRIBE, {"RegionId": REGION}).status == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    emu.call(DESCRIBE, {"RegionId": REGION})
    assert time.monotonic() - started < 0.4


def dropped(call):
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        call()


def test_drop_before_processing(emu, slbcert_pki):
    set_faults(emu, {"action": UPLOAD, "fault": "drop-before"})
    params = upload_params(slbcert_pki)
    dropped(lambda: emu.call(UPLOAD, params, nonce="kept-nonce"))
    assert stored(emu) == []
    # Nothing was processed, so not even the nonce was spent.
    assert emu.call(UPLOAD, params, nonce="kept-nonce").status == 200


def test_drop_after_commit(emu, slbcert_pki):
    set_faults(emu, {"action": UPLOAD, "fault": "drop-after-commit"})
    dropped(lambda: emu.call(UPLOAD, upload_params(slbcert_pki, name="lost-answer")))
    [cert] = stored(emu)
    assert cert["ServerCertificateName"] == "lost-answer"
    entry = [e for e in emu.request_log() if e["action"] == UPLOAD][-1]
    assert (entry["status"], entry["fault"]) == (None, "drop-after-commit")


def test_html_414_fault(emu, slbcert_pki):
    set_faults(emu, {"action": UPLOAD, "fault": "html-414", "retry_after_ms": 10})
    reply = emu.call(UPLOAD, upload_params(slbcert_pki))
    assert (reply.status, reply.headers["Content-Type"]) == (414, "text/html")
    assert b"<title>414 Request-URI Too Large</title>" in reply.body
    assert reply.headers["x-acs-retry-after"] == "10"
    assert stored(emu) == []


def test_legacy_sdk_meets_the_html_414(emu, slbcert_pki):
    set_faults(emu, {"action": UPLOAD, "fault": "html-414"})
    certificate, key, _ = upload_pair(slbcert_pki)
    with pytest.raises(ServerException) as info:
        Legacy(emu).call(upload_request(certificate, key))
    assert info.value.get_http_status() == 414


def test_max_url_bytes(slbcert_emulator_factory, slbcert_pki):
    emu = slbcert_emulator_factory("--max-url-bytes", "2048")
    params = upload_params(slbcert_pki)
    reply = emu.call(UPLOAD, params)
    assert (reply.status, reply.headers["Content-Type"]) == (414, "text/html")
    assert reply.headers["Connection"] == "close"
    # The same upload fits once its parameters travel in the body.
    assert emu.call(UPLOAD, params, in_body=True).status == 200
    assert emu.call(DESCRIBE, {"RegionId": REGION}).status == 200


@pytest.mark.parametrize("rules", [
    {"action": "*", "fault": "throttle"},  # not a list
    [{"action": "*", "fault": "explode"}],
    [{"action": "*", "fault": "delay", "delay_ms": -1}],
    [{"action": "*", "fault": "delay", "delay_ms": 10**9}],
    [{"action": "*", "fault": ["busy"]}],
    [{"action": "*", "fault": "busy", "times": "2"}],
    [{"action": "*", "fault": "busy", "colour": "red"}],
])
def test_bad_fault_rules_are_refused(emu, rules):
    status, body = emu.admin.send("POST", "faults", rules)
    assert status == 400 and body["error"]
    assert emu.admin.send("GET", "faults")[1]["pending"] == []
