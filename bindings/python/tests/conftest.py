"""Fixtures: certificates made at test time, and the SLB emulator on loopback over HTTPS.

The library is found the way the package finds it (set SLBCERT_LIBRARY to use a build tree's).
The emulator runs as a subprocess of this interpreter (``python -m slbcert_emulator``); when this
interpreter cannot import it, the repository's emulator/ directory is put on its PYTHONPATH.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import queue
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import slbcert

REPO = Path(__file__).resolve().parents[3]
ACCESS_KEY_ID = "testid"
ACCESS_KEY_SECRET = "testsecret"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
UTC = dt.timezone.utc


# ------------------------------------------------------------------------------------------------
# PKI made at test time

def _now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def not_after(cert: x509.Certificate) -> dt.datetime:
    """notAfter as an aware UTC datetime (cryptography 41 has no not_valid_after_utc)."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=UTC)


def not_before(cert: x509.Certificate) -> dt.datetime:
    """notBefore as an aware UTC datetime."""
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=UTC)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: Any, password: Optional[bytes] = None, pkcs8: bool = False) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    fmt = (serialization.PrivateFormat.PKCS8 if (pkcs8 or password or not isinstance(key, rsa.RSAPrivateKey))
           else serialization.PrivateFormat.TraditionalOpenSSL)
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


@dataclass
class Issued:
    """A certificate and its key, with the chain above it (leaf first, root excluded)."""
    cert: x509.Certificate
    key: Any
    chain: Sequence[x509.Certificate] = ()

    @property
    def cert_pem(self) -> bytes:
        return pem(self.cert)

    @property
    def chain_pem(self) -> bytes:
        """Leaf then intermediates, as a full-chain file has them."""
        return pem(self.cert) + b"".join(pem(c) for c in self.chain)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA1()).hex(":")

    @property
    def fingerprint_sha256(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex(":")


class PKI:
    """A root CA, an intermediate, and leaves on demand (one shared RSA key for speed)."""

    def __init__(self) -> None:
        self.root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.root = self._issue("slbcert test root", self.root_key.public_key(), self.root_key, None, ca=True,
                                days=3650)
        self.intermediate_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.intermediate = self._issue("slbcert test intermediate", self.intermediate_key.public_key(),
                                        self.root_key, self.root, ca=True, days=1825)
        self.leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()

    @staticmethod
    def _issue(cn: str, public_key: Any, signing_key: Any, issuer: Optional[x509.Certificate], ca: bool = False,
               days: int = 90, dns: Sequence[str] = (), ips: Sequence[str] = (),
               not_before: Optional[dt.datetime] = None) -> x509.Certificate:
        start = not_before or (_now() - dt.timedelta(hours=1))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (x509.CertificateBuilder()
                   .subject_name(subject)
                   .issuer_name(issuer.subject if issuer is not None else subject)
                   .public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(start)
                   .not_valid_after(start + dt.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                                  critical=False))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True)
        else:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        names: List[x509.GeneralName] = [x509.DNSName(n) for n in dns]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    def leaf(self, cn: str = "www.example.test", dns: Optional[Sequence[str]] = None, ips: Sequence[str] = (),
             days: int = 90, key: Any = None, not_before: Optional[dt.datetime] = None) -> Issued:
        """A server certificate signed by the intermediate."""
        key = key or self.leaf_key
        cert = self._issue(cn, key.public_key(), self.intermediate_key, self.intermediate,
                           dns=[cn] if dns is None else dns, ips=ips, days=days, not_before=not_before)
        return Issued(cert, key, (self.intermediate,))


@pytest.fixture(scope="session")
def pki() -> PKI:
    return PKI()


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


_counter = iter(range(1, 1_000_000))
_counter_lock = threading.Lock()


def unique_cn(prefix: str = "host") -> str:
    with _counter_lock:
        n = next(_counter)
    return f"{prefix}-{n}-{os.getpid()}.example.test"


# ------------------------------------------------------------------------------------------------
# The emulator

def _emulator_env() -> Dict[str, str]:
    env = dict(os.environ)
    try:
        import slbcert_emulator  # noqa: F401
    except ImportError:
        extra = str(REPO / "emulator")
        env["PYTHONPATH"] = extra + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class Emulator:
    """A running emulator: its URL, CA file, and the admin API."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.certs = root / "tls"
        self.data = root / "data"
        env = _emulator_env()
        subprocess.run([sys.executable, "-m", "slbcert_emulator.devcerts", "--out", str(self.certs)], env=env,
                       check=True, capture_output=True, timeout=60)
        self.ca_file = self.certs / "ca.pem"
        self.stderr_path = root / "emulator.stderr"
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "slbcert_emulator", "--host", "127.0.0.1", "--port", "0",
             "--data-dir", str(self.data), "--access-key", f"{ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}",
             "--tls-cert", str(self.certs / "server.pem"), "--tls-key", str(self.certs / "server-key.pem")],
            stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL, env=env)
        self.url = self._wait_for_url()
        self._context = ssl.create_default_context(cafile=str(self.ca_file))

    def _wait_for_url(self) -> str:
        lines: "queue.Queue[bytes]" = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT).decode().strip()
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"the emulator printed no URL within {STARTUP_TIMEOUT} s: {self.stderr()}")
        if not line.startswith("https://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the emulator did not start (printed {line!r}): {self.stderr()}")
        return line

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._context, timeout=10) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self.admin("POST", "reset", {})

    def faults(self, rules: List[Dict[str, Any]]) -> Any:
        return self.admin("POST", "faults", rules)

    def stats(self) -> Dict[str, Any]:
        return self.admin("GET", "stats")

    def stored(self) -> List[Dict[str, Any]]:
        return self.admin("GET", "certificates")["Certificates"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = Emulator(tmp_path_factory.mktemp("emulator"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def fresh(emulator: Emulator) -> Emulator:
    """The emulator with an empty store and no pending fault."""
    emulator.reset()
    return emulator


def client_for(emulator: Emulator, **options: Any) -> slbcert.Client:
    """A client for the emulator with the test credentials (options override)."""
    settings: Dict[str, Any] = dict(region="cn-hangzhou", endpoint=emulator.url, ca_bundle=str(emulator.ca_file),
                                    access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET)
    settings.update(options)
    return slbcert.Client(**settings)


@pytest.fixture
def client(fresh: Emulator) -> Iterator[slbcert.Client]:
    with client_for(fresh) as made:
        yield made


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """HOME at an empty directory and no Alibaba Cloud variables: only what a test sets is seen."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "ALIYUN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    return home


def free_closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
