"""The HTTP(S) front: HTTP/1.1 with keep-alive, one thread per connection.

Every request runs the same path as at the real endpoint: the gateway's checks (URL length,
body size), routing on Action/Version, gateway faults, authentication, service faults, the
operation, and a line in the request log.
"""

import json
import logging
import os
import socket
import socketserver
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import errors, faults, render, seed
from .admin import PREFIX as ADMIN_PREFIX, Admin
from .auth import Authenticator
from .clb import Clb
from .clock import Clock
from .dataplane import AddressBlock, DataPlane, Route, ServedCertificate, ServedDomain, parse_block
from .faults import FaultPlan
from .operations import API_VERSION, Operations
from .rpc import RpcRequest, accepts_json
from .store import Store
from .telemetry import RequestLog, Stats, redact

log = logging.getLogger("slbcert_emulator")

MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 60  # an idle keep-alive connection is closed after this
HANDSHAKE_TIMEOUT_SECONDS = 10
MIN_LINE_LIMIT = 1024 * 1024  # request lines up to this are read whole before a 414
DEFAULT_MAX_CONNECTIONS = 128  # connections served at once; more are refused, not given threads


@dataclass
class Config:
    data_dir: str
    credentials: list
    host: str = "127.0.0.1"
    port: int = 0
    quota: int = 100
    max_url_bytes: int = 8192
    request_log: str = None  # default: <data_dir>/requests.log
    tls_cert: str = None
    tls_key: str = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    lb_address_block: str = None  # "127.A.B.0/24"; default: a free block picked at start
    seed_file: str = None  # applied at start when the data directory holds nothing yet


