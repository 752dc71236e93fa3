"""SQLite storage: data survives restarts (also kill -9), concurrent requests lose nothing."""

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import REGION, upload_params
from lbs import create_lb, create_listener, https_attribute, ok, served_fingerprint, set_faults, upload

UPLOAD = "UploadServerCertificate"


def describe(emu):
    reply = emu.call("DescribeServerCertificates", {"RegionId": REGION})
    return reply.json()["ServerCertificates"]["ServerCertificate"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_data_survives_a_restart(slbcert_emulator_factory, slbcert_pki, tmp_path, signum):
    first = slbcert_emulator_factory(data_dir=tmp_path / "data")
    kept = first.call(UPLOAD, upload_params(slbcert_pki, name="kept")).json()["ServerCertificateId"]
    renamed = first.call(UPLOAD, upload_params(slbcert_pki, name="before")).json()["ServerCertificateId"]
    deleted = first.call(UPLOAD, upload_params(slbcert_pki, name="deleted")).json()["ServerCertificateId"]
    first.call("SetServerCertificateName",
               {"RegionId": REGION, "ServerCertificateId": renamed, "ServerCertificateName": "after"})
    first.call("DeleteServerCertificate", {"RegionId": REGION, "ServerCertificateId": deleted})
    status = first.stop(signum)
    assert status == (-signal.SIGKILL if signum == signal.SIGKILL else 0)

    second = slbcert_emulator_factory(data_dir=tmp_path / "data")
    assert {c["ServerCertificateId"]: c["ServerCertificateName"] for c in describe(second)} == {
        kept: "kept", renamed: "after"}


def test_eight_threads_lose_and_duplicate_nothing(slbcert_emulator_factory, slbcert_pki):
    emu = slbcert_emulator_factory("--quota", "1000")
    params = [upload_params(slbcert_pki, name=f"cert-{i}") for i in range(48)]

    def work(p):
        uploaded = emu.call(UPLOAD, p).json()["ServerCertificateId"]
        renamed = emu.call("SetServerCertificateName", {
            "RegionId": REGION, "ServerCertificateId": uploaded,
            "ServerCertificateName": p["ServerCertificateName"] + "-renamed"})
        assert renamed.status == 200
        return uploaded

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, params, timeout=60))
    assert len(set(ids)) == len(params)
    listed = describe(emu)
    assert sorted(c["ServerCertificateId"] for c in listed) == sorted(ids)
    assert {c["ServerCertificateName"] for c in listed} == {f"cert-{i}-renamed" for i in range(48)}

    with ThreadPoolExecutor(max_workers=8) as pool:
        deleted = list(pool.map(lambda i: emu.call("DeleteServerCertificate", {
            "RegionId": REGION, "ServerCertificateId": i}).status, ids + ids[:8], timeout=60))
    assert sorted(deleted) == [200] * len(ids) + [400] * 8
    assert describe(emu) == []


def test_quota_holds_under_concurrency(slbcert_emulator_factory, slbcert_pki):
    emu = slbcert_emulator_factory("--quota", "5")
    params = [upload_params(slbcert_pki) for _ in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda p: emu.call(UPLOAD, p).json().get("Code"), params, timeout=60))
    assert codes.count(None) == 5 and codes.count("OverQuota") == 11
    assert len(describe(emu)) == 5


# --- load balancers, listeners and domain extensions ------------------------------------------------

def rotation_setup(emu, slbcert_pki):
    """An instance with two listeners, one with a domain extension; what a restart must keep."""
    default = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=0)
    sni = upload(emu, slbcert_pki, "api.example.com", ("api.example.com",), key_index=1)
    lb = create_lb(emu, LoadBalancerName="kept")
    ports = [create_listener(emu, lb, default["ServerCertificateId"]) for _ in range(2)]
    de_id = ok(emu.call("CreateDomainExtension", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(ports[0]),
        "Domain": "api.example.com", "ServerCertificateId": sni["ServerCertificateId"]}))["DomainExtensionId"]
    return {"default": default, "sni": sni, "lb": lb, "ports": ports, "de": de_id}


def state_of(emu, s):
    listed = ok(emu.call("DescribeLoadBalancerListeners", {"RegionId": REGION}))
    extensions = ok(emu.call("DescribeDomainExtensions", {
        "RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"], "ListenerPort": str(s["ports"][0])}))
    return {
        "load_balancers": [(b["LoadBalancerId"], b["Address"]) for b in ok(emu.call(
            "DescribeLoadBalancers", {"RegionId": REGION}))["LoadBalancers"]["LoadBalancer"]],
        "listeners": sorted((li["ListenerPort"], li["Status"], li["HTTPSListenerConfig"]["ServerCertificateId"])
                            for li in listed.get("Listeners", [])),
        "extensions": [(e["DomainExtensionId"], e["ServerCertificateId"])
                       for e in extensions["DomainExtensions"]["DomainExtension"]],
        "idle_timeout": https_attribute(emu, s["lb"], s["ports"][1])["IdleTimeout"],
    }


