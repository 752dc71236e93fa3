"""slbcert_emulator.testing: the shared test PKI, the launcher, its command line and the pytest plugin."""

import datetime
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from slbcert_emulator import certs
from slbcert_emulator.testing import (PASSPHRASE, STANDARD, AdminClient, Emulator, EmulatorError, TestPKI,
                                      without_proxies)

CLI = [sys.executable, "-m", "slbcert_emulator.testing"]
NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(scope="module")
def full_pki(tmp_path_factory):
    return TestPKI(tmp_path_factory.mktemp("pki")).write_all()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def load_chain(path):
    """The certificates of a PEM file (x509.load_pem_x509_certificates is newer than cryptography 38)."""
    ends = "-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate((block + ends).encode()) for block in path.read_text().split(ends)[:-1]]


# ---------------------------------------------------------------------------------------------- the PKI
def test_manifest_lists_every_standard_entry_and_its_files(full_pki):
    manifest = json.loads(full_pki.manifest_path.read_text())
    assert manifest["format"] == "slbcert-test-pki/1"
    assert set(STANDARD) <= set(manifest["entries"])
    assert (full_pki.directory / manifest["passphrase_file"]).read_text() == PASSPHRASE + "\n"
    assert mode(full_pki.passphrase_file) == 0o600
    for name, entry in manifest["entries"].items():
        for form, file in entry["files"].items():
            path = full_pki.directory / file
            assert path.is_file(), (name, form)
            assert mode(path) == (0o644 if form in ("cert", "der", "chain") else 0o600), (name, form)


def test_facts_in_the_manifest_are_those_of_the_files(full_pki):
    manifest = json.loads(full_pki.manifest_path.read_text())["entries"]
    for name, entry in manifest.items():
        if entry["kind"] != "certificate":
            continue
        cert = x509.load_pem_x509_certificate((full_pki.directory / entry["files"]["cert"]).read_bytes())
        facts = certs.facts([cert])
        assert entry["fingerprint_sha1"] == facts.fingerprint, name
        assert entry["not_after_ms"] == int(facts.not_after) * 1000, name
        assert entry["dns_names"] == list(facts.subject_alternative_names), name
        assert entry["subject"] == cert.subject.rfc4514_string(), name
        assert int(entry["serial"], 16) == cert.serial_number, name
        der = (full_pki.directory / entry["files"]["der"]).read_bytes()
        assert x509.load_der_x509_certificate(der) == cert, name


def test_key_types_and_sizes(full_pki):
    expected = {"leaf": ("RSA", 2048), "leaf-rsa1024": ("RSA", 1024), "leaf-rsa3072": ("RSA", 3072),
                "leaf-rsa4096": ("RSA", 4096), "leaf-p256": ("EC", 256), "leaf-p384": ("EC", 384),
                "leaf-ed25519": ("Ed25519", 256), "root": ("EC", 256), "intermediate": ("EC", 256),
                "stray": ("RSA", 2048)}
    for name, (kind, bits) in expected.items():
        entry = full_pki.manifest_entry(name)
        assert (entry["key_type"], entry["key_bits"]) == (kind, bits), name
        key = serialization.load_pem_private_key(full_pki[name].key_file("pkcs8").read_bytes(), password=None)
        if name != "stray":
            assert key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo) == \
                full_pki[name].cert.public_key().public_bytes(serialization.Encoding.DER,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo)


def test_chains_link_to_the_root(full_pki):
    root, intermediate = full_pki.root.cert, full_pki.intermediate.cert
    certs.verify_directly_issued_by(intermediate, root)
    for name in ("leaf", "leaf-rsa3072", "leaf-p384", "leaf-ca", "expired", "not-yet-valid"):
        chain = load_chain(full_pki[name].chain_path)
        assert [c.subject for c in chain[1:]] == [intermediate.subject], name
        certs.verify_directly_issued_by(chain[0], intermediate)
    for name in ("root", "unrelated-ca", "self-signed", "self-signed-plain"):
        assert full_pki.manifest_entry(name)["self_signed"], name
        assert len(load_chain(full_pki[name].chain_path)) == 1, name


