"""`slbcert deploy` and `slbcert rollback` against the emulator: load balancers, HTTPS listeners and
SNI domain extensions seeded through its admin API; what each listener serves checked with Python's
own TLS handshakes to the emulator's data plane; faults (busy windows, internal errors, lingering
references, a stalled Set) injected through the admin API; exit statuses and the --json report."""

import datetime
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cli_support import ACCESS_KEY_ID, CLI, REGION, assert_no_secrets

NAMES = ["www.deploy.example", "api.deploy.example", "*.shop.deploy.example"]
REPORT_KEYS = {"Outcome", "Certificate", "Replaced", "Bindings", "Verified", "Deleted", "Journal"}
BINDING_KEYS = {"LoadBalancerId", "ListenerPort", "DomainExtensionId", "Domain", "From", "To", "Result"}
VERIFIED_KEYS = {"Address", "Port", "ServerName", "Fingerprint", "Ok"}


def budgets(busy=1, rollback=20, reference=20, tls=10):
    """Short budgets keep the fault tests quick (the defaults are minutes)."""
    return ["--busy-timeout", str(busy), "--rollback-timeout", str(rollback), "--reference-timeout", str(reference),
            "--tls-timeout", str(tls)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fingerprint_of(pem_path):
    der = ssl.PEM_cert_to_DER_cert(Path(pem_path).read_text().split("-----END CERTIFICATE-----")[0]
                                   + "-----END CERTIFICATE-----\n")
    return ":".join(f"{b:02x}" for b in hashlib.sha1(der).digest())


def served(address, port, server_name):
    """The SHA-1 fingerprint of the leaf a TLS handshake with address:port receives for server_name."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=server_name) as tls:
            return ":".join(f"{b:02x}" for b in hashlib.sha1(tls.getpeercert(binary_form=True)).digest())


class World:
    """An old certificate on two load balancers (LB1: default + api + *.shop; LB2: default + www)
    and an unrelated certificate on LB2's second listener; `new` is a renewal of the old one."""

    def __init__(self, emulator, pki, old_names=NAMES, extra_extension=None, lb2_tags=None, region=REGION):
        self.emulator = emulator
        self.old_chain = pki.issue_leaf(old_names[0].replace("*", "wildcard"), old_names, days=30)
        other_chain = pki.issue_leaf("other.deploy.example", ["other.deploy.example"], days=30)
        self.new = pki.issue_leaf(NAMES[0], NAMES, days=90)
        self.key = pki.key_pkcs1
        key = Path(pki.key_pkcs1).read_text()
        self.ports = [free_port(), free_port(), free_port()]
        lb1_extensions = [{"Domain": "api.deploy.example", "ServerCertificate": "old"},
                          {"Domain": "*.shop.deploy.example", "ServerCertificate": "old"}]
        if extra_extension:
            lb1_extensions.append({"Domain": extra_extension, "ServerCertificate": "old"})
        lb2 = {"LoadBalancerName": "web2", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
            {"ListenerPort": self.ports[1], "ServerCertificate": "old",
             "DomainExtensions": [{"Domain": "www.deploy.example", "ServerCertificate": "old"}]},
            {"ListenerPort": self.ports[2], "ServerCertificate": "other"}]}
        for index, (tag_key, tag_value) in enumerate(lb2_tags or []):
            lb2[f"Tag.{index + 1}.Key"], lb2[f"Tag.{index + 1}.Value"] = tag_key, tag_value
        answer = emulator.admin("POST", "seed", {
            "AccessKeyId": ACCESS_KEY_ID, "RegionId": region,
            "Certificates": [{"Ref": "old", "ServerCertificate": Path(self.old_chain).read_text(), "PrivateKey": key},
                             {"Ref": "other", "ServerCertificate": Path(other_chain).read_text(), "PrivateKey": key}],
            "LoadBalancers": [{"LoadBalancerName": "web1", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
                {"ListenerPort": self.ports[0], "ServerCertificate": "old", "DomainExtensions": lb1_extensions}]}, lb2]})
        self.old = answer["Certificates"]["old"]["ServerCertificateId"]
        self.other = answer["Certificates"]["other"]["ServerCertificateId"]
        self.lb1, self.lb2 = (lb["LoadBalancerId"] for lb in answer["LoadBalancers"])
        self.addresses = {lb["LoadBalancerId"]: lb["Address"] for lb in answer["LoadBalancers"]}

    def bindings(self):
        """{(lb, port, domain or None): certificate id} as the emulator has them."""
        found = {}
        for listener in self.emulator.admin("GET", "listeners")["Listeners"]:
            key = (listener["LoadBalancerId"], listener["ListenerPort"])
            found[key + (None,)] = listener["ServerCertificateId"]
            for extension in listener["DomainExtensions"]:
                found[key + (extension["Domain"],)] = extension["ServerCertificateId"]
        return found

    def ours(self):
        """The five bindings of the old certificate."""
        return [(self.lb1, self.ports[0], None), (self.lb1, self.ports[0], "api.deploy.example"),
                (self.lb1, self.ports[0], "*.shop.deploy.example"), (self.lb2, self.ports[1], None),
                (self.lb2, self.ports[1], "www.deploy.example")]

    def all_on(self, certificate_id):
        state = self.bindings()
        return all(state[key] == certificate_id for key in self.ours())

    def handshakes(self):
        """What the data plane serves for each name of each listener, by a real TLS handshake."""
        lb1, lb2 = self.addresses[self.lb1], self.addresses[self.lb2]
        return {
            "lb1 default": served(lb1, self.ports[0], "nothing.example"),
            "lb1 api": served(lb1, self.ports[0], "api.deploy.example"),
            "lb1 shop": served(lb1, self.ports[0], "cart.shop.deploy.example"),
            "lb2 default": served(lb2, self.ports[1], "nothing.example"),
            "lb2 www": served(lb2, self.ports[1], "www.deploy.example"),
        }

    def sets(self):
        requests = self.emulator.requests()
        return sum(requests.get(a, 0) for a in ("SetLoadBalancerHTTPSListenerAttribute", "SetDomainExtensionAttribute"))

    def stored_ids(self):
        return {c["ServerCertificateId"] for c in self.emulator.certificates()}


