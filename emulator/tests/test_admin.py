"""The admin API under /_emulator/ and the request log."""

import json
import urllib.parse

import client
from harness import KEY_ID, REGION, SECRET, STS_ID, STS_SECRET, STS_TOKEN, issue_leaf, upload_params
from lbs import create_lb, create_listener, set_faults
from slbcert_emulator.admin import Admin

UPLOAD = "UploadServerCertificate"


def test_health(emu):
    assert emu.admin.send("GET", "health") == (200, {"status": "ok"})


def test_certificates_never_show_private_keys(emu, slbcert_pki):
    params = upload_params(slbcert_pki, name="listed", **{"Tag.1.Key": "env", "Tag.1.Value": "prod"})
    cert_id = emu.call(UPLOAD, params).json()["ServerCertificateId"]
    reply = client.send(emu.url, "GET", "/_emulator/certificates")
    [cert] = reply.json()["Certificates"]
    assert cert["ServerCertificateId"] == cert_id
    assert cert["ServerCertificate"] == params["ServerCertificate"]
    assert cert["Tags"] == {"Tag": [{"TagKey": "env", "TagValue": "prod"}]}
    assert (cert["RegionId"], cert["Bound"], len(cert["AccountId"])) == (REGION, False, 16)
    key_body = params["PrivateKey"].splitlines()[1]
    assert "PrivateKey" not in cert and key_body.encode() not in reply.body


def test_stats(emu, slbcert_pki):
    before = emu.admin.send("GET", "stats")[1]["connections_accepted"]
    emu.call(UPLOAD, upload_params(slbcert_pki))
    emu.call("DescribeServerCertificates", {"RegionId": REGION})
    emu.call("DescribeServerCertificates", {"RegionId": REGION})
    stats = emu.admin.send("GET", "stats")[1]
    assert stats["requests"] == {UPLOAD: 1, "DescribeServerCertificates": 2}
    assert stats["connections_accepted"] == before + 4  # urllib opens one per request
    assert stats["faults_fired"] == {}


def test_bound_certificate_cannot_be_deleted(emu, slbcert_pki):
    cert_id = emu.call(UPLOAD, upload_params(slbcert_pki)).json()["ServerCertificateId"]
    assert emu.admin.send("POST", "bind", {"ServerCertificateId": cert_id}) == (
        200, {"ServerCertificateId": cert_id, "Bound": True})
    reply = emu.call("DeleteServerCertificate", {"RegionId": REGION, "ServerCertificateId": cert_id})
    assert (reply.status, reply.json()["Code"], reply.json()["Message"]) == (
        400, "CertificateAndPrivateKeyIsRefered",
        "The specified certificate is bound to listeners. You cannot delete it.")
    assert emu.admin.send("GET", "certificates")[1]["Certificates"][0]["Bound"] is True
    assert emu.admin.send("POST", "bind", {"ServerCertificateId": "nope"})[0] == 404


def test_cas_reference_upload(emu, slbcert_pki):
    leaf = issue_leaf(slbcert_pki, "cas.example.com", ("cas.example.com",))
    status, registered = emu.admin.send("POST", "cas", {
        "AliCloudCertificateId": "12345678", "AliCloudCertificateName": "cas-cert",
        "AliCloudCertificateRegionId": "cn-hangzhou", "ServerCertificate": leaf.chain_pem.decode()})
    assert status == 200 and registered["CommonName"] == "cas.example.com"

    reply = emu.call(UPLOAD, {"RegionId": "eu-central-1", "AliCloudCertificateId": "12345678"})
    body = reply.json()
    assert (body["IsAliCloudCertificate"], body["AliCloudCertificateId"],
            body["AliCloudCertificateName"]) == (1, "12345678", "cas-cert")
    assert (body["CommonName"], body["Fingerprint"]) == ("cas.example.com", registered["Fingerprint"])
    assert body["RegionId"] == "eu-central-1"

    for params in ({"AliCloudCertificateId": "999"},
                   {"AliCloudCertificateId": "12345678", "AliCloudCertificateRegionId": "cn-beijing"}):
        reply = emu.call(UPLOAD, dict(params, RegionId=REGION))
        assert (reply.status, reply.json()["Code"]) == (400, "InvalidParameter")


def test_cas_registration_needs_a_certificate(emu):
    status, body = emu.admin.send("POST", "cas", {"AliCloudCertificateId": "1", "AliCloudCertificateName": "x",
                                                  "ServerCertificate": "not a pem"})
    assert status == 400 and "InvalidParameter" in body["error"]
    assert emu.admin.send("POST", "cas", {"AliCloudCertificateId": "1"})[0] == 400


