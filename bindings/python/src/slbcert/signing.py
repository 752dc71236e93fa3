"""The generic RPC signer (any Alibaba Cloud RPC API) and the redactor."""

from __future__ import annotations

import ctypes
from contextlib import ExitStack
from ctypes import byref, c_char, c_char_p, c_void_p
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Optional, Tuple, Union, overload

from . import _ffi
from ._ffi import lib
from .credentials import Credentials, SecretInput

__all__ = ["sign", "redact", "SignedRequest", "signature_version_code", "placement_code"]

Parameters = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


def signature_version_code(value: Union[str, int]) -> int:
    """``"v1"``/``1`` -> ``SLBCERT_SIGNATURE_V1``, ``"v3"``/``3`` -> ``SLBCERT_SIGNATURE_V3``."""
    codes = {"v1": _ffi.SIGNATURE_V1, "1": _ffi.SIGNATURE_V1, "v3": _ffi.SIGNATURE_V3, "3": _ffi.SIGNATURE_V3}
    code = codes.get(str(value).lower())
    if code is None:
        raise ValueError(f"signature_version must be 'v1' or 'v3', not {value!r}")
    return code


def placement_code(value: Union[str, int]) -> int:
    """``"body"`` -> ``SLBCERT_PLACEMENT_BODY``, ``"query"`` -> ``SLBCERT_PLACEMENT_QUERY``."""
    codes = {"body": _ffi.PLACEMENT_BODY, "query": _ffi.PLACEMENT_QUERY}
    if isinstance(value, int) and value in codes.values():
        return value
    code = codes.get(str(value).lower())
    if code is None:
        raise ValueError(f"placement must be 'body' or 'query', not {value!r}")
    return code


@dataclass(frozen=True)
class SignedRequest:
    """A signed RPC request, ready to send. Its path, headers and body carry the signature (and
    whatever parameters were signed, a private key included): do not log them as they are
    (:func:`redact` them first).

    Attributes:
        method: ``"POST"`` or ``"GET"``.
        path_and_query: the path and query to send (``"/?Action=...&Signature=..."`` or ``"/"``).
        headers: the headers to send, in order (names lower-case for V3).
        body: the body bytes (form-encoded for body placement, empty otherwise).
        string_to_sign: V1's string-to-sign, V3's canonical request.
        signature: the signature (base64 for V1, lower-case hex for V3).
    """
    method: str
    path_and_query: str = field(repr=False)
    headers: Tuple[Tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)
    string_to_sign: str = field(repr=False)
    signature: str = field(repr=False)

    def url(self, base_url: str) -> str:
        """The full URL for ``base_url`` (``"https://slb.aliyuncs.com"``)."""
        return base_url.rstrip("/") + self.path_and_query


def _format_timestamp(value: Union[str, datetime, None]) -> Optional[bytes]:
    if value is None or isinstance(value, str):
        return _ffi.cstr(value, "timestamp")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be an aware datetime")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")


