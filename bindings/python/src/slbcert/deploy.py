"""The deploy report: what a deploy (or a rollback) did, read from ``slbcert_deploy_report``."""

from __future__ import annotations

import enum
import json
from ctypes import byref, c_char_p, c_int, c_long
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from ._ffi import lib

__all__ = ["DeployReport", "DeployOutcome", "DeployBinding", "BindingResult", "TLSCheck", "Drift"]


class DeployOutcome(str, enum.Enum):
    """How a deploy or rollback ended (``slbcert_deploy_outcome``); the values are the JSON's."""
    DEPLOYED = "deployed"                    #: every binding that needed it uses the new certificate, verified
    ALREADY_DEPLOYED = "already-deployed"    #: nothing needed switching
    NOTHING_TO_DEPLOY = "nothing-to-deploy"  #: no binding uses a certificate it replaces; it is bound nowhere
    ROLLED_BACK = "rolled-back"              #: a step failed; every switched binding is back on its old certificate
    PARTIAL = "partial"                      #: a step failed and not everything could be put back
    PLANNED = "planned"                      #: a dry run

    def __str__(self) -> str:
        return self.value


class BindingResult(str, enum.Enum):
    """What happened to one binding (``slbcert_binding_result``); the values are the JSON's."""
    SWITCHED = "switched"        #: now on the new certificate
    UNCHANGED = "unchanged"      #: already on it; nothing was sent
    ROLLED_BACK = "rolled-back"  #: switched (or tried) and back on its old certificate
    FAILED = "failed"            #: could not be put back: left on the new certificate or in an unknown state
    SKIPPED = "skipped"          #: on an instance Kubernetes' cloud controller manages: not touched
    PLANNED = "planned"          #: a dry run would switch it
    PENDING = "pending"          #: not attempted because an earlier step failed

    def __str__(self) -> str:
        return self.value


_OUTCOMES = {1: DeployOutcome.DEPLOYED, 2: DeployOutcome.ALREADY_DEPLOYED, 3: DeployOutcome.NOTHING_TO_DEPLOY,
             4: DeployOutcome.ROLLED_BACK, 5: DeployOutcome.PARTIAL, 6: DeployOutcome.PLANNED}
_RESULTS = {1: BindingResult.SWITCHED, 2: BindingResult.UNCHANGED, 3: BindingResult.ROLLED_BACK, 4: BindingResult.FAILED,
            5: BindingResult.SKIPPED, 6: BindingResult.PLANNED, 7: BindingResult.PENDING}


def _text(pointer: c_char_p) -> Optional[str]:
    return None if pointer.value is None else pointer.value.decode("utf-8", "replace")


@dataclass(frozen=True)
class DeployBinding:
    """One place a certificate is used: a listener's default certificate or a domain extension.

    Attributes:
        load_balancer_id: LoadBalancerId.
        listener_port: ListenerPort.
        domain_extension_id: DomainExtensionId, or ``None`` for the listener's default certificate.
        domain: the extension's domain, or ``None`` for the default certificate.
        from_id: the certificate it used before the deploy.
        to_id: the certificate the deploy puts there (``""`` in a dry run of a certificate not stored yet).
        result: a :class:`BindingResult`.
    """
    load_balancer_id: str
    listener_port: int
    domain_extension_id: Optional[str]
    domain: Optional[str]
    from_id: str
    to_id: str
    result: BindingResult


@dataclass(frozen=True)
class TLSCheck:
    """One TLS handshake with a listener.

    Attributes:
        address, port: where.
        server_name: the SNI name sent, or ``None`` when none was.
        fingerprint: the served leaf's SHA-1, or ``None`` when the listener was unreachable.
        ok: the new certificate was served.
    """
    address: str
    port: int
    server_name: Optional[str]
    fingerprint: Optional[str]
    ok: bool


@dataclass(frozen=True)
class Drift:
    """A listener attribute a switch changed although it was not sent (sent back alone)."""
    load_balancer_id: str
    listener_port: int
    attribute: str
    expected: str
    found: str
    restored: bool


