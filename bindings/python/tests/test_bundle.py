"""Bundle: parsing, facts, findings, keys, normalisation, lifetime, leaks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import slbcert
from slbcert import Severity

from conftest import PKI, key_pem, not_after, not_before, pem

UTC = dt.timezone.utc


def codes(bundle: slbcert.Bundle) -> set:
    return {f.code for f in bundle.findings}


def test_facts_match_an_independent_reading(pki: PKI) -> None:
    issued = pki.issue_leaf("www.example.test", dns=["www.example.test", "example.test"], ips=["192.0.2.7", "2001:db8::1"])
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        assert not bundle.has_errors, bundle.findings
        assert bundle.fingerprint == issued.fingerprint
        assert bundle.fingerprint_sha256 == issued.fingerprint_sha256
        assert bundle.common_name == "www.example.test"
        assert bundle.subject_alternative_names == ["www.example.test", "example.test"]
        assert bundle.ip_addresses == ["192.0.2.7", "2001:db8::1"]
        assert bundle.not_before == not_before(issued.cert)
        assert bundle.not_after == not_after(issued.cert)
        assert bundle.not_after.tzinfo is not None and bundle.not_after.utcoffset() == dt.timedelta(0)
        assert bundle.key_algorithm == "RSA"
        assert bundle.key_bits == 2048
        assert bundle.has_key

        assert len(bundle.chain) == 2
        leaf, intermediate = bundle.chain
        assert bundle.leaf == leaf
        assert isinstance(leaf, slbcert.Certificate)
        # Upper-case hex of whole bytes (so it may start with 0, as OpenSSL's BN_bn2hex writes it).
        assert leaf.serial == leaf.serial.upper() and len(leaf.serial) % 2 == 0
        assert int(leaf.serial, 16) == issued.cert.serial_number
        assert leaf.subject == "CN=www.example.test"
        assert leaf.issuer == "CN=slbcert Test Intermediate CA,O=slbcert tests"
        assert leaf.not_after_ms == int(not_after(issued.cert).timestamp() * 1000)
        assert leaf.not_before_ms == int(not_before(issued.cert).timestamp() * 1000)
        assert leaf.not_after_text == not_after(issued.cert).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert leaf.not_before_text == not_before(issued.cert).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert leaf.key_algorithm == "RSA" and leaf.key_bits == 2048
        assert not leaf.is_ca and not leaf.is_self_signed
        assert intermediate.is_ca and not intermediate.is_self_signed
        assert intermediate.common_name == "slbcert Test Intermediate CA"
        assert intermediate.fingerprint == pki.intermediate.cert.fingerprint(hashes.SHA1()).hex(":")


def test_certificate_and_finding_are_frozen(pki: PKI) -> None:
    issued = pki.issue_leaf()
    bundle = slbcert.Bundle(issued.cert_pem)  # no intermediate: a finding
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundle.chain[0].common_name = "x"  # type: ignore[misc]
    assert bundle.findings
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundle.findings[0].code = "x"  # type: ignore[misc]
    hash(bundle.chain[0])
    hash(bundle.findings[0])
    bundle.close()


def test_chain_given_in_reverse_is_reordered(pki: PKI) -> None:
    issued = pki.issue_leaf()
    reversed_pem = pem(pki.intermediate.cert) + pem(issued.cert)
    with slbcert.Bundle(reversed_pem, issued.key_pem) as bundle:
        assert [c.common_name for c in bundle.chain] == ["www.example.test", "slbcert Test Intermediate CA"]
        assert "CHAIN_REORDERED" in codes(bundle)
        normalized = bundle.normalized_certificate_pem
        assert normalized is not None
        ordered = x509.load_pem_x509_certificates(normalized.encode())
        assert [c.fingerprint(hashes.SHA1()) for c in ordered] == [
            issued.cert.fingerprint(hashes.SHA1()), pki.intermediate.cert.fingerprint(hashes.SHA1())]
        assert all(len(line) <= 64 for line in normalized.splitlines())
        assert "\r" not in normalized


def test_normalized_private_key_is_pkcs1_in_a_fresh_bytearray(pki: PKI) -> None:
    issued = pki.issue_leaf()
    pkcs8 = key_pem(issued.key, pkcs8=True)
    assert b"BEGIN PRIVATE KEY" in pkcs8
    with slbcert.Bundle(issued.chain_pem, pkcs8) as bundle:
        first = bundle.normalized_private_key_pem
        second = bundle.normalized_private_key_pem
        assert isinstance(first, bytearray)
        assert first == second and first is not second  # copied per access, never cached
        assert first.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
        loaded = serialization.load_pem_private_key(bytes(first), password=None)
        assert loaded.private_numbers() == issued.key.private_numbers()  # type: ignore[union-attr]
        first[:] = bytes(len(first))  # the caller can wipe it
        assert bundle.normalized_private_key_pem == second
    with pytest.raises(ValueError, match="closed"):
        bundle.normalized_private_key_pem
    # Facts read at parse time stay available after close.
    assert bundle.fingerprint == issued.fingerprint


def test_key_input_types(pki: PKI) -> None:
    issued = pki.issue_leaf()
    as_bytes = issued.key_pem
    as_bytearray = bytearray(as_bytes)
    for key in (as_bytes, as_bytes.decode(), as_bytearray, memoryview(as_bytes)):
        with slbcert.Bundle(issued.chain_pem, key) as bundle:
            assert bundle.has_key and not bundle.has_errors, (type(key), bundle.findings)
    assert as_bytearray == as_bytes  # the caller's bytearray is lent, not wiped by the binding
    with slbcert.Bundle(issued.chain_pem.decode(), issued.key_pem.decode()) as bundle:
        assert not bundle.has_errors


def test_wrong_types_raise_type_error(pki: PKI) -> None:
    with pytest.raises(TypeError):
        slbcert.Bundle(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        slbcert.Bundle(pki.issue_leaf().cert_pem, key=object())  # type: ignore[arg-type]


def test_empty_certificate_is_a_finding_as_in_the_cli_and_c() -> None:
    bundle = slbcert.Bundle(b"")
    assert bundle.has_errors and [f.code for f in bundle.errors] == ["NO_CERTIFICATE"]
    assert str(bundle.errors[0].severity) == "error"


def test_empty_key_is_a_finding(pki: PKI) -> None:
    with slbcert.Bundle(pki.issue_leaf().cert_pem, key=b"") as bundle:
        assert "NO_PRIVATE_KEY" in [f.code for f in bundle.errors]


def test_der_certificate(pki: PKI) -> None:
    issued = pki.issue_leaf()
    der = issued.cert.public_bytes(serialization.Encoding.DER)
    with slbcert.Bundle(der, issued.key_pem) as bundle:
        assert bundle.fingerprint == issued.fingerprint
        assert bundle.normalized_certificate_pem.startswith("-----BEGIN CERTIFICATE-----")  # type: ignore[union-attr]


def test_garbage_gives_a_finding_not_an_exception() -> None:
    with slbcert.Bundle(b"this is not a certificate") as bundle:
        assert bundle.has_errors
        assert bundle.chain == [] and bundle.leaf is None
        assert bundle.fingerprint is None and bundle.not_after is None
        assert bundle.subject_alternative_names == [] and bundle.ip_addresses == []
        assert bundle.normalized_certificate_pem is None
        assert bundle.key_algorithm is None and bundle.key_bits is None and not bundle.has_key
        assert "NO_CERTIFICATE" in codes(bundle)
        assert all(f.severity in (Severity.ERROR, Severity.WARNING) for f in bundle.findings)


def test_mismatched_pair_is_an_error_finding(pki: PKI, other_key) -> None:
    issued = pki.issue_leaf()
    with slbcert.Bundle(issued.chain_pem, key_pem(other_key)) as bundle:
        assert bundle.has_errors
        mismatch = [f for f in bundle.errors if f.code == "KEY_MISMATCH"]
        assert mismatch and mismatch[0].severity is Severity.ERROR and mismatch[0].is_error
        assert mismatch[0].message
        with pytest.raises(slbcert.ValidationError) as caught:
            bundle.check()
        assert caught.value.findings == bundle.errors
        assert caught.value.code == bundle.errors[0].code


def test_check_passes_a_good_bundle(pki: PKI) -> None:
    issued = pki.issue_leaf()
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        assert bundle.check() is bundle


def test_ec_key_is_an_error_unless_allowed(pki: PKI, ec_key) -> None:
    issued = pki.issue_leaf(key=ec_key)
    with slbcert.Bundle(issued.chain_pem, key_pem(ec_key)) as bundle:
        assert bundle.key_algorithm == "EC" and bundle.key_bits == 256
        assert "KEY_NOT_RSA" in {f.code for f in bundle.errors}
    with slbcert.Bundle(issued.chain_pem, key_pem(ec_key), allow_non_rsa=True) as bundle:
        assert "KEY_NOT_RSA" in {f.code for f in bundle.warnings}
        assert not bundle.has_errors


def test_encrypted_key_with_passphrase(pki: PKI) -> None:
    issued = pki.issue_leaf()
    encrypted = key_pem(issued.key, password=b"s3cret")
    with slbcert.Bundle(issued.chain_pem, encrypted) as bundle:
        assert bundle.has_errors and {"KEY_ENCRYPTED"} & codes(bundle)
    for passphrase in (b"s3cret", "s3cret", bytearray(b"s3cret")):
        with slbcert.Bundle(issued.chain_pem, encrypted, passphrase=passphrase) as bundle:
            assert not bundle.has_errors, bundle.findings
            assert bundle.normalized_private_key_pem.startswith(b"-----BEGIN RSA PRIVATE KEY")  # type: ignore[union-attr]
    with slbcert.Bundle(issued.chain_pem, encrypted, passphrase=b"wrong") as bundle:
        assert "KEY_PASSPHRASE_WRONG" in codes(bundle)


def test_expiry_warning_and_now(pki: PKI) -> None:
    issued = pki.issue_leaf(days=20)
    with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
        assert "LEAF_EXPIRES_SOON" in {f.code for f in bundle.warnings}
    with slbcert.Bundle(issued.chain_pem, issued.key_pem, expiry_warning_days=0) as bundle:
        assert "LEAF_EXPIRES_SOON" not in codes(bundle)
    with slbcert.Bundle(issued.chain_pem, issued.key_pem, expiry_warning_days=10) as bundle:
        assert "LEAF_EXPIRES_SOON" not in codes(bundle)
    later = not_after(issued.cert) + dt.timedelta(days=1)
    with slbcert.Bundle(issued.chain_pem, issued.key_pem, now=later) as bundle:
        assert "LEAF_EXPIRED" in {f.code for f in bundle.errors}
    earlier = not_before(issued.cert) - dt.timedelta(days=1)
    with slbcert.Bundle(issued.chain_pem, issued.key_pem, now=earlier) as bundle:
        assert "LEAF_NOT_YET_VALID" in codes(bundle)
    with pytest.raises(ValueError, match="aware"):
        slbcert.Bundle(issued.chain_pem, issued.key_pem, now=dt.datetime(2030, 1, 1))
    with pytest.raises(slbcert.InvalidArgument):
        slbcert.Bundle(issued.chain_pem, issued.key_pem, expiry_warning_days=-1)


def test_missing_intermediate_and_no_key(pki: PKI) -> None:
    issued = pki.issue_leaf()
    with slbcert.Bundle(issued.cert_pem) as bundle:
        assert not bundle.has_key
        # A chain without key is a valid input (inspection); the upload refuses it later.
        assert codes(bundle) == {"MISSING_INTERMEDIATE"}
        assert not bundle.has_errors


def test_from_files(pki: PKI, tmp_path: Path) -> None:
    issued = pki.issue_leaf()
    cert_file, key_file = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    cert_file.write_bytes(issued.chain_pem)
    key_file.write_bytes(issued.key_pem)
    os.chmod(key_file, 0o600)
    with slbcert.Bundle.from_files(cert_file, key_file) as bundle:
        assert bundle.fingerprint == issued.fingerprint and not bundle.has_errors
    with slbcert.Bundle.from_files(str(cert_file)) as bundle:
        assert not bundle.has_key
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(key_pem(issued.key, password=b"pw"))
    with slbcert.Bundle.from_files(cert_file, encrypted, passphrase="pw", expiry_warning_days=0) as bundle:
        assert not bundle.has_errors
    with pytest.raises(FileNotFoundError):
        slbcert.Bundle.from_files(tmp_path / "missing.pem")
    big = tmp_path / "big.pem"
    big.write_bytes(b"x" * (slbcert.MAX_INPUT_BYTES + 100))
    assert [f.code for f in slbcert.Bundle.from_files(big).errors] == ["INPUT_TOO_LARGE"]
    assert slbcert.MAX_INPUT_BYTES == 1024 * 1024


def test_oversized_input_is_a_finding() -> None:
    with slbcert.Bundle(b"x" * (slbcert.MAX_INPUT_BYTES + 10)) as bundle:
        assert "INPUT_TOO_LARGE" in codes(bundle)


def test_close_is_idempotent_and_finalizer_frees(pki: PKI) -> None:
    issued = pki.issue_leaf()
    bundle = slbcert.Bundle(issued.chain_pem, issued.key_pem)
    assert not bundle.closed
    bundle.close()
    bundle.close()
    assert bundle.closed
    assert "closed" in repr(bundle)
    other = slbcert.Bundle(issued.chain_pem, issued.key_pem)
    finalizer = other._finalizer
    assert finalizer.alive
    del other
    gc.collect()
    assert not finalizer.alive  # freed on collection


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_no_leak_over_10000_parse_free_cycles(pki: PKI) -> None:
    issued = pki.issue_leaf()
    chain, key = issued.chain_pem, issued.key_pem

    def cycle(i: int) -> None:
        if i % 2:
            with slbcert.Bundle(chain, key) as bundle:  # freed by close()
                assert bundle.fingerprint
                bundle.normalized_private_key_pem
        else:
            bundle = slbcert.Bundle(chain, key)  # freed by the finalizer
            assert not bundle.has_errors
            del bundle

    for i in range(2000):
        cycle(i)
    gc.collect()
    after_2000 = _rss_bytes()
    for i in range(2000, 10000):
        cycle(i)
    gc.collect()
    after_10000 = _rss_bytes()
    growth = after_10000 - after_2000
    # A leaked bundle (chain + key + facts: several KiB) per cycle would be tens of MiB over 8000 cycles.
    assert growth < 4 * 1024 * 1024, f"RSS grew by {growth / 1024:.0f} KiB over 8000 cycles"
