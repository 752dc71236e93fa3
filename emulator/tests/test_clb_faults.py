"""The rotation faults: a busy instance, DomainExtensionProcessing, a reference that lingers after
an unbind, and the HealthCheckDomain reset quirk; each fires where and as often as its rule says."""

import time

import pytest

from harness import REGION
from lbs import create_lb, create_listener, https_attribute, ok, served_fingerprint, set_faults, upload

WINDOW_MS = 600


@pytest.fixture
def setup(emu, slbcert_pki):
    old = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=0)
    new = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), name="renewed", key_index=1)
    lb = create_lb(emu)
    port = create_listener(emu, lb, old["ServerCertificateId"], HealthCheck="on",
                           HealthCheckDomain="health.example.com")
    return {"old": old, "new": new, "lb": lb, "port": port}


def switch(emu, s, cert_id):
    return emu.call("SetLoadBalancerHTTPSListenerAttribute", {
        "RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"], "ListenerPort": str(s["port"]),
        "ServerCertificateId": cert_id})


def test_a_busy_window_refuses_changes_of_that_instance_only(emu, setup):
    s = setup
    other = create_lb(emu)
    set_faults(emu, {"action": "*", "fault": "busy-window", "duration_ms": WINDOW_MS, "times": 1})
    opened = time.monotonic()
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))  # this change opens the window
    reply = switch(emu, s, s["old"]["ServerCertificateId"])
    assert (reply.status, reply.code, reply.json()["Message"]) == (
        400, "ServiceIsConfiguring", "A previous configuration is pending; please try again later.")
    stop = emu.call("StopLoadBalancerListener", {"RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"],
                                                 "ListenerPort": str(s["port"])})
    assert stop.code == "ServiceIsConfiguring"
    # Reads are served, the refused change left nothing, and another instance is not busy.
    assert https_attribute(emu, s["lb"], s["port"])["ServerCertificateId"] == s["new"]["ServerCertificateId"]
    assert served_fingerprint(s["lb"]["Address"], s["port"]) == s["new"]["Fingerprint"]
    create_listener(emu, other, s["old"]["ServerCertificateId"], start=False)
    time.sleep(max(0, WINDOW_MS / 1000 - (time.monotonic() - opened)) + 0.1)
    ok(switch(emu, s, s["old"]["ServerCertificateId"]))  # the rule fired once: no new window
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))
    assert emu.admin.send("GET", "stats")[1]["faults_fired"] == {"busy-window": 1}


def test_a_busy_window_opened_by_one_action_only(emu, setup):
    s = setup
    set_faults(emu, {"action": "SetDomainExtensionAttribute", "fault": "busy-window", "duration_ms": 5000})
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))
    ok(switch(emu, s, s["old"]["ServerCertificateId"]))
    assert len(emu.admin.send("GET", "faults")[1]["pending"]) == 1


def test_domain_extension_processing(emu, setup):
    s = setup
    set_faults(emu, {"action": "*", "fault": "domain-extension-processing", "times": 1})
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))  # not a domain-extension call: not fired
    params = {"RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"], "ListenerPort": str(s["port"]),
              "Domain": "www.example.com", "ServerCertificateId": s["old"]["ServerCertificateId"]}
    reply = emu.call("CreateDomainExtension", params)
    assert (reply.status, reply.code) == (400, "DomainExtensionProcessing")
    listed = ok(emu.call("DescribeDomainExtensions", {k: params[k] for k in ("RegionId", "LoadBalancerId",
                                                                             "ListenerPort")}))
    assert listed["DomainExtensions"]["DomainExtension"] == []
    ok(emu.call("CreateDomainExtension", params))


def test_a_released_reference_lingers(emu, setup):
    s = setup
    set_faults(emu, {"action": "*", "fault": "linger-reference", "duration_ms": WINDOW_MS})
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))
    released = time.monotonic()
    delete = {"RegionId": REGION, "ServerCertificateId": s["old"]["ServerCertificateId"]}
    reply = emu.call("DeleteServerCertificate", delete)
    assert (reply.status, reply.code) == (400, "CertificateAndPrivateKeyIsRefered")
    [old] = [c for c in emu.admin.send("GET", "certificates")[1]["Certificates"]
             if c["ServerCertificateId"] == s["old"]["ServerCertificateId"]]
    assert old["References"] == ["released reference (lingering)"]
    time.sleep(max(0, WINDOW_MS / 1000 - (time.monotonic() - released)) + 0.1)
    ok(emu.call("DeleteServerCertificate", delete))


def test_without_the_rule_a_switched_certificate_is_free_at_once(emu, setup):
    s = setup
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))
    ok(emu.call("DeleteServerCertificate", {"RegionId": REGION,
                                            "ServerCertificateId": s["old"]["ServerCertificateId"]}))


def test_the_health_check_domain_reset_quirk(emu, setup):
    s = setup
    ok(switch(emu, s, s["new"]["ServerCertificateId"]))
    assert https_attribute(emu, s["lb"], s["port"])["HealthCheckDomain"] == "health.example.com"
    set_faults(emu, {"action": "*", "fault": "healthcheck-domain-reset", "times": 5})
    ok(emu.call("SetLoadBalancerHTTPSListenerAttribute", {  # sent: kept, and the rule is not spent
        "RegionId": REGION, "LoadBalancerId": s["lb"]["LoadBalancerId"], "ListenerPort": str(s["port"]),
        "HealthCheckDomain": "health.example.com", "IdleTimeout": "20"}))
    assert emu.admin.send("GET", "faults")[1]["pending"][0]["times"] == 5
    ok(switch(emu, s, s["old"]["ServerCertificateId"]))
    after = https_attribute(emu, s["lb"], s["port"])
    assert (after["HealthCheckDomain"], after["ServerCertificateId"], after["IdleTimeout"]) == (
        "", s["old"]["ServerCertificateId"], 20)


@pytest.mark.parametrize("rule", [
    {"fault": "busy-window"},  # no duration
    {"fault": "linger-reference", "duration_ms": -1},
    {"fault": "throttle", "duration_ms": 100},  # duration is not a throttle's
    {"fault": "stall-before-commit"},  # no delay
])
def test_bad_rotation_rules_are_refused(emu, rule):
    status, body = emu.admin.send("POST", "faults", [rule])
    assert status == 400 and body["error"]