def deploy(cli, world, *extra, chain=None, limits=None, env=None):
    return cli("deploy", "--cert", chain or world.new, "--key", world.key, *world.emulator.args(), *(limits or budgets()),
               *extra, env=env, timeout=60)


def test_switches_defaults_and_sni_on_two_load_balancers_verified_by_handshake(cli, pki, emulator):
    world = World(emulator, pki)
    new_fingerprint = fingerprint_of(world.new)
    assert set(world.handshakes().values()) == {fingerprint_of(world.old_chain)}
    result = deploy(cli, world, "--verify-tls", "--json")
    assert result.returncode == 0, result
    report = result.json()
    assert set(report) == REPORT_KEYS, report
    assert report["Outcome"] == "deployed"
    assert report["Certificate"]["Fingerprint"] == new_fingerprint and report["Certificate"]["Uploaded"] is True
    new_id = report["Certificate"]["ServerCertificateId"]
    assert report["Replaced"] == [world.old]
    assert len(report["Bindings"]) == 5 and all(set(b) == BINDING_KEYS for b in report["Bindings"])
    assert {b["Result"] for b in report["Bindings"]} == {"switched"}
    assert {(b["From"], b["To"]) for b in report["Bindings"]} == {(world.old, new_id)}
    defaults = [b for b in report["Bindings"] if b["DomainExtensionId"] is None]
    assert len(defaults) == 2 and all(b["Domain"] is None for b in defaults)
    assert len(report["Verified"]) == 5 and all(set(v) == VERIFIED_KEYS for v in report["Verified"])
    assert all(v["Ok"] and v["Fingerprint"] == new_fingerprint for v in report["Verified"]), report["Verified"]
    assert report["Deleted"] == [] and Path(report["Journal"]).is_file()
    # Checked independently: the emulator's state, and Python's own handshakes with every name.
    assert world.all_on(new_id)
    assert world.bindings()[(world.lb2, world.ports[2], None)] == world.other
    assert set(world.handshakes().values()) == {new_fingerprint}
    assert world.old in world.stored_ids(), "without --delete-old the old certificate stays"

    sets = world.sets()
    again = deploy(cli, world)
    assert again.returncode == 0, again
    assert "Already deployed" in again.stdout and again.stdout.count("unchanged") == 5, again
    assert world.sets() == sets, "a re-run after success sends no Set"
    assert "LOAD BALANCER" in again.stdout and "RESULT" in again.stdout
    assert_no_secrets(result.output + again.output, pki)


COMMON_PARAMETERS = {"AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion",
                     "Timestamp", "Version", "Signature", "SignatureType", "SecurityToken"}


