"""The SLB certificate client: upload (duplicate-safe), describe, rename, delete."""

from __future__ import annotations

import ctypes
import enum
import logging
import os
import weakref
from contextlib import nullcontext
from ctypes import byref, c_char_p, c_long
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi
from ._ffi import HandleOwner, lib
from .bundle import Bundle, datetime_from_ms, ms_from_datetime
from .credentials import Credentials, SecretInput
from .deploy import DeployOutcome, DeployReport
from .errors import DeployFailedError, InvalidArgument, RefusedError, ValidationError
from .signing import placement_code, signature_version_code

__all__ = ["Client", "ServerCertificate", "CertificateList", "UploadResult", "UploadOutcome", "LogLevel"]
# DeployReport and its parts live in slbcert.deploy.

Tags = Union[Mapping[str, str], Sequence[Tuple[str, str]]]
#: Describe filters: a value of None matches any value of the key.
TagFilter = Union[Mapping[str, Optional[str]], Sequence[Tuple[str, Optional[str]]]]


class LogLevel(enum.IntEnum):
    """Levels of the lines passed to a client's ``log`` callable (``slbcert_log_level``)."""
    ERROR = 1
    WARNING = 2
    INFO = 3  #: one line per attempt: action, endpoint, status, code, RequestId, duration
    DEBUG = 4


_PYTHON_LEVELS = {LogLevel.ERROR: logging.ERROR, LogLevel.WARNING: logging.WARNING,
                  LogLevel.INFO: logging.INFO, LogLevel.DEBUG: logging.DEBUG}


@dataclass(frozen=True)
class ServerCertificate:
    """A server certificate as the service describes it.

    Attributes:
        id: ServerCertificateId.
        name: ServerCertificateName.
        fingerprint: the service's Fingerprint (SHA-1, lower-case hex with ``:``).
        common_name: CommonName.
        subject_alternative_names: SubjectAlternativeNames.
        create_time: CreateTime as an aware UTC datetime (``None`` when the service sent none).
        create_time_ms: CreateTimeStamp, milliseconds since the epoch (0 when none).
        expire_time: ExpireTime as an aware UTC datetime (``None`` when none).
        expire_time_ms: ExpireTimeStamp (0 when none).
        create_time_text: CreateTime as the service wrote it.
        expire_time_text: ExpireTime as the service wrote it.
        is_alicloud: whether it references a Certificate Management Service certificate.
        alicloud_certificate_id: AliCloudCertificateId, or ``""``.
        alicloud_certificate_name: AliCloudCertificateName, or ``""``.
        region_id: RegionId.
        region_id_alias: RegionIdAlias.
        resource_group_id: ResourceGroupId.
        tags: the tags, key to value.
        request_id: the RequestId of the call that returned it.
    """
    id: str
    name: str
    fingerprint: str
    common_name: str
    subject_alternative_names: Tuple[str, ...]
    create_time: Optional[datetime]
    create_time_ms: int
    expire_time: Optional[datetime]
    expire_time_ms: int
    create_time_text: str
    expire_time_text: str
    is_alicloud: bool
    alicloud_certificate_id: str
    alicloud_certificate_name: str
    region_id: str
    region_id_alias: str
    resource_group_id: str
    tags: Dict[str, str] = field(hash=False)
    request_id: str = field(compare=False)

    @classmethod
    def _read(cls, pointer: Any) -> "ServerCertificate":
        tags: Dict[str, str] = {}
        for index in range(lib.slbcert_server_certificate_tag_count(pointer)):
            key, value = c_char_p(), c_char_p()
            lib.slbcert_server_certificate_tag(pointer, index, byref(key), byref(value))
            tags[(key.value or b"").decode("utf-8", "replace")] = (value.value or b"").decode("utf-8", "replace")
        create_ms = lib.slbcert_server_certificate_create_time_ms(pointer)
        expire_ms = lib.slbcert_server_certificate_expire_time_ms(pointer)
        return cls(
            id=lib.slbcert_server_certificate_id(pointer) or "",
            name=lib.slbcert_server_certificate_name(pointer) or "",
            fingerprint=lib.slbcert_server_certificate_fingerprint(pointer) or "",
            common_name=lib.slbcert_server_certificate_common_name(pointer) or "",
            subject_alternative_names=tuple(lib.slbcert_server_certificate_san(pointer, i) or ""
                                            for i in range(lib.slbcert_server_certificate_san_count(pointer))),
            create_time=datetime_from_ms(create_ms) if create_ms else None,
            create_time_ms=create_ms,
            expire_time=datetime_from_ms(expire_ms) if expire_ms else None,
            expire_time_ms=expire_ms,
            create_time_text=lib.slbcert_server_certificate_create_time(pointer) or "",
            expire_time_text=lib.slbcert_server_certificate_expire_time(pointer) or "",
            is_alicloud=lib.slbcert_server_certificate_is_alicloud(pointer) == 1,
            alicloud_certificate_id=lib.slbcert_server_certificate_alicloud_id(pointer) or "",
            alicloud_certificate_name=lib.slbcert_server_certificate_alicloud_name(pointer) or "",
            region_id=lib.slbcert_server_certificate_region_id(pointer) or "",
            region_id_alias=lib.slbcert_server_certificate_region_id_alias(pointer) or "",
            resource_group_id=lib.slbcert_server_certificate_resource_group_id(pointer) or "",
            tags=tags,
            request_id=lib.slbcert_server_certificate_request_id(pointer) or "",
        )


