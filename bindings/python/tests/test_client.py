"""Client against the emulator on loopback over HTTPS: every method, every exception, threads."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from cryptography.hazmat.primitives import serialization

import slbcert

from conftest import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, PKI, Emulator, client_for, free_closed_port, key_pem,
                      not_after, unique_cn)


def requests_of(emulator: Emulator, action: str) -> int:
    """How many requests for ``action`` reached the emulator since its last reset."""
    return int(emulator.admin.stats()["requests"].get(action, 0))


# ------------------------------------------------------------------------------------------------
# upload / ensure / describe / rename / delete

def test_upload_returns_every_field(client: slbcert.Client, pki: PKI, fresh: Emulator) -> None:
    cn = unique_cn("upload")
    issued = pki.issue_leaf(cn, dns=[cn, "alt." + cn])
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        result = client.upload(bundle, name="first-cert", tags={"env": "test", "team": "web"})
    assert isinstance(result, slbcert.UploadResult)
    assert result.uploaded is True
    certificate = result.certificate
    assert isinstance(certificate, slbcert.ServerCertificate)
    stored = fresh.admin.certificates()
    assert [item["ServerCertificateId"] for item in stored] == [certificate.id]
    assert certificate.id.startswith(stored[0]["AccountId"] + "_")
    assert certificate.name == "first-cert"
    assert certificate.fingerprint == issued.fingerprint
    assert certificate.common_name == cn
    assert set(certificate.subject_alternative_names) == {cn, "alt." + cn}
    assert certificate.expire_time == not_after(issued.cert)
    assert certificate.expire_time_ms == int(not_after(issued.cert).timestamp() * 1000)
    assert certificate.create_time is not None and certificate.create_time.tzinfo is not None
    assert abs((dt.datetime.now(dt.timezone.utc) - certificate.create_time).total_seconds()) < 120
    assert certificate.create_time_ms == int(certificate.create_time.timestamp() * 1000)
    assert certificate.create_time_text.endswith("Z") and certificate.expire_time_text.endswith("Z")
    assert certificate.is_alicloud is False
    assert certificate.alicloud_certificate_id == "" and certificate.alicloud_certificate_name == ""
    assert certificate.region_id == "cn-hangzhou"
    assert certificate.region_id_alias == "cn-hangzhou"
    assert certificate.resource_group_id.startswith("rg-")
    assert certificate.tags == {"env": "test", "team": "web"}
    assert certificate.request_id
    assert [c.id for c in result.region_certificates] == [certificate.id]
    with pytest.raises(dataclasses.FrozenInstanceError):
        certificate.name = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.uploaded = False  # type: ignore[misc]
    hash(certificate)
    # What the emulator stored is what was sent: the normalised chain, leaf first.
    assert stored[0]["Fingerprint"] == issued.fingerprint
    assert stored[0]["ServerCertificate"] == bundle.normalized_certificate_pem


def test_ensure_second_upload_is_not_uploaded(client: slbcert.Client, pki: PKI, fresh: Emulator) -> None:
    issued = pki.issue_leaf(unique_cn("ensure"))
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        first = client.upload(bundle)
        second = client.upload(bundle)
        assert first.uploaded is True
        assert second.uploaded is False
        assert second.certificate.id == first.certificate.id
        assert second.certificate.fingerprint == issued.fingerprint
        assert [c.id for c in second.region_certificates] == [first.certificate.id]
        assert len(fresh.admin.certificates()) == 1
        assert requests_of(fresh, "UploadServerCertificate") == 1
        # ensure=False uploads unconditionally: a second copy, and no duplicate check was made.
        third = client.upload(bundle, ensure=False)
        assert third.uploaded is True and third.certificate.id != first.certificate.id
        assert third.region_certificates == ()
    assert len(fresh.admin.certificates()) == 2


def test_upload_without_name_and_with_resource_group(client: slbcert.Client, pki: PKI) -> None:
    cn = unique_cn("rg")
    issued = pki.issue_leaf(cn)
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        result = client.upload(bundle, resource_group_id="rg-custom123", tags=[("k", "v")])
    assert result.certificate.resource_group_id == "rg-custom123"
    assert result.certificate.tags == {"k": "v"}
    listed = client.describe(resource_group_id="rg-custom123")
    assert [c.id for c in listed] == [result.certificate.id]
    assert listed[0].name == cn  # the service names an unnamed certificate after its CN
    assert client.describe(resource_group_id="rg-other") == []


def test_upload_send_as_is(client: slbcert.Client, pki: PKI, fresh: Emulator) -> None:
    issued = pki.issue_leaf(unique_cn("asis"))
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        result = client.upload(bundle, send_as_is=True)
    assert result.uploaded and result.certificate.fingerprint == issued.fingerprint


def test_describe_filters(client: slbcert.Client, pki: PKI) -> None:
    ids = []
    for index, tags in enumerate(({"env": "prod"}, {"env": "dev"}, {"other": "x"})):
        issued = pki.issue_leaf(unique_cn(f"describe{index}"))
        with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
            ids.append(client.upload(bundle, tags=tags, ensure=False).certificate.id)
    everything = client.describe()
    assert sorted(c.id for c in everything) == sorted(ids)
    assert all(c.request_id == everything[0].request_id and c.request_id for c in everything)
    assert [c.id for c in client.describe(server_certificate_id=ids[1])] == [ids[1]]
    assert [c.id for c in client.describe(tags={"env": "prod"})] == [ids[0]]
    assert sorted(c.id for c in client.describe(tags={"env": None})) == sorted(ids[:2])  # any value
    assert client.describe(tags={"env": "staging"}) == []
    assert client.describe(server_certificate_id="nope") == []
    assert {c.id: c.tags for c in everything}[ids[2]] == {"other": "x"}


def test_rename_and_delete(client: slbcert.Client, pki: PKI) -> None:
    issued = pki.issue_leaf(unique_cn("rename"))
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        certificate = client.upload(bundle, name="before").certificate
    assert client.rename(certificate.id, "after") is None
    assert client.describe(server_certificate_id=certificate.id)[0].name == "after"
    assert client.delete(certificate.id) is None
    assert client.describe(server_certificate_id=certificate.id) == []


def test_upload_cas(client: slbcert.Client, pki: PKI, fresh: Emulator) -> None:
    issued = pki.issue_leaf(unique_cn("cas"))
    fresh.admin("POST", "cas", {"AliCloudCertificateId": "12345", "AliCloudCertificateName": "cas-cert",
                                "AliCloudCertificateRegionId": "cn-hangzhou",
                                "ServerCertificate": issued.chain_pem.decode()})
    result = client.upload_cas("12345", "cas-cert", "cn-hangzhou", name="from-cas", tags={"src": "cas"})
    assert result.uploaded is True
    assert result.region_certificates == ()  # no local fingerprint: no duplicate check
    certificate = result.certificate
    assert certificate.is_alicloud is True
    assert certificate.alicloud_certificate_id == "12345"
    assert certificate.alicloud_certificate_name == "cas-cert"
    assert certificate.fingerprint == issued.fingerprint
    assert certificate.name == "from-cas"
    listed = client.describe(server_certificate_id=certificate.id)
    assert listed[0].is_alicloud and listed[0].alicloud_certificate_id == "12345"
    with pytest.raises(slbcert.ServiceError) as caught:
        client.upload_cas("99999")
    assert caught.value.code == "InvalidParameter"
    with pytest.raises(slbcert.InvalidArgument):
        client.upload_cas("")


# ------------------------------------------------------------------------------------------------
# every exception class

def test_validation_error_mismatched_pair_sends_nothing(client: slbcert.Client, pki: PKI, other_key: Any,
                                                        fresh: Emulator) -> None:
    issued = pki.issue_leaf(unique_cn("mismatch"))
    with slbcert.Bundle(issued.chain_pem, key_pem(other_key)) as bundle:
        assert bundle.has_errors
        with pytest.raises(slbcert.ValidationError) as caught:
            client.upload(bundle)
    error = caught.value
    assert error.status == -4 and error.status_name == "SLBCERT_EVALIDATION"
    assert error.code == "KEY_MISMATCH"
    assert [f.code for f in error.findings] == ["KEY_MISMATCH"]
    assert all(f.severity is slbcert.Severity.ERROR for f in error.findings)
    assert error.hint and error.message
    assert fresh.admin.certificates() == []
    assert requests_of(fresh, "UploadServerCertificate") == 0
    assert requests_of(fresh, "DescribeServerCertificates") == 0


def test_validation_error_without_key(client: slbcert.Client, pki: PKI) -> None:
    issued = pki.issue_leaf(unique_cn("nokey"))
    with slbcert.Bundle(issued.chain_pem) as bundle:
        with pytest.raises(slbcert.ValidationError):
            client.upload(bundle)


def test_service_error_rename_unknown_id(client: slbcert.Client) -> None:
    with pytest.raises(slbcert.ServiceError) as caught:
        client.rename("does-not-exist", "name")
    error = caught.value
    assert error.code == "ServerCertificateId.NotFound"
    assert error.request_id
    assert error.http_status == 400
    assert error.status == -6 and error.status_name == "SLBCERT_ESERVICE"
    assert error.message
    assert error.recommend.startswith("https://") and error.request_id in error.recommend
    assert error.host_id == "127.0.0.1"
    assert error.request_id in str(error)


def test_service_error_delete_bound_certificate(client: slbcert.Client, pki: PKI, fresh: Emulator) -> None:
    issued = pki.issue_leaf(unique_cn("bound"))
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        certificate = client.upload(bundle).certificate
    fresh.admin("POST", "bind", {"ServerCertificateId": certificate.id})
    with pytest.raises(slbcert.ServiceError) as caught:
        client.delete(certificate.id)
    assert caught.value.code == "CertificateAndPrivateKeyIsRefered"
    assert caught.value.hint


def test_service_error_wrong_secret(fresh: Emulator) -> None:
    with client_for(fresh, access_key_secret="not-the-secret") as client:
        with pytest.raises(slbcert.ServiceError) as caught:
            client.describe()
    assert caught.value.code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(caught.value)
    assert "string to sign" not in caught.value.message


def test_invalid_argument_is_local(client: slbcert.Client, fresh: Emulator) -> None:
    with pytest.raises(slbcert.InvalidArgument) as caught:
        client.rename("some-id", "1 bad name")
    assert isinstance(caught.value, ValueError)
    with pytest.raises(slbcert.InvalidArgument):
        client.describe(tags={f"k{i}": "v" for i in range(21)})
    with pytest.raises(ValueError):
        client.rename("id\0x", "name")
    assert requests_of(fresh, "SetServerCertificateName") == 0


def test_network_error_closed_port(isolated_env: Path) -> None:
    port = free_closed_port()
    with slbcert.Client(region="cn-hangzhou", endpoint=f"https://127.0.0.1:{port}", access_key_id="id",
                        access_key_secret="secret", max_attempts=1, connect_timeout=2) as client:
        with pytest.raises(slbcert.NetworkError) as caught:
            client.describe()
    error = caught.value
    assert isinstance(error, ConnectionError)
    assert error.status == -7 and error.http_status == 0
    assert error.transport_code == 7  # CURLE_COULDNT_CONNECT
    assert error.hint


def test_tls_error_wrong_ca(fresh: Emulator, pki: PKI, tmp_path: Path) -> None:
    wrong_ca = tmp_path / "wrong-ca.pem"
    wrong_ca.write_bytes(pki.root.cert.public_bytes(serialization.Encoding.PEM))
    with client_for(fresh, ca_bundle=str(wrong_ca), max_attempts=1) as client:
        with pytest.raises(slbcert.TLSError) as caught:
            client.describe()
    assert caught.value.status == -8 and caught.value.message


def test_timeout_error_delay_fault(fresh: Emulator) -> None:
    fresh.admin.set_faults([{"action": "DescribeServerCertificates", "fault": "delay", "delay_ms": 3000, "times": 1}])
    with client_for(fresh, timeout=1, max_attempts=1) as client:
        started = time.monotonic()
        with pytest.raises(slbcert.TimeoutError) as caught:
            client.describe()
        elapsed = time.monotonic() - started
    assert isinstance(caught.value, builtins.TimeoutError)
    assert caught.value.status == -9
    assert 0.5 < elapsed < 2.9


def test_credentials_error_missing_profile(fresh: Emulator, isolated_env: Path) -> None:
    assert list(isolated_env.iterdir()) == []
    with pytest.raises(slbcert.CredentialsError) as caught:
        client_for(fresh, access_key_id=None, access_key_secret=None, profile="does-not-exist")
    assert caught.value.status == -5
    assert caught.value.message


def test_credentials_error_empty_default_chain(fresh: Emulator, isolated_env: Path) -> None:
    with pytest.raises(slbcert.CredentialsError):
        client_for(fresh, access_key_id=None, access_key_secret=None)


def test_protocol_error_html_page(fresh: Emulator) -> None:
    fresh.admin.set_faults([{"action": "DescribeServerCertificates", "fault": "html-414", "times": 1}])
    with client_for(fresh, max_attempts=1) as client:
        with pytest.raises(slbcert.ProtocolError) as caught:
            client.describe()
    assert caught.value.http_status == 414
    assert caught.value.hint


# ------------------------------------------------------------------------------------------------
# credentials sources, options, logging

def test_default_chain_from_environment(fresh: Emulator, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-hangzhou")
    with slbcert.Client(endpoint=fresh.url, ca_bundle=fresh.ca_file) as client:
        assert client.credentials is None
        assert client.region == "cn-hangzhou"
        assert client.describe() == []


def test_region_missing_is_invalid_argument(fresh: Emulator, isolated_env: Path) -> None:
    with pytest.raises(slbcert.InvalidArgument, match="region"):
        client_for(fresh, region=None)


def test_profile_credentials(fresh: Emulator, isolated_env: Path) -> None:
    config = isolated_env / ".aliyun" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"current": "other", "profiles": [
        {"name": "emu", "mode": "AK", "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET,
         "region_id": "cn-hangzhou"},
        {"name": "other", "mode": "AK", "access_key_id": "x", "access_key_secret": "y"},
    ]}))
    with slbcert.Client(endpoint=fresh.url, ca_bundle=fresh.ca_file, profile="emu") as client:
        assert client.region == "cn-hangzhou"  # the profile's region
        assert client.credentials is not None and client.credentials.source == "profile:emu"
        assert client.describe() == []


def test_endpoint_region_and_repr(client: slbcert.Client, fresh: Emulator) -> None:
    assert client.endpoint == fresh.url
    assert client.region == "cn-hangzhou"
    assert "cn-hangzhou" in repr(client) and "open" in repr(client)
    assert ACCESS_KEY_SECRET not in repr(client)


def test_retry_after_a_transient_error_and_log_lines(fresh: Emulator) -> None:
    lines: List[Tuple[int, str]] = []
    fresh.admin.set_faults([{"action": "DescribeServerCertificates", "fault": "unavailable", "times": 1}])
    with client_for(fresh, log=lambda level, line: lines.append((level, line)), log_level=slbcert.LogLevel.DEBUG) \
            as client:
        assert client.describe() == []
    info = [line for level, line in lines if level == slbcert.LogLevel.INFO]
    assert any("attempt=1" in line and "ServiceUnavailable" in line for line in info), lines
    assert any("attempt=2" in line and "status=200" in line for line in info), lines
    assert all(isinstance(level, slbcert.LogLevel) for level, _ in lines)
    # The retry itself is a warning, so a caller logging warnings only still sees it.
    assert any(level == slbcert.LogLevel.WARNING and "retrying DescribeServerCertificates" in line
               and "after ServiceUnavailable, attempt 2 of 3" in line for level, line in lines), lines
    assert not any(ACCESS_KEY_SECRET in line for _, line in lines)


def test_log_to_a_python_logger(fresh: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("slbcert.test")
    with caplog.at_level(logging.INFO, logger="slbcert.test"):
        with client_for(fresh, log=logger) as client:
            client.describe()
    assert any("action=DescribeServerCertificates" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)


def test_log_callback_exception_does_not_break_the_call(fresh: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    reported: List[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: reported.append(report.exc_value))

    def broken(level: int, line: str) -> None:
        raise RuntimeError("log sink failed")

    with client_for(fresh, log=broken) as client:
        assert client.describe() == []
    # ctypes cannot pass the exception through C: it reports it as unraisable, and the call goes on.
    assert reported and all(isinstance(exc, RuntimeError) for exc in reported)


def test_log_callback_stays_alive_for_the_clients_life(fresh: Emulator, pki: PKI) -> None:
    import gc
    seen: List[str] = []
    client = client_for(fresh, log=lambda level, line: seen.append(line))
    gc.collect()  # the ctypes callback object must not be collected while the client lives
    issued = pki.issue_leaf(unique_cn("logalive"))
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        client.upload(bundle)
    client.close()
    assert any("UploadServerCertificate" in line for line in seen)


def test_closing_the_client_from_its_log_callback_raises(fresh: Emulator,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    reported: List[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: reported.append(report.exc_value))
    holder: List[slbcert.Client] = []
    client = client_for(fresh, log=lambda level, line: holder[0].close())
    holder.append(client)
    assert client.describe() == []  # the call completes; close() refused instead of deadlocking
    assert reported and isinstance(reported[0], RuntimeError)
    assert not client.closed
    client.close()
    assert client.closed


def test_bad_options(fresh: Emulator) -> None:
    with pytest.raises(ValueError):
        client_for(fresh, timeout=0)
    with pytest.raises(ValueError):
        client_for(fresh, max_attempts=0)
    with pytest.raises(slbcert.InvalidArgument):
        client_for(fresh, max_attempts=21)
    with pytest.raises(ValueError):
        client_for(fresh, signature_version="v2")
    with pytest.raises(TypeError):
        client_for(fresh, log=42)
    with pytest.raises(slbcert.InvalidArgument):
        client_for(fresh, endpoint="ftp://127.0.0.1:1")
    with pytest.raises(TypeError):
        with client_for(fresh) as client:
            client.upload(b"not a bundle")  # type: ignore[arg-type]


@pytest.mark.parametrize("signature_version,placement", [("v1", "query"), ("v3", "body"), ("v3", "query")])
def test_other_signature_versions_and_placements(fresh: Emulator, pki: PKI, signature_version: str,
                                                 placement: str) -> None:
    issued = pki.issue_leaf(unique_cn(f"{signature_version}{placement}"))
    with client_for(fresh, signature_version=signature_version, placement=placement) as client, \
            slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        first = client.upload(bundle, name="sig", tags={"t": "1"})
        assert first.uploaded and first.certificate.fingerprint == issued.fingerprint
        assert client.upload(bundle).uploaded is False
        assert [c.id for c in client.describe(tags={"t": "1"})] == [first.certificate.id]
        client.rename(first.certificate.id, "renamed")
        with pytest.raises(slbcert.ServiceError) as caught:
            client.rename("unknown-id", "x")
        assert caught.value.code == "ServerCertificateId.NotFound" and caught.value.request_id
        client.delete(first.certificate.id)
        assert client.describe() == []


# ------------------------------------------------------------------------------------------------
# lifetime and threads

def test_closed_client(fresh: Emulator) -> None:
    client = client_for(fresh)
    client.close()
    client.close()  # idempotent
    assert client.closed and "closed" in repr(client)
    with pytest.raises(ValueError, match="closed"):
        client.describe()
    with client_for(fresh) as client:
        pass
    assert client.closed


def test_collected_client_is_freed(fresh: Emulator) -> None:
    import gc
    client = client_for(fresh)
    finalizer = client._finalizer
    credentials = client.credentials
    assert credentials is not None
    del client
    gc.collect()
    assert not finalizer.alive
    assert credentials.closed  # freed after the client that borrowed them


def test_closed_bundle_cannot_be_uploaded(client: slbcert.Client, pki: PKI) -> None:
    issued = pki.issue_leaf(unique_cn("closedbundle"))
    bundle = slbcert.Bundle(issued.chain_pem, issued.key_pem)
    bundle.close()
    with pytest.raises(ValueError, match="closed"):
        client.upload(bundle)


def test_close_waits_for_calls_in_other_threads(fresh: Emulator) -> None:
    fresh.admin.set_faults([{"action": "DescribeServerCertificates", "fault": "delay", "delay_ms": 700, "times": 1}])
    client = client_for(fresh)
    outcome: List[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(client.describe()))
    worker.start()
    deadline = time.monotonic() + 5
    while not client._handle.busy and time.monotonic() < deadline:  # the call has started
        time.sleep(0.005)
    client.close()  # must wait for the running describe, not free the client under it
    worker.join(10)
    assert outcome == [[]]


def test_eight_threads_share_one_client(fresh: Emulator, pki: PKI) -> None:
    issued = [pki.issue_leaf(unique_cn(f"thread{i}")) for i in range(8)]
    results: List[Any] = [None] * 8
    failures: List[BaseException] = []
    barrier = threading.Barrier(8)
    lines: List[str] = []
    log_lock = threading.Lock()

    def log(level: int, line: str) -> None:
        with log_lock:
            lines.append(line)

    def work(index: int, client: slbcert.Client) -> None:
        try:
            barrier.wait(10)
            with slbcert.Bundle(issued[index].chain_pem, issued[index].key_pem) as bundle:
                first = client.upload(bundle, name=f"thread-{index}", tags={"thread": str(index)})
                again = client.upload(bundle)
            listed = client.describe(tags={"thread": str(index)})
            # Each thread's failure details are its own (the last error is per thread).
            try:
                client.rename(f"missing-{index}", "x")
            except slbcert.ServiceError as error:
                own_error = error
            results[index] = (first, again, listed, client.describe(), own_error)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    with client_for(fresh, log=log) as client:
        threads = [threading.Thread(target=work, args=(i, client)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    ids = set()
    for index, (first, again, listed, everything, own_error) in enumerate(results):
        assert first.uploaded is True and first.certificate.fingerprint == issued[index].fingerprint
        assert again.uploaded is False and again.certificate.id == first.certificate.id
        assert [c.id for c in listed] == [first.certificate.id]
        assert first.certificate.id in {c.id for c in everything}
        assert own_error.code == "ServerCertificateId.NotFound" and own_error.request_id
        ids.add(first.certificate.id)
    assert len(ids) == 8
    request_ids = {r[4].request_id for r in results}
    assert len(request_ids) == 8  # eight distinct failures, each read on its own thread
    assert len(fresh.admin.certificates()) == 8
    assert sum("action=UploadServerCertificate" in line for line in lines) == 8
