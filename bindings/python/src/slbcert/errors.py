"""Exceptions: one class per ``slbcert_status``, all under :class:`SlbcertError`.

==========================  ========================  =============================================
C status                    exception                 also a
==========================  ========================  =============================================
``SLBCERT_EINVAL``          :class:`InvalidArgument`  :class:`ValueError`
``SLBCERT_ENOMEM``          :class:`OutOfMemory`      :class:`MemoryError`
``SLBCERT_EPARSE``          :class:`ParseError`       :class:`ValueError`
``SLBCERT_EVALIDATION``     :class:`ValidationError`
``SLBCERT_ECREDENTIALS``    :class:`CredentialsError`
``SLBCERT_ESERVICE``        :class:`ServiceError`
``SLBCERT_ENETWORK``        :class:`NetworkError`     :class:`ConnectionError`
``SLBCERT_ETLS``            :class:`TLSError`
``SLBCERT_ETIMEOUT``        :class:`TimeoutError`     the builtin :class:`TimeoutError`
``SLBCERT_EPROTOCOL``       :class:`ProtocolError`
``SLBCERT_ERANGE``          :class:`OutOfRange`       :class:`IndexError`
``SLBCERT_EINTERNAL``       :class:`InternalError`
``SLBCERT_EUNCONFIRMED``    :class:`UnconfirmedError`  :class:`TimeoutError` (ours and the builtin)
``SLBCERT_EREFUSED``        :class:`RefusedError`
==========================  ========================  =============================================

:class:`DeployFailedError` is this binding's own: a deploy (or rollback) that failed part-way and
has put back what it could; its ``report`` says what happened to each binding.

A status this binding does not know yet (a newer library) raises :class:`SlbcertError` itself.
Every exception carries what the library recorded about the failure: ``status``, ``status_name``,
``message``, ``hint``, and, where the service answered, ``code``, ``request_id``, ``http_status``,
``host_id`` and ``recommend``. None of them ever holds a secret.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Type

if TYPE_CHECKING:  # pragma: no cover
    from .bundle import Finding

__all__ = [
    "SlbcertError", "InvalidArgument", "OutOfMemory", "ParseError", "ValidationError", "CredentialsError",
    "ServiceError", "NetworkError", "TLSError", "TimeoutError", "ProtocolError", "OutOfRange", "InternalError",
    "UnconfirmedError", "RefusedError", "DeployFailedError",
]


class SlbcertError(Exception):
    """A failed slbcert call.

    Attributes:
        status: the C status code (negative), e.g. -6 for ``SLBCERT_ESERVICE``.
        status_name: the enum name, e.g. ``"SLBCERT_ESERVICE"``.
        message: one line saying what failed (never a secret).
        hint: what to do about it, or ``""``.
        code: the service's error Code (e.g. ``"SignatureDoesNotMatch"``); for a validation failure
            the reason code of the first error finding; ``""`` otherwise.
        request_id: the service's RequestId, or ``""``.
        http_status: the HTTP status of the failed request, or 0 when no answer came.
        host_id: the service's HostId, or ``""``.
        recommend: the service's Recommend URL, or ``""``.
        transport_code: libcurl's code for a network failure, or 0.
        reason: a stable code for why (``slbcert_last_error_reason``), e.g. ``"SETTING_OUT_OF_RANGE"``, or ``""``.
        argument: the argument or option the failure is about, as this binding names it, or ``""``.
        status_text: the library's description of ``status`` (``slbcert_strerror``).
    """

    #: The ``slbcert_status`` enum name this class stands for (``None``: any).
    NAME: Optional[str] = None
    #: Its number, read from the loaded library by name (set when the library is loaded).
    STATUS: Optional[int] = None

    def __init__(self, message: str = "", *, status: int = 0, status_name: str = "", hint: str = "",
                 code: str = "", request_id: str = "", http_status: int = 0, host_id: str = "",
                 recommend: str = "", transport_code: int = 0, reason: str = "", argument: str = "",
                 status_text: str = "") -> None:
        super().__init__(message)
        self.status = status or (self.STATUS or 0)
        self.status_name = status_name
        self.message = message
        self.hint = hint
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.host_id = host_id
        self.recommend = recommend
        self.transport_code = transport_code
        self.reason = reason
        self.argument = argument
        self.status_text = status_text

    def __str__(self) -> str:
        text = self.message or self.status_text or self.status_name or "slbcert error"
        if self.request_id and self.request_id not in text:
            text += f" (RequestId: {self.request_id})"
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, code={self.code!r})"


class InvalidArgument(SlbcertError, ValueError):
    """``SLBCERT_EINVAL``: an argument is missing, too long or out of its range."""
    NAME = "SLBCERT_EINVAL"


class OutOfMemory(SlbcertError, MemoryError):
    """``SLBCERT_ENOMEM``: the library could not allocate memory."""
    NAME = "SLBCERT_ENOMEM"


class ParseError(SlbcertError, ValueError):
    """``SLBCERT_EPARSE``: input is not a certificate, key or document the library can read."""
    NAME = "SLBCERT_EPARSE"


class ValidationError(SlbcertError):
    """``SLBCERT_EVALIDATION``: the bundle has an error finding; nothing was sent.

    Attributes:
        findings: the bundle's error findings (:class:`slbcert.Finding`), when known.
    """
    NAME = "SLBCERT_EVALIDATION"

    def __init__(self, message: str = "", *, findings: Sequence["Finding"] = (), **details: object) -> None:
        super().__init__(message, **details)  # type: ignore[arg-type]
        self.findings: List["Finding"] = list(findings)


class CredentialsError(SlbcertError):
    """``SLBCERT_ECREDENTIALS``: no usable credentials (missing, unreadable, unsupported)."""
    NAME = "SLBCERT_ECREDENTIALS"


class ServiceError(SlbcertError):
    """``SLBCERT_ESERVICE``: the service answered with an error Code.

    ``code``, ``message``, ``request_id``, ``http_status``, ``recommend`` and ``host_id`` are the
    service's.
    """
    NAME = "SLBCERT_ESERVICE"


class NetworkError(SlbcertError, ConnectionError):
    """``SLBCERT_ENETWORK``: the connection failed or broke (``transport_code`` is libcurl's)."""
    NAME = "SLBCERT_ENETWORK"


class TLSError(SlbcertError):
    """``SLBCERT_ETLS``: TLS failed (certificate verification, handshake)."""
    NAME = "SLBCERT_ETLS"


class TimeoutError(SlbcertError, builtins.TimeoutError):  # noqa: A001 - deliberately shadows the builtin
    """``SLBCERT_ETIMEOUT``: the request or the overall deadline timed out.

    Also an instance of the builtin :class:`TimeoutError`.
    """
    NAME = "SLBCERT_ETIMEOUT"


class ProtocolError(SlbcertError):
    """``SLBCERT_EPROTOCOL``: the answer was not what the API defines (an HTML page, bad JSON)."""
    NAME = "SLBCERT_EPROTOCOL"


class OutOfRange(SlbcertError, IndexError):
    """``SLBCERT_ERANGE``: an index is out of range."""
    NAME = "SLBCERT_ERANGE"


class InternalError(SlbcertError):
    """``SLBCERT_EINTERNAL``: a bug in slbcert; please report it."""
    NAME = "SLBCERT_EINTERNAL"


class UnconfirmedError(TimeoutError):
    """``SLBCERT_EUNCONFIRMED``: the upload may have been stored.

    Its answer was lost and the call's deadline ended before the certificate showed up or the
    attempt could no longer be stored. Nothing else was sent: run the same upload again, it finds
    the stored copy or uploads it.
    """
    NAME = "SLBCERT_EUNCONFIRMED"


class RefusedError(SlbcertError):
    """``SLBCERT_EREFUSED``: a deploy's plan was refused before anything changed.

    ``reason`` says why: ``DOMAIN_NOT_COVERED`` (an SNI domain the certificate does not cover),
    ``LOAD_BALANCER_NOT_IN_REGION``, ``CERTIFICATE_NOT_IN_REGION``, ``LOAD_BALANCER_LOCKED``.
    """
    NAME = "SLBCERT_EREFUSED"


class DeployFailedError(SlbcertError):
    """A deploy step failed after bindings may have changed, and the library put back what it could.

    Attributes:
        report: the :class:`slbcert.DeployReport`; ``report.outcome`` is ``ROLLED_BACK`` (everything is
            back on its old certificate) or ``PARTIAL`` (the bindings whose result is ``FAILED`` are not).
    The other attributes (``code``, ``reason``, ``request_id``, ``status``) are those of the failed step.
    """

    def __init__(self, message: str = "", *, report: object = None, **details: object) -> None:
        super().__init__(message, **details)  # type: ignore[arg-type]
        self.report = report


#: The one table: ``slbcert_error_name`` of a status to its exception class.
CLASSES: Dict[str, Type[SlbcertError]] = {
    cls.NAME: cls for cls in (InvalidArgument, OutOfMemory, ParseError, ValidationError, CredentialsError, ServiceError,
                              NetworkError, TLSError, TimeoutError, ProtocolError, OutOfRange, InternalError, UnconfirmedError,
                              RefusedError)
    if cls.NAME is not None
}


def class_for(name: str) -> Type[SlbcertError]:
    """The exception class of a status, by the library's enum name (``SlbcertError`` for names this
    binding does not know: a newer library)."""
    return CLASSES.get(name, SlbcertError)


def from_status(status: int, *, name: str, message: str, **details: object) -> SlbcertError:
    """Build the exception for ``status`` from the details the library recorded."""
    cls = class_for(name)
    return cls(message, status=status, status_name=name, **details)  # type: ignore[arg-type]
