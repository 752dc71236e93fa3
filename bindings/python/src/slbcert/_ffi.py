"""The ctypes layer: finding and loading libslbcert.so.1, and every C function declared once.

Nothing here is public. The rest of the package calls ``lib.slbcert_*``; each function carries
``argtypes``, ``restype`` and an ``errcheck`` that turns the C conventions into Python ones:

* a negative status becomes the matching :class:`~slbcert.SlbcertError` subclass, built from the
  ``slbcert_last_error_*`` getters, which run on the same thread right after the failing call
  (ctypes runs ``errcheck`` before it returns to the caller, so no other slbcert call can come
  in between);
* a borrowed ``const char *`` is copied into a Python ``str`` (or ``None`` for NULL);
* the borrowed private key PEM is copied into a ``bytearray`` the caller can wipe.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import warnings
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_int64, c_long, c_size_t,
                    c_uint, c_void_p)
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from . import errors

__all__ = ["lib", "library_path", "BINDING_VERSION", "LIBRARY_ENV"]

#: The binding's own version; the library must have the same major and at least this minor.
BINDING_VERSION = (1, 1, 0)
#: The environment variable that names the library file to load first.
LIBRARY_ENV = "SLBCERT_LIBRARY"
SONAME = "libslbcert.so.1"


# ------------------------------------------------------------------------------------------------
# Opaque handle types: distinct pointer types, so ctypes refuses a client where a bundle is expected.

class slbcert_bundle(Structure):
    """Opaque ``slbcert_bundle``."""


class slbcert_certificate(Structure):
    """Opaque ``slbcert_certificate`` (borrowed from a bundle)."""


class slbcert_credentials(Structure):
    """Opaque ``slbcert_credentials``."""


class slbcert_signed_request(Structure):
    """Opaque ``slbcert_signed_request``."""


class slbcert_client(Structure):
    """Opaque ``slbcert_client``."""


class slbcert_server_certificate(Structure):
    """Opaque ``slbcert_server_certificate`` (borrowed from a list or upload result)."""


class slbcert_certificate_list(Structure):
    """Opaque ``slbcert_certificate_list``."""


class slbcert_upload_result(Structure):
    """Opaque ``slbcert_upload_result``."""


class slbcert_deploy_report(Structure):
    """Opaque ``slbcert_deploy_report``."""


BundleP = POINTER(slbcert_bundle)
CertificateP = POINTER(slbcert_certificate)
CredentialsP = POINTER(slbcert_credentials)
SignedRequestP = POINTER(slbcert_signed_request)
ClientP = POINTER(slbcert_client)
ServerCertificateP = POINTER(slbcert_server_certificate)
CertificateListP = POINTER(slbcert_certificate_list)
UploadResultP = POINTER(slbcert_upload_result)
DeployReportP = POINTER(slbcert_deploy_report)
StringArray = POINTER(c_char_p)

#: ``typedef void (*slbcert_log_fn)(void *user_data, int level, const char *line);``
LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p)


# ------------------------------------------------------------------------------------------------
# Options structs, field for field as in include/slbcert.h (they are filled by the _init() functions).

class CheckOptions(Structure):
    """``slbcert_check_options``."""
    _fields_ = [
        ("version", c_uint),
        ("allow_non_rsa", c_int),
        ("expiry_warning_days", c_int),
        ("now_ms", c_int64),
    ]


class SignOptions(Structure):
    """``slbcert_sign_options``."""
    _fields_ = [
        ("version", c_uint),
        ("signature_version", c_int),
        ("placement", c_int),
        ("method", c_char_p),
        ("nonce", c_char_p),
        ("timestamp", c_char_p),
        ("v1_legacy_signature_type", c_int),
    ]


class ClientOptions(Structure):
    """``slbcert_client_options``."""
    _fields_ = [
        ("version", c_uint),
        ("region_id", c_char_p),
        ("endpoint", c_char_p),
        ("credentials", CredentialsP),
        ("signature_version", c_int),
        ("placement", c_int),
        ("ca_bundle", c_char_p),
        ("proxy", c_char_p),
        ("insecure_skip_tls_verification", c_int),
        ("connect_timeout_ms", c_long),
        ("request_timeout_ms", c_long),
        ("upload_timeout_ms", c_long),
        ("max_attempts", c_int),
        ("deadline_ms", c_long),
        ("user_agent_suffix", c_char_p),
        ("log_fn", LOG_FN),
        ("log_user_data", c_void_p),
        ("log_level", c_int),
        ("upload_settle_ms", c_long),
    ]


class UploadOptions(Structure):
    """``slbcert_upload_options``."""
    _fields_ = [
        ("version", c_uint),
        ("name", c_char_p),
        ("resource_group_id", c_char_p),
        ("tag_keys", StringArray),
        ("tag_values", StringArray),
        ("tag_count", c_size_t),
        ("no_ensure", c_int),
        ("send_as_is", c_int),
    ]


class DescribeOptions(Structure):
    """``slbcert_describe_options``."""
    _fields_ = [
        ("version", c_uint),
        ("server_certificate_id", c_char_p),
        ("resource_group_id", c_char_p),
        ("tag_keys", StringArray),
        ("tag_values", StringArray),
        ("tag_count", c_size_t),
    ]


class DeployOptions(Structure):
    """``slbcert_deploy_options``."""
    _fields_ = [
        ("version", c_uint),
        ("replace_ids", StringArray),
        ("replace_count", c_size_t),
        ("load_balancer_ids", StringArray),
        ("load_balancer_count", c_size_t),
        ("delete_old", c_int),
        ("verify_tls", c_int),
        ("force_managed", c_int),
        ("dry_run", c_int),
        ("journal_path", c_char_p),
        ("name", c_char_p),
        ("busy_timeout_ms", c_long),
        ("rollback_timeout_ms", c_long),
        ("reference_timeout_ms", c_long),
        ("tls_timeout_ms", c_long),
    ]


CHECK_OPTIONS_VERSION = 1
SIGN_OPTIONS_VERSION = 1
CLIENT_OPTIONS_VERSION = 2
UPLOAD_OPTIONS_VERSION = 1
DESCRIBE_OPTIONS_VERSION = 1
DEPLOY_OPTIONS_VERSION = 1

SEVERITY_WARNING = 1
SEVERITY_ERROR = 2
SIGNATURE_V1 = 1
SIGNATURE_V3 = 3
PLACEMENT_BODY = 0
PLACEMENT_QUERY = 1


# ------------------------------------------------------------------------------------------------
# Loading

def _candidates() -> List[Tuple[str, str]]:
    """(how it was found, what to pass to CDLL), in the order they are tried."""
    found: List[Tuple[str, str]] = []
    explicit = os.environ.get(LIBRARY_ENV)
    if explicit:
        found.append((f"${LIBRARY_ENV}", explicit))
    found.append(("next to the package", os.path.join(os.path.dirname(os.path.abspath(__file__)), SONAME)))
    by_name = ctypes.util.find_library("slbcert")
    if by_name:
        found.append(('ctypes.util.find_library("slbcert")', by_name))
    found.append(("the SONAME", SONAME))
    return found


def _load() -> Tuple[ctypes.CDLL, str]:
    tried: List[str] = []
    explicit_failed = False
    for how, target in _candidates():
        if how == "next to the package" and not os.path.exists(target):
            tried.append(f"{target} ({how}): no such file")
            continue
        try:
            library = ctypes.CDLL(target)
        except OSError as exc:
            tried.append(f"{target} ({how}): {exc}")
            explicit_failed = explicit_failed or how.startswith("$")
            continue
        if not hasattr(library, "slbcert_version_number"):
            tried.append(f"{target} ({how}): loads, but is not libslbcert (no slbcert_version_number)")
            explicit_failed = explicit_failed or how.startswith("$")
            continue
        if explicit_failed:
            warnings.warn(f"{LIBRARY_ENV} could not be loaded; using {target} ({how}) instead: {tried[0]}",
                          RuntimeWarning, stacklevel=3)
        return library, target
    raise ImportError("slbcert: could not load the C library libslbcert.so.1. Tried:\n  "
                      + "\n  ".join(tried)
                      + f"\nInstall libslbcert1, or set {LIBRARY_ENV} to the path of libslbcert.so.1.")


# ------------------------------------------------------------------------------------------------
# errcheck functions

def _text(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("utf-8", errors="replace")


def error_from_last(status: int) -> errors.SlbcertError:
    """The exception for ``status``, with this thread's last-error details (read right away).

    The getters used here are declared with non-raising errchecks, so this never recurses.
    """
    return errors.from_status(
        status,
        name=lib.slbcert_error_name(status) or "SLBCERT_UNKNOWN",
        message=lib.slbcert_last_error_message() or "",
        hint=lib.slbcert_last_error_hint() or "",
        code=lib.slbcert_last_error_service_code() or "",
        request_id=lib.slbcert_last_error_request_id() or "",
        host_id=lib.slbcert_last_error_host_id() or "",
        recommend=lib.slbcert_last_error_recommend() or "",
        http_status=lib.slbcert_last_error_http_status(),
        transport_code=lib.slbcert_last_error_transport_code(),
        reason=lib.slbcert_last_error_reason() or "",
        argument=lib.slbcert_last_error_argument() or "",
        status_text=lib.slbcert_strerror(status) or "",
    )


def _check_status(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """A negative ``int`` status raises; ``SLBCERT_OK`` comes back as 0."""
    if result < 0:
        raise error_from_last(result)
    return result


def _check_text(result: Optional[bytes], func: Any, args: Tuple[Any, ...]) -> Optional[str]:
    """A borrowed string, copied and decoded; NULL is ``None``."""
    return _text(result)


def _check_text_or_error(result: Optional[bytes], func: Any, args: Tuple[Any, ...]) -> Optional[str]:
    """Like :func:`_check_text`, but NULL with a recorded failure on this thread raises it."""
    if result is None:
        status = lib.slbcert_last_error_status()
        if status < 0:
            raise error_from_last(status)
    return _text(result)


def _check_secret(result: Optional[int], func: Any, args: Tuple[Any, ...]) -> Optional[bytearray]:
    """A borrowed secret string copied straight into a ``bytearray`` (no immutable copy on the way)."""
    if not result:
        return None
    length = _strlen(result)
    return bytearray((c_char * length).from_address(result))


def _check_value(result: Any, func: Any, args: Tuple[Any, ...]) -> Any:
    """Counts, flags, sizes, times and borrowed sub-handles come back as they are."""
    return result


def _check_void(result: None, func: Any, args: Tuple[Any, ...]) -> None:
    return None


# ------------------------------------------------------------------------------------------------
# The table: (name, restype, argtypes, errcheck). Every function of include/slbcert.h, in its order.

_STATUS, _TEXT, _VALUE, _VOID = _check_status, _check_text, _check_value, _check_void
_cchar_pp = POINTER(c_char_p)

FUNCTIONS: Sequence[Tuple[str, Any, List[Any], Callable[..., Any]]] = (
    # Version
    ("slbcert_version", c_char_p, [], _TEXT),
    ("slbcert_version_number", c_int, [], _VALUE),
    # Status codes and the last error
    ("slbcert_strerror", c_char_p, [c_int], _TEXT),
    ("slbcert_error_name", c_char_p, [c_int], _TEXT),
    ("slbcert_last_error_status", c_int, [], _VALUE),
    ("slbcert_last_error_message", c_char_p, [], _TEXT),
    ("slbcert_last_error_hint", c_char_p, [], _TEXT),
    ("slbcert_last_error_service_code", c_char_p, [], _TEXT),
    ("slbcert_last_error_request_id", c_char_p, [], _TEXT),
    ("slbcert_last_error_host_id", c_char_p, [], _TEXT),
    ("slbcert_last_error_recommend", c_char_p, [], _TEXT),
    ("slbcert_last_error_http_status", c_int, [], _VALUE),
    ("slbcert_last_error_transport_code", c_int, [], _VALUE),
    ("slbcert_last_error_reason", c_char_p, [], _TEXT),
    ("slbcert_last_error_argument", c_char_p, [], _TEXT),
    ("slbcert_last_error_clear", None, [], _VOID),
    ("slbcert_string_free", None, [c_void_p], _VOID),
    # char **out is a void ** here: the address must survive to be passed to slbcert_string_free.
    ("slbcert_redact", c_int, [POINTER(c_void_p), c_char_p, c_size_t], _STATUS),
    # Bundles
    ("slbcert_check_options_init", c_int, [POINTER(CheckOptions), c_uint], _STATUS),
    ("slbcert_max_input_bytes", c_size_t, [], _VALUE),
    ("slbcert_bundle_parse", c_int,
     [POINTER(BundleP), c_char_p, c_size_t, c_char_p, c_size_t, c_char_p, c_size_t, POINTER(CheckOptions)],
     _STATUS),
    ("slbcert_bundle_free", None, [BundleP], _VOID),
    ("slbcert_bundle_has_errors", c_int, [BundleP], _VALUE),
    ("slbcert_bundle_finding_count", c_size_t, [BundleP], _VALUE),
    ("slbcert_bundle_finding", c_int, [BundleP, c_size_t, POINTER(c_int), _cchar_pp, _cchar_pp], _STATUS),
    ("slbcert_bundle_chain_length", c_size_t, [BundleP], _VALUE),
    ("slbcert_bundle_certificate", CertificateP, [BundleP, c_size_t], _VALUE),
    ("slbcert_bundle_has_key", c_int, [BundleP], _VALUE),
    ("slbcert_bundle_key_algorithm", c_char_p, [BundleP], _TEXT),
    ("slbcert_bundle_key_bits", c_int, [BundleP], _VALUE),
    ("slbcert_bundle_normalized_certificate_pem", c_char_p, [BundleP], _TEXT),
    ("slbcert_bundle_normalized_private_key_pem", c_void_p, [BundleP], _check_secret),
    ("slbcert_certificate_fingerprint", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_fingerprint_sha256", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_common_name", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_subject", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_issuer", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_serial", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_not_before", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_not_before_ms", c_int64, [CertificateP], _VALUE),
    ("slbcert_certificate_not_after", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_not_after_ms", c_int64, [CertificateP], _VALUE),
    ("slbcert_certificate_dns_name_count", c_size_t, [CertificateP], _VALUE),
    ("slbcert_certificate_dns_name", c_char_p, [CertificateP, c_size_t], _TEXT),
    ("slbcert_certificate_ip_address_count", c_size_t, [CertificateP], _VALUE),
    ("slbcert_certificate_ip_address", c_char_p, [CertificateP, c_size_t], _TEXT),
    ("slbcert_certificate_key_algorithm", c_char_p, [CertificateP], _TEXT),
    ("slbcert_certificate_key_bits", c_int, [CertificateP], _VALUE),
    ("slbcert_certificate_is_ca", c_int, [CertificateP], _VALUE),
    ("slbcert_certificate_is_self_signed", c_int, [CertificateP], _VALUE),
    # Credentials
    ("slbcert_credentials_new_static", c_int, [POINTER(CredentialsP), c_char_p, c_char_p, c_char_p], _STATUS),
    ("slbcert_credentials_new_profile", c_int, [POINTER(CredentialsP), c_char_p], _STATUS),
    ("slbcert_credentials_new_default", c_int, [POINTER(CredentialsP)], _STATUS),
    ("slbcert_credentials_free", None, [CredentialsP], _VOID),
    ("slbcert_credentials_source", c_char_p, [CredentialsP], _TEXT),
    ("slbcert_credentials_access_key_id", c_char_p, [CredentialsP], _check_text_or_error),
    ("slbcert_credentials_region", c_char_p, [CredentialsP], _TEXT),
    # Signing
    ("slbcert_sign_options_init", c_int, [POINTER(SignOptions), c_uint], _STATUS),
    ("slbcert_sign", c_int,
     [POINTER(SignedRequestP), CredentialsP, c_char_p, c_char_p, c_char_p, StringArray, StringArray, c_size_t,
      POINTER(SignOptions)],
     _STATUS),
    ("slbcert_signed_request_free", None, [SignedRequestP], _VOID),
    ("slbcert_signed_request_method", c_char_p, [SignedRequestP], _TEXT),
    ("slbcert_signed_request_path_and_query", c_char_p, [SignedRequestP], _TEXT),
    ("slbcert_signed_request_header_count", c_size_t, [SignedRequestP], _VALUE),
    ("slbcert_signed_request_header", c_int, [SignedRequestP, c_size_t, _cchar_pp, _cchar_pp], _STATUS),
    # The body may hold a private key: it is read as bytes (address + length), not decoded here.
    ("slbcert_signed_request_body", c_void_p, [SignedRequestP], _VALUE),
    ("slbcert_signed_request_body_length", c_size_t, [SignedRequestP], _VALUE),
    ("slbcert_signed_request_string_to_sign", c_char_p, [SignedRequestP], _TEXT),
    ("slbcert_signed_request_signature", c_char_p, [SignedRequestP], _TEXT),
    # Client
    ("slbcert_client_options_init", c_int, [POINTER(ClientOptions), c_uint], _STATUS),
    ("slbcert_client_option_range", c_int, [c_char_p, POINTER(c_long), POINTER(c_long), POINTER(c_long)], _STATUS),
    ("slbcert_client_new", c_int, [POINTER(ClientP), POINTER(ClientOptions)], _STATUS),
    ("slbcert_client_free", None, [ClientP], _VOID),
    ("slbcert_client_endpoint", c_char_p, [ClientP], _TEXT),
    ("slbcert_client_region", c_char_p, [ClientP], _TEXT),
    ("slbcert_upload_options_init", c_int, [POINTER(UploadOptions), c_uint], _STATUS),
    ("slbcert_client_upload", c_int, [POINTER(UploadResultP), ClientP, BundleP, POINTER(UploadOptions)], _STATUS),
    ("slbcert_client_upload_cas", c_int,
     [POINTER(UploadResultP), ClientP, c_char_p, c_char_p, c_char_p, POINTER(UploadOptions)], _STATUS),
    ("slbcert_upload_result_free", None, [UploadResultP], _VOID),
    ("slbcert_upload_result_certificate", ServerCertificateP, [UploadResultP], _VALUE),
    ("slbcert_upload_result_uploaded", c_int, [UploadResultP], _VALUE),
    ("slbcert_upload_result_region_certificates", CertificateListP, [UploadResultP], _VALUE),
    ("slbcert_upload_result_outcome", c_int, [UploadResultP], _VALUE),
    ("slbcert_upload_result_removed_count", c_size_t, [UploadResultP], _VALUE),
    ("slbcert_upload_result_removed", c_char_p, [UploadResultP, c_size_t], _TEXT),
    ("slbcert_upload_result_duplicate_count", c_size_t, [UploadResultP], _VALUE),
    ("slbcert_upload_result_duplicate", c_char_p, [UploadResultP, c_size_t], _TEXT),
    ("slbcert_describe_options_init", c_int, [POINTER(DescribeOptions), c_uint], _STATUS),
    ("slbcert_client_describe", c_int, [POINTER(CertificateListP), ClientP, POINTER(DescribeOptions)], _STATUS),
    ("slbcert_client_rename", c_int, [ClientP, c_char_p, c_char_p], _STATUS),
    ("slbcert_client_delete", c_int, [ClientP, c_char_p], _STATUS),
    ("slbcert_certificate_list_free", None, [CertificateListP], _VOID),
    ("slbcert_certificate_list_count", c_size_t, [CertificateListP], _VALUE),
    ("slbcert_certificate_list_get", ServerCertificateP, [CertificateListP, c_size_t], _VALUE),
    ("slbcert_certificate_list_request_id", c_char_p, [CertificateListP], _TEXT),
    ("slbcert_server_certificate_id", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_name", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_fingerprint", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_common_name", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_san_count", c_size_t, [ServerCertificateP], _VALUE),
    ("slbcert_server_certificate_san", c_char_p, [ServerCertificateP, c_size_t], _TEXT),
    ("slbcert_server_certificate_create_time", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_create_time_ms", c_int64, [ServerCertificateP], _VALUE),
    ("slbcert_server_certificate_expire_time", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_expire_time_ms", c_int64, [ServerCertificateP], _VALUE),
    ("slbcert_server_certificate_is_alicloud", c_int, [ServerCertificateP], _VALUE),
    ("slbcert_server_certificate_alicloud_id", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_alicloud_name", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_region_id", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_region_id_alias", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_resource_group_id", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_request_id", c_char_p, [ServerCertificateP], _TEXT),
    ("slbcert_server_certificate_tag_count", c_size_t, [ServerCertificateP], _VALUE),
    ("slbcert_server_certificate_tag", c_int, [ServerCertificateP, c_size_t, _cchar_pp, _cchar_pp], _STATUS),
    ("slbcert_server_certificate_days_left", c_int, [ServerCertificateP, c_int64, POINTER(c_int64)], _STATUS),
    ("slbcert_client_expiring", c_int, [POINTER(CertificateListP), ClientP, c_int, c_int64], _STATUS),
    # Deploy
    ("slbcert_deploy_options_init", c_int, [POINTER(DeployOptions), c_uint], _STATUS),
    ("slbcert_deploy_option_range", c_int, [c_char_p, POINTER(c_long), POINTER(c_long), POINTER(c_long)], _STATUS),
    ("slbcert_client_deploy", c_int, [POINTER(DeployReportP), ClientP, BundleP, POINTER(DeployOptions)], _STATUS),
    ("slbcert_client_rollback", c_int, [POINTER(DeployReportP), ClientP, c_char_p], _STATUS),
    ("slbcert_deploy_report_free", None, [DeployReportP], _VOID),
    ("slbcert_deploy_report_outcome", c_int, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_outcome_name", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_certificate_id", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_certificate_fingerprint", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_certificate_uploaded", c_int, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_replaced_count", c_size_t, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_replaced", c_char_p, [DeployReportP, c_size_t], _TEXT),
    ("slbcert_deploy_report_binding_count", c_size_t, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_binding", c_int,
     [DeployReportP, c_size_t, _cchar_pp, POINTER(c_long), _cchar_pp, _cchar_pp, _cchar_pp, _cchar_pp, POINTER(c_int)],
     _STATUS),
    ("slbcert_deploy_report_verified_count", c_size_t, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_verified", c_int,
     [DeployReportP, c_size_t, _cchar_pp, POINTER(c_long), _cchar_pp, _cchar_pp, POINTER(c_int)], _STATUS),
    ("slbcert_deploy_report_deleted_count", c_size_t, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_deleted", c_char_p, [DeployReportP, c_size_t], _TEXT),
    ("slbcert_deploy_report_journal", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_drift_count", c_size_t, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_drift", c_int,
     [DeployReportP, c_size_t, _cchar_pp, POINTER(c_long), _cchar_pp, _cchar_pp, _cchar_pp, POINTER(c_int)], _STATUS),
    ("slbcert_deploy_report_warning_count", c_size_t, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_warning", c_char_p, [DeployReportP, c_size_t], _TEXT),
    ("slbcert_deploy_report_failure_status", c_int, [DeployReportP], _VALUE),
    ("slbcert_deploy_report_failure_message", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_failure_service_code", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_failure_reason", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_failure_request_id", c_char_p, [DeployReportP], _TEXT),
    ("slbcert_deploy_report_json", c_char_p, [DeployReportP], _TEXT),
)


class _Library:
    """The loaded library with every function of :data:`FUNCTIONS` as an attribute."""

    if TYPE_CHECKING:  # every slbcert_* attribute is set from FUNCTIONS at load time
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self.cdll = cdll
        self.path = path
        missing = []
        for name, restype, argtypes, errcheck in FUNCTIONS:
            try:
                function = getattr(cdll, name)
            except AttributeError:
                missing.append(name)
                continue
            function.restype = restype
            function.argtypes = argtypes
            function.errcheck = errcheck
            setattr(self, name, function)
        if missing:
            raise ImportError(f"slbcert: {path} lacks {', '.join(missing)}: it is not a compatible libslbcert.so.1")


_cdll, library_path = _load()

_libc = ctypes.CDLL(None)
_strlen = _libc.strlen
_strlen.restype, _strlen.argtypes = c_size_t, [c_void_p]

lib = _Library(_cdll, library_path)


def _check_version() -> None:
    number = lib.slbcert_version_number()
    major, minor = number // 10000, number // 100 % 100
    if major != BINDING_VERSION[0] or minor < BINDING_VERSION[1]:
        wanted = ".".join(map(str, BINDING_VERSION))
        raise ImportError(f"slbcert: {library_path} is version {lib.slbcert_version()} ({number}); this binding "
                          f"({wanted}) needs {BINDING_VERSION[0]}.{BINDING_VERSION[1]} or a later {BINDING_VERSION[0]}.x")


_check_version()


def _number_the_exceptions() -> None:
    """Each exception class learns its status number from the library, by the enum's name."""
    for status in range(0, -64, -1):
        cls = errors.CLASSES.get(lib.slbcert_error_name(status) or "")
        if cls is not None:
            cls.STATUS = status


