"""slbcert: check, sign and upload TLS server certificates to Alibaba Cloud Server Load Balancer.

A ctypes binding of the C library ``libslbcert.so.1``::

    import slbcert

    with slbcert.Bundle.from_files("fullchain.pem", "privkey.pem") as bundle:
        for finding in bundle.findings:
            print(finding)
        with slbcert.Client(region="cn-hangzhou") as client:
            result = client.upload(bundle, name="www-2025")
            print(result.certificate.id, "uploaded" if result.uploaded else "already present")

The library is looked for in this order: the file named by ``SLBCERT_LIBRARY``, a
``libslbcert.so.1`` next to this package, ``ctypes.util.find_library("slbcert")``, then the
SONAME ``libslbcert.so.1``. Its version must have this binding's major and at least its minor.
"""

from __future__ import annotations

from . import _ffi
from .bundle import MAX_INPUT_BYTES, Bundle, Certificate, Finding, Severity
from .client import Client, LogLevel, ServerCertificate, UploadOutcome, UploadResult
from .credentials import Credentials
from .deploy import BindingResult, DeployBinding, DeployOutcome, DeployReport, Drift, TLSCheck
from .errors import (CredentialsError, DeployFailedError, InternalError, InvalidArgument, NetworkError, OutOfMemory,
                     OutOfRange, ParseError, ProtocolError, RefusedError, ServiceError, SlbcertError, TimeoutError,
                     TLSError, UnconfirmedError, ValidationError)
from .signing import SignedRequest, redact, sign

__version__ = ".".join(map(str, _ffi.BINDING_VERSION))

#: The path (or name) of the library that was loaded.
library_path: str = _ffi.library_path


def library_version() -> str:
    """The loaded library's version, ``"MAJOR.MINOR.PATCH"`` (``slbcert_version``)."""
    return _ffi.lib.slbcert_version() or ""


def library_version_number() -> int:
    """The loaded library's version as ``MAJOR * 10000 + MINOR * 100 + PATCH``."""
    return int(_ffi.lib.slbcert_version_number())


def strerror(status: int) -> str:
    """The library's description of a status code (``slbcert_strerror``)."""
    return _ffi.lib.slbcert_strerror(status) or ""


def error_name(status: int) -> str:
    """The enum name of a status code, e.g. ``"SLBCERT_ESERVICE"`` (``slbcert_error_name``)."""
    return _ffi.lib.slbcert_error_name(status) or ""


__all__ = [
    "Bundle", "Certificate", "Finding", "Severity", "MAX_INPUT_BYTES",
    "Client", "ServerCertificate", "UploadResult", "UploadOutcome", "LogLevel",
    "Credentials", "sign", "redact", "SignedRequest",
    "DeployReport", "DeployOutcome", "DeployBinding", "BindingResult", "TLSCheck", "Drift",
    "SlbcertError", "InvalidArgument", "OutOfMemory", "ParseError", "ValidationError", "CredentialsError",
    "ServiceError", "NetworkError", "TLSError", "TimeoutError", "ProtocolError", "OutOfRange", "InternalError",
    "UnconfirmedError", "RefusedError", "DeployFailedError", "library_path", "library_version", "library_version_number", "strerror", "error_name", "__version__",
]