def test_each_switch_sends_only_the_minimal_parameters(cli, pki, emulator):
    """docs/clb-listeners.md section 5: a listener switch carries RegionId, LoadBalancerId, ListenerPort and
    ServerCertificateId, an extension switch RegionId, DomainExtensionId and ServerCertificateId, nothing else."""
    world = World(emulator, pki)
    result = deploy(cli, world, "--json")
    assert result.returncode == 0, result
    new_id = result.json()["Certificate"]["ServerCertificateId"]
    sent = {"SetLoadBalancerHTTPSListenerAttribute": [], "SetDomainExtensionAttribute": []}
    for line in (emulator.data_dir / "requests.log").read_text().splitlines():
        record = json.loads(line)
        params = record.get("params") or {}
        if record["action"] in sent and params.get("ServerCertificateId") == new_id:
            sent[record["action"]].append(set(params) - COMMON_PARAMETERS)
    listener, extension = sent["SetLoadBalancerHTTPSListenerAttribute"], sent["SetDomainExtensionAttribute"]
    assert len(listener) == 2 and all(keys == {"RegionId", "LoadBalancerId", "ListenerPort", "ServerCertificateId"}
                                      for keys in listener), listener
    assert len(extension) == 3 and all(keys == {"RegionId", "DomainExtensionId", "ServerCertificateId"}
                                       for keys in extension), extension


def test_old_certificate_deleted_only_with_delete_old_once_unreferenced(cli, pki, emulator):
    world = World(emulator, pki)
    first = deploy(cli, world, "--json")
    assert first.returncode == 0, first
    assert first.json()["Deleted"] == [] and world.old in world.stored_ids()
    # The reference outlives the unbind: the first delete is refused, a later one succeeds.
    emulator.admin("POST", "faults", [{"action": "*", "fault": "linger-reference", "duration_ms": 1500, "times": 10}])
    emulator.admin("POST", "bind", {"ServerCertificateId": world.old})  # something the emulator does not model uses it
    held = deploy(cli, world, "--delete-old", "--json", limits=budgets(reference=2))
    assert held.returncode == 0, held
    assert held.json()["Deleted"] == [] and world.old in world.stored_ids(), held
    assert "still counts a reference" in held.stderr, held
    emulator.admin("POST", "unbind", {"ServerCertificateId": world.old})
    # Switching back by hand (rollback) and deploying again releases the old certificate with a lingering reference.
    undone = cli("rollback", first.json()["Journal"], *world.emulator.args())
    assert undone.returncode == 0, undone
    deleted = deploy(cli, world, "--delete-old", "--json")
    assert deleted.returncode == 0, deleted
    assert deleted.json()["Deleted"] == [world.old], deleted
    assert world.old not in world.stored_ids() and world.other in world.stored_ids()
    assert emulator.admin("GET", "stats")["faults_fired"].get("linger-reference", 0) >= 1


def test_a_certificate_still_used_outside_the_scope_is_not_deleted(cli, pki, emulator):
    world = World(emulator, pki)
    result = deploy(cli, world, "--load-balancer", world.lb1, "--delete-old", "--json")
    assert result.returncode == 0, result
    report = result.json()
    assert {b["LoadBalancerId"] for b in report["Bindings"]} == {world.lb1}
    assert report["Deleted"] == [] and world.old in world.stored_ids()
    assert "still used by" in result.stderr and world.lb2 in result.stderr, result


@pytest.mark.parametrize("fault,code", [
    ({"action": "*", "fault": "busy-window", "duration_ms": 3000, "times": 1}, "ServiceIsConfiguring"),
    ({"action": "SetDomainExtensionAttribute", "fault": "internal", "times": 20}, "InternalError"),
], ids=["busy-beyond-budget", "internal-on-second-switch"])
def test_a_fault_in_the_middle_rolls_everything_back_and_exits_7(cli, pki, emulator, fault, code):
    world = World(emulator, pki)
    emulator.admin("POST", "faults", [fault])
    result = deploy(cli, world, "--json", "--max-attempts", "2")
    assert result.returncode == 7, result
    report = result.json()
    assert report["Outcome"] == "rolled-back"
    results = [b["Result"] for b in report["Bindings"]]
    assert results.count("rolled-back") == 2 and results.count("pending") == 3, results
    assert code in result.stderr, result
    assert world.all_on(world.old)
    assert set(world.handshakes().values()) == {fingerprint_of(world.old_chain)}
    journal = [json.loads(line) for line in Path(report["Journal"]).read_text().splitlines()]
    assert [r["Type"] for r in journal].count("restored") == 2 and journal[-1]["Outcome"] == "rolled-back"