_number_the_exceptions()


# ------------------------------------------------------------------------------------------------
# Handles: deterministic freeing, and no free while another thread uses the handle.

class Handle:
    """Owns one C handle: ``use()`` lends it for a call, ``close()`` frees it once no call holds it.

    A ``weakref.finalize`` on the owning Python object calls :meth:`close` when the object is
    collected, so a handle is freed even without ``with`` or ``close()``. Closing from inside a
    call on the same handle (e.g. from a client's log callback) raises instead of deadlocking.
    """

    __slots__ = ("_pointer", "_free", "_lock", "_idle", "_users", "_closed", "_kind", "__weakref__")

    def __init__(self, pointer: Any, free: Callable[[Any], None], kind: str) -> None:
        self._pointer = pointer
        self._free = free
        self._kind = kind
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._users: Dict[int, int] = {}  # thread id -> calls in progress on that thread
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        """True while a call holds the handle."""
        return bool(self._users)

    def use(self) -> "_Use":
        return _Use(self)

    def _acquire(self) -> Any:
        me = threading.get_ident()
        with self._lock:
            if self._closed:
                raise ValueError(f"the {self._kind} is closed")
            self._users[me] = self._users.get(me, 0) + 1
            return self._pointer

    def _release(self) -> None:
        me = threading.get_ident()
        with self._lock:
            left = self._users[me] - 1
            if left:
                self._users[me] = left
            else:
                del self._users[me]
                if not self._users:
                    self._idle.notify_all()

    def check_closable(self) -> None:
        """Raise ``RuntimeError`` when this thread is inside a call on the handle (closing would deadlock)."""
        if threading.get_ident() in self._users:
            raise RuntimeError(f"the {self._kind} cannot be closed from inside a call on it "
                               "(a log callback must not call back into its client)")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.check_closable()
            self._closed = True
            while self._users:
                self._idle.wait()
            pointer, self._pointer = self._pointer, None
        self._free(pointer)