class Emulator:
    """The state every connection shares."""

    def __init__(self, config):
        self.config = config
        self.clock = Clock()
        self.stats = Stats()
        self.store = Store(config.data_dir)
        self.auth = Authenticator(config.credentials, self.clock)
        self.faults = FaultPlan(on_fire=self.stats.fault)
        self.log = RequestLog(config.request_log or os.path.join(config.data_dir, "requests.log"))
        block = AddressBlock(
            explicit=parse_block(config.lb_address_block) if config.lb_address_block else None,
            preferred=self._stored_block())
        self._keep_addresses_in(block)
        # Not "tls": callers often keep the emulator's own certificate there, and this one is emptied.
        self.data_plane = DataPlane(os.path.join(config.data_dir, "listener-tls"), block)
        self._sync_lock = threading.Lock()
        self.clb = Clb(self.store, self.clock, self.faults, block, on_change=self.sync_data_plane)
        self.operations = Operations(self.store, self.clock, config.quota, self.clb)
        self.admin = Admin(self)
        if config.seed_file:
            self._seed_from_file(config.seed_file)
        self.sync_data_plane()

    def _stored_block(self):
        with self.store.reading() as tx:
            return tx.meta("address_block")

    def _keep_addresses_in(self, block):
        """Load balancers keep their host number when a restart had to take another block."""
        with self.store.transaction() as tx:
            tx.set_meta("address_block", block.prefix)
            used = tx.addresses()
            for lb in tx.all_load_balancers():
                if block.owns(lb.address):
                    continue
                wanted = f"{block.prefix}.{lb.address.rsplit('.', 1)[1]}"
                address = wanted if wanted not in used else block.allocate(used)
                if address is None:
                    raise ValueError("more load balancers than addresses in one /24")
                used.discard(lb.address)
                used.add(address)
                tx.set_address(lb.id, address)

    def _seed_from_file(self, path):
        with open(path, encoding="utf-8") as f:
            docs = json.load(f)
        with self.store.reading() as tx:
            if not tx.is_empty():
                return  # seeded before (or used): a restart keeps what is there
        for doc in docs if isinstance(docs, list) else [docs]:
            self.seed(doc)

    def seed(self, doc):
        account_id = seed.account_of(doc, self.auth.key_ids)
        created = seed.apply(doc, account_id, self.store, self.operations, self.clb)
        self.sync_data_plane()
        return created

    def _routes(self, tx):
        """{(address, port): Route} of every running listener."""
        running = tx.running_listeners()
        wanted = [li.server_certificate_id for _, li, _ in running]
        wanted += [e.server_certificate_id for _, _, exts in running for e in exts]
        certificates = tx.certificates_by_id(wanted)

        def served(cert_id):
            cert = certificates.get(cert_id)
            return cert and ServedCertificate(cert.id, cert.fingerprint, cert.certificate_pem,
                                              cert.private_key_pem)

        routes = {}
        for lb, listener, extensions in running:
            domains = [ServedDomain(e.domain, served(e.server_certificate_id)) for e in extensions]
            routes[(lb.address, listener.port)] = Route(
                name=f"{lb.id}:{listener.port}", protocol=listener.protocol,
                default=served(listener.server_certificate_id) if listener.protocol == "https" else None,
                extensions=tuple(d for d in domains if d.certificate is not None),
                tls13=listener.attributes.get("TLSCipherPolicy") == "tls_cipher_policy_1_2_strict_with_1_3")
        return routes

    def sync_data_plane(self):
        # One sync at a time, each reading the state as it is then: the last one applied is the newest.
        with self._sync_lock:
            with self.store.reading() as tx:
                routes = self._routes(tx)
            self.data_plane.sync(routes)

    def listeners_view(self):
        """The admin API's view: every listener with its data-plane address and what it serves."""
        with self.store.reading() as tx:
            routes = self._routes(tx)
            rows = [(lb, li, tx.extensions(lb.id, li.port))
                    for lb in tx.all_load_balancers() for li in tx.listeners(lb.id)]
        status = self.data_plane.status()
        shown = []
        for lb, listener, extensions in rows:
            key = (lb.address, listener.port)
            route = routes.get(key)
            serving, error, warnings = status.get(key, (False, None, ()))
            served = []
            if route is not None and route.default is not None:
                served.append({"ServerName": None, "ServerCertificateId": route.default.id,
                               "Fingerprint": route.default.fingerprint})
                served += [{"ServerName": e.domain, "ServerCertificateId": e.certificate.id,
                            "Fingerprint": e.certificate.fingerprint} for e in route.extensions]
            shown.append({
                "AccountId": lb.account_id, "RegionId": lb.region_id, "LoadBalancerId": lb.id,
                "LoadBalancerName": lb.attributes["LoadBalancerName"],
                "LoadBalancerSpec": lb.spec, "Address": lb.address,
                "ListenerPort": listener.port, "ListenerProtocol": listener.protocol,
                "Status": listener.status, "ServerCertificateId": listener.server_certificate_id,
                "DomainExtensions": [{"DomainExtensionId": e.id, "Domain": e.domain,
                                      "ServerCertificateId": e.server_certificate_id} for e in extensions],
                "DataPlane": {"Endpoint": f"{lb.address}:{listener.port}", "Serving": serving,
                              "Error": error, "Warnings": list(warnings), "Served": served},
            })
        block = self.data_plane.block
        return {"AddressBlock": f"{block.prefix}.0/24", "DataPlaneError": block.error, "Listeners": shown}

    def reset(self):
        self.store.reset()
        self.faults.replace([])
        self.auth.nonces.clear()
        self.clock.set_offset(0)
        self.stats.reset()
        self.sync_data_plane()

    def close(self):
        self.data_plane.close()
        self.store.close()
        self.log.close()


