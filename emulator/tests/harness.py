"""The emulator as a subprocess on a free loopback port, and what tests share about it."""

import json
import os
import signal
import ssl
import subprocess
import sys
import threading

import client

KEY_ID, SECRET = "LTAI5tEmulatorTestKey1", "emulator-test-secret-1"
KEY2_ID, SECRET2 = "LTAI5tEmulatorTestKey2", "emulator-test-secret-2"
STS_ID, STS_SECRET, STS_TOKEN = "STS.NUemulatorTest", "sts-test-secret", "CAIS+sts/token=="
REGION = "cn-hangzhou"
START_TIMEOUT = 20
STOP_TIMEOUT = 10

# Everything the tests contact is on 127.0.0.1: keep any proxy of the environment out of the way.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def _readline(stream, timeout):
    """One line from a pipe, or b"" when none comes within `timeout` seconds."""
    result = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else b""


class Emulator:
    """One emulator process; `start()` returns once it has printed its URL."""

    def __init__(self, data_dir, *extra_args, ca_file=None):
        self.data_dir = str(data_dir)
        # Beside the data directory, so the emulator itself creates that one (owner-only).
        self.stderr_path = self.data_dir.rstrip("/") + ".stderr.txt"
        self.args = ["--access-key", f"{KEY_ID}:{SECRET}", "--access-key", f"{KEY2_ID}:{SECRET2}",
                     "--sts-token", f"{STS_ID}:{STS_SECRET}:{STS_TOKEN}", *extra_args]
        self.proc = None
        self.url = None
        # For HTTPS runs: the CA that issued the emulator's certificate, and a context trusting it.
        self.ca_file = ca_file
        self.tls = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def start(self):
        os.makedirs(os.path.dirname(os.path.abspath(self.data_dir)), exist_ok=True)
        with open(self.stderr_path, "ab") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "slbcert_emulator", "--host", "127.0.0.1", "--port", "0",
                 "--data-dir", self.data_dir, *self.args],
                stdout=subprocess.PIPE, stderr=stderr)
        line = _readline(self.proc.stdout, START_TIMEOUT).decode().strip()
        if not line:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
            raise RuntimeError("the emulator did not start: " + self.stderr_text())
        self.url = line
        return self

    @property
    def pid(self):
        return self.proc.pid

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1])

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def stderr_text(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, signum=signal.SIGTERM):
        """Signal the process and return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                raise
        self.proc.stdout.close()
        return self.proc.returncode

    def admin(self, method, name, doc=None):
        body = None if doc is None else json.dumps(doc).encode()
        reply = client.send(self.url, method, "/_emulator/" + name, body=body, tls=self.tls,
                            headers={"Content-Type": "application/json"})
        return reply.status, reply.json()

    def call(self, action, params, key_id=KEY_ID, secret=SECRET, signature="V1", **options):
        """Send one signed RPC request built by the tests' own signer."""
        if signature == "V1":
            request = client.v1_request(action, params, key_id, secret, **options)
        else:
            request = client.v3_request(action, params, key_id, secret, self.host, **options)
        return client.send(self.url, *request, tls=self.tls)

    def log_lines(self):
        with open(os.path.join(self.data_dir, "requests.log"), encoding="utf-8") as f:
            return [json.loads(line) for line in f]


def upload_params(pki, name="example-cert", **extra):
    certificate, key, _ = pki.upload_pair()
    return dict(RegionId=REGION, ServerCertificate=certificate, PrivateKey=key,
                ServerCertificateName=name, **extra)
