"""What CLB accepts as a server certificate and key (docs/protocol.md section 6), and the facts it reports."""

import base64
import binascii
import datetime
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from . import errors

RSA_KEY_SIZES = (1024, 2048, 4096)
_BEGIN = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----$")
_BASE64_LINE = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_ENCRYPTION_MARKERS = ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED")


@dataclass(frozen=True)
class Facts:
    fingerprint: str  # SHA-1 of the leaf's DER, lower-case hex pairs joined by ":"
    common_name: str
    subject_alternative_names: tuple
    not_after: float  # seconds since the epoch


def _pem_blocks(text, layout_error, content_error):
    """Split PEM text into (label, DER) blocks, enforcing CLB's layout rules.

    `layout_error` is raised for text that breaks the layout (blank lines, stray spaces, CR,
    base64 lines not 64 characters long), `content_error` for text that is not PEM at all.
    """
    if text.endswith("\n"):
        text = text[:-1]
    if "\r" in text:
        raise layout_error()
    blocks, label, body = [], None, []
    for line in text.split("\n"):
        if not line or line != line.strip(" \t"):
            raise layout_error()
        if label is None:
            match = _BEGIN.match(line)
            if not match:
                raise content_error()
            label, body = match.group(1), []
        elif line == f"-----END {label}-----":
            blocks.append((label, _decode_body(body, layout_error, content_error)))
            label = None
        else:
            body.append(line)
    if label is not None or not blocks:
        raise content_error()
    return blocks


def _decode_body(lines, layout_error, content_error):
    if not lines or not all(_BASE64_LINE.match(line) for line in lines):
        raise content_error()
    if any(len(line) != 64 for line in lines[:-1]) or len(lines[-1]) > 64:
        raise layout_error()
    try:
        return base64.b64decode("".join(lines), validate=True)
    except binascii.Error:
        raise content_error() from None


def parse_chain(pem):
    """The certificates of a PEM chain, leaf first, each signed by the next one."""
    certs = []
    for label, der in _pem_blocks(pem, errors.certificate_layout, errors.certificate_format):
        if label != "CERTIFICATE":
            raise errors.certificate_format()
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise errors.certificate_format() from None
    for cert, issuer in zip(certs, certs[1:]):
        try:
            verify_directly_issued_by(cert, issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise errors.certificate_format() from None
    return certs


def parse_private_key(pem):
    """An unencrypted PKCS#1 RSA key: the only form CLB takes."""
    if any(marker in pem for marker in _ENCRYPTION_MARKERS):
        raise errors.key_encrypted()
    blocks = _pem_blocks(pem, errors.key_format, errors.key_format)
    if len(blocks) != 1 or blocks[0][0] != "RSA PRIVATE KEY":
        raise errors.key_format()  # PKCS#8, EC and other keys must be converted first
    try:
        key = serialization.load_der_private_key(blocks[0][1], password=None)
    except (ValueError, TypeError):
        raise errors.key_format() from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise errors.key_format()
    return key


def facts(certs):
    leaf = certs[0]
    try:
        names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans = tuple(san.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            sans = ()
    except ValueError:  # a malformed extension or name is only noticed when read
        raise errors.certificate_format() from None
    return Facts(
        fingerprint=":".join(f"{b:02x}" for b in leaf.fingerprint(hashes.SHA1())),
        common_name=str(names[0].value) if names else "",
        subject_alternative_names=sans,
        not_after=not_valid_after_utc(leaf).timestamp(),
    )


def check_upload(certificate_pem, private_key_pem):
    """Validate a certificate chain and its key as CLB does; return the facts of the leaf."""
    certs = parse_chain(certificate_pem)
    key = parse_private_key(private_key_pem)
    leaf_key = certs[0].public_key()
    if (not isinstance(leaf_key, rsa.RSAPublicKey)
            or leaf_key.public_numbers() != key.public_key().public_numbers()):
        raise errors.key_mismatch()
    if key.key_size not in RSA_KEY_SIZES:
        raise errors.key_format()
    return facts(certs)


def not_valid_after_utc(cert):
    """cryptography >= 42 has not_valid_after_utc; older ones (Debian 12 has 38) a naive UTC datetime."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def verify_directly_issued_by(cert, issuer):
    """Certificate.verify_directly_issued_by (cryptography >= 40), for RSA and ECDSA issuers before it."""
    if hasattr(cert, "verify_directly_issued_by"):
        return cert.verify_directly_issued_by(issuer)
    if cert.issuer != issuer.subject:
        raise ValueError("issuer name mismatch")
    key = issuer.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    else:
        raise TypeError("unsupported issuer key")
