#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into OUT/<target>/ (one file per seed).

Certificates and keys are made here, at run time (`cryptography`, and the openssl command for
encrypted PKCS#8 with a small iteration count), so nothing generated is committed and nothing
expires. The input layouts are the ones the targets read (see the comment at the top of each).

    make-seeds.py OUT
"""
import datetime
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

SPLIT = b"@@slbcert@@"
NOW = datetime.datetime.now(datetime.timezone.utc)
PEM = serialization.Encoding.PEM


def write(out, target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as handle:
        handle.write(data)


# ---------------------------------------------------------------------------------------------- PKI

def rsa_key(bits=1024):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def certificate(subject, key, issuer=None, issuer_key=None, ca=False, days=(-1, 90), dns=(), ips=()):
    issuer = issuer or subject
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW + datetime.timedelta(days=days[0]))
               .not_valid_after(NOW + datetime.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    names = [x509.DNSName(name) for name in dns] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer_key or key
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signer, algorithm)


def pem(cert):
    return cert.public_bytes(PEM)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def key_pem(key, form="pkcs1", passphrase=None):
    if form == "pkcs8":
        return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL, encryption)


def encrypted_pkcs8(key, passphrase, iterations=1000):
    """PBES2 with PBKDF2 at a small iteration count (fast to parse), as `openssl pkcs8 -topk8` writes it."""
    with tempfile.TemporaryDirectory() as work:
        plain = os.path.join(work, "key.pem")
        secret = os.path.join(work, "pass")
        with open(plain, "wb") as handle:
            handle.write(key_pem(key, "pkcs8"))
        with open(secret, "wb") as handle:
            handle.write(passphrase)
        return subprocess.run(["openssl", "pkcs8", "-topk8", "-v2", "aes-128-cbc", "-iter", str(iterations),
                               "-in", plain, "-passout", "file:" + secret], check=True, capture_output=True).stdout


def bundle(flags, chain, key=None, passphrase=None):
    data = bytes([flags]) + chain
    if key is not None or passphrase is not None:
        data += SPLIT + (key or b"")
    if passphrase is not None:
        data += SPLIT + passphrase
    return data


def bundle_seeds(out):
    root_key, intermediate_key, leaf_key = rsa_key(), rsa_key(), rsa_key()
    root = certificate("fuzz root", root_key, ca=True, days=(-10, 3650))
    intermediate = certificate("fuzz intermediate", intermediate_key, "fuzz root", root_key, ca=True, days=(-10, 1825))
    leaf = certificate("www.fuzz.test", leaf_key, "fuzz intermediate", intermediate_key,
                       dns=("www.fuzz.test", "fuzz.test"), ips=("127.0.0.1", "::1"))
    chain = pem(leaf) + pem(intermediate) + pem(root)
    seeds = {
        "chain-pkcs1": bundle(0, chain, key_pem(leaf_key)),
        "chain-pkcs8-reordered": bundle(2, pem(root) + pem(leaf) + pem(intermediate), key_pem(leaf_key, "pkcs8")),
        "chain-only": bundle(0, chain),
        "leaf-alone": bundle(0, pem(leaf), key_pem(leaf_key)),
        "crlf-bom-text": bundle(0, b"\xef\xbb\xbfsubject=CN=www.fuzz.test\r\n" + pem(leaf).replace(b"\n", b"\r\n")
                                + b"\r\n\r\n  " + pem(intermediate).replace(b"\n", b"\r\n"), key_pem(leaf_key)),
        "duplicate": bundle(0, pem(leaf) + pem(intermediate) + pem(leaf), key_pem(leaf_key)),
        "key-in-chain": bundle(0, pem(leaf) + key_pem(leaf_key) + pem(intermediate)),
        "unterminated": bundle(0, pem(leaf) + pem(intermediate)[:-40]),
        "der": bundle(0, der(leaf), key_pem(leaf_key)),
        "mismatch": bundle(0, chain, key_pem(intermediate_key)),
        "encrypted-pkcs8": bundle(0, chain, encrypted_pkcs8(leaf_key, b"fuzz pass"), b"fuzz pass"),
        "encrypted-pkcs8-wrong": bundle(0, chain, encrypted_pkcs8(leaf_key, b"fuzz pass"), b"wrong"),
        "encrypted-pkcs8-none": bundle(0, chain, encrypted_pkcs8(leaf_key, b"fuzz pass")),
        "encrypted-legacy": bundle(0, chain, key_pem(leaf_key, passphrase=b"fuzz pass"), b"fuzz pass"),
        "expired-now-2030": bundle(2 << 3, chain, key_pem(leaf_key)),
        "not-yet-valid": bundle(1 << 3, chain, key_pem(leaf_key)),
        "expires-soon-365": bundle(2 << 1, chain, key_pem(leaf_key)),
    }
    ca_leaf_key = rsa_key(1536)
    ca_leaf = certificate("ca-leaf.fuzz.test", ca_leaf_key, ca=True)
    seeds["ca-leaf-1536"] = bundle(0, pem(ca_leaf), key_pem(ca_leaf_key))
    seeds["stray"] = bundle(0, pem(leaf) + pem(intermediate) + pem(ca_leaf), key_pem(leaf_key))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_leaf = certificate("ec.fuzz.test", ec_key, dns=("ec.fuzz.test",))
    seeds["ec-sec1"] = bundle(0, pem(ec_leaf), key_pem(ec_key))
    seeds["ec-pkcs8-allowed"] = bundle(1, pem(ec_leaf), key_pem(ec_key, "pkcs8"))
    seeds["ec-legacy-encrypted"] = bundle(1, pem(ec_leaf), key_pem(ec_key, passphrase=b"ec pass"), b"ec pass")
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_leaf = certificate("ed.fuzz.test", ed_key)
    seeds["ed25519"] = bundle(1, pem(ed_leaf), key_pem(ed_key, "pkcs8"))
    seeds["openssh-key"] = bundle(0, pem(leaf), b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    for name, data in seeds.items():
        write(out, "bundle", name, data)


# ------------------------------------------------------------------------------------------ redactor

def redactor_seeds(out):
    key_block = "-----BEGIN RSA PRIVATE KEY-----\nMIICXAIBAAKBgQC7\n-----END RSA PRIVATE KEY-----"
    texts = [
        "GET https://slb.cn-hangzhou.aliyuncs.com/?AccessKeyId=id&Action=DescribeServerCertificates"
        "&SecurityToken=CAIS%2Bv1token%3D&Signature=dGVzdA%3D%3D&Timestamp=2024-01-01T12%3A00%3A00Z",
        "POST&%2F&AccessKeyId%3Did%26PrivateKey%3D-----BEGIN%2520RSA%2520PRIVATE%2520KEY-----%250AMIIC%250A"
        "-----END%2520RSA%2520PRIVATE%2520KEY-----%26SecurityToken%3Dabc%26Signature%3Dxyz",
        "authorization: ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-action,Signature=0123abcd\n"
        "x-acs-security-token: CAIStoken\r\nX-Aliyun-ECS-Metadata-Token: AQAEAF\n",
        '{"AccessKeyId": "id", "AccessKeySecret": "sec\\"ret", "SecurityToken": \'tok\', "Expiration": "2030"}',
        "{'access_key_secret': 'x', 'sts_token': 'y'}",
        "SignatureDoesNotMatch: Specified signature is not matched with our calculation. server string to sign is:"
        "POST&%2F&AccessKeyId%3Did%26Signature%3Dabc",
        "error: PrivateKey=" + key_block.replace("\n", "%0A").replace(" ", "+") + "&Other=1",
        key_block + "\n" + key_block.replace("RSA ", "EC "),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n(cut short",
        "Access\u212aeySecret=kelvin&x-acs-security-token:\u2028next\u0085line",
        "MySignature=keep&X-Signature=keep&signature=&Signature=[REDACTED]%3F",
        "<Error><Code>InvalidAccessKeyId</Code><Message>AccessKeySecret=abc</Message></Error>",
    ]
    for index, text in enumerate(texts):
        write(out, "redactor", "text-%02d" % index, bytes([index * 37 & 0xff]) + text.encode())


# ---------------------------------------------------------------------------------------------- JSON

def json_seeds(out):
    def item(index):
        return {"ServerCertificateId": "1234567890_%08x" % index, "ServerCertificateName": "cert-%d" % index,
                "Fingerprint": hashlib.sha1(b"%d" % index).hexdigest(), "CommonName": "www.fuzz.test",
                "SubjectAlternativeNames": {"SubjectAlternativeName": ["www.fuzz.test", "fuzz.test"]},
                "CreateTime": "2024-01-01T12:00Z", "CreateTimeStamp": 1704110400000 + index,
                "ExpireTime": "2025-01-01T12:00Z", "ExpireTimeStamp": 1735732800000,
                "IsAliCloudCertificate": index % 2, "AliCloudCertificateId": "", "AliCloudCertificateName": "",
                "RegionId": "cn-hangzhou", "RegionIdAlias": "cn-hangzhou", "ResourceGroupId": "rg-acfm",
                "Tags": {"Tag": [{"TagKey": "env", "TagValue": "prod"}]}}
    documents = {
        "describe": {"RequestId": "365F4154-92F6-4AE4-92F8-7FF34B540710",
                     "ServerCertificates": {"ServerCertificate": [item(1), item(2)]}},
        "describe-empty": {"RequestId": "r", "ServerCertificates": {"ServerCertificate": []}},
        "describe-bare-list": {"RequestId": "r", "ServerCertificates": [item(3)]},
        "upload": dict(item(4), RequestId="r-upload"),
        "error": {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched. server string to sign is:"
                  "POST&%2F&AccessKeyId%3Did%26Signature%3Dabc", "RequestId": "r", "HostId": "slb.aliyuncs.com",
                  "Recommend": "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch"},
        "throttling": {"Code": "Throttling.User", "Message": "Request was denied due to user flow control.", "RequestId": "r"},
        "ecs-credentials": {"AccessKeyId": "STS.id", "AccessKeySecret": "secret", "SecurityToken": "CAIS",
                            "Expiration": "2030-01-01T00:00:00Z", "Code": "Success"},
        "aliyun-config": {"current": "default", "profiles": [{"name": "default", "mode": "AK", "access_key_id": "id",
                                                             "access_key_secret": "secret", "region_id": "cn-hangzhou"}]},
    }
    for name, document in documents.items():
        write(out, "json", name, json.dumps(document, indent=1 if name == "describe" else None).encode())
    raw = {
        "escapes": b'{"s": "\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/\\b\\f\\r", "lone": "\\ud800x", "raw": "\xc3\xa9\xff"}',
        "numbers": b'[0, -0, 1.5e-7, 1E+2, 123456789012345678, 1e400, -1e400, 0.1, 9007199254740993]',
        "nested": b"[" * 62 + b"{}" + b"]" * 62,
        "literals": b' {"a": true, "b": false, "c": null, "d": [], "e": {}} ',
        "xml-error": b"<?xml version='1.0'?><Error><Code>InvalidParameter</Code><Message>bad</Message>"
                     b"<RequestId>r</RequestId><HostId>h</HostId></Error>",
        "html-414": b"<html><head><title>414 Request-URI Too Large</title></head><body>tengine</body></html>",
    }
    for name, data in raw.items():
        write(out, "json", name, data)


# -------------------------------------------------------------------------------------------- signer

def signer_seeds(out, chain, key):
    def case(flags, fields, pairs=()):
        values = list(fields) + [value for pair in pairs for value in pair]
        return bytes([flags]) + b"\0".join(value.encode() if isinstance(value, str) else value for value in values)

    base = ["UploadServerCertificate", "2014-05-15", "slb.cn-hangzhou.aliyuncs.com", "LTAI-fuzz", "secret-fuzz",
            "CAIS+token/=", "fuzz-nonce", "2024-01-01T12:00:00Z"]
    upload = [("RegionId", "cn-hangzhou"), ("ServerCertificate", chain), ("PrivateKey", key), ("ServerCertificateName", "www 2024")]
    describe = [("RegionId", "cn-hangzhou"), ("Tag.1.Key", "env"), ("Tag.1.Value", "prod \u00e9*~+/=")]
    seeds = {
        "v1-body-upload": case(0, base, upload),
        "v3-body-upload": case(1, base, upload),
        "v1-query-get-describe": case(2 | 4, base, describe),
        "v3-query-sts": case(1 | 2 | 16, base, describe),
        "v1-legacy-sts-format": case(8 | 16, base, [("Format", "XML")] + describe),
        "v1-no-parameters": case(0, base),
        "v3-fields-nonce-time": case(1 | 64 | 128, base[:6] + ["n-0123456789", "2030-12-31T23:59:59Z"], describe),
        "unicode": case(2, base, [("K\u00e9y \u212a", "v\u0301al\u2028ue"), ("e\u0301", "\U0001F600"), ("a", "")]),
        "random-nonce": case(32 | 1, base, describe),
        "defaults": b"\0",
    }
    for name, data in seeds.items():
        write(out, "signer", name, data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    bundle_seeds(out)
    redactor_seeds(out)
    json_seeds(out)
    key = rsa_key()
    leaf = certificate("sign.fuzz.test", key)
    signer_seeds(out, pem(leaf).decode(), key_pem(key).decode())


if __name__ == "__main__":
    main()