def _read_list(pointer: Any) -> List[ServerCertificate]:
    return [ServerCertificate._read(lib.slbcert_certificate_list_get(pointer, index))
            for index in range(lib.slbcert_certificate_list_count(pointer))]


class CertificateList(Sequence[ServerCertificate]):
    """The certificates of one describe, read from the library only when they are looked at.

    A region can hold hundreds of certificates and a caller often wants one or two, so each is
    turned into a :class:`ServerCertificate` on first access; the C list is freed with this object.
    Compares equal to a list or tuple with the same certificates.
    """

    def __init__(self, pointer: Any) -> None:
        self._pointer = pointer
        self._items: List[Optional[ServerCertificate]] = [None] * lib.slbcert_certificate_list_count(pointer)
        #: The RequestId of the describe.
        self.request_id: str = lib.slbcert_certificate_list_request_id(pointer) or ""
        weakref.finalize(self, lib.slbcert_certificate_list_free, pointer)

    def __len__(self) -> int:
        """How many certificates the describe returned."""
        return len(self._items)

    def _item(self, index: int) -> ServerCertificate:
        item = self._items[index]
        if item is None:
            item = ServerCertificate._read(lib.slbcert_certificate_list_get(self._pointer, index % len(self._items)))
            self._items[index] = item
        return item

    def __getitem__(self, index: Any) -> Any:
        """The :class:`ServerCertificate` at ``index`` (a list of them for a slice), read on first access."""
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self._items)))]
        return self._item(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, CertificateList)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CertificateList({list(self)!r})"


class UploadOutcome(str, enum.Enum):
    """How an upload ended (``slbcert_upload_outcome``)."""
    UPLOADED = "uploaded"    #: this call stored the certificate
    FOUND = "found"          #: a copy was already stored (or an earlier attempt of this call stored it)
    CONVERGED = "converged"  #: this call stored a copy, found an older one of another caller, removed its own

    def __str__(self) -> str:
        return self.value


_OUTCOMES = {1: UploadOutcome.UPLOADED, 2: UploadOutcome.FOUND, 3: UploadOutcome.CONVERGED}


@dataclass(frozen=True)
class UploadResult:
    """What an upload did.

    Attributes:
        certificate: the stored certificate every caller agrees on (the oldest copy with the fingerprint).
        outcome: how the upload ended (:class:`UploadOutcome`).
        uploaded: ``True`` when the returned certificate is the one this call stored.
        removed: ids of the copies this call stored and then deleted while converging.
        duplicates: ids of other copies with the same fingerprint still stored, which this call did not
            create and so left alone.
        region_certificates: every certificate the account holds in the region, from the duplicate
            check (empty when the check was skipped: ``ensure=False`` or a CAS upload).
    """
    certificate: ServerCertificate
    outcome: UploadOutcome
    removed: Tuple[str, ...]
    duplicates: Tuple[str, ...]
    region_certificates: Tuple[ServerCertificate, ...] = field(repr=False)

    @property
    def uploaded(self) -> bool:
        """``True`` when the returned certificate is the one this call stored (``outcome`` is UPLOADED)."""
        return self.outcome is UploadOutcome.UPLOADED

    @classmethod
    def _read(cls, pointer: Any) -> "UploadResult":
        return cls(certificate=ServerCertificate._read(lib.slbcert_upload_result_certificate(pointer)),
                   outcome=_OUTCOMES[lib.slbcert_upload_result_outcome(pointer)],
                   removed=tuple(lib.slbcert_upload_result_removed(pointer, i) or ""
                                 for i in range(lib.slbcert_upload_result_removed_count(pointer))),
                   duplicates=tuple(lib.slbcert_upload_result_duplicate(pointer, i) or ""
                                    for i in range(lib.slbcert_upload_result_duplicate_count(pointer))),
                   region_certificates=tuple(_read_list(lib.slbcert_upload_result_region_certificates(pointer))))


