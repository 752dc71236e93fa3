"""Shared code and fixtures of the slbcert CLI tests (conftest.py re-exports the fixtures; the tests
import the helpers from here, a module name that no other suite in this repository uses).

* ``pki``: a test PKI made at run time with ``cryptography``: root -> intermediate -> leaf (with
  SANs), the leaf key as PKCS#1, PKCS#8 and encrypted PKCS#8 (+ passphrase file), a mismatched RSA
  key, and an EC leaf with its key. ``pki.issue_leaf()`` makes further leaves (new fingerprints).
* ``emulator``: the SLB emulator over HTTPS (its dev CA), started once per session on a free
  loopback port and reset before each test that uses it.
* ``cli``: runs the CLI under a controlled environment (empty HOME, no proxies, ECS metadata off,
  the emulator's AccessKey in ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET unless a test removes them).

The CLI is $SLBCERT_CLI (``make test-cli`` sets it), else build/bin/slbcert of this checkout.
"""

import datetime
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("SLBCERT_CLI") or REPO / "build" / "bin" / "slbcert")
HOOKS = REPO / "examples" / "hooks"

ACCESS_KEY_ID = "LTAI5tCliTestKey01"
ACCESS_KEY_SECRET = "cliTestSecret-Zq8Xw2Vb7Nm4Lk9J"
REGION = "cn-hangzhou"
PASSPHRASE = "correct horse battery staple"

EMULATOR_START_TIMEOUT = 20.0
EMULATOR_STOP_TIMEOUT = 5.0
CLI_TIMEOUT = 30.0


def pytest_configure(config):
    if not (CLI.is_file() and os.access(CLI, os.X_OK)):
        raise pytest.UsageError(f"the slbcert CLI is missing: {CLI} (run `make cli`, or set SLBCERT_CLI)")


# ------------------------------------------------------------------------------------------ the PKI

def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "slbcert CLI tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _rsa(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key, fmt, encryption=None):
    return key.private_bytes(serialization.Encoding.PEM, fmt,
                             encryption or serialization.NoEncryption()).decode()


def pem_body_lines(pem_text):
    """The base64 lines of every PEM block in the text (what must never leak for a key)."""
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


