"""Certificates and keys for the tests, made at test time so nothing on disk ever expires."""

import datetime
import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from slbcert_emulator.devcerts import cert_pem, issue, new_rsa_key, rsa_key_pem

INTERMEDIATE_NAME = "slbcert test intermediate"

def pkcs8_pem(key, password=None):
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption).decode("ascii")


def encrypted_pkcs1_pem(key, password=b"secret-pass"):
    """`Proc-Type: 4,ENCRYPTED` PKCS#1, what `openssl rsa -aes256` writes."""
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.BestAvailableEncryption(password)).decode("ascii")


def ec_key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode("ascii")


@functools.lru_cache(maxsize=None)
def rsa_key(bits=2048, index=0):
    """Keys are costly to make: tests share them by (bits, index)."""
    return new_rsa_key(bits)


class Pki:
    """A root CA and an intermediate CA (RSA 2048) that issue leaf certificates."""

    def __init__(self):
        self.root_key = rsa_key(2048, 100)
        self.root = issue("slbcert test root", self.root_key.public_key(), self.root_key, ca=True)
        self.intermediate_key = rsa_key(2048, 101)
        self.intermediate = issue(INTERMEDIATE_NAME, self.intermediate_key.public_key(),
                                  self.root_key, issuer=self.root, ca=True)

    def leaf(self, common_name="www.example.com", sans=("www.example.com", "example.com"), key=None,
             days=365):
        key = key or rsa_key()
        cert = issue(common_name, key.public_key(), self.intermediate_key, issuer=self.intermediate,
                     dns_names=sans, days=days,
                     not_before=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1))
        return cert, key

    def chain_pem(self, leaf, with_root=False):
        certs = [leaf, self.intermediate] + ([self.root] if with_root else [])
        return "".join(cert_pem(c) for c in certs)

    def upload_pair(self, common_name="www.example.com", sans=("www.example.com", "example.com"),
                    key=None):
        """(certificate chain PEM, PKCS#1 key PEM, leaf) ready for UploadServerCertificate."""
        cert, key = self.leaf(common_name, sans, key)
        return self.chain_pem(cert), rsa_key_pem(key), cert


def new_ec_key():
    return ec.generate_private_key(ec.SECP256R1())
