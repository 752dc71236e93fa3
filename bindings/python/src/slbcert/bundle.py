"""Certificate bundles: parse a chain and key, read their facts and findings."""

from __future__ import annotations

import enum
import os
import weakref
from ctypes import byref, c_char_p, c_int
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional, Tuple, Union

from . import _ffi
from ._ffi import HandleOwner, lib
from .errors import ValidationError

__all__ = ["Bundle", "Certificate", "Finding", "Severity", "MAX_INPUT_BYTES"]

#: Largest certificate or key input the library reads, in bytes (``SLBCERT_MAX_INPUT_BYTES``).
MAX_INPUT_BYTES: int = lib.slbcert_max_input_bytes()

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

PemInput = Union[str, bytes, bytearray, memoryview]
PathInput = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def datetime_from_ms(milliseconds: int) -> datetime:
    """An aware UTC ``datetime`` from milliseconds since the Unix epoch."""
    return _EPOCH + timedelta(milliseconds=milliseconds)


def ms_from_datetime(moment: datetime) -> int:
    """Milliseconds since the Unix epoch of an aware ``datetime``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("give an aware datetime (e.g. datetime.now(timezone.utc)), not a naive one")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


class Severity(enum.IntEnum):
    """How bad a finding is: errors stop an upload, warnings do not (``slbcert_severity``).

    ``str()`` and ``print()`` give ``"warning"`` or ``"error"``.
    """
    WARNING = _ffi.SEVERITY_WARNING
    ERROR = _ffi.SEVERITY_ERROR

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One result of the checks made when a bundle is parsed.

    Attributes:
        severity: :attr:`Severity.ERROR` or :attr:`Severity.WARNING`.
        code: a stable reason code such as ``"KEY_MISMATCH"``.
        message: a sentence that says what is wrong and what to do.
    """
    severity: Severity
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        """``True`` for an error (the library refuses to upload the bundle), ``False`` for a warning."""
        return self.severity == Severity.ERROR

    def __str__(self) -> str:
        return f"{self.severity.name.lower()} {self.code}: {self.message}"


@dataclass(frozen=True)
class Certificate:
    """The facts of one certificate of a chain (all of ``slbcert_certificate_*``).

    Attributes:
        fingerprint: SHA-1 of the DER, lower-case hex joined by ``:`` (the service's Fingerprint).
        fingerprint_sha256: SHA-256 in the same form.
        common_name: the subject's CN, or ``""``.
        subject: the subject, one-line RFC 2253.
        issuer: the issuer, one-line RFC 2253.
        serial: the serial number, upper-case hex.
        not_before: the start of validity, an aware UTC datetime.
        not_after: the end of validity, an aware UTC datetime (the service's ExpireTime for the leaf).
        not_before_ms: ``not_before`` in milliseconds since the epoch.
        not_after_ms: ``not_after`` in milliseconds since the epoch (the service's ExpireTimeStamp).
        not_before_text: ``not_before`` as the library writes it, ``yyyy-MM-ddTHH:mm:ssZ``.
        not_after_text: ``not_after`` in the same form.
        dns_names: the DNS subject alternative names.
        ip_addresses: the IP address subject alternative names, in textual form.
        key_algorithm: the public key's algorithm: ``"RSA"``, ``"EC"``, ``"Ed25519"``, ...
        key_bits: the public key's size in bits.
        is_ca: whether basicConstraints says CA.
        is_self_signed: whether issuer == subject and its own key verifies it.
    """
    fingerprint: str
    fingerprint_sha256: str
    common_name: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    not_before_ms: int
    not_after_ms: int
    not_before_text: str
    not_after_text: str
    dns_names: Tuple[str, ...]
    ip_addresses: Tuple[str, ...]
    key_algorithm: str
    key_bits: int
    is_ca: bool
    is_self_signed: bool

    @classmethod
    def _read(cls, pointer: Any) -> "Certificate":
        not_before_ms = lib.slbcert_certificate_not_before_ms(pointer)
        not_after_ms = lib.slbcert_certificate_not_after_ms(pointer)
        return cls(
            fingerprint=lib.slbcert_certificate_fingerprint(pointer) or "",
            fingerprint_sha256=lib.slbcert_certificate_fingerprint_sha256(pointer) or "",
            common_name=lib.slbcert_certificate_common_name(pointer) or "",
            subject=lib.slbcert_certificate_subject(pointer) or "",
            issuer=lib.slbcert_certificate_issuer(pointer) or "",
            serial=lib.slbcert_certificate_serial(pointer) or "",
            not_before=datetime_from_ms(not_before_ms),
            not_after=datetime_from_ms(not_after_ms),
            not_before_ms=not_before_ms,
            not_after_ms=not_after_ms,
            not_before_text=lib.slbcert_certificate_not_before(pointer) or "",
            not_after_text=lib.slbcert_certificate_not_after(pointer) or "",
            dns_names=tuple(lib.slbcert_certificate_dns_name(pointer, i) or ""
                            for i in range(lib.slbcert_certificate_dns_name_count(pointer))),
            ip_addresses=tuple(lib.slbcert_certificate_ip_address(pointer, i) or ""
                               for i in range(lib.slbcert_certificate_ip_address_count(pointer))),
            key_algorithm=lib.slbcert_certificate_key_algorithm(pointer) or "",
            key_bits=lib.slbcert_certificate_key_bits(pointer),
            is_ca=lib.slbcert_certificate_is_ca(pointer) == 1,
            is_self_signed=lib.slbcert_certificate_is_self_signed(pointer) == 1,
        )


