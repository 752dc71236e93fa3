"""The duplicate-safe upload as renewal hooks use it: a timeout while the service is still working,
several processes at once, and a re-run afterwards. Each of these left duplicates before."""

import json
import subprocess
import time

from cli_support import CLI, Cli, service_args

ID_FIELD = "ServerCertificateId"


def copies(emulator, fingerprint):
    return [c for c in emulator.admin.certificates() if c["Fingerprint"] == fingerprint]


def fingerprint_of(cli, chain, key):
    result = cli("inspect", "--cert", chain, "--key", key, "--json")
    assert result.returncode == 0, result
    return result.json()["Fingerprint"]


def test_timeout_while_the_service_still_works_leaves_one_copy(cli, pki, emulator):
    # The service spends 3 s on the upload; the client gives up on the request after 1 s.
    emulator.admin("POST", "faults", [{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 3000, "times": 1}])
    chain = pki.issue_leaf("timeout.cli.example")
    result = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--timeout", "1", "--json", *service_args(emulator))
    assert result.returncode == 0, result
    assert result.json()["Outcome"] == "found", result
    fingerprint = fingerprint_of(cli, chain, pki.key_pkcs1)
    time.sleep(3.5)  # anything still in flight on the service has landed by now
    assert len(copies(emulator, fingerprint)) == 1
    rerun = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--json", *service_args(emulator))
    assert rerun.returncode == 0 and rerun.json()["Outcome"] == "found", rerun
    assert len(copies(emulator, fingerprint)) == 1


def test_four_processes_at_once_leave_one_copy(home, pki, emulator):
    emulator.admin("POST", "faults", [{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 400, "times": 4}])
    chain = pki.issue_leaf("parallel.cli.example")
    cli = Cli(home)
    processes = [subprocess.Popen([str(CLI), "upload", "--cert", str(chain), "--key", str(pki.key_pkcs1), "--json",
                                   *map(str, service_args(emulator))], env=cli.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    results = [json.loads(out) for out, _ in outputs]
    assert len({r[ID_FIELD] for r in results}) == 1, "every process returns the same certificate"
    fingerprint = fingerprint_of(cli, chain, pki.key_pkcs1)
    assert len(copies(emulator, fingerprint)) == 1
    # Each copy a process stored and then found to be younger was removed by that process itself.
    removed = [i for r in results for i in r["Removed"]]
    assert results[0][ID_FIELD] not in removed
    rerun = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--json", *service_args(emulator))
    assert rerun.json()["Outcome"] == "found" and emulator.admin.requests().get("UploadServerCertificate", 0) >= 1


def test_drop_after_commit_then_rerun(cli, pki, emulator):
    emulator.admin("POST", "faults", [{"action": "UploadServerCertificate", "fault": "drop-after-commit", "times": 1}])
    chain = pki.issue_leaf("dropped.cli.example")
    first = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--json", *service_args(emulator))
    assert first.returncode == 0, first
    fingerprint = fingerprint_of(cli, chain, pki.key_pkcs1)
    assert len(copies(emulator, fingerprint)) == 1
    uploads = emulator.admin.requests().get("UploadServerCertificate", 0)
    second = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--json", *service_args(emulator))
    assert second.json()["Outcome"] == "found"
    assert emulator.admin.requests().get("UploadServerCertificate", 0) == uploads, "the re-run uploaded nothing"


def test_an_unconfirmed_upload_exits_4_and_says_to_run_again(cli, pki, emulator):
    emulator.admin("POST", "faults", [{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 4000, "times": 1}])
    chain = pki.issue_leaf("unconfirmed.cli.example")
    result = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--timeout", "1", "--deadline", "2", *service_args(emulator))
    assert result.returncode == 4, result
    assert "may have been stored" in result.stderr and "again" in result.stderr, result
    time.sleep(2.5)
    rerun = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--json", *service_args(emulator))
    assert rerun.returncode == 0 and rerun.json()["Outcome"] == "found", rerun
    assert len(copies(emulator, fingerprint_of(cli, chain, pki.key_pkcs1))) == 1


def test_numbers_too_large_for_the_flags_are_usage_errors(cli, pki):
    # These once overflowed into a trap (exit 132) before anything was checked.
    for flag, value in (("--timeout", "9300000000000000"), ("--deadline", "9300000000000000"), ("--timeout", "0"),
                        ("--timeout", "-3"), ("--max-attempts", "21"), ("--max-attempts", "-1")):
        result = cli("list", "--region", "cn-hangzhou", "--endpoint", "https://127.0.0.1:9", flag, value,
                     env={"HTTPS_PROXY": "http://127.0.0.1:9"})
        assert result.returncode == 1, result
        assert flag in result.stderr and "out of range" in result.stderr and "must be" in result.stderr, result
    timeout = cli("list", "--region", "cn-hangzhou", "--timeout", "9300000000000000")
    assert "1 to 3600 seconds" in timeout.stderr, timeout


def test_expiry_warning_days_too_large_is_a_usage_error(cli, pki):
    # This one once overflowed days * 86,400,000 and trapped (exit 132).
    for value in ("200000000000", "36501", "-1"):
        result = cli("inspect", "--cert", pki.fullchain, "--expiry-warning-days", value)
        assert result.returncode == 1, result
        assert f"--expiry-warning-days {value} is out of range: it must be 0 to 36500" in result.stderr, result
    assert cli("inspect", "--cert", pki.fullchain, "--expiry-warning-days", "36500").returncode in (0, 2)