def sign(action: str, parameters: Optional[Parameters] = None, *, api_version: str = "2014-05-15",
         host: str = "slb.aliyuncs.com", credentials: Optional[Credentials] = None,
         access_key_id: Optional[str] = None, access_key_secret: Optional[SecretInput] = None,
         security_token: Optional[SecretInput] = None, profile: Optional[str] = None,
         signature_version: Union[str, int] = "v1", placement: Union[str, int] = "body", method: str = "POST",
         nonce: Optional[str] = None, timestamp: Union[str, datetime, None] = None,
         v1_legacy_signature_type: bool = False) -> SignedRequest:
    """Sign an RPC request of any Alibaba Cloud API (``slbcert_sign``).

    Args:
        action: e.g. ``"UploadServerCertificate"``.
        parameters: the operation's parameters, a mapping or (name, value) pairs. A ``"Format"``
            parameter overrides V1's default ``Format=JSON``.
        api_version: e.g. ``"2014-05-15"`` (SLB's, the default).
        host: the endpoint host (signed by V3), ``"slb.aliyuncs.com"`` by default.
        credentials: a :class:`Credentials`; or give ``access_key_id``/``access_key_secret``
            (and ``security_token``), or ``profile``; with none of them the default chain is used.
        signature_version: ``"v1"`` (HMAC-SHA1) or ``"v3"`` (ACS3-HMAC-SHA256).
        placement: ``"body"`` (a form body, the default) or ``"query"``.
        method: ``"POST"`` or ``"GET"``.
        nonce: a fixed nonce for reproducible output, or ``None`` for a random one.
        timestamp: a fixed time (``"yyyy-MM-ddTHH:mm:ssZ"`` or an aware datetime), or ``None`` for now.
        v1_legacy_signature_type: V1 also sends and signs an empty ``SignatureType=``.

    Raises:
        InvalidArgument: an argument is out of range (e.g. over 1024 parameters).
        CredentialsError: no usable credentials.
    """
    options = _ffi.SignOptions()
    lib.slbcert_sign_options_init(byref(options), _ffi.SIGN_OPTIONS_VERSION)
    options.signature_version = signature_version_code(signature_version)
    options.placement = placement_code(placement)
    options.method = _ffi.cstr(method, "method")
    options.nonce = _ffi.cstr(nonce, "nonce")
    options.timestamp = _format_timestamp(timestamp)
    options.v1_legacy_signature_type = 1 if v1_legacy_signature_type else 0

    pairs = list(parameters.items() if isinstance(parameters, Mapping) else (parameters or ()))
    keys = _ffi.string_array([_ffi.cstr(k, "parameter name") for k, _ in pairs])
    values = _ffi.string_array([_ffi.cstr(v, f"parameter {k}") for k, v in pairs])

    with ExitStack() as stack:
        if credentials is None:
            if access_key_id is not None or access_key_secret is not None:
                credentials = stack.enter_context(Credentials.static(access_key_id or "", access_key_secret or b"",
                                                                     security_token))
            elif profile is not None:
                credentials = stack.enter_context(Credentials.profile(profile))
            else:
                credentials = stack.enter_context(Credentials.default())
        pointer = _ffi.SignedRequestP()
        with credentials._use() as credentials_pointer:
            lib.slbcert_sign(byref(pointer), credentials_pointer, _ffi.cstr(action, "action"),
                             _ffi.cstr(api_version, "api_version"), _ffi.cstr(host, "host"),
                             keys, values, len(pairs), byref(options))
        try:
            return _read_signed(pointer)
        finally:
            lib.slbcert_signed_request_free(pointer)


def _read_signed(pointer: Any) -> SignedRequest:
    headers = []
    for index in range(lib.slbcert_signed_request_header_count(pointer)):
        name, value = c_char_p(), c_char_p()
        lib.slbcert_signed_request_header(pointer, index, byref(name), byref(value))
        headers.append(((name.value or b"").decode("utf-8", "replace"), (value.value or b"").decode("utf-8", "replace")))
    address = lib.slbcert_signed_request_body(pointer)
    length = lib.slbcert_signed_request_body_length(pointer)
    body = ctypes.string_at(address, length) if address and length else b""
    return SignedRequest(
        method=lib.slbcert_signed_request_method(pointer) or "",
        path_and_query=lib.slbcert_signed_request_path_and_query(pointer) or "",
        headers=tuple(headers),
        body=body,
        string_to_sign=lib.slbcert_signed_request_string_to_sign(pointer) or "",
        signature=lib.slbcert_signed_request_signature(pointer) or "",
    )


@overload
def redact(text: str) -> str: ...
@overload
def redact(text: bytes) -> bytes: ...


def redact(text: Union[str, bytes, bytearray]) -> Union[str, bytes]:
    """Replace secrets in ``text`` with ``[REDACTED]`` (``slbcert_redact``).

    AccessKeySecret, SecurityToken, Signature, Authorization and PrivateKey values (in query
    strings, form bodies, headers and JSON) and PEM private-key blocks are replaced. A ``str``
    gives a ``str``, bytes give ``bytes``.

    Raises:
        InvalidArgument: the text is over 16 MiB.
    """
    as_text = isinstance(text, str)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    out = c_void_p()
    lib.slbcert_redact(byref(out), data, len(data))
    try:
        result = ctypes.string_at(out.value) if out.value else b""
    finally:
        lib.slbcert_string_free(out)  # caller-owned: freed (and wiped) by the library
    return result.decode("utf-8", "replace") if as_text else result