def test_load_balancers_survive_a_kill_and_serve_again(slbcert_emulator_factory, slbcert_pki, tmp_path):
    first = slbcert_emulator_factory(data_dir=tmp_path / "data")
    s = rotation_setup(first, slbcert_pki)
    before = state_of(first, s)
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL

    second = slbcert_emulator_factory(data_dir=tmp_path / "data")
    assert state_of(second, s) == before  # same ids, the same address (its block was free again)
    address = s["lb"]["Address"]
    assert served_fingerprint(address, s["ports"][0], "api.example.com") == s["sni"]["Fingerprint"]
    assert served_fingerprint(address, s["ports"][1]) == s["default"]["Fingerprint"]


def stalled(emu, action, params):
    """Start `action` with a stall inside its open transaction; return once it is stalled."""
    set_faults(emu, {"action": action, "fault": "stall-before-commit", "delay_ms": 30000})
    errors = []
    caller = threading.Thread(target=lambda: errors.append(_swallow(lambda: emu.call(action, params))),
                              daemon=True)
    caller.start()
    deadline = time.monotonic() + 10
    while emu.admin.send("GET", "stats")[1]["faults_fired"].get("stall-before-commit") != 1:
        assert time.monotonic() < deadline, "the operation never reached its commit"
        time.sleep(0.02)
    return caller


def _swallow(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the connection dies with the process
        return exc


@pytest.mark.parametrize("action", ["DeleteLoadBalancer", "SetLoadBalancerHTTPSListenerAttribute",
                                    "SetDomainExtensionAttribute"])
def test_a_kill_mid_operation_leaves_nothing_half_applied(slbcert_emulator_factory, slbcert_pki, tmp_path, action):
    first = slbcert_emulator_factory(data_dir=tmp_path / "data")
    s = rotation_setup(first, slbcert_pki)
    renewed = upload(first, slbcert_pki, "www.example.com", ("www.example.com", "api.example.com"), key_index=2)
    before = state_of(first, s)
    params = {
        "DeleteLoadBalancer": {"RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"]},
        "SetLoadBalancerHTTPSListenerAttribute": {
            "RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"], "ListenerPort": str(s["ports"][1]),
            "ServerCertificateId": renewed["ServerCertificateId"], "IdleTimeout": "42"},
        "SetDomainExtensionAttribute": {"RegionId": REGION, "DomainExtensionId": s["de"],
                                        "ServerCertificateId": renewed["ServerCertificateId"]},
    }[action]
    caller = stalled(first, action, params)
    first.stop(signal.SIGKILL)
    caller.join(10)

    second = slbcert_emulator_factory(data_dir=tmp_path / "data")
    assert state_of(second, s) == before
    ok(second.call(action, params))  # and the same change, done again, is whole
    if action == "DeleteLoadBalancer":
        assert ok(second.call("DescribeLoadBalancers", {"RegionId": REGION}))["TotalCount"] == 0
        assert ok(second.call("DeleteServerCertificate", {
            "RegionId": REGION, "ServerCertificateId": s["sni"]["ServerCertificateId"]}))


def test_concurrent_changes_of_many_instances(slbcert_emulator_factory, slbcert_pki):
    emu = slbcert_emulator_factory()
    certs = [upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=i) for i in range(2)]

    def work(i):
        lb = create_lb(emu, LoadBalancerName=f"lb-{i}")
        port = create_listener(emu, lb, certs[0]["ServerCertificateId"])
        for n in range(3):
            ok(emu.call("SetLoadBalancerHTTPSListenerAttribute", {
                "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port),
                "ServerCertificateId": certs[(n + 1) % 2]["ServerCertificateId"]}))
        return lb, port

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(work, range(16), timeout=60))
    assert len({lb["Address"] for lb, _ in created}) == 16
    for lb, port in created:
        assert served_fingerprint(lb["Address"], port) == certs[1]["Fingerprint"]
    listed = ok(emu.call("DescribeLoadBalancerListeners", {"RegionId": REGION, "MaxResults": "100"}))
    assert listed["TotalCount"] == 16
    assert {li["HTTPSListenerConfig"]["ServerCertificateId"] for li in listed["Listeners"]} == {
        certs[1]["ServerCertificateId"]}
