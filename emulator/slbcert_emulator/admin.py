"""The unsigned admin API under /_emulator/, for tests and demos (loopback clients only)."""

import ipaddress
import json

from . import certs, errors, seed
from .clock import iso_utc
from .faults import Rule
from .operations import view
from .store import CasCertificate

PREFIX = "/_emulator/"
MAX_CLOCK_OFFSET = 50 * 365 * 86400


class AdminError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def is_loopback(host):
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _json_body(body):
    try:
        return json.loads(body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdminError(400, f"body is not JSON: {exc}") from None


def _string(doc, name, default=None):
    value = doc.get(name, default) if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value:
        raise AdminError(400, f"{name} must be a non-empty string")
    return value


class Admin:
    def __init__(self, emulator):
        self._emulator = emulator
        self._routes = {
            ("GET", "health"): lambda _: {"status": "ok"},
            ("POST", "reset"): self._reset,
            ("GET", "certificates"): self._certificates,
            ("GET", "stats"): lambda _: emulator.stats.snapshot(),
            ("POST", "bind"): self._bind,
            ("POST", "unbind"): self._unbind,
            ("GET", "listeners"): lambda _: emulator.listeners_view(),
            ("POST", "seed"): self._seed,
            ("POST", "cas"): self._cas,
            ("GET", "faults"): lambda _: {"pending": emulator.faults.pending()},
            ("POST", "faults"): self._set_faults,
            ("GET", "clock"): lambda _: self._clock_view(),
            ("POST", "clock"): self._set_clock,
        }

    def handle(self, method, path, body, client_host):
        """(HTTP status, JSON document) for one admin request."""
        if not is_loopback(client_host):
            return 403, {"error": "the admin API answers loopback clients only"}
        route = self._routes.get((method, path[len(PREFIX):]))
        if route is None:
            return 404, {"error": f"no admin endpoint {method} {path}"}
        try:
            return 200, route(body)
        except AdminError as exc:
            return exc.status, {"error": str(exc)}

    def _reset(self, _):
        self._emulator.reset()
        return {"status": "ok"}

    def _certificates(self, _):
        store = self._emulator.store
        shown = []
        for cert in store.list_all():
            with store.reading() as tx:
                references = tx.references(cert.id)
            item = view(cert, with_tags=True)
            item.update(AccountId=cert.account_id, Bound=bool(references), References=references,
                        ServerCertificate=cert.certificate_pem)
            shown.append(item)
        return {"Certificates": shown}

    def _bind(self, body):
        cert_id = _string(_json_body(body), "ServerCertificateId")
        if not self._emulator.store.bind(cert_id):
            raise AdminError(404, f"no certificate {cert_id}")
        return {"ServerCertificateId": cert_id, "Bound": True}

    def _unbind(self, body):
        cert_id = _string(_json_body(body), "ServerCertificateId")
        if not self._emulator.store.unbind(cert_id):
            raise AdminError(404, f"no certificate {cert_id}")
        return {"ServerCertificateId": cert_id, "Bound": False}

    def _seed(self, body):
        doc = _json_body(body)
        try:
            return self._emulator.seed(doc)
        except seed.SeedError as exc:
            raise AdminError(400, str(exc)) from None

    def _cas(self, body):
        doc = _json_body(body)
        cas = CasCertificate(
            id=_string(doc, "AliCloudCertificateId"),
            name=_string(doc, "AliCloudCertificateName"),
            region_id=_string(doc, "AliCloudCertificateRegionId", "cn-hangzhou"),
            certificate_pem=_string(doc, "ServerCertificate"),
        )
        try:
            facts = certs.facts(certs.parse_chain(cas.certificate_pem))
        except errors.ApiError as exc:
            raise AdminError(400, f"ServerCertificate: {exc.code}: {exc.message}") from None
        self._emulator.store.put_cas(cas)
        return {"AliCloudCertificateId": cas.id, "AliCloudCertificateName": cas.name,
                "AliCloudCertificateRegionId": cas.region_id, "Fingerprint": facts.fingerprint,
                "CommonName": facts.common_name}

    def _set_faults(self, body):
        doc = _json_body(body)
        if not isinstance(doc, list):
            raise AdminError(400, "the body must be a JSON list of fault rules")
        try:
            rules = [Rule.from_json(r) for r in doc]
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        self._emulator.faults.replace(rules)
        return {"pending": self._emulator.faults.pending()}

    def _clock_view(self):
        clock = self._emulator.clock
        return {"offset_seconds": clock.offset, "now": iso_utc(clock.now())}

    def _set_clock(self, body):
        doc = _json_body(body)
        offset = doc.get("offset_seconds") if isinstance(doc, dict) else None
        if (isinstance(offset, bool) or not isinstance(offset, (int, float))
                or not abs(offset) <= MAX_CLOCK_OFFSET):  # also refuses NaN
            raise AdminError(400, f"offset_seconds must be a number within +/-{MAX_CLOCK_OFFSET}")
        self._emulator.clock.set_offset(offset)
        return self._clock_view()
