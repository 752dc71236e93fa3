"""Expiry monitoring: `list --expiring-within` and `check-expiry` in the monitoring-plugin convention
(0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), against certificates of controlled lifetimes."""

import datetime
import json
import re

from cli_support import ACCESS_KEY_ID, REGION, service_args


def upload(cli, pki, emulator, cn, days):
    """A certificate that expires `days` days (and an hour) from now."""
    chain = pki.issue_leaf(cn, days=days + 1.0 / 24 + 1.0 / 24)
    result = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--name", cn.split(".")[0], *service_args(emulator))
    assert result.returncode == 0, result


def seed_expired(pki, emulator, cn, days_ago):
    """An expired certificate (the CLI refuses to upload one, so it is seeded)."""
    not_before = pki.now - datetime.timedelta(days=days_ago + 30)
    chain = pki.issue_leaf(cn, days=30, not_before=not_before)
    emulator.admin("POST", "seed", {"AccessKeyId": ACCESS_KEY_ID, "RegionId": REGION, "Certificates": [
        {"Ref": "old", "ServerCertificate": chain.read_text(), "PrivateKey": pki.key_pkcs1.read_text(),
         "ServerCertificateName": cn.split(".")[0]}]})


def check(cli, emulator, *extra):
    return cli("check-expiry", "--warning", "30", "--critical", "7", *extra, *service_args(emulator))


def test_list_expiring_within(cli, pki, emulator):
    upload(cli, pki, emulator, "late.exp.example", 60)
    upload(cli, pki, emulator, "soon.exp.example", 10)
    upload(cli, pki, emulator, "sooner.exp.example", 3)
    result = cli("list", "--expiring-within", "30", *service_args(emulator))
    assert result.returncode == 0, result
    names = re.findall(r"  (\w+)  \w+\.exp\.example  expires", result.stdout)
    assert names == ["sooner", "soon"], result.stdout
    assert "(3 days left)" in result.stdout and "(10 days left)" in result.stdout
    data = cli("list", "--expiring-within", "30", "--json", *service_args(emulator)).json()
    assert [c["DaysLeft"] for c in data["ServerCertificates"]] == [3, 10]
    assert cli("list", "--expiring-within", "1", *service_args(emulator)).stdout.startswith("No server certificate")
    bad = cli("list", "--expiring-within", "40000", *service_args(emulator))
    assert bad.returncode == 1 and "--expiring-within 40000 is out of range" in bad.stderr, bad


def test_ok(cli, pki, emulator):
    upload(cli, pki, emulator, "fine.exp.example", 60)
    result = check(cli, emulator)
    assert result.returncode == 0, result
    assert re.fullmatch(r"EXPIRY OK - no certificate expires within 30 days \| expiring=0 soonest_days=60\n",
                        result.stdout), result.stdout


def test_empty_region_is_ok(cli, emulator):
    result = check(cli, emulator)
    assert result.returncode == 0 and result.stdout == "EXPIRY OK - the region holds no certificate | expiring=0\n", result


def test_warning(cli, pki, emulator):
    upload(cli, pki, emulator, "fine.exp.example", 60)
    upload(cli, pki, emulator, "soon.exp.example", 20)
    result = check(cli, emulator)
    assert result.returncode == 1, result
    assert result.stdout.startswith("EXPIRY WARNING - 1 certificate(s) expire within 30 days; soonest: soon")
    assert result.stdout.endswith("| expiring=1 soonest_days=20\n"), result.stdout


def test_critical_and_expired(cli, pki, emulator):
    upload(cli, pki, emulator, "soon.exp.example", 20)
    upload(cli, pki, emulator, "urgent.exp.example", 3)
    result = check(cli, emulator)
    assert result.returncode == 2 and "EXPIRY CRITICAL - 2 certificate(s)" in result.stdout, result
    assert result.stdout.endswith("| expiring=2 soonest_days=3\n"), result.stdout
    seed_expired(pki, emulator, "gone.exp.example", 2)
    expired = check(cli, emulator, "--json")
    assert expired.returncode == 2, expired
    report = json.loads(expired.stdout)
    assert report["Status"] == "CRITICAL" and report["Code"] == 2 and report["SoonestDays"] == -3
    assert [c["ServerCertificateName"] for c in report["Expiring"]] == ["gone", "urgent", "soon"]


def test_unknown(cli, emulator):
    dead = cli("check-expiry", "--warning", "30", "--critical", "7", "--region", REGION,
               "--endpoint", "https://127.0.0.1:9", "--max-attempts", "1")
    assert dead.returncode == 3 and dead.stdout.startswith("EXPIRY UNKNOWN - "), dead
    backwards = check(cli, emulator, "--critical", "40")
    assert backwards.returncode == 3 and "critical" in backwards.stdout.lower(), backwards
    missing = cli("check-expiry", "--critical", "7")
    assert missing.returncode == 3 and missing.stdout.startswith("EXPIRY UNKNOWN - "), missing
    unknown_json = cli("check-expiry", "--warning", "30", "--critical", "7", "--json", "--region", REGION,
                       "--endpoint", "https://127.0.0.1:9", "--max-attempts", "1")
    assert unknown_json.returncode == 3 and json.loads(unknown_json.stdout)["Status"] == "UNKNOWN", unknown_json