def _read_file(path: PathInput) -> bytearray:
    """A file's bytes in a bytearray (so a key can be wiped after use). At most one byte more than
    the library accepts is read: it then reports INPUT_TOO_LARGE, as for any other caller."""
    with open(path, "rb", buffering=0) as file:
        data = bytearray(MAX_INPUT_BYTES + 1)
        with memoryview(data) as view:
            length = 0
            while length < len(data):
                count = file.readinto(view[length:])
                if not count:
                    break
                length += count
    del data[length:]  # only shrinks: the buffer is not moved
    return data


def _wipe(data: Optional[bytearray]) -> None:
    if data is not None:
        data[:] = bytes(len(data))


class Bundle(HandleOwner):
    """A parsed certificate chain and (optionally) its private key, with facts and findings.

    Parsing never raises for bad certificate input: read :attr:`findings` and :attr:`has_errors`
    (or call :meth:`check`). An upload of a bundle with errors raises :class:`ValidationError`.

    The C handle holding the key is freed (and its key material wiped) by :meth:`close`, at the end
    of a ``with`` block, or when the object is collected.

    Args:
        cert: the chain, PEM (1..n certificates in any order) or one DER certificate.
        key: the private key PEM, or ``None`` for a chain without key. Pass ``bytes`` or, better, a
            ``bytearray`` you wipe afterwards; a ``str`` is encoded (and cannot be wiped).
        passphrase: the passphrase of an encrypted key, or ``None``.
        allow_non_rsa: make an EC or Ed25519 key a warning instead of an error (CLB rejects them).
        expiry_warning_days: warn when the leaf expires within this many days (0: never; ``None``: the
            library's default).
        now: the instant the checks use (an aware ``datetime``); ``None``: the system clock.

    Raises:
        InvalidArgument: an argument is out of range.
        TypeError: an argument has the wrong type.
    """

    def __init__(self, cert: PemInput, key: Optional[PemInput] = None, passphrase: Optional[PemInput] = None,
                 allow_non_rsa: bool = False, expiry_warning_days: Optional[int] = None,
                 now: Optional[datetime] = None) -> None:
        options = _ffi.CheckOptions()
        lib.slbcert_check_options_init(byref(options), _ffi.CHECK_OPTIONS_VERSION)
        options.allow_non_rsa = 1 if allow_non_rsa else 0
        if expiry_warning_days is not None:
            # Out-of-range values go to the library to be refused, never wrapped into range by ctypes.
            options.expiry_warning_days = max(-(2 ** 31), min(2 ** 31 - 1, int(expiry_warning_days)))
        if now is not None:
            options.now_ms = max(1, ms_from_datetime(now))  # 0 would mean "the system clock"
        pointer = _ffi.BundleP()
        with _ffi.SecretBuffer(cert, "cert") as cert_buffer, \
                _ffi.SecretBuffer(key, "key") as key_buffer, \
                _ffi.SecretBuffer(passphrase, "passphrase") as passphrase_buffer:
            lib.slbcert_bundle_parse(byref(pointer), cert_buffer.pointer, cert_buffer.length,
                                     key_buffer.pointer, key_buffer.length,
                                     passphrase_buffer.pointer, passphrase_buffer.length, byref(options))
        self._handle = _ffi.Handle(pointer, lib.slbcert_bundle_free, "bundle")
        self._finalizer = weakref.finalize(self, self._handle.close)
        self._read_facts(pointer)

    @classmethod
    def from_files(cls, cert: PathInput, key: Optional[PathInput] = None, passphrase: Optional[PemInput] = None,
                   **options: Any) -> "Bundle":
        """Parse a chain file and (optionally) a key file.

        The key file is read into a ``bytearray`` that is wiped as soon as the library has its copy.
        ``options`` are those of :class:`Bundle` (``allow_non_rsa``, ``expiry_warning_days``, ``now``).
        """
        cert_bytes = _read_file(cert)
        key_bytes = _read_file(key) if key is not None else None
        try:
            return cls(cert_bytes, key_bytes, passphrase, **options)
        finally:
            _wipe(key_bytes)

    def _read_facts(self, pointer: Any) -> None:
        findings = []
        for index in range(lib.slbcert_bundle_finding_count(pointer)):
            severity, code, message = c_int(), c_char_p(), c_char_p()
            lib.slbcert_bundle_finding(pointer, index, byref(severity), byref(code), byref(message))
            findings.append(Finding(Severity(severity.value), (code.value or b"").decode("utf-8", "replace"),
                                    (message.value or b"").decode("utf-8", "replace")))
        self._findings: Tuple[Finding, ...] = tuple(findings)
        self._chain: Tuple[Certificate, ...] = tuple(
            Certificate._read(lib.slbcert_bundle_certificate(pointer, index))
            for index in range(lib.slbcert_bundle_chain_length(pointer)))
        self._has_errors: bool = lib.slbcert_bundle_has_errors(pointer) == 1
        self._has_key: bool = lib.slbcert_bundle_has_key(pointer) == 1
        self._key_algorithm: Optional[str] = lib.slbcert_bundle_key_algorithm(pointer)
        bits = lib.slbcert_bundle_key_bits(pointer)
        self._key_bits: Optional[int] = bits if self._has_key else None
        self._normalized_certificate_pem: Optional[str] = lib.slbcert_bundle_normalized_certificate_pem(pointer)

    # -- lifetime: close(), closed and `with` come from HandleOwner -------------------------------

    def _use(self) -> Any:
        """Lend the C handle for one call (see :class:`slbcert.Client`)."""
        return self._handle.use()

    # -- findings ---------------------------------------------------------------------------------

    @property
    def findings(self) -> List[Finding]:
        """Every finding, errors and warnings, in the library's order."""
        return list(self._findings)

    @property
    def errors(self) -> List[Finding]:
        """The findings of severity ERROR."""
        return [f for f in self._findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> List[Finding]:
        """The findings of severity WARNING."""
        return [f for f in self._findings if f.severity == Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        """True when at least one finding is an error (an upload would be refused)."""
        return self._has_errors

    def check(self) -> "Bundle":
        """Raise :class:`ValidationError` (with the error findings) when the bundle has errors."""
        if self._has_errors:
            errors = self.errors
            raise ValidationError("The certificate bundle has errors: " + " ".join(str(f) for f in errors),
                                  findings=errors, status=ValidationError.STATUS, status_name="SLBCERT_EVALIDATION",
                                  code=errors[0].code if errors else "")
        return self

    # -- the chain --------------------------------------------------------------------------------

    @property
    def chain(self) -> List[Certificate]:
        """The distinct certificates of the chain, leaf first (empty when none could be read)."""
        return list(self._chain)

    @property
    def leaf(self) -> Optional[Certificate]:
        """The leaf certificate, or ``None`` when no certificate could be read."""
        return self._chain[0] if self._chain else None

    @property
    def fingerprint(self) -> Optional[str]:
        """The leaf's SHA-1 fingerprint, as the service shows it (``None`` without a chain)."""
        return self._chain[0].fingerprint if self._chain else None

    @property
    def fingerprint_sha256(self) -> Optional[str]:
        """The leaf's SHA-256 fingerprint (``None`` without a chain)."""
        return self._chain[0].fingerprint_sha256 if self._chain else None

    @property
    def common_name(self) -> Optional[str]:
        """The leaf's common name (``""`` when it has none, ``None`` without a chain)."""
        return self._chain[0].common_name if self._chain else None

    @property
    def subject_alternative_names(self) -> List[str]:
        """The leaf's DNS subject alternative names."""
        return list(self._chain[0].dns_names) if self._chain else []

    @property
    def ip_addresses(self) -> List[str]:
        """The leaf's IP address subject alternative names."""
        return list(self._chain[0].ip_addresses) if self._chain else []

    @property
    def not_before(self) -> Optional[datetime]:
        """The leaf's notBefore, an aware UTC datetime (``None`` without a chain)."""
        return self._chain[0].not_before if self._chain else None

    @property
    def not_after(self) -> Optional[datetime]:
        """The leaf's notAfter, an aware UTC datetime (``None`` without a chain)."""
        return self._chain[0].not_after if self._chain else None

    # -- the key ----------------------------------------------------------------------------------

    @property
    def has_key(self) -> bool:
        """True when the bundle holds a readable private key."""
        return self._has_key

    @property
    def key_algorithm(self) -> Optional[str]:
        """The key's algorithm (``"RSA"``, ``"EC"``, ``"Ed25519"``, ...), or ``None`` without a key."""
        return self._key_algorithm

    @property
    def key_bits(self) -> Optional[int]:
        """The key's size in bits, or ``None`` without a key."""
        return self._key_bits

    # -- normalised PEMs --------------------------------------------------------------------------

    @property
    def normalized_certificate_pem(self) -> Optional[str]:
        """The chain as CLB accepts it (leaf first, 64-column base64, LF), or ``None`` without a chain."""
        return self._normalized_certificate_pem

    @property
    def normalized_private_key_pem(self) -> Optional[bytearray]:
        """The key as unencrypted PKCS#1 PEM (traditional PEM for non-RSA keys), or ``None``.

        A fresh ``bytearray`` is copied from the library on each access and never kept by the
        bundle: wipe it when done (``buf[:] = bytes(len(buf))``).

        Raises:
            ValueError: the bundle is closed.
        """
        with self._handle.use() as pointer:
            key: Optional[bytearray] = lib.slbcert_bundle_normalized_private_key_pem(pointer)
            return key

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (f"<slbcert.Bundle cn={self.common_name!r} fingerprint={self.fingerprint!r} "
                f"key={self._key_algorithm or 'none'} findings={len(self._findings)} {state}>")
