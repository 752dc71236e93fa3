"""The test PKI every suite shares: root CA -> intermediate CA -> leaves, made at run time.

    pki = TestPKI(directory)              # a new PKI there, or the one its manifest.json describes
    pki.leaf.chain_path                   # leaf + intermediate, PEM
    pki["leaf-p384"].key_file("sec1-enc") # the P-384 leaf's key, legacy-encrypted SEC1
    pki.issue_leaf("api.example.test")    # a further leaf (new fingerprint) for the leaf's key
    pki.write_all()                       # every standard entry, for suites that read manifest.json

Entries are made when first asked for (RSA 4096 takes a while) and written at once: certificates
0644, keys and the passphrase file 0600, and manifest.json (format described in README.md, "The
test PKI") updated, so that suites in other languages find every file and its facts there.

Runs with cryptography 38 (Debian 12) as well as newer releases: only APIs 38 has are used.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MANIFEST = "manifest.json"
FORMAT = "slbcert-test-pki/1"
PASSPHRASE = "correct horse battery staple"
PASSPHRASE_FILE = "passphrase.txt"
UTC = dt.timezone.utc

LEAF_COMMON_NAME = "www.example.test"
LEAF_DNS_NAMES = ("www.example.test", "example.test", "*.api.example.test")
LEAF_IP_ADDRESSES = ("192.0.2.10", "2001:db8::1")
ORGANIZATION = "slbcert tests"

KEY_SPECS = ("rsa1024", "rsa2048", "rsa3072", "rsa4096", "ec256", "ec384", "ed25519")
# Key forms and their file suffixes: NAME.key is always PKCS#8, unencrypted (what `openssl genpkey`
# writes); the others are made for every entry that is not a CA of this PKI.
KEY_FORMS = {
    "pkcs8": "key",
    "pkcs8-enc": "pkcs8-enc.key",   # encrypted PKCS#8 (PBES2), passphrase PASSPHRASE
    "pkcs1": "pkcs1.key",           # RSA only: BEGIN RSA PRIVATE KEY, what CLB accepts
    "pkcs1-enc": "pkcs1-enc.key",   # RSA only: legacy "Proc-Type: 4,ENCRYPTED" PKCS#1
    "sec1": "sec1.key",             # EC only: BEGIN EC PRIVATE KEY
    "sec1-enc": "sec1-enc.key",     # EC only: legacy-encrypted SEC1
}
_FORMS_BY_TYPE = {"RSA": ("pkcs8", "pkcs8-enc", "pkcs1", "pkcs1-enc"),
                  "EC": ("pkcs8", "pkcs8-enc", "sec1", "sec1-enc"),
                  "Ed25519": ("pkcs8", "pkcs8-enc")}
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey]


# ---------------------------------------------------------------------------------------- helpers
def new_key(spec: str) -> PrivateKey:
    """A new private key: rsa1024 | rsa2048 | rsa3072 | rsa4096 | ec256 | ec384 | ed25519."""
    if spec.startswith("rsa") and spec in KEY_SPECS:
        return rsa.generate_private_key(public_exponent=65537, key_size=int(spec[3:]))
    if spec == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if spec == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if spec == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key {spec!r}: one of {', '.join(KEY_SPECS)}")


def key_type(key: Any) -> Tuple[str, int]:
    """("RSA" | "EC" | "Ed25519", bits) of a private or public key."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RSA", key.key_size
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "EC", key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "Ed25519", 256
    raise TypeError(f"unsupported key {type(key).__name__}")


