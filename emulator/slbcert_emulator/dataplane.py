"""The data plane: every running listener really listens on its load balancer's loopback address.

Each emulator process claims its own /24 of 127.0.0.0/8 (all of it is loopback on Linux) by
binding a marker socket on the block's .1, so two emulators never hand out the same address; its
load balancers get .2, .3, ... of that block. An HTTPS listener serves TLS with the chain of its
default certificate, or of the domain extension that matches the client's SNI name, and answers
any request with 503 (there are no backend servers); an HTTP listener answers 503 in plain text.
Routes are replaced as a whole after each committed change, so the next handshake shows it.
"""

import errno
import ipaddress
import logging
import os
import random
import selectors
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass

from .clb import select_extension
from .store import make_private_dir

log = logging.getLogger("slbcert_emulator")

CLAIM_PORT = 65534  # the marker socket on the block's .1 (above Linux's ephemeral port range)
FIRST_HOST, LAST_HOST = 2, 254
CLAIM_ATTEMPTS = 64
HANDSHAKE_TIMEOUT_SECONDS = 5
MAX_REQUEST_HEAD = 64 * 1024
DEFAULT_MAX_CONNECTIONS = 64


def parse_block(text):
    """`127.A.B.0/24` (or `127.A.B.0`) -> "127.A.B"; ValueError when it is not a loopback /24."""
    try:
        network = ipaddress.ip_network(text if "/" in text else text + "/24", strict=True)
    except ValueError:
        network = None
    if network is None or network.version != 4 or network.prefixlen != 24 or not network.is_loopback:
        raise ValueError(f"{text}: expected a /24 inside 127.0.0.0/8, e.g. 127.42.7.0/24")
    return str(network.network_address).rsplit(".", 1)[0]


class AddressBlock:
    """The /24 of loopback addresses this process hands to its load balancers."""

    def __init__(self, explicit=None, preferred=None):
        self.prefix = None
        self.error = None  # why the data plane cannot listen at all, or None
        self._claim = None
        if explicit:
            if not self._try(explicit):
                if self.error is None:
                    raise ValueError(f"{explicit}.0/24 is in use by another emulator")
            return
        candidates = ([preferred] if preferred else []) + [
            f"127.{random.randint(1, 254)}.{random.randint(0, 255)}" for _ in range(CLAIM_ATTEMPTS)]
        for prefix in candidates:
            if self._try(prefix) or self.error is not None:
                return
        raise ValueError("no free /24 in 127.0.0.0/8 for load balancer addresses")

    def _try(self, prefix):
        marker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            marker.bind((f"{prefix}.1", CLAIM_PORT))  # no SO_REUSEADDR: a second bind must fail
        except OSError as exc:
            marker.close()
            if exc.errno == errno.EADDRINUSE:
                return False
            # Loopback beyond 127.0.0.1 is not configured (e.g. macOS): keep the addresses, say why
            # no listener can serve.
            self.prefix = prefix
            self.error = f"cannot bind loopback addresses of {prefix}.0/24: {exc.strerror}"
            log.warning("data plane disabled: %s", self.error)
            return False
        self.prefix, self._claim = prefix, marker
        return True

    def allocate(self, used):
        """The lowest address of the block no load balancer has; None when all are taken."""
        for host in range(FIRST_HOST, LAST_HOST + 1):
            address = f"{self.prefix}.{host}"
            if address not in used:
                return address
        return None

    def owns(self, address):
        return address.rsplit(".", 1)[0] == self.prefix

    def close(self):
        if self._claim is not None:
            self._claim.close()


@dataclass(frozen=True)
class ServedCertificate:
    id: str
    fingerprint: str
    chain_pem: str
    key_pem: str


@dataclass(frozen=True)
class ServedDomain:
    domain: str
    certificate: ServedCertificate


@dataclass(frozen=True)
class Route:
    """What one listener serves: its protocol, default certificate and domain extensions."""
    name: str  # "lb-...:443", for messages
    protocol: str
    default: ServedCertificate = None
    extensions: tuple = ()  # ServedDomain, in creation order
    tls13: bool = False  # only tls_cipher_policy_1_2_strict_with_1_3 offers TLS 1.3


class _Endpoint:
    def __init__(self, address, port):
        self.address, self.port = address, port
        self.sock = None
        self.route = None
        self.context = None  # the TLS context of the current route
        self.certificate_error = None  # the default certificate cannot be served
        self.bind_error = None  # the address and port cannot be bound
        self.warnings = ()  # extensions that cannot be served (the default chain is, instead)

    @property
    def error(self):
        return self.certificate_error or (self.bind_error if self.sock is None else None)