def test_the_odd_ones_out(full_pki):
    entry = full_pki.manifest_entry
    assert entry("leaf")["ip_addresses"] == ["192.0.2.10", "2001:db8::1"]
    assert entry("leaf-ca")["is_ca"] and not entry("leaf")["is_ca"]
    assert full_pki["expired"].not_after < NOW and full_pki["not-yet-valid"].not_before > NOW
    assert full_pki["leaf"].not_before < NOW < full_pki["leaf"].not_after
    assert entry("expired")["key_of"] == "leaf"
    with pytest.raises(x509.ExtensionNotFound):
        full_pki["self-signed-plain"].cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert entry("stray")["kind"] == "key" and "cert" not in entry("stray")["files"]


def test_key_forms(full_pki):
    leaf, p256 = full_pki.leaf, full_pki["leaf-p256"]
    assert leaf.key_file("pkcs1").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert "Proc-Type: 4,ENCRYPTED" in leaf.key_file("pkcs1-enc").read_text()
    assert p256.key_file("sec1").read_text().startswith("-----BEGIN EC PRIVATE KEY-----\n")
    assert "Proc-Type: 4,ENCRYPTED" in p256.key_file("sec1-enc").read_text()
    assert leaf.key_path == leaf.key_file("pkcs1") and p256.key_path == p256.key_file("pkcs8")
    for entry in (leaf, p256, full_pki["leaf-ed25519"]):
        encrypted = entry.key_file("pkcs8-enc").read_bytes()
        assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        with pytest.raises(TypeError):
            serialization.load_pem_private_key(encrypted, password=None)
        key = serialization.load_pem_private_key(encrypted, password=PASSPHRASE.encode())
        assert key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == \
            entry.key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)


def test_a_reloaded_pki_issues_further_leaves(full_pki):
    again = TestPKI(full_pki.directory)
    assert again.leaf.fingerprint == full_pki.leaf.fingerprint
    issued = again.issue_leaf("new.example.test", ["new.example.test"], ["127.0.0.1"], days=30)
    assert issued.fingerprint != again.leaf.fingerprint
    assert issued.key.private_numbers() == full_pki.leaf.key.private_numbers()  # the leaf's key, reused
    certs.verify_directly_issued_by(issued.cert, full_pki.intermediate.cert)
    assert TestPKI(full_pki.directory).manifest_entry(issued.name)["ip_addresses"] == ["127.0.0.1"]
    with pytest.raises(ValueError):
        again.issue_leaf("x.example.test", name="leaf")  # names are unique
    with pytest.raises(ValueError):
        again.issue_leaf("x.example.test", key="rsa999")


def test_command_line_pki(tmp_path):
    out = tmp_path / "pki"
    subprocess.run([*CLI, "pki", "--out", str(out), "--only", "leaf"], check=True, capture_output=True)
    printed = subprocess.run([*CLI, "pki", "issue-leaf", "--pki", str(out), "--cn", "cli.example.test",
                              "--key", "ec256", "--name", "cli", "--valid-from-days", "-2", "--days", "1",
                              "--organization", "slbcert tests", "--country", "CN"],
                             check=True, capture_output=True, text=True).stdout
    entry = json.loads(printed)
    assert entry["key_type"] == "EC" and entry["common_name"] == "cli.example.test"
    assert entry["subject"] == "CN=cli.example.test,O=slbcert tests,C=CN"
    assert os.path.isabs(entry["files"]["chain"])
    fingerprint = subprocess.run([*CLI, "pki", "get", "--pki", str(out), "cli", "fingerprint_sha1"],
                                 check=True, capture_output=True, text=True).stdout.strip()
    assert fingerprint == entry["fingerprint_sha1"] == TestPKI(out)["cli"].fingerprint
    assert TestPKI(out)["cli"].not_after < NOW  # valid from two days ago, for one day
    missing = subprocess.run([*CLI, "pki", "get", "--pki", str(out), "nothing"], capture_output=True, text=True)
    assert missing.returncode != 0 and "no entry 'nothing'" in missing.stderr