class _GatewayPage(Exception):
    """The request is refused by the gateway with an HTML page of this status."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


@dataclass
class _Exchange:
    """What the request log records about one request."""
    request_id: str
    started: float
    action: str = None
    account: str = None
    signature: str = None
    status: int = None  # stays None when the connection is dropped without an answer
    code: str = None
    fault: str = None
    params: dict = field(default_factory=dict)
    logged: bool = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    responses = {**BaseHTTPRequestHandler.responses, 449: ("Retry With", "")}

    def version_string(self):  # the Server header, as the gateway sends it
        return "Tengine"

    def log_message(self, format, *args):  # the request log replaces http.server's stderr lines
        log.debug("%s " + format, self.client_address[0], *args)

    @property
    def app(self):
        return self.server.emulator

    def handle_one_request(self):
        # Like http.server's, with a request-line limit that follows --max-url-bytes.
        line_limit = max(4 * self.app.config.max_url_bytes, MIN_LINE_LIMIT)
        ex = _Exchange(str(uuid.uuid4()).upper(), time.monotonic())
        try:
            self.raw_requestline = self.rfile.readline(line_limit + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            too_long = len(self.raw_requestline) > line_limit
            if too_long:
                self.requestline, self.command, self.request_version = "", "", "HTTP/1.1"
            elif not self.parse_request():
                return  # http.server has answered the malformed request
            try:
                if too_long:
                    self._send_page(ex, 414)
                else:
                    self._serve(ex)
            finally:
                self._write_log(ex)  # when no answer logged it: the client went away
            self.wfile.flush()
        except (TimeoutError, ConnectionError, ssl.SSLError):
            self.close_connection = True

    def _serve(self, ex):
        try:
            body = self._read_body()
        except _GatewayPage as page:
            self._send_page(ex, page.status)
            return
        if len(self.path.encode("latin-1")) > self.app.config.max_url_bytes:
            self._send_page(ex, 414)
        elif self.path.startswith(ADMIN_PREFIX):
            self._serve_admin(ex, body)
        else:
            self._serve_rpc(ex, body)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _GatewayPage(400) from None
        if length < 0:
            raise _GatewayPage(400)
        if length > MAX_BODY_BYTES:
            raise _GatewayPage(413)
        body = self.rfile.read(length)
        if len(body) < length:
            raise ConnectionResetError("the client closed the connection mid-body")
        return body

    def _read_chunked(self):
        chunks, total = [], 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
            except ValueError:
                raise _GatewayPage(400) from None
            if size < 0:
                raise _GatewayPage(400)
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                raise _GatewayPage(413)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise ConnectionResetError("the client closed the connection mid-body")
            chunks.append(chunk)
            self.rfile.readline(1024)
        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
            pass
        return b"".join(chunks)

    def _serve_admin(self, ex, body):
        ex.action = self.path.split("?")[0]
        try:
            status, doc = self.app.admin.handle(self.command, ex.action, body, self.client_address[0])
        except Exception:  # noqa: BLE001 - answered, and the server keeps serving
            log.exception("admin request %s failed", ex.request_id)
            status, doc = 500, {"error": "internal error; see the emulator's stderr"}
        self._send(ex, status, render.JSON_TYPE, json.dumps(doc, ensure_ascii=False).encode(), {})

    def _serve_rpc(self, ex, body):
        app = self.app
        as_json = accepts_json(self.headers)  # until the parameters are known
        headers = {}
        try:
            req = RpcRequest.parse(self.command, self.path, self.headers, body)
            as_json = req.wants_json
            ex.params, ex.signature = redact(req.params), ("V3" if req.is_v3 else "V1")
            if self.command not in ("GET", "POST") or req.path != "/":
                raise errors.invalid_action()
            if not req.action:
                raise errors.missing_parameter("Action")
            if not req.version:
                raise errors.missing_parameter("Version")
            if req.action not in app.operations.actions or req.version != API_VERSION:
                raise errors.invalid_action()
            ex.action = req.action
            app.stats.request(req.action)
            if self._fire(ex, faults.BEFORE_AUTH, headers):
                return
            caller = app.auth.authenticate(req)
            ex.account = caller.account_id
            self._fire(ex, faults.AFTER_AUTH, headers)
            payload = app.operations.run(req.action, req.params, caller)
            if self._fire(ex, faults.AFTER_COMMIT, headers):
                return
            content_type, data = render.body(f"{req.action}Response",
                                             {"RequestId": ex.request_id, **payload}, as_json)
            self._send(ex, 200, content_type, data, headers)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            raise  # the client is gone: nothing to answer
        except Exception as exc:  # noqa: BLE001 - any failure is answered, the server keeps serving
            if isinstance(exc, errors.ApiError):
                err = exc
            else:
                log.exception("request %s failed", ex.request_id)
                err = errors.internal_error()
            headers.update(err.headers)
            ex.code = err.code
            host_id = (self.headers.get("Host") or "slb.aliyuncs.com").rsplit(":", 1)[0]
            content_type, data = render.body(
                "Error", render.error_payload(err, ex.request_id, host_id), as_json)
            self._send(ex, err.status, content_type, data, headers)

    def _fire(self, ex, stage, headers):
        """Apply a pending fault for this stage; True when it answered or dropped the request."""
        rule = self.app.faults.take(ex.action, stage)
        if rule is None:
            return False
        ex.fault = rule.fault
        if rule.retry_after_ms is not None:
            headers["x-acs-retry-after"] = str(rule.retry_after_ms)
        if rule.fault == "delay":
            time.sleep(rule.delay_ms / 1000)
            return False
        if rule.fault in ("drop-before", "drop-after-commit"):
            self._write_log(ex)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if rule.fault == "html-414":
            self._send_page(ex, 414, headers)
            return True
        raise faults.ERRORS[rule.fault]()

    def _send_page(self, ex, status, headers=None):
        # The gateway closes the connection after refusing a request it could not parse whole.
        self.close_connection = True
        self._send(ex, status, render.HTML_TYPE, render.gateway_page(status), headers or {})

    def _send(self, ex, status, content_type, data, headers):
        ex.status = status
        self._write_log(ex)  # before the answer: a client that got it finds its line logged
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-acs-request-id", ex.request_id)
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _write_log(self, ex):
        if ex.logged:
            return
        ex.logged = True
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "request_id": ex.request_id,
            "method": self.command,
            "action": ex.action,
            "account": ex.account,
            "signature": ex.signature,
            "status": ex.status,
            "code": ex.code,
            "duration_ms": round((time.monotonic() - ex.started) * 1000, 1),
            "params": ex.params,
        }
        if ex.fault:
            entry["fault"] = ex.fault
        self.app.log.write(entry)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when many clients start at once

    def __init__(self, emulator):
        config = emulator.config
        self.emulator = emulator
        self._slots = threading.BoundedSemaphore(config.max_connections)
        self.ssl_context = None
        if config.tls_cert:
            self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ssl_context.load_cert_chain(config.tls_cert, config.tls_key)
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), Handler)

    def server_bind(self):
        # HTTPServer.server_bind would call getfqdn(), a DNS lookup: the emulator contacts nothing.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def base_url(self):
        host = self.server_address[0]
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.ssl_context else 'http'}://{host}:{self.server_address[1]}"

    def get_request(self):
        connection = super().get_request()
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds the
        # body until the client's delayed ACK, about 40 ms per keep-alive request.
        connection[0].setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.emulator.stats.connection()
        return connection

    def process_request(self, request, client_address):
        # At most max_connections threads: a burst beyond that is refused at once, so it cannot
        # exhaust the process (the requests already being served go on).
        if not self._slots.acquire(blocking=False):
            self.emulator.stats.refused()
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request):
        if self.ssl_context is None:  # over TLS there is no page to send before a handshake
            page = render.gateway_page(503)
            try:
                request.settimeout(1)
                request.sendall(b"HTTP/1.1 503 Service Temporarily Unavailable\r\nServer: Tengine\r\n"
                                + f"Content-Type: {render.HTML_TYPE}\r\nContent-Length: {len(page)}\r\n"
                                  "Connection: close\r\n\r\n".encode() + page)
            except OSError:
                pass
        self.shutdown_request(request)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's thread, so a slow client blocks no one.
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake with %s failed: %s", client_address[0], exc)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        log.exception("connection from %s failed", client_address[0])