def private_key_pem(key: PrivateKey, form: str = "pkcs8", passphrase: Union[str, bytes, None] = None) -> bytes:
    """The key as PEM in one of KEY_FORMS; the -enc forms use `passphrase` (default PASSPHRASE)."""
    if form not in KEY_FORMS:
        raise ValueError(f"unknown key form {form!r}: one of {', '.join(KEY_FORMS)}")
    kind = key_type(key)[0]
    if form not in _FORMS_BY_TYPE[kind]:
        raise ValueError(f"an {kind} key has no {form} form")
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if form.endswith("-enc"):
        secret = PASSPHRASE if passphrase is None else passphrase
        encryption = serialization.BestAvailableEncryption(secret.encode() if isinstance(secret, str) else secret)
    layout = (serialization.PrivateFormat.PKCS8 if form.startswith("pkcs8")
              else serialization.PrivateFormat.TraditionalOpenSSL)
    return key.private_bytes(serialization.Encoding.PEM, layout, encryption)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate, algorithm: Any = None) -> str:
    """Lower-case hex pairs joined by ':' (SHA-1 by default), as the service shows fingerprints."""
    return cert.fingerprint(algorithm or hashes.SHA1()).hex(":")


def not_before(cert: x509.Certificate) -> dt.datetime:
    """notBefore as an aware UTC datetime (cryptography < 42 has no not_valid_before_utc)."""
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=UTC)


def not_after(cert: x509.Certificate) -> dt.datetime:
    """notAfter as an aware UTC datetime."""
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def _name(attributes: Sequence[Tuple[str, str]]) -> x509.Name:
    oids = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME, "CN": NameOID.COMMON_NAME}
    return x509.Name([x509.NameAttribute(oids[kind], value) for kind, value in attributes])


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    flags = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
                 data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                 encipher_only=False, decipher_only=False)
    flags.update(enabled)
    return x509.KeyUsage(**flags)


# Extension profiles (what `openssl x509 -extfile` sections would hold).
PROFILES = ("ca", "leaf", "leaf-ca", "self-signed", "self-signed-plain")


