"""The emulator holds private keys and serves anyone on loopback: its files are owner-only, and a
burst of connections cannot make it start unbounded threads."""

import os
import socket
import stat
import subprocess
import sys
import time

import client
from harness import (KEY2_ID, KEY_ID, REGION, SECRET, SECRET2, STS_ID, STS_SECRET, STS_TOKEN, Emulator,
                     testing)
from lbs import create_lb, create_listener, ok, upload


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_data_directory_and_database_are_owner_only(slbcert_emulator_factory, slbcert_pki, tmp_path):
    data = tmp_path / "fresh" / "data"  # does not exist yet: the emulator creates it
    emu = slbcert_emulator_factory(data_dir=data)
    cert = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",))
    create_listener(emu, create_lb(emu), cert["ServerCertificateId"])  # writes the TLS files
    assert mode(data) == 0o700 and mode(data / "listener-tls") == 0o700
    for name in ("slbcert-emulator.sqlite3", "slbcert-emulator.sqlite3-wal", "slbcert-emulator.sqlite3-shm",
                 "requests.log"):
        assert mode(data / name) == 0o600, name
    assert os.listdir(data / "listener-tls") == []  # key files are removed once loaded
    emu.stop()
    (data / "listener-tls" / "left-by-a-kill.pem").write_text("a key")
    slbcert_emulator_factory(data_dir=data)
    assert os.listdir(data / "listener-tls") == []


def test_an_existing_database_is_tightened_and_a_shared_directory_left_alone(slbcert_emulator_factory, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    (shared / "someone-elses-file").write_text("x")
    database = shared / "slbcert-emulator.sqlite3"
    database.touch()
    os.chmod(database, 0o644)
    emu = slbcert_emulator_factory(data_dir=shared)
    assert mode(database) == 0o600
    assert mode(shared) == 0o755  # not ours to change, but said
    assert "accessible to other users" in emu.stderr_text()


def threads_of(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])


def test_connections_beyond_the_cap_are_refused_not_given_threads(slbcert_emulator_factory):
    cap = 4
    emu = slbcert_emulator_factory("--max-connections", str(cap))
    baseline = threads_of(emu.pid)
    idle = [socket.create_connection(("127.0.0.1", emu.port), timeout=5) for _ in range(cap)]
    try:
        deadline = time.monotonic() + 5
        while threads_of(emu.pid) < baseline + cap and time.monotonic() < deadline:
            time.sleep(0.01)
        burst = [socket.create_connection(("127.0.0.1", emu.port), timeout=5) for _ in range(40)]
        answers = []
        for sock in burst:
            try:
                sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
                answers.append(sock.recv(4096))
            except ConnectionError:
                answers.append(b"")  # closed before the request was read: also a refusal
            finally:
                sock.close()
        assert threads_of(emu.pid) <= baseline + cap
        assert all(a == b"" or a.startswith(b"HTTP/1.1 503 ") for a in answers)
        assert any(a.startswith(b"HTTP/1.1 503 ") for a in answers)
    finally:
        for sock in idle:
            sock.close()
    # Once the idle connections are gone, the emulator serves again.
    deadline = time.monotonic() + 10
    reply = None
    while (reply is None or reply.status != 200) and time.monotonic() < deadline:
        try:
            reply = client.send(emu.url, "GET", "/_emulator/stats")
        except OSError:  # refused while the idle connections' threads were still finishing
            reply = None
        time.sleep(0.02)
    assert reply.status == 200 and reply.json()["connections_refused"] >= 40
    assert ok(emu.call("DescribeLoadBalancers", {"RegionId": REGION}))["TotalCount"] == 0


# ---------------------------------------------------------------------------------------------- secrets off argv
DESCRIBE = "DescribeServerCertificates"


def command_line(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ")


def test_the_launcher_hands_the_credentials_over_in_an_owner_only_file_not_in_argv(tmp_path):
    emulator = Emulator(tmp_path / "emulator").start()
    try:
        seen = command_line(emulator.pid) + " ".join(emulator.command).encode()
        for secret in (SECRET, SECRET2, STS_SECRET, STS_TOKEN):
            assert secret.encode() not in seen
        # Every credential is still accepted, and only with its own secret.
        assert emulator.call(DESCRIBE, {"RegionId": REGION}).status == 200
        assert emulator.call(DESCRIBE, {"RegionId": REGION}, key_id=KEY2_ID, secret=SECRET2).status == 200
        assert emulator.call(DESCRIBE, {"RegionId": REGION}, key_id=STS_ID, secret=STS_SECRET, token=STS_TOKEN).status == 200
        assert emulator.call(DESCRIBE, {"RegionId": REGION}, secret=SECRET2).code == "SignatureDoesNotMatch"
        [handed_over] = [path for path in emulator.data_dir.iterdir()
                         if path.is_file() and SECRET in path.read_text(errors="replace")]
        assert stat.S_IMODE(handed_over.stat().st_mode) == 0o600
    finally:
        emulator.stop()


def test_options_read_from_a_file_keep_secrets_out_of_argv_and_out_of_errors(tmp_path):
    options = tmp_path / "credentials"
    options.write_text(f"# the test accounts\n\n--access-key={KEY2_ID}:{SECRET2}\r\n"
                       f"  --sts-token={STS_ID}:{STS_SECRET}:{STS_TOKEN}  \n")
    options.chmod(0o600)
    # The launcher's own AccessKey, and the ones of the file.
    emulator = testing.Emulator(tmp_path / "emulator", access_keys=[(KEY_ID, SECRET)], tls=False,
                                extra_args=[f"@{options}"]).start()
    try:
        assert SECRET2.encode() not in command_line(emulator.process.pid)
        send = lambda *request: client.send(emulator.url, *request)
        assert send(*client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY2_ID, SECRET2)).status == 200
        assert send(*client.v1_request(DESCRIBE, {"RegionId": REGION}, STS_ID, STS_SECRET, token=STS_TOKEN)).status == 200
    finally:
        emulator.stop()

    # A malformed line is refused, and what it holds is not repeated.
    options.write_text("--sts-token=STS.only-two-parts:not-repeated-secret\n")
    refused = subprocess.run([sys.executable, "-m", "slbcert_emulator", "--data-dir", str(tmp_path / "x"), f"@{options}"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "expected ID:SECRET:TOKEN" in refused.stderr
    assert "not-repeated-secret" not in refused.stderr + refused.stdout
    missing = subprocess.run([sys.executable, "-m", "slbcert_emulator", "--data-dir", str(tmp_path / "x"),
                              f"@{tmp_path / 'absent'}"], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "absent" in missing.stderr
