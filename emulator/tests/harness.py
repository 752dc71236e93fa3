"""What the emulator's own tests share: their credentials, the shared launcher started with them,
requests signed by the tests' own signer (client.py), and short ways to leaves of the shared test PKI."""

import datetime
import os
import ssl

import client
from slbcert_emulator import testing

KEY_ID, SECRET = "LTAI5tEmulatorTestKey1", "emulator-test-secret-1"
KEY2_ID, SECRET2 = "LTAI5tEmulatorTestKey2", "emulator-test-secret-2"
STS_ID, STS_SECRET, STS_TOKEN = "STS.NUemulatorTest", "sts-test-secret", "CAIS+sts/token=="
REGION = "cn-hangzhou"

# The certificates most tests upload: the PKI's leaf key, these names, valid from a day ago.
COMMON_NAME = "www.example.com"
SANS = ("www.example.com", "example.com")

# Everything the tests contact is on 127.0.0.1: keep any proxy of the environment out of the way.
for _name in [n for n in os.environ if n.lower() in ("http_proxy", "https_proxy", "all_proxy")]:
    del os.environ[_name]
os.environ["NO_PROXY"] = os.environ["no_proxy"] = testing.without_proxies()["NO_PROXY"]


class Emulator(testing.Emulator):
    """The shared launcher's emulator with the tests' two AccessKeys and STS token.

    `extra_args` are more `python3 -m slbcert_emulator` options; `tls=True` serves HTTPS with a
    development CA (`ca_file`), which `call()` trusts.
    """

    def __init__(self, data_dir, *extra_args, tls=False, **options):
        super().__init__(data_dir, access_keys=[(KEY_ID, SECRET), (KEY2_ID, SECRET2)],
                         sts_tokens=[(STS_ID, STS_SECRET, STS_TOKEN)], tls=tls, extra_args=extra_args, **options)
        self._tls_context = None

    @property
    def tls_context(self):
        """A client context that trusts `ca_file` (None over plain HTTP); the CA exists once started."""
        if self.tls and self._tls_context is None:
            self._tls_context = ssl.create_default_context(cafile=str(self.ca_file))
        return self._tls_context

    @property
    def pid(self):
        return self.process.pid

    def call(self, action, params, key_id=KEY_ID, secret=SECRET, signature="V1", **options):
        """Send one signed RPC request built by the tests' own signer."""
        if signature == "V1":
            request = client.v1_request(action, params, key_id, secret, **options)
        else:
            request = client.v3_request(action, params, key_id, secret, self.host, **options)
        return client.send(self.url, *request, tls=self.tls_context)


def a_day_ago():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(days=1)


def issue_leaf(pki, common_name=COMMON_NAME, sans=SANS, key="leaf", days=365, **options):
    """A new leaf (an Issued: .cert, .key, .chain_pem, ...) from the test PKI's intermediate, valid
    from a day ago; `key` is an entry whose key it reuses, a new key's spec or a key object."""
    options.setdefault("not_before", a_day_ago())
    return pki.issue_leaf(common_name, list(sans), key=key, days=days, **options)


def upload_pair(pki, common_name=COMMON_NAME, sans=SANS, key="leaf"):
    """(certificate chain PEM, PKCS#1 key PEM, leaf) ready for UploadServerCertificate."""
    issued = issue_leaf(pki, common_name, sans, key=key)
    return issued.chain_pem.decode(), issued.key_bytes("pkcs1").decode(), issued.cert


def upload_params(pki, name="example-cert", **extra):
    certificate, key, _ = upload_pair(pki)
    return dict(RegionId=REGION, ServerCertificate=certificate, PrivateKey=key,
                ServerCertificateName=name, **extra)