class Pki:
    """Everything is written under ``directory``; attributes name the files."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.root_key, self.int_key = _rsa(), _rsa()
        self.root = self._issue(_name("CLI Test Root CA"), self.root_key.public_key(), _name("CLI Test Root CA"),
                                self.root_key, ca=True, days=3650)
        self.intermediate = self._issue(_name("CLI Test Intermediate CA"), self.int_key.public_key(),
                                        self.root.subject, self.root_key, ca=True, days=1825)
        self.leaf_key = _rsa()
        self.sans = ["www.cli.example", "cli.example", "api.cli.example"]
        self.leaf = self.issue_cert("www.cli.example", self.sans, self.leaf_key.public_key())

        self.root_pem = self.write("root.pem", _pem(self.root))
        self.int_pem = self.write("intermediate.pem", _pem(self.intermediate))
        self.leaf_pem = self.write("leaf.pem", _pem(self.leaf))
        self.fullchain = self.write("fullchain.pem", _pem(self.leaf) + _pem(self.intermediate))
        self.reversed_chain = self.write("reversed.pem", _pem(self.intermediate) + _pem(self.leaf))

        traditional = serialization.PrivateFormat.TraditionalOpenSSL
        pkcs8 = serialization.PrivateFormat.PKCS8
        self.key_pkcs1 = self.write("key-pkcs1.pem", _key_pem(self.leaf_key, traditional), 0o600)
        self.key_pkcs8 = self.write("key-pkcs8.pem", _key_pem(self.leaf_key, pkcs8), 0o600)
        self.key_pkcs8_encrypted = self.write("key-pkcs8-enc.pem", _key_pem(
            self.leaf_key, pkcs8, serialization.BestAvailableEncryption(PASSPHRASE.encode())), 0o600)
        self.passphrase_file = self.write("passphrase.txt", PASSPHRASE + "\n", 0o600)
        self.other_key = self.write("other-key.pem", _key_pem(_rsa(), traditional), 0o600)

        self.ec_key_obj = ec.generate_private_key(ec.SECP256R1())
        self.ec_cert = self.issue_cert("ec.cli.example", ["ec.cli.example"], self.ec_key_obj.public_key())
        self.ec_chain = self.write("ec-fullchain.pem", _pem(self.ec_cert) + _pem(self.intermediate))
        self.ec_key = self.write("ec-key.pem", _key_pem(self.ec_key_obj, traditional), 0o600)

        # Every rendering of every private key: none of these lines may ever be printed.
        self.secret_lines = set()
        for path in (self.key_pkcs1, self.key_pkcs8, self.key_pkcs8_encrypted, self.other_key, self.ec_key):
            self.secret_lines.update(pem_body_lines(path.read_text()))
        self._serial = 1000

    def write(self, name, text, mode=0o644):
        path = self.dir / name
        path.write_text(text)
        path.chmod(mode)
        return path

    def _issue(self, subject, public_key, issuer, signing_key, *, ca, days, sans=None, not_before=None):
        not_before = not_before or self.now - datetime.timedelta(hours=1)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_before).not_valid_after(not_before + datetime.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
        if signing_key is not None and issuer != subject:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]),
                                            critical=False)
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    def issue_cert(self, common_name, sans, public_key, days=90, not_before=None):
        return self._issue(_name(common_name), public_key, self.intermediate.subject, self.int_key,
                           ca=False, days=days, sans=sans, not_before=not_before)

    def issue_leaf(self, common_name="www.cli.example", sans=None, days=90, not_before=None):
        """A new leaf for the same key (a new fingerprint): returns the path of its fullchain."""
        self._serial += 1
        cert = self.issue_cert(common_name, sans or [common_name], self.leaf_key.public_key(), days=days,
                               not_before=not_before)
        return self.write(f"fullchain-{self._serial}.pem", _pem(cert) + _pem(self.intermediate))


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def openssl_facts(path):
    """What `openssl x509` says about the first certificate of a PEM file."""
    def run(*options):
        return subprocess.run(["openssl", "x509", "-noout", *options, "-in", str(path)], check=True,
                              capture_output=True, text=True).stdout.strip()

    fingerprint = run("-fingerprint", "-sha1").split("=", 1)[1].lower()
    subject = run("-subject")
    common_name = re.search(r"CN\s*=\s*([^,/\n]+)", subject).group(1).strip()
    not_after = datetime.datetime.strptime(run("-enddate").split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    not_after = not_after.replace(tzinfo=datetime.timezone.utc)
    san_text = run("-ext", "subjectAltName").splitlines()[1:]
    sans = [name.strip()[len("DNS:"):] for line in san_text for name in line.split(",")
            if name.strip().startswith("DNS:")]
    return {
        "Fingerprint": fingerprint,
        "CommonName": common_name,
        "SubjectAlternativeNames": sans,
        "ExpireTime": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ExpireTimeStamp": int(not_after.timestamp()) * 1000,
    }


# ------------------------------------------------------------------------------------------ the emulator

@dataclass
class Emulator:
    url: str
    ca: Path
    data_dir: Path
    process: subprocess.Popen = field(repr=False)

    def _context(self):
        return ssl.create_default_context(cafile=str(self.ca))

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=self._context()))
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read())

    def certificates(self):
        return self.admin("GET", "certificates")["Certificates"]

    def requests(self):
        """{action: count} of the requests the emulator answered since the last reset."""
        return self.admin("GET", "stats")["requests"]

    def reset(self):
        self.admin("POST", "reset")

    def args(self):
        """The service options that point the CLI at this emulator."""
        return ["--endpoint", self.url, "--ca-bundle", str(self.ca), "--region", REGION]


def _read_line(stream, deadline):
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([stream], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            return None
        line += chunk
    return line.decode().strip()


def stop_process(process, timeout=EMULATOR_STOP_TIMEOUT):
    """SIGTERM, then SIGKILL after a bounded wait."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory):
    base = tmp_path_factory.mktemp("emulator")
    python = sys.executable
    subprocess.run([python, "-m", "slbcert_emulator.devcerts", "--out", str(base / "tls")], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    stderr_path = base / "emulator.stderr"
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            [python, "-m", "slbcert_emulator", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(base / "data"),
             "--access-key", f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
             "--tls-cert", str(base / "tls" / "server.pem"), "--tls-key", str(base / "tls" / "server-key.pem")],
            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
    try:
        url = _read_line(process.stdout, time.monotonic() + EMULATOR_START_TIMEOUT)
        if not url or not url.startswith("https://"):
            raise RuntimeError(f"the emulator did not start (first line {url!r}): {stderr_path.read_text()}")
        emulator = Emulator(url=url, ca=base / "tls" / "ca.pem", data_dir=base / "data", process=process)
        yield emulator
    finally:
        stop_process(process)
        process.stdout.close()


@pytest.fixture
def emulator(emulator_process):
    """The session's emulator, empty (certificates, nonces and stats reset)."""
    assert emulator_process.process.poll() is None, "the emulator has exited"
    emulator_process.reset()
    return emulator_process


# ------------------------------------------------------------------------------------------ running the CLI

@dataclass(repr=False)
class Result:
    args: list
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self):
        return self.stdout + self.stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return (f"slbcert {' '.join(map(str, self.args))}\n-> exit {self.returncode}\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


def base_environment(home):
    """A controlled environment: nothing of the caller's credentials, proxies or CA settings."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(home.parent),
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
    }


class Cli:
    def __init__(self, home: Path):
        self.home = home
        self.env = base_environment(home)

    def __call__(self, *args, env=None, unset=(), input=None, timeout=CLI_TIMEOUT, cwd=None, umask=0o022):
        environment = dict(self.env)
        for name in unset:
            environment.pop(name, None)
        environment.update(env or {})
        completed = subprocess.run([str(CLI), *map(str, args)], env=environment, input=input, capture_output=True,
                                   text=True, timeout=timeout, cwd=cwd or self.home, umask=umask)
        return Result(list(args), completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def home(tmp_path):
    directory = tmp_path / "home"
    directory.mkdir()
    return directory


@pytest.fixture
def cli(home):
    return Cli(home)


def assert_no_secrets(text, pki=None, extra=()):
    """No AccessKey secret, no private-key PEM (marker or any base64 line of any test key)."""
    assert ACCESS_KEY_SECRET not in text
    assert not re.search(r"PRIVATE[ _%20]*KEY-----", text), "a private-key PEM marker was printed"
    if pki is not None:
        leaked = [line for line in pki.secret_lines if len(line) >= 16 and line in text]
        assert not leaked, f"private-key content was printed: {leaked[:2]}"
    for secret in extra:
        assert secret not in text


def closed_port():
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock
