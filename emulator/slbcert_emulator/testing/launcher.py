"""The emulator as a child process on a free loopback port, and a client for its admin API.

    with Emulator() as emulator:            # HTTPS with a dev CA, a temporary data directory
        emulator.admin.certificates()       # [] : GET /_emulator/certificates
        subprocess.run(["slbcert", "list"], env=emulator.child_env(), check=True)

Every wait is bounded. `stop()` sends SIGTERM, then SIGKILL when the process has not exited within
`stop_timeout` seconds. An emulator never outlives the process that started it: it is stopped at
interpreter exit, and the child watches a pipe from its parent (its standard input), which the
kernel closes when the parent dies in any way, even by SIGKILL.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .. import devcerts

# Test credentials: the default AccessKey of every emulator this module starts.
ACCESS_KEY_ID = "LTAI5tSlbcertTestKey"
ACCESS_KEY_SECRET = "slbcert-test-secret-Zq8Xw2Vb7Nm4Lk9J"
REGION = "cn-hangzhou"

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
ADMIN_TIMEOUT = 10.0

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")

# The directory that holds the slbcert_emulator package: a child interpreter imports it from there,
# whether the package is installed, used from a source tree or kept in a private directory.
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class EmulatorError(RuntimeError):
    """The emulator did not start, or stopped unexpectedly."""


class AdminError(RuntimeError):
    """The admin API answered with a status other than 200."""

    def __init__(self, status: int, document: Any, method: str, name: str):
        message = document.get("error") if isinstance(document, dict) else document
        super().__init__(f"{method} /_emulator/{name}: HTTP {status}: {message}")
        self.status = status
        self.document = document


def without_proxies(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """A copy of `base` (default os.environ) in which no proxy variable can divert loopback traffic."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k.lower() not in _PROXY_VARIABLES}
    names = [n for n in (env.get("NO_PROXY") or env.get("no_proxy") or "").split(",") if n.strip()]
    names += [n for n in LOOPBACK_NAMES if n not in names]
    env["NO_PROXY"] = env["no_proxy"] = ",".join(names)
    return env


def unblock_stop_signals() -> None:
    """Receive SIGTERM and SIGINT even when the parent started this process with them blocked (a
    child inherits its spawning thread's signal mask; Swift's test threads block SIGTERM): blocked,
    they would neither stop the process nor let its lifeline do so."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGTERM, signal.SIGINT))


class AdminClient:
    """The unsigned JSON admin API under /_emulator/ (answers loopback clients only)."""

    def __init__(self, url: str, ca_file: Optional[str] = None, timeout: float = ADMIN_TIMEOUT):
        self.url = url.rstrip("/")
        self.timeout = timeout
        handlers: List[Any] = [urllib.request.ProxyHandler({})]  # never through a proxy
        if ca_file:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(ca_file))))
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, method: str, name: str, body: Any = None) -> Tuple[int, Any]:
        """(HTTP status, JSON document) of one admin request; `body` is sent as JSON."""
        data = None if body is None else json.dumps(body).encode()
        if data is None and method == "POST":
            data = b""
        request = urllib.request.Request(f"{self.url}/_emulator/{name}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, raw.decode("utf-8", "replace")

    def request(self, method: str, name: str, body: Any = None) -> Any:
        """The JSON document of one admin request; AdminError unless the status is 200."""
        status, document = self.send(method, name, body)
        if status != 200:
            raise AdminError(status, document, method, name)
        return document

    __call__ = request  # admin("GET", "stats") reads as well as admin.request("GET", "stats")

    def health(self) -> Dict[str, Any]:
        return self.request("GET", "health")

    def reset(self) -> None:
        """Forget certificates, CAS registrations, faults, nonces, the clock offset and the stats."""
        self.request("POST", "reset")

    def certificates(self) -> List[Dict[str, Any]]:
        """Every stored certificate of every account and region (never a private key)."""
        return self.request("GET", "certificates")["Certificates"]

    def stats(self) -> Dict[str, Any]:
        """{"connections_accepted": N, "requests": {action: N}, "faults_fired": {kind: N}}"""
        return self.request("GET", "stats")

    def requests(self) -> Dict[str, int]:
        """{action: count} of the requests answered since the last reset."""
        return self.stats()["requests"]

    def bind(self, certificate_id: str) -> Dict[str, Any]:
        """Mark a certificate as used by a listener (deleting it then fails)."""
        return self.request("POST", "bind", {"ServerCertificateId": certificate_id})

    def register_cas(self, certificate_id: str, name: str, certificate_pem: str,
                     region: Optional[str] = None) -> Dict[str, Any]:
        """Register a Certificate Management Service certificate (uploadable by its id)."""
        body = {"AliCloudCertificateId": certificate_id, "AliCloudCertificateName": name,
                "ServerCertificate": certificate_pem}
        if region:
            body["AliCloudCertificateRegionId"] = region
        return self.request("POST", "cas", body)

    def set_faults(self, rules: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
        """Replace the pending fault rules (`[]` clears them); see the emulator's README."""
        return self.request("POST", "faults", list(rules))

    def faults(self) -> List[Dict[str, Any]]:
        return self.request("GET", "faults")["pending"]

    def set_clock_offset(self, seconds: float) -> Dict[str, Any]:
        return self.request("POST", "clock", {"offset_seconds": seconds})

    def clock(self) -> Dict[str, Any]:
        return self.request("GET", "clock")


_running: "set[Emulator]" = set()
_running_lock = threading.Lock()


def _stop_all_at_exit() -> None:
    with _running_lock:
        running = list(_running)
    for emulator in running:
        emulator.stop()


atexit.register(_stop_all_at_exit)


def _read_line(fd: int, deadline: float) -> Optional[bytes]:
    """One line from a pipe, or None at EOF or when `deadline` (time.monotonic) passes first."""
    line = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return None
            chunk = os.read(fd, 1)
            if not chunk:
                return None
            line += chunk
    return line


class Emulator:
    """One emulator process. `start()` returns once it has printed its URL and answers `health`.

    data_dir: where its SQLite database, request log (requests.log) and stderr (emulator.stderr)
        go; a temporary directory, removed by `stop()`, when None.
    access_keys: (AccessKeyId, secret) pairs, each its own account; the first is `credentials`.
    sts_tokens: (AccessKeyId, secret, token) triples.
    tls: HTTPS with a development CA (`ca_file`), made in `tls_dir` (default DATA_DIR/tls) and kept
        there while it stays valid; False serves plain HTTP.
    extra_args: further options of `python -m slbcert_emulator` (--quota, --max-url-bytes, ...).
    python: the interpreter to run it with (default: this one).
    """

    def __init__(self, data_dir: Optional[os.PathLike] = None, *,
                 access_keys: Iterable[Tuple[str, str]] = ((ACCESS_KEY_ID, ACCESS_KEY_SECRET),),
                 sts_tokens: Iterable[Tuple[str, str, str]] = (), tls: bool = True,
                 tls_dir: Optional[os.PathLike] = None, region: str = REGION, host: str = "127.0.0.1",
                 port: int = 0, extra_args: Sequence[str] = (), python: Optional[str] = None,
                 start_timeout: float = START_TIMEOUT, stop_timeout: float = STOP_TIMEOUT):
        self.access_keys = [tuple(k) for k in access_keys]
        self.sts_tokens = [tuple(t) for t in sts_tokens]
        if not self.access_keys and not self.sts_tokens:
            raise ValueError("give at least one access key or STS token")
        self._own_data_dir = data_dir is None
        # Absolute paths: `env` hands them to processes that may run elsewhere.
        self.data_dir = Path(tempfile.mkdtemp(prefix="slbcert-emulator-") if data_dir is None else data_dir).absolute()
        self.tls = tls
        self.tls_dir = Path(tls_dir).absolute() if tls_dir is not None else self.data_dir / "tls"
        self.region = region
        self.host_address = host
        self.requested_port = port
        self.extra_args = list(extra_args)
        self.python = python or sys.executable
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.process: Optional[subprocess.Popen] = None
        self.url: Optional[str] = None
        self.command: List[str] = []
        self._admin: Optional[AdminClient] = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------ facts
    @property
    def ca_file(self) -> Optional[Path]:
        """The CA that issued the emulator's TLS certificate (None over plain HTTP)."""
        return self.tls_dir / "ca.pem" if self.tls else None

    @property
    def credentials(self) -> Tuple[str, str]:
        """(AccessKeyId, AccessKeySecret) of the first access key."""
        key = self.access_keys[0] if self.access_keys else self.sts_tokens[0][:2]
        return key[0], key[1]

    @property
    def access_key_id(self) -> str:
        return self.credentials[0]

    @property
    def access_key_secret(self) -> str:
        return self.credentials[1]

    @property
    def port(self) -> int:
        return int(self._started_url().rsplit(":", 1)[1])

    @property
    def host(self) -> str:
        """"127.0.0.1:PORT", what a client puts in its Host header."""
        return self._started_url().split("://", 1)[1]

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            raise EmulatorError("the emulator has not been started")
        return self._admin

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def stderr_path(self) -> Path:
        return self.data_dir / "emulator.stderr"

    @property
    def request_log_path(self) -> Path:
        return self.data_dir / "requests.log"

    def stderr_text(self, limit: int = 8000) -> str:
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-limit:]
        except OSError:
            return ""

    def request_log(self) -> List[Dict[str, Any]]:
        """The emulator's request log (one JSON object per request, secrets redacted)."""
        with open(self.request_log_path, encoding="utf-8") as log:
            return [json.loads(line) for line in log if line.strip()]

    @property
    def env(self) -> Dict[str, str]:
        """The variables that point slbcert (library, CLI, binding) and its users at this emulator."""
        env = {"SLBCERT_ENDPOINT": self._started_url()}
        if self.ca_file is not None:
            env["SLBCERT_CA_BUNDLE"] = str(self.ca_file)
        env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": self.access_key_id,
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.access_key_secret,
                    "ALIBABA_CLOUD_REGION_ID": self.region})
        return env

    def child_env(self, base: Optional[Dict[str, str]] = None, **overrides: str) -> Dict[str, str]:
        """`base` (default os.environ) plus `env`, loopback kept off any proxy, then `overrides`."""
        env = without_proxies(base)
        env.update(self.env)
        env.update(overrides)
        return env

    def setenv(self, monkeypatch: Any) -> None:
        """Point this process at the emulator for one test (pytest's monkeypatch undoes it)."""
        for name, value in self.child_env().items():
            if os.environ.get(name) != value:
                monkeypatch.setenv(name, value)
        for name in list(os.environ):
            if name.lower() in _PROXY_VARIABLES:
                monkeypatch.delenv(name)

    def _started_url(self) -> str:
        if self.url is None:
            raise EmulatorError("the emulator has not been started")
        return self.url

    # ------------------------------------------------------------------------------ life cycle
    def start(self) -> "Emulator":
        with self._lock:
            if self.running:
                return self
            # Owner-only, as the emulator itself would make it: it will hold private keys.
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.tls:
                devcerts.ensure(str(self.tls_dir))
            arguments = ["--host", self.host_address, "--port", str(self.requested_port),
                         "--data-dir", str(self.data_dir)]
            arguments.append(f"@{self._write_credentials()}")
            if self.tls:
                arguments += ["--tls-cert", str(self.tls_dir / "server.pem"),
                              "--tls-key", str(self.tls_dir / "server-key.pem")]
            arguments += self.extra_args
            self.command = [self.python, "-m", "slbcert_emulator.testing.lifeline", *arguments]
            env = without_proxies()
            env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_PARENT] + (
                [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
            env["PYTHONUNBUFFERED"] = "1"
            with open(self.stderr_path, "ab") as stderr:
                # stdin is the lifeline: the child stops when this end closes (see lifeline.py).
                self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                stderr=stderr, env=env)
            with _running_lock:
                _running.add(self)
            deadline = time.monotonic() + self.start_timeout
            line = _read_line(self.process.stdout.fileno(), deadline)
            url = line.decode("utf-8", "replace").strip() if line else ""
            if not url.startswith(("http://", "https://")):
                self._terminate()
                raise EmulatorError(f"the emulator printed no URL within {self.start_timeout:g} s "
                                    f"(got {url!r}); its stderr:\n{self.stderr_text()}")
            self.url = url
            self._admin = AdminClient(url, self.ca_file)
            self._wait_until_healthy(deadline)
            return self

    def _write_credentials(self) -> Path:
        """The credentials as an options file of the emulator (owner-only, in the owner-only data
        directory): a command line is readable by every user of the machine, a file need not be."""
        path = self.data_dir / "credentials.args"
        lines = [f"--access-key={key_id}:{secret}" for key_id, secret in self.access_keys]
        lines += [f"--sts-token={key_id}:{secret}:{token}" for key_id, secret, token in self.sts_tokens]
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # a file left by an earlier run keeps its mode otherwise
            out.write("\n".join(lines) + "\n")
        return path

    def _wait_until_healthy(self, deadline: float) -> None:
        while True:
            try:
                self._admin.health()
                return
            except (OSError, AdminError) as error:
                if time.monotonic() >= deadline or not self.running:
                    self._terminate()
                    raise EmulatorError(f"the emulator at {self.url} does not answer: {error}; its stderr:\n"
                                        f"{self.stderr_text()}") from None
                time.sleep(0.05)

    def reset(self) -> None:
        self.admin.reset()

    def stop(self, signum: int = signal.SIGTERM) -> Optional[int]:
        """Stop the process (SIGTERM, then SIGKILL after stop_timeout) and return its exit status."""
        with self._lock:
            status = self._terminate(signum)
            if self._own_data_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            return status

    def _terminate(self, signum: int = signal.SIGTERM) -> Optional[int]:
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signum)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(self.stop_timeout)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:  # a lifeline whose reader is gone: nothing to flush
                    pass
        with _running_lock:
            _running.discard(self)
        return process.returncode

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Emulator {self.url or 'not started'} data_dir={self.data_dir}>"