_Owner = TypeVar("_Owner", bound="HandleOwner")


class HandleOwner:
    """``close()``, ``closed`` and ``with`` for the public classes that own one :class:`Handle`.

    A subclass sets ``self._handle`` and ``self._finalizer`` (the ``weakref.finalize`` that frees it).
    """

    _handle: Handle
    _finalizer: Any

    def close(self) -> None:
        """Free the C handle now (waiting for calls running in other threads); idempotent."""
        self._handle.check_closable()  # before the finalizer, which disarms itself when called
        self._finalizer()

    @property
    def closed(self) -> bool:
        """``True`` once :meth:`close` has freed the C handle; any other use then raises ``ValueError``."""
        return self._handle.closed

    def __enter__(self: _Owner) -> _Owner:
        """``with`` gives the object itself and closes it when the block ends."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """:meth:`close` the object, whether the block ended normally or by an exception."""
        self.close()


class _Use:
    __slots__ = ("_handle",)

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    def __enter__(self) -> Any:
        return self._handle._acquire()

    def __exit__(self, *exc: Any) -> None:
        self._handle._release()


# ------------------------------------------------------------------------------------------------
# Argument helpers

def cstr(value: Any, what: str) -> Optional[bytes]:
    """``None``, or ``str``/``bytes``/``os.PathLike`` as NUL-free UTF-8 bytes for a ``const char *``."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{what} contains a NUL character")
    return data