@dataclass(frozen=True)
class DeployReport:
    """What a deploy or a rollback did.

    Attributes:
        outcome: a :class:`DeployOutcome`.
        certificate_id: the new certificate's ServerCertificateId (``""`` in a dry run of one not stored yet).
        fingerprint: its SHA-1 fingerprint.
        uploaded: this deploy (or the earlier run of its journal) uploaded it.
        replaced: the certificates it replaces.
        bindings: every binding with its :class:`BindingResult`.
        verified: the TLS checks (``verify_tls=True``).
        deleted: the certificates deleted (``delete_old=True``).
        journal: the journal file, or ``None`` when nothing was changed.
        drift: attributes a switch changed although they were not sent.
        warnings: sentences a person should read (skipped instances, unreachable listeners, ...).
        failure_message, failure_code, failure_reason: about the step that failed, or ``""``.
    """
    outcome: DeployOutcome
    certificate_id: str
    fingerprint: str
    uploaded: bool
    replaced: Tuple[str, ...]
    bindings: Tuple[DeployBinding, ...]
    verified: Tuple[TLSCheck, ...]
    deleted: Tuple[str, ...]
    journal: Optional[str]
    drift: Tuple[Drift, ...]
    warnings: Tuple[str, ...]
    failure_message: str
    failure_code: str
    failure_reason: str

    def to_json(self) -> Dict[str, Any]:
        """The object ``slbcert deploy --json`` prints, as the library renders it."""
        return self._json

    @classmethod
    def _read(cls, pointer: Any) -> "DeployReport":
        bindings = []
        for index in range(lib.slbcert_deploy_report_binding_count(pointer)):
            lb, extension, domain, source, target = c_char_p(), c_char_p(), c_char_p(), c_char_p(), c_char_p()
            port, result = c_long(), c_int()
            lib.slbcert_deploy_report_binding(pointer, index, byref(lb), byref(port), byref(extension), byref(domain),
                                              byref(source), byref(target), byref(result))
            bindings.append(DeployBinding(_text(lb) or "", port.value, _text(extension), _text(domain), _text(source) or "",
                                          _text(target) or "", _RESULTS[result.value]))
        checks = []
        for index in range(lib.slbcert_deploy_report_verified_count(pointer)):
            address, name, fingerprint = c_char_p(), c_char_p(), c_char_p()
            port, ok = c_long(), c_int()
            lib.slbcert_deploy_report_verified(pointer, index, byref(address), byref(port), byref(name), byref(fingerprint),
                                               byref(ok))
            checks.append(TLSCheck(_text(address) or "", port.value, _text(name), _text(fingerprint), ok.value == 1))
        drift = []
        for index in range(lib.slbcert_deploy_report_drift_count(pointer)):
            lb, attribute, expected, found = c_char_p(), c_char_p(), c_char_p(), c_char_p()
            port, restored = c_long(), c_int()
            lib.slbcert_deploy_report_drift(pointer, index, byref(lb), byref(port), byref(attribute), byref(expected),
                                            byref(found), byref(restored))
            drift.append(Drift(_text(lb) or "", port.value, _text(attribute) or "", _text(expected) or "", _text(found) or "",
                               restored.value == 1))
        report = cls(
            outcome=_OUTCOMES[lib.slbcert_deploy_report_outcome(pointer)],
            certificate_id=lib.slbcert_deploy_report_certificate_id(pointer) or "",
            fingerprint=lib.slbcert_deploy_report_certificate_fingerprint(pointer) or "",
            uploaded=lib.slbcert_deploy_report_certificate_uploaded(pointer) == 1,
            replaced=tuple(lib.slbcert_deploy_report_replaced(pointer, i) or ""
                           for i in range(lib.slbcert_deploy_report_replaced_count(pointer))),
            bindings=tuple(bindings), verified=tuple(checks),
            deleted=tuple(lib.slbcert_deploy_report_deleted(pointer, i) or ""
                          for i in range(lib.slbcert_deploy_report_deleted_count(pointer))),
            journal=lib.slbcert_deploy_report_journal(pointer),
            drift=tuple(drift),
            warnings=tuple(lib.slbcert_deploy_report_warning(pointer, i) or ""
                           for i in range(lib.slbcert_deploy_report_warning_count(pointer))),
            failure_message=lib.slbcert_deploy_report_failure_message(pointer) or "",
            failure_code=lib.slbcert_deploy_report_failure_service_code(pointer) or "",
            failure_reason=lib.slbcert_deploy_report_failure_reason(pointer) or "",
        )
        object.__setattr__(report, "_json", json.loads(lib.slbcert_deploy_report_json(pointer) or "{}"))
        return report