def _tag_arrays(tags: Optional[TagFilter], describe: bool) -> Tuple[Any, Any, int]:
    if not tags:
        return None, None, 0
    items = list(tags.items() if isinstance(tags, Mapping) else tags)
    keys = [_ffi.cstr(k, "tag key") for k, _ in items]
    # In a describe filter, a tag without value (None) matches any value: the library sends no Tag.N.Value.
    values = [_ffi.cstr("" if (v is None and describe) else v, f"tag {k!r} value") for k, v in items]
    if any(v is None for v in values):
        raise ValueError("upload tags need a value for every key")
    return _ffi.string_array(keys), _ffi.string_array(values), len(items)


_LONG_MIN, _LONG_MAX = -(2 ** (8 * ctypes.sizeof(c_long) - 1)), 2 ** (8 * ctypes.sizeof(c_long) - 1) - 1
_INT_MIN, _INT_MAX = -(2 ** 31), 2 ** 31 - 1


def _milliseconds(seconds: Optional[float]) -> int:
    """Seconds as the C option's milliseconds: ``None`` is 0 (the library's default); any other value
    goes to the library to be range-checked, never clamped into range here (0 ms and less, NaN and
    values no C long holds become a value the library refuses)."""
    if seconds is None:
        return 0
    value = float(seconds) * 1000
    if value != value:  # NaN
        return -1
    if value >= _LONG_MAX:
        return _LONG_MAX
    if value <= _LONG_MIN:
        return _LONG_MIN
    return int(round(value)) or -1


def _count(value: Optional[int]) -> int:
    if value is None:
        return 0
    return max(_INT_MIN, min(_INT_MAX, int(value))) or -1


# The C fields of slbcert_client_options and the keywords that feed them; seconds for the times.
_KEYWORDS = {"connect_timeout_ms": "connect_timeout", "request_timeout_ms": "timeout", "upload_timeout_ms": "upload_timeout",
             "deadline_ms": "deadline", "upload_settle_ms": "upload_settle", "max_attempts": "max_attempts",
             "region_id": "region", "endpoint": "endpoint", "user_agent_suffix": "user_agent_suffix",
             "ca_bundle": "ca_bundle",
             # deploy
             "busy_timeout_ms": "busy_timeout", "rollback_timeout_ms": "rollback_timeout",
             "reference_timeout_ms": "reference_timeout", "tls_timeout_ms": "tls_timeout", "replace_ids": "replace",
             "load_balancer_ids": "load_balancers", "journal_path": "journal"}
_DEPLOY_BUDGETS = {"busy_timeout_ms", "rollback_timeout_ms", "reference_timeout_ms", "tls_timeout_ms"}
#: What to do about a refused deploy plan, in this binding's keywords (the library words it for C).
_REFUSAL_HINTS = {
    "DOMAIN_NOT_COVERED": "Deploy a certificate that also covers that domain, or leave its load balancer out "
                          "with load_balancers=.",
    "LOAD_BALANCER_NOT_IN_REGION": "Check load_balancers= and the client's region: a deploy works on the load "
                                   "balancers of its region only.",
    "CERTIFICATE_NOT_IN_REGION": "client.describe() lists the region's certificates; replace= takes ids from it.",
    "LOAD_BALANCER_LOCKED": "Unlock it first, or leave it out with load_balancers=.",
}