def string_array(values: Sequence[Optional[bytes]]) -> Any:
    """A ``const char *const *`` array (it keeps its items alive)."""
    return (c_char_p * max(1, len(values)))(*values)


class SecretBuffer:
    """Secret input passed as pointer + length, and wiped after use where the binding made the copy.

    * ``bytes`` are lent as they are (immutable memory of the caller's that nothing can wipe);
    * a ``bytearray`` is lent without a copy (it stays the caller's to wipe);
    * ``str`` is encoded to UTF-8 once (a ``str`` cannot be wiped: prefer ``bytearray``);
    * other buffers, and anything that needs a terminating NUL, are copied into memory that
      :meth:`wipe` zeroes.

    Use it as a context manager around the call that reads it.
    """

    def __init__(self, value: Any, what: str, nul_terminated: bool = False) -> None:
        self._owned: Optional[bytearray] = None
        self._array: Any = None
        self.pointer: Any = None
        self.length = 0
        if value is None:
            return
        if isinstance(value, str):
            value = value.encode("utf-8")
        if isinstance(value, bytes):
            if nul_terminated and b"\0" in value:
                raise ValueError(f"{what} contains a NUL character")
            self.pointer, self.length = value, len(value)
            return
        if not isinstance(value, (bytearray, memoryview)):
            raise TypeError(f"{what} must be bytes, bytearray or str, not {type(value).__name__}")
        with memoryview(value) as raw, raw.cast("B") as view:
            length = view.nbytes
            if isinstance(value, bytearray) and not nul_terminated:
                buffer = value
            else:
                buffer = self._owned = bytearray(length + (1 if nul_terminated else 0))
                buffer[:length] = view
                if nul_terminated and buffer.find(0, 0, length) != -1:
                    self.wipe()
                    raise ValueError(f"{what} contains a NUL character")
        self.length = length
        if len(buffer):
            self._array = (c_char * len(buffer)).from_buffer(buffer)
            self.pointer = self._array
        else:
            self.pointer = b""

    def wipe(self) -> None:
        """Zero the copy this buffer made (if any) and drop every reference."""
        if self._owned is not None and self._array is not None:
            ctypes.memset(self._array, 0, len(self._owned))
        elif self._owned is not None:
            self._owned[:] = bytes(len(self._owned))
        self._array = None
        self._owned = None
        self.pointer = None

    def __enter__(self) -> "SecretBuffer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wipe()
