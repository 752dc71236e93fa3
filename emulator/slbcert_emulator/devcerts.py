"""Development TLS material: python3 -m slbcert_emulator.devcerts --out DIR

Writes a test CA (ca.pem) and a server certificate for 127.0.0.1, ::1 and localhost signed by
it (server.pem, server-key.pem). Idempotent: files that are still valid for 30 days are kept;
otherwise all three are made anew. The CA's key is never written: nothing else can be signed
with it later.
"""

import argparse
import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import certs

FILES = ("ca.pem", "server.pem", "server-key.pem")
SERVER_DNS = ("localhost",)
SERVER_IPS = ("127.0.0.1", "::1")
MIN_REMAINING = datetime.timedelta(days=30)


def new_rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def issue(common_name, public_key, signing_key, issuer=None, ca=False, dns_names=(),
          ip_addresses=(), days=825, not_before=None):
    """A certificate for `public_key` signed by `signing_key`: self-signed when `issuer` is None."""
    now = not_before or datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   signing_key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    names = [x509.DNSName(n) for n in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def rsa_key_pem(key):
    """PKCS#1 (`BEGIN RSA PRIVATE KEY`), unencrypted: the form CLB accepts."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode("ascii")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _still_valid(out_dir):
    paths = [os.path.join(out_dir, name) for name in FILES]
    if not all(os.path.isfile(p) for p in paths):
        return False
    try:
        ca_cert, server_cert = (x509.load_pem_x509_certificate(_read(p)) for p in paths[:2])
        key = serialization.load_pem_private_key(_read(paths[2]), password=None)
        certs.verify_directly_issued_by(server_cert, ca_cert)
        sans = server_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except Exception:  # noqa: BLE001 - anything unreadable is simply made anew
        return False
    deadline = datetime.datetime.now(datetime.timezone.utc) + MIN_REMAINING
    ips = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    return (server_cert.public_key().public_numbers() == key.public_key().public_numbers()
            and min(certs.not_valid_after_utc(ca_cert), certs.not_valid_after_utc(server_cert)) > deadline
            and set(SERVER_DNS) <= set(sans.get_values_for_type(x509.DNSName))
            and set(SERVER_IPS) <= ips)


def _write(path, text, mode):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)  # never leave a half-written file under the real name


def ensure(out_dir):
    """Make sure `out_dir` holds valid dev TLS files; True when they were (re)generated."""
    os.makedirs(out_dir, exist_ok=True)
    if _still_valid(out_dir):
        return False
    ca_key, server_key = new_rsa_key(), new_rsa_key()
    ca_cert = issue("slbcert emulator test CA", ca_key.public_key(), ca_key, ca=True, days=3650)
    server_cert = issue("localhost", server_key.public_key(), ca_key, issuer=ca_cert,
                        dns_names=SERVER_DNS, ip_addresses=SERVER_IPS)
    _write(os.path.join(out_dir, "ca.pem"), cert_pem(ca_cert), 0o644)
    _write(os.path.join(out_dir, "server.pem"), cert_pem(server_cert), 0o644)
    _write(os.path.join(out_dir, "server-key.pem"), rsa_key_pem(server_key), 0o600)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m slbcert_emulator.devcerts",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for ca.pem, server.pem, server-key.pem")
    args = parser.parse_args(argv)
    made = ensure(args.out)
    print(f"{'wrote' if made else 'kept'} {', '.join(os.path.join(args.out, f) for f in FILES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
