"""Loading, versions, the function table and the status -> exception mapping."""

from __future__ import annotations

import builtins
import ctypes
import ctypes.util
import os
import subprocess
import sys
import textwrap

import pytest

import slbcert
from slbcert import _ffi, errors

STATUSES = {
    0: ("SLBCERT_OK", None),
    -1: ("SLBCERT_EINVAL", slbcert.InvalidArgument),
    -2: ("SLBCERT_ENOMEM", slbcert.OutOfMemory),
    -3: ("SLBCERT_EPARSE", slbcert.ParseError),
    -4: ("SLBCERT_EVALIDATION", slbcert.ValidationError),
    -5: ("SLBCERT_ECREDENTIALS", slbcert.CredentialsError),
    -6: ("SLBCERT_ESERVICE", slbcert.ServiceError),
    -7: ("SLBCERT_ENETWORK", slbcert.NetworkError),
    -8: ("SLBCERT_ETLS", slbcert.TLSError),
    -9: ("SLBCERT_ETIMEOUT", slbcert.TimeoutError),
    -10: ("SLBCERT_EPROTOCOL", slbcert.ProtocolError),
    -11: ("SLBCERT_ERANGE", slbcert.OutOfRange),
    -12: ("SLBCERT_EINTERNAL", slbcert.InternalError),
    -13: ("SLBCERT_EUNCONFIRMED", slbcert.UnconfirmedError),
    -14: ("SLBCERT_EREFUSED", slbcert.RefusedError),
}


def test_version_matches_binding() -> None:
    number = slbcert.library_version_number()
    assert number // 10000 == _ffi.BINDING_VERSION[0]
    assert number // 100 % 100 >= _ffi.BINDING_VERSION[1]
    major, minor, patch = (int(p) for p in slbcert.library_version().split("."))
    assert number == major * 10000 + minor * 100 + patch
    assert slbcert.__version__ == "1.1.0"


def test_library_path_is_what_was_asked_for() -> None:
    wanted = os.environ.get("SLBCERT_LIBRARY")
    if wanted:
        assert slbcert.library_path == wanted
    assert slbcert.library_path


def test_every_function_is_declared_once_with_errcheck() -> None:
    names = [entry[0] for entry in _ffi.FUNCTIONS]
    assert len(names) == len(set(names))
    for name, restype, argtypes, errcheck in _ffi.FUNCTIONS:
        function = getattr(_ffi.lib, name)
        assert function.argtypes == argtypes or (not argtypes and not function.argtypes), name
        assert function.restype is restype, name
        assert function.errcheck is errcheck, name