# ---------------------------------------------------------------------------------------------- the launcher
def test_start_and_stop(tmp_path):
    emulator = Emulator(tmp_path / "emulator").start()
    assert emulator.url.startswith("https://127.0.0.1:") and emulator.running
    assert emulator.admin.health() == {"status": "ok"}
    assert emulator.env["SLBCERT_ENDPOINT"] == emulator.url
    assert emulator.env["SLBCERT_CA_BUNDLE"] == str(emulator.ca_file) and os.path.isabs(emulator.ca_file)
    assert emulator.stop() == 0 and not emulator.running


def test_plain_http_and_a_temporary_data_dir():
    emulator = Emulator(tls=False).start()
    data_dir = emulator.data_dir
    try:
        assert emulator.url.startswith("http://") and emulator.ca_file is None
        assert "SLBCERT_CA_BUNDLE" not in emulator.env
        assert AdminClient(emulator.url)("GET", "health") == {"status": "ok"}
    finally:
        emulator.stop()
    assert not data_dir.exists()


def test_child_env_keeps_proxies_away():
    env = without_proxies({"HTTPS_PROXY": "http://127.0.0.1:9", "http_proxy": "x", "NO_PROXY": "corp.example"})
    assert "HTTPS_PROXY" not in env and "http_proxy" not in env
    assert env["NO_PROXY"].split(",") == ["corp.example", "127.0.0.1", "localhost", "::1"]


def test_a_process_that_prints_no_url_is_killed(tmp_path):
    # Stands in for a hung emulator: ignores SIGTERM and never prints.
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\ntrap '' TERM\nexec sleep 60\n")
    fake.chmod(0o755)
    emulator = Emulator(tmp_path / "data", tls=False, python=str(fake), start_timeout=1, stop_timeout=1)
    started = time.monotonic()
    with pytest.raises(EmulatorError, match="printed no URL"):
        emulator.start()
    assert emulator.process.poll() is not None and time.monotonic() - started < 10


def read_env_lines(stream, deadline=30):
    lines, end = {}, time.monotonic() + deadline
    while time.monotonic() < end:
        line = stream.readline().strip()
        if not line:
            return lines
        name, _, value = line.partition("=")
        lines[name] = value
    raise AssertionError(f"no complete environment within {deadline} s: {lines}")


def answers(url, ca):
    import ssl
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(
            context=ssl.create_default_context(cafile=ca)))
        with opener.open(url + "/_emulator/health", timeout=2):
            return True
    except OSError:
        return False


def test_serve_prints_the_environment_and_its_emulator_dies_with_it(tmp_path):
    serve = subprocess.Popen([*CLI, "serve", "--data-dir", str(tmp_path / "data")], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True)
    try:
        env = read_env_lines(serve.stdout)
        assert set(env) == {"SLBCERT_ENDPOINT", "SLBCERT_CA_BUNDLE", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                            "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_REGION_ID"}
        assert answers(env["SLBCERT_ENDPOINT"], env["SLBCERT_CA_BUNDLE"])
        serve.kill()  # no chance to clean up: the emulator's lifeline closes
        serve.wait(10)
        deadline = time.monotonic() + 15
        while answers(env["SLBCERT_ENDPOINT"], env["SLBCERT_CA_BUNDLE"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not answers(env["SLBCERT_ENDPOINT"], env["SLBCERT_CA_BUNDLE"])
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(10)


def test_serve_stops_on_sigterm_and_on_eof(tmp_path):
    env_file = tmp_path / "emulator.env"
    serve = subprocess.Popen([*CLI, "serve", "--http", "--env-file", str(env_file)], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True)
    read_env_lines(serve.stdout)
    assert mode(env_file) == 0o600 and "SLBCERT_ENDPOINT=http://127.0.0.1:" in env_file.read_text()
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(20) == 0 and not env_file.exists()
    serve.stdout.close()

    lifeline = subprocess.Popen([*CLI, "serve", "--http", "--stop-on-eof"], stdout=subprocess.PIPE,
                                stdin=subprocess.PIPE, text=True)
    read_env_lines(lifeline.stdout)
    lifeline.stdin.close()
    assert lifeline.wait(20) == 0
    lifeline.stdout.close()


def test_the_emulator_stops_on_a_sigterm_the_kernel_hands_to_another_thread(tmp_path):
    # A process-directed signal may land on any thread; Python runs the handler on the main thread
    # only, so a main thread parked in an endless wait would never see it. tgkill() aims SIGTERM at
    # each non-main thread in turn, as the kernel may.
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    SYS_tgkill = 234  # x86-64
    emulator = Emulator(tmp_path / "data", tls=False).start()
    try:
        pid = emulator.process.pid
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid]
        assert threads, "the emulator runs its server on threads of its own"
        assert libc.syscall(SYS_tgkill, pid, threads[0], signal.SIGTERM) == 0, ctypes.get_errno()
        assert emulator.process.wait(10) == 0
    finally:
        emulator.stop()


def _block_stop_signals():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})


