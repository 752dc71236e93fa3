"""AccessKey credentials: explicit, a named profile, or Alibaba's default chain."""

from __future__ import annotations

import weakref
from ctypes import byref
from typing import Any, Optional, Union

from . import _ffi
from ._ffi import HandleOwner, lib

__all__ = ["Credentials"]

SecretInput = Union[str, bytes, bytearray]


class Credentials(HandleOwner):
    """A ``slbcert_credentials`` handle. Immutable; may be shared between threads.

    Make one with :meth:`static`, :meth:`profile` or :meth:`default`. The secret is wiped by the
    library when the handle is freed: :meth:`close`, the end of a ``with`` block, or collection.
    """

    def __init__(self, _pointer: Any) -> None:
        if not isinstance(_pointer, _ffi.CredentialsP) or not _pointer:
            raise TypeError("use Credentials.static(), Credentials.profile() or Credentials.default()")
        self._handle = _ffi.Handle(_pointer, lib.slbcert_credentials_free, "credentials")
        self._finalizer = weakref.finalize(self, self._handle.close)

    @classmethod
    def static(cls, access_key_id: str, access_key_secret: SecretInput,
               security_token: Optional[SecretInput] = None) -> "Credentials":
        """Explicit credentials (``slbcert_credentials_new_static``); the library copies them.

        Pass the secret as a ``bytearray`` to be able to wipe your copy afterwards.

        Raises:
            InvalidArgument: the id or the secret is empty.
        """
        pointer = _ffi.CredentialsP()
        key_id = _ffi.cstr(access_key_id, "access_key_id")
        with _ffi.SecretBuffer(access_key_secret, "access_key_secret", nul_terminated=True) as secret, \
                _ffi.SecretBuffer(security_token, "security_token", nul_terminated=True) as token:
            lib.slbcert_credentials_new_static(byref(pointer), key_id, secret.pointer, token.pointer)
        return cls(pointer)

    @classmethod
    def profile(cls, name: Optional[str] = None) -> "Credentials":
        """A named profile of ``~/.aliyun/config.json`` or the credentials ini file.

        ``None``: ``ALIBABA_CLOUD_PROFILE`` or the file's current profile.

        Raises:
            CredentialsError: the profile does not exist or cannot be used.
        """
        pointer = _ffi.CredentialsP()
        lib.slbcert_credentials_new_profile(byref(pointer), _ffi.cstr(name, "profile"))
        return cls(pointer)

    @classmethod
    def default(cls) -> "Credentials":
        """Alibaba's default chain: environment, CLI profile file, ini file, ECS instance role.

        Raises:
            CredentialsError: no source is configured, or the configured one is broken.
        """
        pointer = _ffi.CredentialsP()
        lib.slbcert_credentials_new_default(byref(pointer))
        return cls(pointer)

    @property
    def source(self) -> str:
        """Which source supplied them: ``"static"``, ``"environment"``, ``"profile:NAME"``, ..."""
        with self._handle.use() as pointer:
            return lib.slbcert_credentials_source(pointer) or ""

    @property
    def access_key_id(self) -> str:
        """The AccessKeyId in use (not secret); may change after an STS refresh.

        Raises:
            CredentialsError: a refreshing source (ECS role) failed.
        """
        with self._handle.use() as pointer:
            lib.slbcert_last_error_clear()
            return lib.slbcert_credentials_access_key_id(pointer) or ""

    @property
    def region(self) -> Optional[str]:
        """The region the source names (a profile's region_id), or ``None``."""
        with self._handle.use() as pointer:
            region: Optional[str] = lib.slbcert_credentials_region(pointer)
            return region

    def _use(self) -> Any:
        return self._handle.use()

    def __repr__(self) -> str:
        if self.closed:
            return "<slbcert.Credentials closed>"
        return f"<slbcert.Credentials source={self.source!r} access_key_id={self.access_key_id!r}>"
