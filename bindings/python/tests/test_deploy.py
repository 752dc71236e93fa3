"""Client.deploy and Client.rollback against the emulator: load balancers, HTTPS listeners and SNI
extensions seeded through its admin API, checked through the emulator's view and through TLS
handshakes of our own with its data plane."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest

import slbcert
from slbcert import BindingResult, DeployOutcome

from conftest import ACCESS_KEY_ID, client_for

NAMES = ["www.py-deploy.test", "api.py-deploy.test", "*.shop.py-deploy.test"]
FAST = dict(busy_timeout=1, rollback_timeout=15, reference_timeout=10, tls_timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served(address: str, port: int, name: str) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=name) as tls:
            return hashlib.sha1(tls.getpeercert(binary_form=True)).digest().hex(":")


class World:
    """The old certificate on LB1 (default, api, *.shop) and LB2 (default, www); a renewal in `new`."""

    def __init__(self, emulator: Any, pki: Any) -> None:
        self.emulator = emulator
        old = pki.issue_leaf("www.py-deploy.test", dns=NAMES, days=30)
        self.new = pki.issue_leaf("www.py-deploy.test", dns=NAMES, days=90)
        self.ports = (free_port(), free_port())
        answer = emulator.admin("POST", "seed", {
            "AccessKeyId": ACCESS_KEY_ID, "RegionId": "cn-hangzhou",
            "Certificates": [{"Ref": "old", "ServerCertificate": old.chain_pem.decode(), "PrivateKey": old.key_pem.decode()}],
            "LoadBalancers": [
                {"LoadBalancerSpec": "slb.s2.small", "Listeners": [
                    {"ListenerPort": self.ports[0], "ServerCertificate": "old",
                     "DomainExtensions": [{"Domain": "api.py-deploy.test", "ServerCertificate": "old"},
                                          {"Domain": "*.shop.py-deploy.test", "ServerCertificate": "old"}]}]},
                {"LoadBalancerSpec": "slb.s2.small", "Listeners": [
                    {"ListenerPort": self.ports[1], "ServerCertificate": "old",
                     "DomainExtensions": [{"Domain": "www.py-deploy.test", "ServerCertificate": "old"}]}]}]})
        self.old = answer["Certificates"]["old"]["ServerCertificateId"]
        self.old_fingerprint = old.fingerprint
        (self.lb1, self.address1), (self.lb2, self.address2) = (
            (lb["LoadBalancerId"], lb["Address"]) for lb in answer["LoadBalancers"])

    def bindings(self) -> Dict[Tuple[str, int, Optional[str]], str]:
        found = {}
        for listener in self.emulator.admin("GET", "listeners")["Listeners"]:
            key = (listener["LoadBalancerId"], listener["ListenerPort"])
            found[key + (None,)] = listener["ServerCertificateId"]
            for extension in listener["DomainExtensions"]:
                found[key + (extension["Domain"],)] = extension["ServerCertificateId"]
        return found

    def all_on(self, certificate_id: str) -> bool:
        return set(self.bindings().values()) == {certificate_id} and len(self.bindings()) == 5

    def handshakes(self) -> set:
        return {served(self.address1, self.ports[0], "x.invalid"), served(self.address1, self.ports[0], "api.py-deploy.test"),
                served(self.address1, self.ports[0], "a.shop.py-deploy.test"), served(self.address2, self.ports[1], "x.invalid"),
                served(self.address2, self.ports[1], "www.py-deploy.test")}


@pytest.fixture
def world(fresh: Any, pki: Any) -> World:
    return World(fresh, pki)


@pytest.fixture
def deployer(fresh: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLBCERT_STATE_DIR", str(tmp_path / "state"))
    with client_for(fresh, max_attempts=2) as made:
        yield made


def bundle_of(issued: Any) -> slbcert.Bundle:
    return slbcert.Bundle(issued.chain_pem, issued.key_pem)


def test_deploy_switches_everything_verifies_and_rolls_back(world: World, deployer: slbcert.Client) -> None:
    with bundle_of(world.new) as bundle:
        report = deployer.deploy(bundle, verify_tls=True, **FAST)
        assert report.outcome is DeployOutcome.DEPLOYED and str(report.outcome) == "deployed"
        assert report.uploaded and report.fingerprint == world.new.fingerprint
        assert report.replaced == (world.old,)
        assert len(report.bindings) == 5 and {b.result for b in report.bindings} == {BindingResult.SWITCHED}
        assert {(b.from_id, b.to_id) for b in report.bindings} == {(world.old, report.certificate_id)}
        assert sum(1 for b in report.bindings if b.domain_extension_id is None and b.domain is None) == 2
        assert len(report.verified) == 5 and all(c.ok and c.fingerprint == world.new.fingerprint for c in report.verified)
        assert report.journal is not None and Path(report.journal).is_file()
        assert report.to_json()["Outcome"] == "deployed" and len(report.to_json()["Bindings"]) == 5
        assert world.all_on(report.certificate_id)
        assert world.handshakes() == {world.new.fingerprint}

        again = deployer.deploy(bundle, **FAST)
        assert again.outcome is DeployOutcome.ALREADY_DEPLOYED and again.journal is None
        assert {b.result for b in again.bindings} == {BindingResult.UNCHANGED}

        undone = deployer.rollback(report.journal)
        assert undone.outcome is DeployOutcome.ROLLED_BACK
        assert {b.result for b in undone.bindings} == {BindingResult.ROLLED_BACK}
        assert world.all_on(world.old)
        assert world.handshakes() == {world.old_fingerprint}


def test_a_fault_raises_deploy_failed_with_the_rolled_back_report(world: World, deployer: slbcert.Client) -> None:
    world.emulator.admin.set_faults([{"action": "SetDomainExtensionAttribute", "fault": "internal", "times": 20}])
    with bundle_of(world.new) as bundle, pytest.raises(slbcert.DeployFailedError) as caught:
        deployer.deploy(bundle, **FAST)
    error = caught.value
    assert error.code == "InternalError" and error.status == slbcert.ServiceError.STATUS
    assert "Every change was rolled back" in str(error)
    report = error.report
    assert report.outcome is DeployOutcome.ROLLED_BACK
    results = [b.result for b in report.bindings]
    assert results.count(BindingResult.ROLLED_BACK) == 2 and results.count(BindingResult.PENDING) == 3
    assert world.all_on(world.old)


def test_busy_beyond_the_budget_leaves_a_partial_rollback_that_rollback_finishes(world: World, deployer: slbcert.Client) -> None:
    world.emulator.admin.set_faults([{"action": "*", "fault": "busy-window", "duration_ms": 4000, "times": 1}])
    with bundle_of(world.new) as bundle, pytest.raises(slbcert.DeployFailedError) as caught:
        deployer.deploy(bundle, busy_timeout=1, rollback_timeout=0.5)
    report = caught.value.report
    assert report.outcome is DeployOutcome.PARTIAL and caught.value.reason == "STILL_BUSY"
    assert [b.result for b in report.bindings].count(BindingResult.FAILED) == 1
    assert "rollback is incomplete" in str(caught.value) and report.journal in str(caught.value)
    # rollback() takes the default budget (minutes): it waits the busy window out and finishes the job.
    finished = deployer.rollback(report.journal)
    assert finished.outcome is DeployOutcome.ROLLED_BACK
    assert world.all_on(world.old)


def test_refusals_change_nothing(world: World, deployer: slbcert.Client) -> None:
    with bundle_of(world.new) as bundle:
        with pytest.raises(slbcert.RefusedError) as refused:
            deployer.deploy(bundle, replace=["1111111111111111_18f0000000_1_2"], **FAST)
        assert refused.value.reason == "CERTIFICATE_NOT_IN_REGION" and "replace=" in refused.value.hint
        assert "replace_ids" not in refused.value.hint, "the hint names the keyword, not the C field"
        with pytest.raises(slbcert.RefusedError) as elsewhere:
            deployer.deploy(bundle, load_balancers=["lb-notinthisregion0000000"], **FAST)
        assert elsewhere.value.reason == "LOAD_BALANCER_NOT_IN_REGION"
        with pytest.raises(slbcert.InvalidArgument) as budget:
            deployer.deploy(bundle, busy_timeout=0.0001)
        assert budget.value.argument == "busy_timeout" and "seconds" in str(budget.value)
        planned = deployer.deploy(bundle, dry_run=True, **FAST)
        assert planned.outcome is DeployOutcome.PLANNED and planned.journal is None and planned.certificate_id == ""
        assert {b.result for b in planned.bindings} == {BindingResult.PLANNED}
    assert world.all_on(world.old)
    assert world.emulator.admin.stats()["requests"].get("UploadServerCertificate", 0) == 0


def test_nothing_to_deploy_and_an_expired_leaf(world: World, deployer: slbcert.Client, pki: Any) -> None:
    with bundle_of(pki.issue_leaf("elsewhere.py-deploy.test")) as unrelated:
        report = deployer.deploy(unrelated, **FAST)
    assert report.outcome is DeployOutcome.NOTHING_TO_DEPLOY and report.bindings == ()
    expired = pki.issue_leaf("www.py-deploy.test", dns=NAMES, days=1,
                       not_before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3))
    with bundle_of(expired) as bundle, pytest.raises(slbcert.ValidationError) as caught:
        deployer.deploy(bundle)
    assert caught.value.code == "LEAF_EXPIRED"


def test_delete_old_after_a_lingering_reference(world: World, deployer: slbcert.Client) -> None:
    world.emulator.admin.set_faults([{"action": "*", "fault": "linger-reference", "duration_ms": 1000, "times": 10}])
    with bundle_of(world.new) as bundle:
        report = deployer.deploy(bundle, delete_old=True, **FAST)
    assert report.deleted == (world.old,)
    assert world.old not in {c["ServerCertificateId"] for c in world.emulator.admin.certificates()}