def _reword(error: InvalidArgument, given: Mapping[str, Any]) -> InvalidArgument:
    """The library's complaint about an option, in this binding's keywords and units."""
    keyword = _KEYWORDS.get(error.argument)
    if keyword is None:
        return error
    message = error.message
    if error.reason == "SETTING_OUT_OF_RANGE":
        default, low, high = c_long(), c_long(), c_long()
        ranges = lib.slbcert_deploy_option_range if error.argument in _DEPLOY_BUDGETS else lib.slbcert_client_option_range
        ranges(error.argument.encode(), byref(default), byref(low), byref(high))
        if error.argument.endswith("_ms"):
            message = (f"{keyword}={given.get(keyword)!r} is out of range: it must be {low.value / 1000:g} to "
                       f"{high.value / 1000:g} seconds (default {default.value / 1000:g}), or None for the default")
        else:
            message = (f"{keyword}={given.get(keyword)!r} is out of range: it must be {low.value} to {high.value} "
                       f"(default {default.value}), or None for the default")
    reworded = InvalidArgument(message, status=error.status, status_name=error.status_name, hint=error.hint,
                               reason=error.reason, argument=keyword, status_text=error.status_text)
    return reworded


LogCallable = Callable[[int, str], Any]


class Client(HandleOwner):
    """A client for one region's SLB certificate API (``slbcert_client``).

    Safe to share between threads: calls may run concurrently, each thread keeps its own
    connection. Use it as a context manager, or call :meth:`close`; a collected client is freed too.
    :meth:`close` waits for calls still running in other threads.

    Credentials: ``access_key_id`` + ``access_key_secret`` (+ ``security_token``) are used as given;
    else ``profile`` names a profile of the aliyun CLI or ini file; else the library's default chain
    (environment variables, profile files, ECS role) is resolved here.

    Args:
        region: e.g. ``"cn-hangzhou"``; ``None``: ``ALIBABA_CLOUD_REGION_ID``, then the profile's.
        endpoint: a full URL (``"https://127.0.0.1:8443"``); ``None``: derived from the region.
        profile: a credentials profile name.
        access_key_id: an AccessKeyId.
        access_key_secret: its secret (``bytearray`` recommended: wipe it yourself afterwards).
        security_token: an STS token, or ``None``.
        ca_bundle: a CA file to verify the endpoint; ``None``: ``ALIBABA_CLOUD_CA_BUNDLE``, then the system's.
        timeout: seconds for one whole request (describe/rename/delete and upload).
        connect_timeout: seconds to connect.
        max_attempts: attempts per call including the first; 1 disables retries.
        signature_version: ``"v1"`` (default) or ``"v3"``.
        placement: ``"body"`` (default: keys never in a URL) or ``"query"``.
        log: a callable receiving ``(level, line)`` (level a :class:`LogLevel`), or a
            :class:`logging.Logger`. Lines are redacted. It runs on the thread making the call and
            must not call back into this client.
        log_level: the most verbose level passed to ``log`` (default INFO).
        upload_timeout: seconds for one upload request, overriding ``timeout`` for uploads.
        deadline: seconds for one call: every attempt, wait and describe it makes.
        upload_settle: seconds after sending an upload whose answer was lost during which the service
            may still store it: no second upload is sent before they have passed.
        proxy: a proxy URL; ``None``: ``HTTPS_PROXY``/``https_proxy`` and ``NO_PROXY``.
        user_agent_suffix: appended to the User-Agent.
        insecure_skip_tls_verification: turn off TLS peer and host verification. Never in production.

    Raises:
        CredentialsError: no usable credentials.
        InvalidArgument: no region, a bad endpoint or option.
    """

    def __init__(self, region: Optional[str] = None, endpoint: Optional[str] = None, profile: Optional[str] = None,
                 access_key_id: Optional[str] = None, access_key_secret: Optional[SecretInput] = None,
                 security_token: Optional[SecretInput] = None, ca_bundle: Union[str, "os.PathLike[str]", None] = None,
                 timeout: Optional[float] = None, connect_timeout: Optional[float] = None,
                 max_attempts: Optional[int] = None, signature_version: Union[str, int] = "v1",
                 placement: Union[str, int] = "body", log: Union[LogCallable, logging.Logger, None] = None, *,
                 log_level: Union[LogLevel, int, None] = None, upload_timeout: Optional[float] = None,
                 deadline: Optional[float] = None, upload_settle: Optional[float] = None, proxy: Optional[str] = None,
                 user_agent_suffix: Optional[str] = None, insecure_skip_tls_verification: bool = False) -> None:
        options = _ffi.ClientOptions()
        lib.slbcert_client_options_init(byref(options), _ffi.CLIENT_OPTIONS_VERSION)
        options.region_id = _ffi.cstr(region, "region")
        options.endpoint = _ffi.cstr(endpoint, "endpoint")
        options.ca_bundle = _ffi.cstr(ca_bundle, "ca_bundle")
        options.proxy = _ffi.cstr(proxy, "proxy")
        options.user_agent_suffix = _ffi.cstr(user_agent_suffix, "user_agent_suffix")
        options.signature_version = signature_version_code(signature_version)
        options.placement = placement_code(placement)
        options.insecure_skip_tls_verification = 1 if insecure_skip_tls_verification else 0
        options.connect_timeout_ms = _milliseconds(connect_timeout)
        options.request_timeout_ms = _milliseconds(timeout)
        options.upload_timeout_ms = _milliseconds(upload_timeout if upload_timeout is not None else timeout)
        options.deadline_ms = _milliseconds(deadline)
        options.upload_settle_ms = _milliseconds(upload_settle)
        options.max_attempts = _count(max_attempts)
        given = {"connect_timeout": connect_timeout, "timeout": timeout, "deadline": deadline,
                 "upload_timeout": upload_timeout if upload_timeout is not None else timeout,
                 "upload_settle": upload_settle, "max_attempts": max_attempts, "region": region, "endpoint": endpoint}

        # The ctypes callback object must outlive every call the client makes: the client keeps it.
        self._log_callback: Optional[Any] = None
        if log is not None:
            self._log_callback = _ffi.LOG_FN(_log_trampoline(log))
            options.log_fn = self._log_callback
            options.log_level = int(log_level) if log_level is not None else int(LogLevel.INFO)

        credentials: Optional[Credentials] = None
        if access_key_id is not None or access_key_secret is not None:
            credentials = Credentials.static(access_key_id or "", access_key_secret or b"", security_token)
        elif profile is not None:
            credentials = Credentials.profile(profile)
        pointer = _ffi.ClientP()
        try:
            with (credentials._use() if credentials is not None else nullcontext(None)) as credentials_pointer:
                options.credentials = credentials_pointer
                try:
                    lib.slbcert_client_new(byref(pointer), byref(options))
                except InvalidArgument as error:
                    raise _reword(error, given) from None
        except BaseException:
            if credentials is not None:
                credentials.close()
            raise
        self._credentials = credentials
        self._handle = _ffi.Handle(pointer, lib.slbcert_client_free, "client")
        # Free the client first, then the credentials it borrowed (and keep the callback alive until then).
        self._finalizer = weakref.finalize(self, _close_client, self._handle, credentials, self._log_callback)
        self._endpoint = lib.slbcert_client_endpoint(pointer) or ""
        self._region = lib.slbcert_client_region(pointer) or ""

    # -- lifetime: close(), closed and `with` come from HandleOwner -------------------------------

    @property
    def endpoint(self) -> str:
        """The endpoint URL the client talks to."""
        return self._endpoint

    @property
    def region(self) -> str:
        """The region the client works in."""
        return self._region

    @property
    def credentials(self) -> Optional[Credentials]:
        """The credentials given explicitly or by profile; ``None`` when the default chain was used."""
        return self._credentials

    # -- operations -------------------------------------------------------------------------------

    def upload(self, bundle: Bundle, name: Optional[str] = None, tags: Optional[Tags] = None,
               resource_group_id: Optional[str] = None, ensure: bool = True, *, send_as_is: bool = False) -> UploadResult:
        """Upload a bundle's chain and key (``slbcert_client_upload``).

        With ``ensure`` (the default) an existing certificate with the same fingerprint is returned
        (``uploaded=False``) and nothing is uploaded; after an ambiguous failure the client looks
        for the fingerprint before trying again, so one call never leaves two copies.

        Args:
            bundle: a :class:`Bundle` with a key and no error finding.
            name: ServerCertificateName (1-80 characters, starting with a letter), or ``None``.
            tags: up to 20 tags, key to value.
            resource_group_id: the resource group, or ``None`` for the account's default.
            ensure: skip the upload when the fingerprint is already there.
            send_as_is: send the PEMs as given instead of normalised.

        Raises:
            ValidationError: the bundle has an error finding (``findings``); nothing was sent.
            ServiceError, NetworkError, TLSError, TimeoutError, CredentialsError, InvalidArgument.
        """
        if not isinstance(bundle, Bundle):
            raise TypeError(f"bundle must be a slbcert.Bundle, not {type(bundle).__name__}")
        options = self._upload_options(name, tags, resource_group_id, ensure, send_as_is)
        result = _ffi.UploadResultP()
        try:
            with self._handle.use() as client, bundle._use() as bundle_pointer:
                lib.slbcert_client_upload(byref(result), client, bundle_pointer, byref(options))
        except ValidationError as exc:
            exc.findings = bundle.errors
            raise
        return self._take_result(result)

    def upload_cas(self, cas_certificate_id: str, cas_certificate_name: Optional[str] = None,
                   cas_region_id: Optional[str] = None, name: Optional[str] = None, tags: Optional[Tags] = None,
                   resource_group_id: Optional[str] = None) -> UploadResult:
        """Upload a reference to a certificate held by Certificate Management Service (CAS).

        There is no local fingerprint, so no duplicate check: ``region_certificates`` is empty.

        Args:
            cas_certificate_id: AliCloudCertificateId.
            cas_certificate_name: AliCloudCertificateName, or ``None``.
            cas_region_id: the certificate's region in CAS, or ``None``.
            name, tags, resource_group_id: as for :meth:`upload`.
        """
        options = self._upload_options(name, tags, resource_group_id, True, False)
        result = _ffi.UploadResultP()
        with self._handle.use() as client:
            lib.slbcert_client_upload_cas(byref(result), client, _ffi.cstr(cas_certificate_id, "cas_certificate_id"),
                                          _ffi.cstr(cas_certificate_name, "cas_certificate_name"),
                                          _ffi.cstr(cas_region_id, "cas_region_id"), byref(options))
        return self._take_result(result)

    def describe(self, server_certificate_id: Optional[str] = None, resource_group_id: Optional[str] = None,
                 tags: Optional[TagFilter] = None) -> CertificateList:
        """List the region's server certificates, optionally filtered (``slbcert_client_describe``).

        The result is a sequence whose items are read from the library when first looked at.

        Args:
            server_certificate_id: only this certificate.
            resource_group_id: only this resource group.
            tags: only certificates with these tags; a value of ``None`` (or ``""``) matches any value.
        """
        options = _ffi.DescribeOptions()
        lib.slbcert_describe_options_init(byref(options), _ffi.DESCRIBE_OPTIONS_VERSION)
        options.server_certificate_id = _ffi.cstr(server_certificate_id, "server_certificate_id")
        options.resource_group_id = _ffi.cstr(resource_group_id, "resource_group_id")
        options.tag_keys, options.tag_values, options.tag_count = _tag_arrays(tags, describe=True)
        listing = _ffi.CertificateListP()
        with self._handle.use() as client:
            lib.slbcert_client_describe(byref(listing), client, byref(options))
        return CertificateList(listing)

    def expiring(self, within: Union[timedelta, int] = timedelta(days=30), now: Optional[datetime] = None) -> CertificateList:
        """The region's certificates that expire within ``within`` (or have expired), soonest first
        (``slbcert_client_expiring``): for monitoring.

        Args:
            within: a :class:`datetime.timedelta` (whole days count) or a number of days.
            now: the instant to count from (an aware ``datetime``); ``None``: the system clock.
        """
        days = within.days if isinstance(within, timedelta) else int(within)
        listing = _ffi.CertificateListP()
        with self._handle.use() as client:
            lib.slbcert_client_expiring(byref(listing), client, max(-(2 ** 31), min(2 ** 31 - 1, days)),
                                        0 if now is None else max(1, ms_from_datetime(now)))
        return CertificateList(listing)

    def rename(self, server_certificate_id: str, name: str) -> None:
        """Rename a certificate (SetServerCertificateName).

        Raises:
            ServiceError: e.g. code ``ServerCertificateId.NotFound`` for an unknown id.
            InvalidArgument: the name breaks the service's rules.
        """
        with self._handle.use() as client:
            lib.slbcert_client_rename(client, _ffi.cstr(server_certificate_id, "server_certificate_id"),
                                      _ffi.cstr(name, "name"))

    def delete(self, server_certificate_id: str) -> None:
        """Delete a certificate (DeleteServerCertificate).

        Raises:
            ServiceError: code ``CertificateAndPrivateKeyIsRefered`` when listeners use it.
        """
        with self._handle.use() as client:
            lib.slbcert_client_delete(client, _ffi.cstr(server_certificate_id, "server_certificate_id"))

    def deploy(self, bundle: Bundle, replace: Sequence[str] = (), load_balancers: Sequence[str] = (), *,
               delete_old: bool = False, verify_tls: bool = False, force_managed: bool = False, dry_run: bool = False,
               journal: Union[str, "os.PathLike[str]", None] = None, name: Optional[str] = None,
               busy_timeout: Optional[float] = None, rollback_timeout: Optional[float] = None,
               reference_timeout: Optional[float] = None, tls_timeout: Optional[float] = None) -> DeployReport:
        """Put the certificate on every HTTPS listener and SNI domain that uses one it replaces
        (``slbcert_client_deploy``).

        Uploads it duplicate-safely, switches each binding with the minimal parameters (waiting out
        busy answers), records each switch in the journal before the next, reads every switched
        listener back and, with ``verify_tls``, checks what each serves by TLS handshake. A failed
        step puts every switched binding back. A killed run is completed by calling this again.

        Args:
            bundle: a :class:`Bundle` with a key and no error finding.
            replace: ServerCertificateIds to replace; empty: every other certificate of the region whose
                names the new one covers (unless it expires later).
            load_balancers: only these LoadBalancerIds; empty: all of the region.
            delete_old: after a verified deploy, delete the replaced certificates nothing references any more.
            verify_tls: also check by TLS handshake that each listener serves the new certificate.
            force_managed: also switch instances Kubernetes' cloud controller manages.
            dry_run: plan only (outcome ``PLANNED``); upload nothing, change nothing.
            journal: the journal file; ``None``: one in the state directory (``SLBCERT_STATE_DIR``, ...).
            name: ServerCertificateName for the upload.
            busy_timeout, rollback_timeout, reference_timeout, tls_timeout: the budgets in seconds
                (``None``: the library's defaults, 180, 300, 180 and 30).

        Returns:
            A :class:`DeployReport`: ``DEPLOYED``, ``ALREADY_DEPLOYED``, ``NOTHING_TO_DEPLOY`` or ``PLANNED``.

        Raises:
            DeployFailedError: a step failed after bindings may have changed; ``.report`` is ``ROLLED_BACK``
                (everything is back) or ``PARTIAL`` (the ``FAILED`` bindings are not).
            RefusedError: the plan was refused before anything changed (``reason`` says why).
            ValidationError: the bundle has an error finding, or its leaf is not valid now.
            ServiceError, NetworkError, TLSError, TimeoutError, CredentialsError, InvalidArgument.
        """
        if not isinstance(bundle, Bundle):
            raise TypeError(f"bundle must be a slbcert.Bundle, not {type(bundle).__name__}")
        options = _ffi.DeployOptions()
        lib.slbcert_deploy_options_init(byref(options), _ffi.DEPLOY_OPTIONS_VERSION)
        replace_ids = [_ffi.cstr(item, "replace") for item in ([replace] if isinstance(replace, str) else replace)]
        balancer_ids = [_ffi.cstr(item, "load_balancers")
                        for item in ([load_balancers] if isinstance(load_balancers, str) else load_balancers)]
        options.replace_ids, options.replace_count = (_ffi.string_array(replace_ids), len(replace_ids)) if replace_ids else (None, 0)
        options.load_balancer_ids, options.load_balancer_count = ((_ffi.string_array(balancer_ids), len(balancer_ids))
                                                                  if balancer_ids else (None, 0))
        options.delete_old, options.verify_tls = int(bool(delete_old)), int(bool(verify_tls))
        options.force_managed, options.dry_run = int(bool(force_managed)), int(bool(dry_run))
        options.journal_path = _ffi.cstr(journal, "journal")
        options.name = _ffi.cstr(name, "name")
        options.busy_timeout_ms = _milliseconds(busy_timeout)
        options.rollback_timeout_ms = _milliseconds(rollback_timeout)
        options.reference_timeout_ms = _milliseconds(reference_timeout)
        options.tls_timeout_ms = _milliseconds(tls_timeout)
        given = {"busy_timeout": busy_timeout, "rollback_timeout": rollback_timeout,
                 "reference_timeout": reference_timeout, "tls_timeout": tls_timeout}
        pointer = _ffi.DeployReportP()
        try:
            with self._handle.use() as client, bundle._use() as bundle_pointer:
                lib.slbcert_client_deploy(byref(pointer), client, bundle_pointer, byref(options))
        except ValidationError as exc:
            exc.findings = exc.findings or bundle.errors
            raise
        except InvalidArgument as error:
            raise _reword(error, given) from None
        except RefusedError as error:
            error.hint = _REFUSAL_HINTS.get(error.reason, error.hint)
            raise
        return self._take_report(pointer)

    def rollback(self, journal: Union[str, "os.PathLike[str]"]) -> DeployReport:
        """Put every binding a deploy journal records back on the certificate it had before
        (``slbcert_client_rollback``). Running it again is harmless.

        Returns:
            A :class:`DeployReport` with outcome ``ROLLED_BACK``.

        Raises:
            DeployFailedError: some bindings could not be put back (``.report`` is ``PARTIAL``).
            InvalidArgument: the journal cannot be read, is not a deploy journal, is of another region
                or is in use.
        """
        pointer = _ffi.DeployReportP()
        with self._handle.use() as client:
            lib.slbcert_client_rollback(byref(pointer), client, _ffi.cstr(journal, "journal"))
        return self._take_report(pointer)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _take_report(pointer: Any) -> DeployReport:
        try:
            report = DeployReport._read(pointer)
            status = lib.slbcert_deploy_report_failure_status(pointer)
            request_id = lib.slbcert_deploy_report_failure_request_id(pointer) or ""
        finally:
            lib.slbcert_deploy_report_free(pointer)
        if report.outcome in (DeployOutcome.ROLLED_BACK, DeployOutcome.PARTIAL) and status != 0:
            left = [b for b in report.bindings if b.result.value == "failed"]
            tail = (" Every change was rolled back." if report.outcome is DeployOutcome.ROLLED_BACK else
                    f" The rollback is incomplete: {len(left)} binding(s) could not be put back; run"
                    f" Client.rollback({report.journal!r}) to try again.")
            raise DeployFailedError(report.failure_message + tail, report=report, status=status,
                                    status_name=lib.slbcert_error_name(status) or "", code=report.failure_code,
                                    reason=report.failure_reason, request_id=request_id)
        return report

    @staticmethod
    def _upload_options(name: Optional[str], tags: Optional[Tags], resource_group_id: Optional[str],
                        ensure: bool, send_as_is: bool) -> _ffi.UploadOptions:
        options = _ffi.UploadOptions()
        lib.slbcert_upload_options_init(byref(options), _ffi.UPLOAD_OPTIONS_VERSION)
        options.name = _ffi.cstr(name, "name")
        options.resource_group_id = _ffi.cstr(resource_group_id, "resource_group_id")
        options.tag_keys, options.tag_values, options.tag_count = _tag_arrays(tags, describe=False)
        options.no_ensure = 0 if ensure else 1
        options.send_as_is = 1 if send_as_is else 0
        return options

    @staticmethod
    def _take_result(pointer: Any) -> UploadResult:
        try:
            return UploadResult._read(pointer)
        finally:
            lib.slbcert_upload_result_free(pointer)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<slbcert.Client region={self._region!r} endpoint={self._endpoint!r} {state}>"


def _close_client(handle: _ffi.Handle, credentials: Optional[Credentials], callback: Any) -> None:
    """Free the client, then the credentials it borrowed; the log callback may go after that."""
    handle.close()
    if credentials is not None:
        credentials.close()
    del callback


def _log_trampoline(log: Union[LogCallable, logging.Logger]) -> Callable[[Any, int, Optional[bytes]], None]:
    if isinstance(log, logging.Logger):
        logger = log

        def target(level: int, line: str) -> None:
            logger.log(_PYTHON_LEVELS.get(LogLevel(level), logging.INFO), "%s", line)
    elif callable(log):
        target = log  # type: ignore[assignment]
    else:
        raise TypeError("log must be a callable (level, line) or a logging.Logger")

    def trampoline(user_data: Any, level: int, line: Optional[bytes]) -> None:
        # Exceptions cannot cross into C: ctypes reports them (sys.unraisablehook) and the call goes on.
        try:
            lvl: int = LogLevel(level)
        except ValueError:
            lvl = level
        target(lvl, (line or b"").decode("utf-8", "replace"))

    return trampoline