def test_clock(emu):
    status, body = emu.admin.send("POST", "clock", {"offset_seconds": -7200})
    assert status == 200 and body["offset_seconds"] == -7200
    assert emu.admin.send("GET", "clock")[1]["offset_seconds"] == -7200
    for bad in ({"offset_seconds": "soon"}, {"offset_seconds": 1e12}, {}, [1]):
        assert emu.admin.send("POST", "clock", bad)[0] == 400


def test_reset_forgets_everything(emu, slbcert_pki):
    cert_id = emu.call(UPLOAD, upload_params(slbcert_pki)).json()["ServerCertificateId"]
    lb = create_lb(emu)
    create_listener(emu, lb, cert_id)
    set_faults(emu, {"action": "*", "fault": "busy-window", "duration_ms": 60000, "times": 2})
    create_lb(emu)  # opens a busy window on that instance
    emu.admin.send("POST", "faults", [{"action": "*", "fault": "busy"}])
    emu.admin.send("POST", "clock", {"offset_seconds": 30})
    assert emu.admin.send("POST", "reset") == (200, {"status": "ok"})
    assert emu.admin.send("GET", "certificates")[1] == {"Certificates": []}
    assert emu.admin.send("GET", "listeners")[1]["Listeners"] == []
    assert emu.admin.send("GET", "faults")[1] == {"pending": []}
    assert emu.admin.send("GET", "clock")[1]["offset_seconds"] == 0
    assert emu.admin.send("GET", "stats")[1]["requests"] == {}
    assert emu.call("DescribeLoadBalancers", {"RegionId": REGION}).json()["TotalCount"] == 0


def test_unknown_endpoint_and_bad_json(emu):
    assert emu.admin.send("GET", "nothing-here")[0] == 404
    assert emu.admin.send("GET", "reset")[0] == 404  # reset is POST only
    reply = client.send(emu.url, "POST", "/_emulator/faults", body=b"{not json")
    assert reply.status == 400 and "JSON" in reply.json()["error"]


def test_only_loopback_clients_are_served():
    assert Admin(emulator=None).handle("GET", "/_emulator/health", b"", "192.0.2.10")[0] == 403


def test_request_log_holds_no_secret(emu, slbcert_pki):
    params = upload_params(slbcert_pki, name="logged")
    _, target, _, _ = client.v1_request(UPLOAD, params, KEY_ID, SECRET)
    signature = dict(urllib.parse.parse_qsl(target[2:]))["Signature"]
    assert client.send(emu.url, "POST", target).status == 200
    assert emu.call(UPLOAD, params, signature="V3", in_body=True).status == 200
    assert emu.call("DescribeServerCertificates", {"RegionId": REGION}, key_id=STS_ID,
                    secret=STS_SECRET, token=STS_TOKEN).status == 200
    assert emu.call("DescribeServerCertificates", {"RegionId": REGION}, key_id=STS_ID,
                    secret=STS_SECRET, signature="V3", token=STS_TOKEN).status == 200
    emu.admin.send("POST", "cas", {"AliCloudCertificateId": "1", "AliCloudCertificateName": "c",
                                   "ServerCertificate": slbcert_pki.intermediate.cert_pem.decode()})

    with open(f"{emu.data_dir}/requests.log", encoding="utf-8") as f:
        text = f.read()
    pem_lines = [line for pem in (params["PrivateKey"], params["ServerCertificate"])
                 for line in pem.splitlines() if "-----" not in line]
    for secret in [SECRET, STS_SECRET, STS_TOKEN, signature, "BEGIN", *pem_lines]:
        assert secret not in text and json.dumps(secret)[1:-1] not in text
    entries = [json.loads(line) for line in text.splitlines()]
    uploads = [e for e in entries if e["params"].get("ServerCertificateName") == "logged"]
    assert [(e["action"], e["signature"], e["status"]) for e in uploads] == [
        (UPLOAD, "V1", 200), (UPLOAD, "V3", 200)]
    for entry in uploads:
        assert {"time", "account", "code", "duration_ms", "request_id"} <= set(entry)
        assert entry["params"]["PrivateKey"] == entry["params"]["ServerCertificate"] == "[redacted]"


def test_request_log_option(slbcert_emulator_factory, tmp_path):
    log_file = tmp_path / "logs" / "emulator.jsonl"
    emu = slbcert_emulator_factory("--request-log", str(log_file))
    emu.call("DescribeServerCertificates", {"RegionId": "nowhere"})
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    # The launcher's readiness check comes first.
    assert [e["action"] for e in entries[:-1]] == ["/_emulator/health"]
    entry = entries[-1]
    assert (entry["action"], entry["status"], entry["code"]) == (
        "DescribeServerCertificates", 404, "InvalidRegionId.NotFound")