def test_an_uncovered_sni_domain_is_refused_before_anything_changes(cli, pki, emulator):
    world = World(emulator, pki, old_names=NAMES + ["legacy.deploy.example"], extra_extension="legacy.deploy.example")
    stored = world.stored_ids()
    result = deploy(cli, world, "--replace", world.old, "--json")
    assert result.returncode == 2, result
    error = result.json()
    assert error["Code"] == "DOMAIN_NOT_COVERED" and error["Kind"] == "refused", error
    assert "legacy.deploy.example" in error["Message"] and "--load-balancer" in error["Hint"]
    assert world.sets() == 0 and world.stored_ids() == stored, "nothing changed, not even an upload"
    assert world.all_on(world.old)


def test_an_empty_plan_exits_6(cli, pki, emulator):
    world = World(emulator, pki)
    unrelated = pki.issue_leaf("elsewhere.example", ["elsewhere.example"])
    result = deploy(cli, world, chain=unrelated)
    assert result.returncode == 6, result
    assert "Nothing to deploy" in result.stdout, result
    as_json = deploy(cli, world, "--json", chain=unrelated)
    assert as_json.returncode == 6 and as_json.json()["Outcome"] == "nothing-to-deploy"
    assert as_json.json()["Bindings"] == [] and as_json.json()["Journal"] is None
    assert world.sets() == 0


def test_dry_run_prints_the_plan_and_changes_nothing(cli, pki, emulator):
    world = World(emulator, pki)
    stored = world.stored_ids()
    result = deploy(cli, world, "--dry-run")
    assert result.returncode == 0, result
    assert "Dry run: 5 binding(s) would be switched" in result.stdout, result
    assert result.stdout.count("planned") == 5 and "(new)" in result.stdout
    as_json = deploy(cli, world, "--dry-run", "--json")
    assert as_json.json()["Outcome"] == "planned" and as_json.json()["Journal"] is None
    assert {b["To"] for b in as_json.json()["Bindings"]} == {None}, "the new certificate has no id yet"
    assert world.sets() == 0 and world.stored_ids() == stored
    assert emulator.requests().get("UploadServerCertificate", 0) == 0