def test_serve_and_its_emulator_stop_when_started_with_sigterm_blocked(tmp_path):
    # A parent's thread may block SIGTERM (Swift's test threads do), and a child inherits the mask:
    # serve and the emulator under it must still stop on SIGTERM, and on their lifelines.
    for how in ("sigterm", "eof"):
        serve = subprocess.Popen([*CLI, "serve", "--http", "--stop-on-eof", "--data-dir", str(tmp_path / how)],
                                 stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
                                 preexec_fn=_block_stop_signals)
        try:
            endpoint = read_env_lines(serve.stdout)["SLBCERT_ENDPOINT"]
            started = time.monotonic()
            if how == "sigterm":
                serve.send_signal(signal.SIGTERM)
            else:
                serve.stdin.close()
            # The emulator stops at once on SIGTERM; the launcher's SIGKILL comes after 10 s.
            assert serve.wait(20) == 0, how
            assert time.monotonic() - started < 8, how
            assert not answers(endpoint, None), how
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait(10)
            serve.stdout.close()


def test_run_gives_the_command_the_environment_and_returns_its_status():
    script = ("import os, sys\n"
              "from slbcert_emulator.testing import AdminClient\n"
              "assert AdminClient(os.environ['SLBCERT_ENDPOINT'], os.environ['SLBCERT_CA_BUNDLE']).health()\n"
              "assert os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'] == 'id1'\n"
              "sys.exit(7)\n")
    result = subprocess.run([*CLI, "run", "--access-key", "id1:secret1", "--", sys.executable, "-c", script],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 7, result.stderr
    missing = subprocess.run([*CLI, "run", "--", "/nonexistent/command"], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 127 and "cannot run" in missing.stderr


# ---------------------------------------------------------------------------------------------- the plugin
def test_plugin_fixtures(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent('''
        import pytest

        @pytest.fixture(scope="session")
        def slbcert_emulator_options():
            return {"tls": False, "access_keys": [("plugin-id", "plugin-secret")]}
    '''))
    (tmp_path / "test_it.py").write_text(textwrap.dedent('''
        def test_a_fault_is_left_behind(slbcert_emulator):
            assert slbcert_emulator.url.startswith("http://")
            assert slbcert_emulator.credentials == ("plugin-id", "plugin-secret")
            slbcert_emulator.admin.set_faults([{"action": "*", "fault": "throttle"}])

        def test_the_next_test_finds_it_reset(slbcert_emulator, slbcert_pki):
            assert slbcert_emulator.admin.faults() == []
            assert slbcert_pki.leaf.chain_path.is_file()

        def test_factory(slbcert_emulator_factory):
            other = slbcert_emulator_factory(tls=False, extra_args=["--quota", "3"])
            assert other.admin.health() == {"status": "ok"}
    '''))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-p", "slbcert_emulator.testing.pytest_plugin", "test_it.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout + result.stderr