def test_table_covers_every_exported_symbol() -> None:
    """Every slbcert_* function the library exports is in the table (nm -D, when available)."""
    try:
        listing = subprocess.run(["nm", "-D", "--defined-only", os.path.realpath(_ffi.library_path)],
                                 capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("nm is not available")  # the other tests still cover every function by use
    if listing.returncode != 0:
        pytest.skip(f"nm failed: {listing.stderr.strip()}")
    exported = {line.split()[-1].split("@")[0] for line in listing.stdout.splitlines()
                if " T " in line and "slbcert_" in line}
    declared = {entry[0] for entry in _ffi.FUNCTIONS}
    assert exported - declared == set()
    assert declared - exported == set()


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_strerror_and_error_name(status: int) -> None:
    name, cls = STATUSES[status]
    assert slbcert.error_name(status) == name
    assert slbcert.strerror(status)
    if cls is not None:
        assert errors.class_for(name) is cls
        assert cls.STATUS == status
        assert issubclass(cls, slbcert.SlbcertError)


def test_unknown_status() -> None:
    assert slbcert.error_name(-999) == "SLBCERT_UNKNOWN"
    assert slbcert.strerror(-999) == "unknown status"
    assert errors.class_for("SLBCERT_UNKNOWN") is slbcert.SlbcertError


def test_exception_hierarchy() -> None:
    assert issubclass(slbcert.TimeoutError, builtins.TimeoutError)
    assert issubclass(slbcert.NetworkError, ConnectionError)
    assert issubclass(slbcert.InvalidArgument, ValueError)
    assert issubclass(slbcert.ParseError, ValueError)
    assert issubclass(slbcert.OutOfRange, IndexError)
    error = slbcert.ServiceError("Code: msg", status=-6, code="Code", request_id="RID", http_status=400,
                                 hint="do this", host_id="h", recommend="https://r")
    assert (error.code, error.request_id, error.http_status, error.host_id, error.recommend) == \
        ("Code", "RID", 400, "h", "https://r")
    assert "RID" in str(error) and "do this" in str(error)
    assert slbcert.TimeoutError("t").status == -9


def test_errcheck_uses_this_threads_last_error() -> None:
    """A failing call raises with the library's own message; a later success clears the state."""
    with pytest.raises(slbcert.InvalidArgument) as caught:
        _ffi.lib.slbcert_bundle_finding(None, 0, None, None, None)
    assert caught.value.status == -1
    assert caught.value.status_name == "SLBCERT_EINVAL"
    assert "bundle" in caught.value.message
    assert caught.value.status_text == slbcert.strerror(-1) == "invalid argument"
    assert _ffi.lib.slbcert_last_error_status() == -1
    _ffi.lib.slbcert_last_error_clear()
    assert _ffi.lib.slbcert_last_error_status() == 0
    assert _ffi.lib.slbcert_last_error_message() == ""


def test_out_of_range_status_raises_index_error() -> None:
    """slbcert_bundle_finding with a bad index is SLBCERT_ERANGE -> OutOfRange."""
    bundle = slbcert.Bundle(b"not a certificate")
    with bundle._use() as pointer:
        with pytest.raises(slbcert.OutOfRange) as caught:
            _ffi.lib.slbcert_bundle_finding(pointer, 999, None, None, None)
    assert isinstance(caught.value, IndexError)
    bundle.close()


def test_null_handles_are_refused_by_the_library() -> None:
    with pytest.raises(slbcert.InvalidArgument):
        _ffi.lib.slbcert_client_rename(None, b"id", b"name")
    assert _ffi.lib.slbcert_bundle_has_errors(None) == -1
    assert _ffi.lib.slbcert_bundle_chain_length(None) == 0
    _ffi.lib.slbcert_bundle_free(None)  # NULL is a harmless no-op
    _ffi.lib.slbcert_client_free(None)
    _ffi.lib.slbcert_string_free(None)


def test_distinct_handle_types_are_not_interchangeable() -> None:
    with pytest.raises(ctypes.ArgumentError):
        _ffi.lib.slbcert_bundle_has_errors(_ffi.ClientP())


def test_version_check_refuses_another_major(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ffi.lib, "slbcert_version_number", lambda: 20000)
    with pytest.raises(ImportError, match=r"needs 1\.1 or a later 1\.x"):
        _ffi._check_version()


def test_version_check_refuses_an_older_minor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ffi, "BINDING_VERSION", (1, 5, 0))
    monkeypatch.setattr(_ffi.lib, "slbcert_version_number", lambda: 10400)
    with pytest.raises(ImportError):
        _ffi._check_version()
    monkeypatch.setattr(_ffi.lib, "slbcert_version_number", lambda: 10600)
    _ffi._check_version()


def _import_in_subprocess(env_library: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH",)}
    env["SLBCERT_LIBRARY"] = env_library
    code = textwrap.dedent("""
        import warnings, sys
        warnings.simplefilter("always")
        try:
            import slbcert
        except ImportError as exc:
            print("IMPORTERROR"); print(exc); sys.exit(0)
        print("LOADED", slbcert.library_path)
    """)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_import_error_lists_what_was_tried(tmp_path: pytest.TempPathFactory) -> None:
    missing = str(tmp_path / "nowhere" / "libslbcert.so.1")
    result = _import_in_subprocess(missing)
    assert result.returncode == 0, result.stderr
    if result.stdout.startswith("IMPORTERROR"):
        # No other copy is installed: one ImportError names every place tried.
        assert missing in result.stdout
        assert "$SLBCERT_LIBRARY" in result.stdout
        assert "next to the package" in result.stdout
        assert "the SONAME" in result.stdout
    else:
        # An installed copy was found after the missing one: the fallback is announced.
        assert result.stdout.startswith("LOADED")
        assert "SLBCERT_LIBRARY could not be loaded" in result.stderr


def test_a_file_that_is_not_the_library_is_refused() -> None:
    libc = ctypes.util.find_library("c")
    if not libc:
        pytest.skip("no libc to load")
    # libc loads, but lacks the slbcert functions: it is passed over, never used.
    result = _import_in_subprocess(libc)
    assert result.returncode == 0, result.stderr
    if result.stdout.startswith("IMPORTERROR"):
        assert "is not libslbcert" in result.stdout
    else:
        assert libc not in result.stdout.split("LOADED", 1)[1]
        assert "SLBCERT_LIBRARY could not be loaded" in result.stderr