def test_killed_after_the_first_switch_the_same_command_completes(cli, pki, emulator, tmp_path):
    world = World(emulator, pki)
    journal = tmp_path / "deploy.jsonl"
    # The second switch (the first extension's) stalls 3 s inside the emulator; the process is killed
    # while it waits. The stalled change still commits: a change the client never heard back about.
    emulator.admin("POST", "faults", [{"action": "SetDomainExtensionAttribute", "fault": "stall-before-commit",
                                       "delay_ms": 3000}])
    args = ["deploy", "--cert", str(world.new), "--key", str(world.key), *emulator.args(), *budgets(),
            "--journal", str(journal)]
    process = subprocess.Popen([str(CLI), *args], env=cli.env, cwd=cli.home, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        records = []
        while time.monotonic() < deadline:
            records = [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []
            if [r["Type"] for r in records].count("switching") >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the deploy never reached its second switch")
        time.sleep(0.5)  # its Set is in the emulator now, stalled
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == -signal.SIGKILL
    assert [r["Type"] for r in records] == ["deploy", "switching", "switched", "switching"], records
    again = cli(*args, "--json", timeout=60)
    assert again.returncode == 0, again
    report = again.json()
    assert report["Outcome"] == "deployed" and report["Journal"] == str(journal)
    assert {b["Result"] for b in report["Bindings"]} == {"switched"}, report["Bindings"]
    assert {b["From"] for b in report["Bindings"]} == {world.old}, "the first run's switches are reported from the journal"
    new_id = report["Certificate"]["ServerCertificateId"]
    assert world.all_on(new_id)
    assert set(world.handshakes().values()) == {fingerprint_of(world.new)}
    # One journal covers both runs: rolling it back restores the state before the first.
    undone = cli("rollback", str(journal), *emulator.args(), "--json")
    assert undone.returncode == 0, undone
    assert undone.json()["Outcome"] == "rolled-back" and len(undone.json()["Bindings"]) == 5
    assert world.all_on(world.old)


def test_rollback_restores_after_success_and_completes_a_partial_one(cli, pki, emulator):
    world = World(emulator, pki)
    done = deploy(cli, world, "--json")
    assert done.returncode == 0, done
    undone = cli("rollback", done.json()["Journal"], *emulator.args())
    assert undone.returncode == 0, undone
    assert "Rolled back" in undone.stdout and undone.stdout.count("rolled-back") == 5, undone
    assert world.all_on(world.old)
    assert set(world.handshakes().values()) == {fingerprint_of(world.old_chain)}

    # Busy for 4 s after the first switch, with 1 s budgets: the switch and its rollback both give up.
    emulator.admin("POST", "faults", [{"action": "*", "fault": "busy-window", "duration_ms": 5000, "times": 1}])
    partial = deploy(cli, world, "--json", limits=budgets(busy=1, rollback=1))
    assert partial.returncode == 8, partial
    report = partial.json()
    assert report["Outcome"] == "partial"
    left = [b for b in report["Bindings"] if b["Result"] == "failed"]
    assert len(left) == 1 and left[0]["DomainExtensionId"] is None, report["Bindings"]
    human = cli("rollback", report["Journal"], *emulator.args(), "--rollback-timeout", "1")
    assert human.returncode == 8 and "ROLLBACK INCOMPLETE" in human.stdout and left[0]["LoadBalancerId"] in human.stdout, human
    time.sleep(4)
    finished = cli("rollback", report["Journal"], *emulator.args())
    assert finished.returncode == 0, finished
    assert world.all_on(world.old)


def test_another_regions_ids_are_caught_in_the_plan(cli, pki, emulator):
    world = World(emulator, pki)
    far = World(emulator, pki, region="cn-shanghai")
    for extra, code in [(["--replace", far.old], "CERTIFICATE_NOT_IN_REGION"),
                        (["--load-balancer", world.lb1, "--load-balancer", far.lb1], "LOAD_BALANCER_NOT_IN_REGION")]:
        result = deploy(cli, world, *extra, "--json")
        assert result.returncode == 2, result
        assert result.json()["Code"] == code, result
        assert "Nothing was changed" in result.json()["Message"]
    assert world.sets() == 0 and emulator.requests().get("UploadServerCertificate", 0) == 0


def test_managed_instances_are_skipped_unless_forced(cli, pki, emulator):
    world = World(emulator, pki, lb2_tags=[("kubernetes.do.not.delete", "svc-abc")])
    result = deploy(cli, world, "--json")
    assert result.returncode == 0, result
    skipped = [b for b in result.json()["Bindings"] if b["Result"] == "skipped"]
    assert {b["LoadBalancerId"] for b in skipped} == {world.lb2} and len(skipped) == 2
    assert "kubernetes.do.not.delete" in result.stderr
    forced = deploy(cli, world, "--force-managed", "--json")
    assert forced.returncode == 0 and world.all_on(forced.json()["Certificate"]["ServerCertificateId"]), forced


@pytest.mark.parametrize("days,start,code", [(1, -3, "LEAF_EXPIRED"), (30, 2, "LEAF_NOT_YET_VALID")])
def test_an_expired_or_not_yet_valid_leaf_is_refused(cli, pki, emulator, days, start, code):
    world = World(emulator, pki)
    begin = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=start)
    chain = pki.issue_leaf(NAMES[0], NAMES, days=days, not_before=begin)
    result = deploy(cli, world, "--json", chain=chain)
    assert result.returncode == 2, result
    assert result.json()["Code"] == code
    assert sum(emulator.requests().values()) == 0, "refused before any request"


def test_an_out_of_range_budget_names_the_flag(cli, pki, emulator):
    world = World(emulator, pki)
    result = cli("deploy", "--cert", world.new, "--key", world.key, *emulator.args(), "--busy-timeout", "0")
    assert result.returncode == 1, result
    assert "--busy-timeout 0 is out of range" in result.stderr, result


def test_rollback_of_a_file_that_is_not_a_journal(cli, emulator, tmp_path):
    bogus = tmp_path / "not-a-journal.jsonl"
    bogus.write_text("hello\n")
    result = cli("rollback", str(bogus), *emulator.args(), "--json")
    assert result.returncode == 1, result
    assert result.json()["Code"] == "JOURNAL_UNUSABLE", result
    missing = cli("rollback", str(tmp_path / "missing.jsonl"), *emulator.args())
    assert missing.returncode == 1 and "not usable" in missing.stderr, missing


def test_the_default_journal_lives_in_the_state_directory(cli, pki, emulator):
    world = World(emulator, pki)
    result = deploy(cli, world, "--json")
    assert result.returncode == 0, result
    journal = Path(result.json()["Journal"])
    assert journal.parent == cli.home / ".local" / "state" / "slbcert" / "deploy"
    assert journal.name.startswith(f"deploy-{REGION}-") and oct(journal.stat().st_mode & 0o777) == "0o600"
    elsewhere = cli.home / "state"
    second = World(emulator, pki)
    moved = deploy(cli, second, "--json", env={"SLBCERT_STATE_DIR": str(elsewhere)})
    assert moved.returncode == 0, moved
    assert Path(moved.json()["Journal"]).parent == elsewhere / "deploy"
    assert os.stat(elsewhere / "deploy").st_mode & 0o777 == 0o700
