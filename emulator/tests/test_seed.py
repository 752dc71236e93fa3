"""Seeding a region (admin `seed` and `--seed FILE`): all of it in one step, or nothing."""

import json
import signal
import subprocess
import sys

import pytest

from harness import KEY2_ID, KEY_ID, REGION, SECRET2, upload_pair
from lbs import SPEC, any_free_port, https_attribute, ok, served_fingerprint


def seed_doc(slbcert_pki, port, domain_cert="sni"):
    default_pem, default_key, _ = upload_pair(slbcert_pki, "www.example.com", ("www.example.com",))
    sni_pem, sni_key, _ = upload_pair(slbcert_pki, "api.example.com", ("api.example.com",))
    return {
        "AccessKeyId": KEY_ID, "RegionId": REGION,
        "Certificates": [
            {"Ref": "default", "ServerCertificate": default_pem, "PrivateKey": default_key,
             "ServerCertificateName": "seeded-default"},
            {"Ref": "sni", "ServerCertificate": sni_pem, "PrivateKey": sni_key}],
        "LoadBalancers": [{
            "LoadBalancerName": "seeded", "LoadBalancerSpec": SPEC,
            "Listeners": [
                {"ListenerPort": port, "ServerCertificate": "default", "HealthCheck": "on",
                 "HealthCheckDomain": "www.example.com",
                 "DomainExtensions": [{"Domain": "api.example.com", "ServerCertificate": domain_cert}]},
                {"ListenerPort": 80, "ListenerProtocol": "http", "Status": "stopped"}]}]}


def stored(emu):
    certificates = emu.admin.send("GET", "certificates")[1]["Certificates"]
    return len(certificates), len(emu.admin.send("GET", "listeners")[1]["Listeners"])


def test_a_region_in_one_step(emu, slbcert_pki):
    port = any_free_port()
    status, created = emu.admin.send("POST", "seed", seed_doc(slbcert_pki, port))
    assert status == 200, created
    [lb] = created["LoadBalancers"]
    assert [li["ListenerPort"] for li in lb["Listeners"]] == [port, 80]
    [extension] = lb["Listeners"][0]["DomainExtensions"]
    shown = https_attribute(emu, lb, port)
    assert (shown["ServerCertificateId"], shown["Status"], shown["HealthCheckDomain"]) == (
        created["Certificates"]["default"]["ServerCertificateId"], "running", "www.example.com")
    assert shown["DomainExtensions"]["DomainExtension"][0]["DomainExtensionId"] == extension["DomainExtensionId"]
    assert served_fingerprint(lb["Address"], port, "api.example.com") == \
        created["Certificates"]["sni"]["Fingerprint"]
    # Seeded objects are ordinary ones: the API's rules hold for them.
    reply = emu.call("DeleteServerCertificate", {
        "RegionId": REGION, "ServerCertificateId": created["Certificates"]["sni"]["ServerCertificateId"]})
    assert reply.code == "CertificateAndPrivateKeyIsRefered"
    assert ok(emu.call("DescribeLoadBalancers", {"RegionId": REGION}, key_id=KEY2_ID,
                       secret=SECRET2))["TotalCount"] == 0


def test_a_document_breaking_a_rule_creates_nothing(emu, slbcert_pki):
    status, body = emu.admin.send("POST", "seed", seed_doc(slbcert_pki, any_free_port(), domain_cert="default"))
    assert status == 400
    assert body["error"] == ("LoadBalancers[0].Listeners[0].DomainExtensions[0]: DomainNotMatchCertificate: "
                             "The domain name does not match the certificate.")
    assert stored(emu) == (0, 0)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(AccessKeyId="LTAInobody"), "not one of the emulator's credentials"),
    (lambda d: d["LoadBalancers"][0]["Listeners"][0].update(ServerCertificate="nope"), "no certificate with Ref"),
    (lambda d: d.update(LoadBalancers={"not": "a list"}), "must be a list"),
    (lambda d: d["LoadBalancers"][0]["Listeners"][1].update(ListenerProtocol="tcp"), "ListenerProtocol"),
    (lambda d: d.update(RegionId="xx-nowhere-1"), "InvalidRegionId.NotFound"),
])
def test_bad_documents_are_refused(emu, slbcert_pki, change, message):
    doc = seed_doc(slbcert_pki, any_free_port())
    change(doc)
    status, body = emu.admin.send("POST", "seed", doc)
    assert status == 400 and message in body["error"]
    assert stored(emu) == (0, 0)


def test_a_seed_file_fills_a_new_data_directory_once(slbcert_emulator_factory, slbcert_pki, tmp_path):
    seed_file = tmp_path / "seed.json"
    port = any_free_port()
    seed_file.write_text(json.dumps([seed_doc(slbcert_pki, port)]))
    first = slbcert_emulator_factory("--seed", str(seed_file), data_dir=tmp_path / "data")
    [listener] = [li for li in first.admin.send("GET", "listeners")[1]["Listeners"] if li["ListenerPort"] == port]
    assert listener["DataPlane"]["Serving"]
    assert served_fingerprint(listener["Address"], port) == listener["DataPlane"]["Served"][0]["Fingerprint"]
    first.stop(signal.SIGTERM)
    second = slbcert_emulator_factory("--seed", str(seed_file), data_dir=tmp_path / "data")
    assert stored(second) == (2, 2)  # kept, not seeded twice
    [again] = [li for li in second.admin.send("GET", "listeners")[1]["Listeners"] if li["ListenerPort"] == port]
    assert again["Address"] == listener["Address"]  # its block was free again
    assert served_fingerprint(again["Address"], port) == listener["DataPlane"]["Served"][0]["Fingerprint"]


def test_a_bad_seed_file_stops_the_start(tmp_path):
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"AccessKeyId": "LTAInobody", "RegionId": REGION}))
    result = subprocess.run([sys.executable, "-m", "slbcert_emulator", "--data-dir", str(tmp_path / "d"),
                             "--access-key", f"{KEY_ID}:x", "--seed", str(seed_file)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "not one of the emulator's credentials" in result.stderr