def build_certificate(subject: x509.Name, public_key: Any, signing_key: PrivateKey,
                      issuer: Optional[x509.Certificate], *, profile: str, start: dt.datetime, days: int,
                      dns_names: Sequence[str] = (), ip_addresses: Sequence[str] = ()) -> x509.Certificate:
    """One certificate; self-signed when `issuer` is None (then `signing_key` is the subject's)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(start + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=profile in ("ca", "leaf-ca"), path_length=None),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    if profile == "ca":
        builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    elif profile == "leaf-ca":
        builder = builder.add_extension(_key_usage(digital_signature=True, key_cert_sign=True), critical=True)
    elif profile in ("leaf", "self-signed"):
        # The same usage for every key type, as `openssl x509 -extfile` sections give it.
        builder = builder.add_extension(_key_usage(digital_signature=True, key_encipherment=True), critical=True)
    if profile == "leaf":
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    names: List[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signing_key, algorithm)


# ---------------------------------------------------------------------------------------- entries
@dataclass
class Issued:
    """A certificate and its key (or a key alone), with the CA certificates above it.

    PEM properties are bytes, as cryptography's own are; `*_path` are the files in the PKI
    directory. `key_pem` and `key_path` hold the key in the form the service takes (PKCS#1 for an
    RSA key, PKCS#8 for the others); `key_bytes(form)` and `key_file(form)` any form of KEY_FORMS.
    """
    name: str
    cert: Optional[x509.Certificate]
    key: PrivateKey
    chain: Tuple[x509.Certificate, ...] = ()   # issuers above the certificate, the root excluded
    root: Optional[x509.Certificate] = None    # the self-signed CA at the top (None when self-signed)
    directory: Optional[Path] = None
    files: Dict[str, str] = field(default_factory=dict)
    key_of: Optional[str] = None               # the entry whose key this is, when shared

    @property
    def cert_pem(self) -> bytes:
        return pem(self._certificate())

    @property
    def chain_pem(self) -> bytes:
        """The certificate, then its intermediates: a full-chain file as certbot writes it."""
        return pem(self._certificate()) + b"".join(pem(c) for c in self.chain)

    @property
    def der(self) -> bytes:
        return self._certificate().public_bytes(serialization.Encoding.DER)

    @property
    def key_form(self) -> str:
        """pkcs1 for an RSA key (the only form CLB accepts), pkcs8 for other keys."""
        return "pkcs1" if key_type(self.key)[0] == "RSA" else "pkcs8"

    @property
    def key_pem(self) -> bytes:
        """The key, unencrypted, in `key_form`."""
        return private_key_pem(self.key, self.key_form)

    def key_bytes(self, form: str = "pkcs8", passphrase: Union[str, bytes, None] = None) -> bytes:
        return private_key_pem(self.key, form, passphrase)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self._certificate())

    @property
    def fingerprint_sha256(self) -> str:
        return fingerprint(self._certificate(), hashes.SHA256())

    @property
    def common_name(self) -> str:
        names = self._certificate().subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else ""

    @property
    def not_before(self) -> dt.datetime:
        return not_before(self._certificate())

    @property
    def not_after(self) -> dt.datetime:
        return not_after(self._certificate())

    def path(self, what: str) -> Path:
        """A file of this entry: cert, der, chain, or a key form (pkcs8, pkcs1, sec1-enc, ...)."""
        if self.directory is None or what not in self.files:
            raise KeyError(f"{self.name} has no {what} file (it has: {', '.join(self.files) or 'none'})")
        return self.directory / self.files[what]

    @property
    def cert_path(self) -> Path:
        return self.path("cert")

    @property
    def chain_path(self) -> Path:
        return self.path("chain")

    @property
    def der_path(self) -> Path:
        return self.path("der")

    @property
    def key_path(self) -> Path:
        """The key file in `key_form`."""
        return self.path(self.key_form)

    def key_file(self, form: str = "pkcs8") -> Path:
        return self.path(form)

    def _certificate(self) -> x509.Certificate:
        if self.cert is None:
            raise ValueError(f"{self.name} is a key without a certificate")
        return self.cert

    def facts(self) -> Dict[str, Any]:
        """What manifest.json records about this entry."""
        kind, bits = key_type(self.key)
        doc: Dict[str, Any] = {"kind": "key" if self.cert is None else "certificate",
                               "key_type": kind, "key_bits": bits, "key_of": self.key_of,
                               "files": dict(self.files)}
        if self.cert is None:
            return doc
        cert = self.cert
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns = list(san.get_values_for_type(x509.DNSName))
            ips = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            dns, ips = [], []
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        serial = format(cert.serial_number, "X")
        doc.update({
            "common_name": self.common_name,
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "serial": serial if len(serial) % 2 == 0 else "0" + serial,
            "fingerprint_sha1": self.fingerprint,
            "fingerprint_sha256": self.fingerprint_sha256,
            "not_before": _iso(self.not_before), "not_after": _iso(self.not_after),
            "not_before_ms": int(self.not_before.timestamp()) * 1000,
            "not_after_ms": int(self.not_after.timestamp()) * 1000,
            "dns_names": dns, "ip_addresses": ips,
            "is_ca": is_ca, "self_signed": cert.issuer == cert.subject,
            "chain_length": 1 + len(self.chain),
        })
        return doc


@dataclass(frozen=True)
class Spec:
    """A standard entry: how it is made."""
    subject: Tuple[Tuple[str, str], ...] = ()
    key: str = "rsa2048"                 # a KEY_SPECS value, or "=NAME" for NAME's key
    issuer: Optional[str] = "intermediate"  # None: self-signed
    profile: str = "leaf"
    days: int = 365
    start_days: int = 0                  # notBefore relative to now (and an hour back), in days
    dns_names: Tuple[str, ...] = ()
    ip_addresses: Tuple[str, ...] = ()
    certificate: bool = True             # False: a key alone
    about: str = ""


_LEAF_SUBJECT = (("C", "CN"), ("O", ORGANIZATION), ("CN", LEAF_COMMON_NAME))


def _leaf(key: str, about: str) -> Spec:
    return Spec(subject=_LEAF_SUBJECT, key=key, dns_names=LEAF_DNS_NAMES, ip_addresses=LEAF_IP_ADDRESSES,
                about=about)


STANDARD: Dict[str, Spec] = {
    "root": Spec(subject=(("O", ORGANIZATION), ("CN", "slbcert Test Root CA")), key="ec256", issuer=None,
                 profile="ca", days=3650, about="self-signed root CA (P-256)"),
    "intermediate": Spec(subject=(("O", ORGANIZATION), ("CN", "slbcert Test Intermediate CA")), key="ec256",
                         issuer="root", profile="ca", days=1825, about="intermediate CA (P-256), issued by root"),
    "leaf": _leaf("rsa2048", "RSA 2048 server certificate with DNS and IP SANs, issued by intermediate"),
    "leaf-rsa1024": _leaf("rsa1024", "as leaf, RSA 1024"),
    "leaf-rsa3072": _leaf("rsa3072", "as leaf, RSA 3072 (a size CLB refuses)"),
    "leaf-rsa4096": _leaf("rsa4096", "as leaf, RSA 4096"),
    "leaf-p256": _leaf("ec256", "as leaf, EC P-256"),
    "leaf-p384": _leaf("ec384", "as leaf, EC P-384"),
    "leaf-ed25519": _leaf("ed25519", "as leaf, Ed25519"),
    "leaf-ca": Spec(subject=(("O", ORGANIZATION), ("CN", LEAF_COMMON_NAME)), key="ec256", profile="leaf-ca",
                    dns_names=(LEAF_COMMON_NAME,), about="a 'leaf' that is a CA (CA:TRUE), issued by intermediate"),
    "expired": Spec(subject=_LEAF_SUBJECT, key="=leaf", days=10, start_days=-30, dns_names=LEAF_DNS_NAMES,
                    about="leaf's key, valid from 30 to 20 days ago"),
    "not-yet-valid": Spec(subject=_LEAF_SUBJECT, key="=leaf", start_days=30, dns_names=LEAF_DNS_NAMES,
                          about="leaf's key, valid from 30 days on"),
    "unrelated-ca": Spec(subject=(("O", "Elsewhere"), ("CN", "Unrelated Root CA")), key="ec256", issuer=None,
                         profile="ca", days=3650, about="a self-signed root CA that issued nothing here"),
    "self-signed": Spec(subject=(("O", ORGANIZATION), ("CN", "self.example.test")), issuer=None,
                        profile="self-signed", dns_names=("self.example.test",),
                        about="self-signed end-entity certificate (CA:FALSE, keyUsage), RSA 2048"),
    "self-signed-plain": Spec(subject=(("CN", "plain.example.test"),), key="ec256", issuer=None,
                              profile="self-signed-plain", dns_names=("plain.example.test",),
                              about="self-signed end-entity certificate without keyUsage, P-256"),
    "stray": Spec(key="rsa2048", issuer=None, certificate=False, about="an RSA 2048 key of no certificate"),
}


class TestPKI:
    """The test PKI in `directory` (created 0700 if missing); loaded from its manifest.json if any."""

    __test__ = False  # not a test class, whatever pytest's name patterns say

    def __init__(self, directory: Union[str, os.PathLike]):
        self.directory = Path(directory).resolve()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.passphrase = PASSPHRASE
        self._lock = threading.RLock()
        self._entries: Dict[str, Issued] = {}
        self._recorded: Dict[str, Dict[str, Any]] = {}
        self._counter = 0
        manifest = self.directory / MANIFEST
        if manifest.exists():
            doc = json.loads(manifest.read_text())
            if doc.get("format") != FORMAT:
                raise ValueError(f"{manifest}: not a {FORMAT} manifest")
            self._recorded = doc["entries"]
            self._counter = int(doc.get("issued", 0))
        self._write(PASSPHRASE_FILE, (PASSPHRASE + "\n").encode(), 0o600)

    # ------------------------------------------------------------------------------ entries
    def __getitem__(self, name: str) -> Issued:
        with self._lock:
            if name not in self._entries:
                if name in self._recorded:
                    self._entries[name] = self._load(name)
                elif name in STANDARD:
                    self._make_standard(name)
                else:
                    raise KeyError(f"no entry {name!r} (standard ones: {', '.join(STANDARD)})")
            return self._entries[name]

    def __contains__(self, name: str) -> bool:
        return name in self._entries or name in self._recorded or name in STANDARD

    def manifest_entry(self, name: str) -> Dict[str, Any]:
        """What manifest.json records about `name` (made first if it is a standard entry)."""
        with self._lock:
            if name not in self._recorded:
                self[name]
            return json.loads(json.dumps(self._recorded[name]))

    def names(self) -> List[str]:
        """The entries made so far (in this directory)."""
        with self._lock:
            return sorted(set(self._entries) | set(self._recorded))

    @property
    def root(self) -> Issued:
        return self["root"]

    @property
    def intermediate(self) -> Issued:
        return self["intermediate"]

    @property
    def leaf(self) -> Issued:
        return self["leaf"]

    @property
    def stray(self) -> Issued:
        return self["stray"]

    @property
    def passphrase_file(self) -> Path:
        return self.directory / PASSPHRASE_FILE

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST

    def write_all(self) -> "TestPKI":
        """Make every standard entry (suites in other languages read them from manifest.json)."""
        for name in STANDARD:
            self[name]
        return self

    def issue_leaf(self, common_name: str = LEAF_COMMON_NAME, dns: Optional[Sequence[str]] = None,
                   ips: Sequence[str] = (), *, days: int = 365, not_before: Optional[dt.datetime] = None,
                   key: Union[str, PrivateKey] = "leaf", issuer: str = "intermediate", ca: bool = False,
                   subject: Optional[Sequence[Tuple[str, str]]] = None, name: Optional[str] = None) -> Issued:
        """A new certificate (a new serial, so a new fingerprint) issued by `issuer`.

        dns: its DNS SANs (default [common_name]); ips: its IP SANs.
        key: "leaf" (or any entry's name) to reuse that entry's key, a KEY_SPECS value for a new
            key, or a private key object.
        not_before: default an hour ago; days: the validity from there.
        subject: (("O", ...), ("CN", ...)) attributes; default CN=common_name alone.
        name: the entry's name in the manifest (files NAME.*); default "issued-N".
        """
        with self._lock:
            if name is None:
                self._counter += 1
                name = f"issued-{self._counter}"
            self._check_new_name(name)
            private_key, key_of = self._resolve_key(key)
            start = not_before or (_now() - dt.timedelta(hours=1))
            attributes = tuple(subject) if subject else (("CN", common_name),)
            parent = self[issuer]
            cert = build_certificate(_name(attributes), private_key.public_key(), parent.key, parent.cert,
                                     profile="leaf-ca" if ca else "leaf", start=start, days=days,
                                     dns_names=[common_name] if dns is None else list(dns), ip_addresses=ips)
            return self._store(name, cert, private_key, parent, key_of)

    def new_key(self, spec: str = "rsa2048", name: Optional[str] = None) -> Issued:
        """A key of no certificate, written in every form."""
        with self._lock:
            if name is None:
                self._counter += 1
                name = f"key-{self._counter}"
            self._check_new_name(name)
            return self._store(name, None, new_key(spec), None, None)

    # ------------------------------------------------------------------------------ making
    def _check_new_name(self, name: str) -> None:
        if not _NAME_PATTERN.match(name):
            raise ValueError(f"bad entry name {name!r}: letters, digits, '.', '_' and '-'")
        if name in self._entries or name in self._recorded or name in STANDARD:
            raise ValueError(f"the PKI already has an entry {name!r}")

    def _resolve_key(self, key: Union[str, PrivateKey]) -> Tuple[PrivateKey, Optional[str]]:
        if not isinstance(key, str):
            return key, None
        if key in KEY_SPECS:
            return new_key(key), None
        if key not in self:
            raise ValueError(f"key {key!r} is neither an entry of the PKI nor one of {', '.join(KEY_SPECS)}")
        owner = self[key]
        return owner.key, owner.key_of or owner.name

    def _make_standard(self, name: str) -> None:
        spec = STANDARD[name]
        if spec.key.startswith("="):
            private_key, key_of = self._resolve_key(spec.key[1:])
        else:
            private_key, key_of = new_key(spec.key), None
        if not spec.certificate:
            self._store(name, None, private_key, None, None)
            return
        parent = self[spec.issuer] if spec.issuer else None
        start = _now() - dt.timedelta(hours=1) + dt.timedelta(days=spec.start_days)
        cert = build_certificate(_name(spec.subject), private_key.public_key(),
                                 parent.key if parent else private_key, parent.cert if parent else None,
                                 profile=spec.profile, start=start, days=spec.days,
                                 dns_names=spec.dns_names, ip_addresses=spec.ip_addresses)
        self._store(name, cert, private_key, parent, key_of)

    def _store(self, name: str, cert: Optional[x509.Certificate], key: PrivateKey, parent: Optional[Issued],
               key_of: Optional[str]) -> Issued:
        chain: Tuple[x509.Certificate, ...] = ()
        root = None
        if parent is not None:
            # Everything from the issuer up, except a self-signed top.
            chain = ((parent.cert,) if parent.root is not None else ()) + parent.chain
            root = parent.root or parent.cert
        files: Dict[str, str] = {}
        if cert is not None:
            files["cert"] = self._write(f"{name}.pem", pem(cert), 0o644)
            files["der"] = self._write(f"{name}.der", cert.public_bytes(serialization.Encoding.DER), 0o644)
            files["chain"] = self._write(f"{name}.chain.pem", pem(cert) + b"".join(pem(c) for c in chain), 0o644)
        is_ca = cert is not None and name in STANDARD and STANDARD[name].profile == "ca"
        forms = ("pkcs8",) if is_ca else _FORMS_BY_TYPE[key_type(key)[0]]
        for form in forms:
            files[form] = self._write(f"{name}.{KEY_FORMS[form]}", private_key_pem(key, form), 0o600)
        issued = Issued(name=name, cert=cert, key=key, chain=chain, root=root, directory=self.directory,
                        files=files, key_of=key_of)
        self._entries[name] = issued
        self._recorded[name] = dict(issued.facts(), issued_by=parent.name if parent else None,
                                    about=STANDARD[name].about if name in STANDARD else "")
        self._write_manifest()
        return issued

    def _load(self, name: str) -> Issued:
        doc = self._recorded[name]
        files = doc["files"]
        key = serialization.load_pem_private_key((self.directory / files["pkcs8"]).read_bytes(), password=None)
        cert = None
        chain: Tuple[x509.Certificate, ...] = ()
        root = None
        if doc["kind"] == "certificate":
            cert = x509.load_pem_x509_certificate((self.directory / files["cert"]).read_bytes())
            if doc.get("issued_by"):
                parent = self[doc["issued_by"]]
                chain = ((parent.cert,) if parent.root is not None else ()) + parent.chain
                root = parent.root or parent.cert
        return Issued(name=name, cert=cert, key=key, chain=chain, root=root, directory=self.directory,
                      files=dict(files), key_of=doc.get("key_of"))

    def _write(self, name: str, data: bytes, mode: int) -> str:
        path = self.directory / name
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)  # whatever the umask
        os.replace(temporary, path)  # a reader never sees half a file
        return name

    def _write_manifest(self) -> None:
        doc = {"format": FORMAT, "directory": str(self.directory), "passphrase": PASSPHRASE,
               "passphrase_file": PASSPHRASE_FILE, "issued": self._counter,
               "entries": {n: self._recorded[n] for n in sorted(self._recorded)}}
        self._write(MANIFEST, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode(), 0o644)

    def __repr__(self) -> str:
        return f"<TestPKI {self.directory} ({len(self.names())} entries)>"
