"""Shared code and fixtures of the slbcert CLI tests (conftest.py re-exports the fixtures; the tests
import the helpers from here, a module name that no other suite in this repository uses).

* ``pki``: the CLI tests' names for files of the shared test PKI (the emulator package's
  ``slbcert_pki`` fixture): root -> intermediate -> leaf (with SANs), the leaf key as PKCS#1, PKCS#8
  and encrypted PKCS#8 (+ passphrase file), a mismatched RSA key, and an EC leaf with its key.
  ``pki.issue_leaf()`` makes further leaves (new fingerprints).
* ``emulator``: the SLB emulator over HTTPS (its dev CA): the emulator package's
  ``slbcert_emulator`` fixture, one process per session, reset before each test that uses it.
* ``cli``: runs the CLI under a controlled environment (empty HOME, no proxies, ECS metadata off,
  the emulator's AccessKey in ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET unless a test removes them).

The CLI is $SLBCERT_CLI (``make test-cli`` sets it), else build/bin/slbcert of this checkout.
"""

import datetime
import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
try:
    import slbcert_emulator.testing  # noqa: F401
except ImportError:  # not installed: the repository's copy
    sys.path.insert(0, str(REPO / "emulator"))

from slbcert_emulator.testing import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, LEAF_DNS_NAMES, PASSPHRASE,  # noqa: E402
                                      REGION, Emulator, TestPKI)

CLI = Path(os.environ.get("SLBCERT_CLI") or REPO / "build" / "bin" / "slbcert")
HOOKS = REPO / "examples" / "hooks"

CLI_TIMEOUT = 30.0


def pytest_configure(config):
    if not (CLI.is_file() and os.access(CLI, os.X_OK)):
        raise pytest.UsageError(f"the slbcert CLI is missing: {CLI} (run `make cli`, or set SLBCERT_CLI)")
    # The emulator package's pytest11 entry point registers its plugin when installed; else load it here.
    if not config.pluginmanager.has_plugin("slbcert_emulator"):
        config.pluginmanager.import_plugin("slbcert_emulator.testing.pytest_plugin")


# ------------------------------------------------------------------------------------------ the PKI

def pem_body_lines(pem_text):
    """The base64 lines of every PEM block in the text (what must never leak for a key)."""
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


class Pki:
    """The files of the shared test PKI under the names these tests use (attributes are paths,
    except ``root``, ``intermediate`` and ``leaf``: cryptography certificates)."""

    def __init__(self, shared: TestPKI):
        self.shared = shared
        self.dir = shared.directory
        self.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        root, intermediate, leaf, ec_leaf = shared.root, shared.intermediate, shared.leaf, shared["leaf-p256"]
        self.root, self.intermediate, self.leaf = root.cert, intermediate.cert, leaf.cert
        self.sans = list(LEAF_DNS_NAMES)
        self.root_pem, self.int_pem, self.leaf_pem = root.cert_path, intermediate.cert_path, leaf.cert_path
        self.fullchain = leaf.chain_path
        self.reversed_chain = self.dir / "cli-reversed.pem"  # intermediate first, then the leaf
        self.reversed_chain.write_bytes(intermediate.cert_pem + leaf.cert_pem)
        self.key_pkcs1 = leaf.key_file("pkcs1")
        self.key_pkcs8 = leaf.key_file("pkcs8")
        self.key_pkcs8_encrypted = leaf.key_file("pkcs8-enc")
        self.passphrase_file = shared.passphrase_file
        self.other_key = shared.stray.key_file("pkcs1")
        self.ec_chain = ec_leaf.chain_path
        self.ec_key = ec_leaf.key_file("sec1")

        # Every rendering of every private key: none of these lines may ever be printed.
        self.secret_lines = set()
        for entry in (leaf, shared.stray, ec_leaf):
            for form in entry.files:
                if form not in ("cert", "der", "chain"):
                    self.secret_lines.update(pem_body_lines(entry.key_file(form).read_text()))

    def issue_leaf(self, common_name="www.example.test", sans=None, days=90, not_before=None):
        """A new leaf for the same key (a new fingerprint): returns the path of its fullchain."""
        return self.shared.issue_leaf(common_name, sans or [common_name], days=days,
                                      not_before=not_before).chain_path


@pytest.fixture(scope="session")
def pki(slbcert_pki):
    return Pki(slbcert_pki)


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

def service_args(emulator: Emulator):
    """The service options that point the CLI at the emulator."""
    return ["--endpoint", emulator.url, "--ca-bundle", str(emulator.ca_file), "--region", REGION]


@pytest.fixture
def emulator(slbcert_emulator):
    """The session's emulator, empty (certificates, nonces and stats reset)."""
    return slbcert_emulator


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
