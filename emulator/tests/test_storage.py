"""SQLite storage: data survives restarts (also kill -9), concurrent requests lose nothing."""

import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import REGION, upload_params

UPLOAD = "UploadServerCertificate"


def describe(emu):
    reply = emu.call("DescribeServerCertificates", {"RegionId": REGION})
    return reply.json()["ServerCertificates"]["ServerCertificate"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_data_survives_a_restart(start_emulator, pki, tmp_path, signum):
    first = start_emulator(data_dir=tmp_path / "data")
    kept = first.call(UPLOAD, upload_params(pki, name="kept")).json()["ServerCertificateId"]
    renamed = first.call(UPLOAD, upload_params(pki, name="before")).json()["ServerCertificateId"]
    deleted = first.call(UPLOAD, upload_params(pki, name="deleted")).json()["ServerCertificateId"]
    first.call("SetServerCertificateName",
               {"RegionId": REGION, "ServerCertificateId": renamed, "ServerCertificateName": "after"})
    first.call("DeleteServerCertificate", {"RegionId": REGION, "ServerCertificateId": deleted})
    status = first.stop(signum)
    assert status == (-signal.SIGKILL if signum == signal.SIGKILL else 0)

    second = start_emulator(data_dir=tmp_path / "data")
    assert {c["ServerCertificateId"]: c["ServerCertificateName"] for c in describe(second)} == {
        kept: "kept", renamed: "after"}


def test_eight_threads_lose_and_duplicate_nothing(start_emulator, pki):
    emu = start_emulator("--quota", "1000")
    params = [upload_params(pki, name=f"cert-{i}") for i in range(48)]

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


def test_quota_holds_under_concurrency(start_emulator, pki):
    emu = start_emulator("--quota", "5")
    params = [upload_params(pki) for _ in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda p: emu.call(UPLOAD, p).json().get("Code"), params, timeout=60))
    assert codes.count(None) == 5 and codes.count("OverQuota") == 11
    assert len(describe(emu)) == 5