class DataPlane:
    def __init__(self, tls_dir, block, max_connections=DEFAULT_MAX_CONNECTIONS):
        self._tls_dir = tls_dir
        make_private_dir(tls_dir)
        for name in os.listdir(tls_dir):  # left by a process killed between writing and loading
            if name.endswith(".pem"):
                os.unlink(os.path.join(tls_dir, name))
        self.block = block
        self._lock = threading.Lock()
        self._endpoints = {}  # (address, port) -> _Endpoint
        self._contexts = {}  # (certificate id, fingerprint) -> SSLContext
        self._slots = threading.BoundedSemaphore(max_connections)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="data-plane", daemon=True)
        self._thread.start()

    # --- routes -----------------------------------------------------------------------------------

    def sync(self, routes):
        """Serve exactly `routes` ({(address, port): Route}) from now on."""
        with self._lock:
            for key in list(self._endpoints):
                if key not in routes:
                    self._close(self._endpoints.pop(key))
            for key, route in routes.items():
                endpoint = self._endpoints.setdefault(key, _Endpoint(*key))
                self._apply(endpoint, route)
            in_use = {(c.id, c.fingerprint) for r in routes.values() if r.protocol == "https"
                      for c in [r.default, *(e.certificate for e in r.extensions)] if c is not None}
            self._contexts = {k: v for k, v in self._contexts.items() if k in in_use}

    def _apply(self, endpoint, route):
        before = endpoint.error
        if route != endpoint.route:
            endpoint.route, endpoint.context = route, None
            endpoint.certificate_error, endpoint.warnings = None, ()
            if route.protocol == "https":
                try:
                    endpoint.context = self._front_context(route)
                    endpoint.warnings = tuple(self._extension_warnings(route))
                except _CertificateError as exc:
                    endpoint.certificate_error = str(exc)
        if endpoint.certificate_error is not None:
            self._close(endpoint)
        elif endpoint.sock is None:  # never bound, or the bind failed last time: try again
            endpoint.bind_error = self._bind(endpoint)
        if endpoint.error is not None and endpoint.error != before:
            log.warning("listener %s (%s:%d) does not serve: %s", route.name, endpoint.address,
                        endpoint.port, endpoint.error)

    def _bind(self, endpoint):
        if self.block.error:
            return self.block.error
        try:
            sock = socket.create_server((endpoint.address, endpoint.port), backlog=64)
        except OSError as exc:
            return f"cannot listen on {endpoint.address}:{endpoint.port}: {exc.strerror or exc}"
        sock.setblocking(False)
        endpoint.sock = sock
        self._selector.register(sock, selectors.EVENT_READ, endpoint)
        return None

    def _close(self, endpoint):
        if endpoint.sock is not None:
            self._selector.unregister(endpoint.sock)
            endpoint.sock.close()
            endpoint.sock = None

    def status(self):
        """{(address, port): (serving, error, warnings)} of every listener that should serve."""
        with self._lock:
            return {key: (e.sock is not None, e.error, e.warnings) for key, e in self._endpoints.items()}

    # --- TLS contexts -----------------------------------------------------------------------------

    def _new_context(self, cert):
        if not cert.key_pem:
            raise _CertificateError(f"certificate {cert.id} has no private key in the emulator "
                                    "(it references a Certificate Management Service certificate)")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain reads files: one readable by us only, removed once read.
        fd, path = tempfile.mkstemp(dir=self._tls_dir, suffix=".pem")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(cert.chain_pem.rstrip("\n") + "\n" + cert.key_pem)
            context.load_cert_chain(path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise _CertificateError(f"certificate {cert.id} cannot be served: {exc}") from None
        finally:
            os.unlink(path)
        return context

    def _certificate_context(self, cert):
        key = (cert.id, cert.fingerprint)
        if key not in self._contexts:
            self._contexts[key] = self._new_context(cert)
        return self._contexts[key]

    def _front_context(self, route):
        """A context serving the default chain that switches to an extension's on a matching SNI."""
        if route.default is None:
            raise _CertificateError(f"the default certificate of {route.name} is gone")
        context = self._new_context(route.default)
        if not route.tls13:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        contexts, extensions = {}, []
        for served in route.extensions:
            try:
                contexts[served.domain] = self._certificate_context(served.certificate)
            except _CertificateError:
                continue  # reported by _extension_warnings; the default chain is served instead
            extensions.append(served)

        def pick(sslobj, server_name, _context):
            chosen = select_extension(extensions, server_name)
            if chosen is not None:
                sslobj.context = contexts[chosen.domain]
            return None

        context.sni_callback = pick
        return context

    def _extension_warnings(self, route):
        for served in route.extensions:
            try:
                self._certificate_context(served.certificate)
            except _CertificateError as exc:
                yield f"{served.domain}: {exc}"

    # --- serving ----------------------------------------------------------------------------------

    def _serve(self):
        while True:
            events = self._selector.select(timeout=1)
            with self._lock:
                if self._closed:
                    return
                ready = []
                for key, _ in events:
                    if key.fileobj is self._wake_r:
                        try:
                            self._wake_r.recv(4096)
                        except OSError:
                            pass
                        continue
                    endpoint = key.data
                    if endpoint.sock is not key.fileobj:  # closed by a sync meanwhile
                        continue
                    try:
                        connection, _ = endpoint.sock.accept()
                    except OSError:
                        continue
                    ready.append((connection, endpoint.route, endpoint.context))
            for connection, route, context in ready:
                if not self._slots.acquire(blocking=False):
                    connection.close()  # a burst beyond the cap is refused, not queued in threads
                    continue
                threading.Thread(target=self._answer, args=(connection, route, context),
                                 name="data-plane-connection", daemon=True).start()

    def _answer(self, connection, route, context):
        try:
            connection.setblocking(True)
            connection.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
            if route.protocol == "https":
                connection = context.wrap_socket(connection, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < MAX_REQUEST_HEAD:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                head += chunk
            body = f"slbcert emulator: listener {route.name} has no backend servers\n".encode()
            connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nServer: Tengine\r\n"
                               b"Content-Type: text/plain\r\nConnection: close\r\n"
                               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client went away or failed its handshake: nothing to answer
        finally:
            connection.close()
            self._slots.release()

    def close(self):
        with self._lock:
            self._closed = True
            for endpoint in self._endpoints.values():
                self._close(endpoint)
            self._endpoints.clear()
        self._wake_w.send(b"x")
        self._thread.join(5)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
        self.block.close()


class _CertificateError(Exception):
    pass
