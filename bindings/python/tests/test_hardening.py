"""What once killed the interpreter or left duplicates: numeric options out of range, CR/LF in the
user agent, and the duplicate-safe upload under threads and a lost answer."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import time

import pytest
import slbcert
from conftest import Emulator, client_for, unique_cn


@pytest.mark.parametrize("keyword,value,shown", [
    ("deadline", 9223372036854775, "0.001 to 86400 seconds"),  # once: SIGILL inside the interpreter
    ("deadline", 1e300, "0.001 to 86400 seconds"),
    ("deadline", float("nan"), "0.001 to 86400 seconds"),
    ("timeout", 0, "0.001 to 3600 seconds"),
    ("timeout", -3, "0.001 to 3600 seconds"),
    ("connect_timeout", 10 ** 30, "0.001 to 300 seconds"),
    ("upload_settle", 0.0001, "0.001 to 3600 seconds"),
    ("max_attempts", 0, "1 to 20"),
    ("max_attempts", 21, "1 to 20"),
    ("max_attempts", 2 ** 70, "1 to 20"),
])
def test_out_of_range_options_name_the_keyword(fresh: Emulator, keyword: str, value: object, shown: str) -> None:
    with pytest.raises(slbcert.InvalidArgument) as caught:
        client_for(fresh, **{keyword: value})
    error = caught.value
    assert error.argument == keyword and error.reason == "SETTING_OUT_OF_RANGE"
    assert str(error).startswith(f"{keyword}=") and shown in str(error), str(error)


def test_the_crash_of_record_now_raises_in_a_child_interpreter(fresh: Emulator) -> None:
    # In a separate interpreter, so that a regression (a trap) fails this test instead of ending the run.
    code = ("import slbcert\n"
            "try:\n"
            f"    slbcert.Client(region='cn-hangzhou', endpoint={fresh.url!r}, access_key_id='a', access_key_secret='b',\n"
            "                   deadline=9223372036854775).describe()\n"
            "except slbcert.InvalidArgument as error:\n"
            "    print('refused:', error.argument)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "refused: deadline" in done.stdout, done


@pytest.mark.parametrize("suffix", ["x\r\nX-Injected: 1", "x\nX-Injected: 1"])
def test_user_agent_suffix_cannot_add_a_header(fresh: Emulator, suffix: str) -> None:
    with pytest.raises(slbcert.InvalidArgument) as caught:
        client_for(fresh, user_agent_suffix=suffix)
    assert caught.value.argument == "user_agent_suffix"


def test_eight_threads_one_copy(fresh: Emulator, pki) -> None:  # type: ignore[no-untyped-def]
    fresh.admin.set_faults([{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 400, "times": 8}])
    issued = pki.issue_leaf(unique_cn("threads"))
    with client_for(fresh) as client, slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: client.upload(bundle), range(8)))
        fingerprint = bundle.fingerprint
    assert len({r.certificate.id for r in results}) == 1
    assert [r.outcome for r in results].count(slbcert.UploadOutcome.UPLOADED) == 1
    assert sum(1 for c in fresh.admin.certificates() if c["Fingerprint"] == fingerprint) == 1


def test_a_timeout_while_the_service_works_is_found(fresh: Emulator, pki) -> None:  # type: ignore[no-untyped-def]
    fresh.admin.set_faults([{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 3000, "times": 1}])
    issued = pki.issue_leaf(unique_cn("slow"))
    with client_for(fresh, upload_timeout=1) as client, slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        result = client.upload(bundle)
        assert result.outcome is slbcert.UploadOutcome.FOUND and not result.uploaded
        time.sleep(3.5)
        assert sum(1 for c in fresh.admin.certificates() if c["Fingerprint"] == bundle.fingerprint) == 1


def test_unconfirmed_is_its_own_exception(fresh: Emulator, pki) -> None:  # type: ignore[no-untyped-def]
    fresh.admin.set_faults([{"action": "UploadServerCertificate", "fault": "delay", "delay_ms": 4000, "times": 1}])
    issued = pki.issue_leaf(unique_cn("unconfirmed"))
    with client_for(fresh, upload_timeout=1, deadline=2) as client, slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        with pytest.raises(slbcert.UnconfirmedError) as caught:
            client.upload(bundle)
        assert isinstance(caught.value, slbcert.TimeoutError) and caught.value.reason == "UPLOAD_UNCONFIRMED"
        assert "again" in caught.value.hint
        time.sleep(2.5)
        assert client.upload(bundle).outcome is slbcert.UploadOutcome.FOUND


@pytest.mark.parametrize("days", [2 ** 40, 36501, -1])
def test_expiry_warning_days_out_of_range(pki, days) -> None:  # type: ignore[no-untyped-def]
    issued = pki.issue_leaf(unique_cn("expiry"))
    with pytest.raises(slbcert.InvalidArgument) as caught:
        slbcert.Bundle(issued.chain_pem, issued.key_pem, expiry_warning_days=days)
    assert caught.value.argument == "expiry_warning_days" and "0 to 36500" in caught.value.message
