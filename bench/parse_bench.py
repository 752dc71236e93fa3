#!/usr/bin/env python3
"""Certificate bundles parsed and checked per second: slbcert's C API against python-cryptography.

Inputs, made afresh by this script with python-cryptography: chains of 1, 3 and 4 certificates (leaf
first; the CAs have RSA-2048 keys; the 1-certificate chain is a leaf whose issuer is not given), each with
its leaf key of RSA-2048 or RSA-4096 as PKCS#1, PKCS#8 and encrypted PKCS#8 (BestAvailableEncryption).
Rows, per input:
  python   python-cryptography doing the work the issue names: load the chain and the key (RSA key
           validation skipped), compare the key's public key with the leaf's, verify each link with
           verify_directly_issued_by, SHA-1 and SHA-256 fingerprints, CN, DNS SANs and notAfter of every
           certificate, and the key as PKCS#1 PEM and the chain as PEM out;
  python=  the same program, and also every other fact slbcert reports: subject and issuer (RFC 4514),
           serial, notBefore, each certificate's key type and size, CA flag and IP SANs, whether it is
           self-signed (a subject equal to its issuer whose own key verifies its signature, as slbcert
           defines it: one more signature check, for the root), the dates against the clock;
  slbcert  slbcert_bundle_parse() and every fact, finding and normalised PEM read back (bench/parse_bench.c);
  floor    the OpenSSL operations the checks cannot avoid, timed alone (see bench/parse_bench.c): base64,
           SHA-1 and SHA-256 of every certificate, one signature verification per link and for a
           self-signed root, the PBKDF2 and decryption of an encrypted key;
  +DER     the floor and the DER decoding no check can skip (d2i_X509 of the structure, d2i of the key).
The goal is judged against the python row, the program the issue describes; python= shows how much of
the difference is the facts that program leaves out. slbcert also orders the chain by signature: work
neither python program does (they are handed the chain in order).
Rates are per second of CPU time (time.process_time here, getrusage in parse_bench.c), one thread.
Ratios: slbcert / python (goal >= 1.5x), slbcert / python= (for reference), floor / slbcert (goal <= 3x),
and floor+DER / slbcert (for reference).
    python bench/parse_bench.py --extra build/bench/parse_bench
Profile one row: --keep DIR, then build/bench/parse_bench --rows DIR/rows.tsv --profile LABEL N under perf.
Figures, not a test: nothing here passes or fails on a figure.
"""
import argparse
import datetime
import os
import shlex
import subprocess
import sys
import tempfile
import time

import cryptography
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

GOAL_VS_PYTHON, GOAL_VS_FLOOR = 1.5, 3.0
PASSPHRASE = b"bench passphrase"
NOW = datetime.datetime.now(datetime.timezone.utc)


def rsa_key(bits):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bench"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue(subject, key, issuer_name, issuer_key, ca, days):
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=1))
               .not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if ca:
        builder = (builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True))
    else:
        builder = (builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.bench.example"),
                                                               x509.DNSName("bench.example")]), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def chains():
    """(length, leaf bits) -> the chain's PEM (leaf first) and the leaf key."""
    root_key, int1_key, int2_key = rsa_key(2048), rsa_key(2048), rsa_key(2048)
    root_name, int1_name, int2_name = name("Bench Root CA"), name("Bench Intermediate CA 1"), name("Bench Intermediate CA 2")
    root = issue(root_name, root_key, root_name, root_key, True, 3650)
    int1 = issue(int1_name, int1_key, root_name, root_key, True, 1825)
    int2 = issue(int2_name, int2_key, int1_name, int1_key, True, 1000)
    out = {}
    for bits in (2048, 4096):
        key = rsa_key(bits)
        leaf_for_int1 = issue(name("www.bench.example"), key, int1_name, int1_key, False, 90)
        leaf_for_int2 = issue(name("www.bench.example"), key, int2_name, int2_key, False, 90)
        pem = lambda certificates: b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
        out[(1, bits)] = (pem([leaf_for_int1]), key)
        out[(3, bits)] = (pem([leaf_for_int1, int1, root]), key)
        out[(4, bits)] = (pem([leaf_for_int2, int2, int1, root]), key)
    return out


def key_pem(key, form):
    if form == "PKCS#1":
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())
    encryption = serialization.BestAvailableEncryption(PASSPHRASE) if form == "enc PKCS#8" else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def self_signed(certificate):
    """slbcert's definition: the subject is the issuer and the certificate's own key verifies its signature."""
    if certificate.subject != certificate.issuer:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def python_work(chain_pem, key_bytes, passphrase, every_fact=False):
    """The checks and outputs, done with python-cryptography: the issue's list, or with every_fact the
    facts slbcert reports besides (the python= row)."""
    def work():
        certificates = x509.load_pem_x509_certificates(chain_pem)
        key = serialization.load_pem_private_key(key_bytes, passphrase, unsafe_skip_rsa_key_validation=True)
        if key.public_key() != certificates[0].public_key():
            raise ValueError("key mismatch")
        for child, issuer in zip(certificates, certificates[1:]):
            child.verify_directly_issued_by(issuer)
        now = datetime.datetime.now(datetime.timezone.utc)
        facts = []
        for certificate in certificates:
            common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            try:
                sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                dns = sans.get_values_for_type(x509.DNSName)
                ips = [str(address) for address in sans.get_values_for_type(x509.IPAddress)] if every_fact else []
            except x509.ExtensionNotFound:
                dns, ips = [], []
            facts.append((certificate.fingerprint(hashes.SHA1()).hex(), certificate.fingerprint(hashes.SHA256()).hex(),
                          common_names[0].value if common_names else "", dns, certificate.not_valid_after_utc))
            if every_fact:
                try:
                    is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
                except x509.ExtensionNotFound:
                    is_ca = False
                public_key = certificate.public_key()
                facts.append((certificate.subject.rfc4514_string(), certificate.issuer.rfc4514_string(),
                              format(certificate.serial_number, "X"), certificate.not_valid_before_utc,
                              type(public_key).__name__, public_key.key_size, is_ca, ips, self_signed(certificate),
                              certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc))
        if every_fact:
            facts.append((type(key).__name__, key.key_size))
        pkcs1 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption())
        chain_out = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
        return facts, pkcs1, chain_out
    return work


def rate(function, seconds):
    """Calls per second of this process's CPU time."""
    for _ in range(5):
        function()  # warm up
    count, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for _ in range(20):
            function()
        count += 20
    return count / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per row and implementation")
    parser.add_argument("--extra", required=True, help="bench/parse_bench.c's program")
    parser.add_argument("--keep", metavar="DIR", help="write the inputs and rows.tsv into DIR and keep them (for "
                        "parse_bench --profile)")
    args = parser.parse_args()
    interpreter = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    print("Parse and check a certificate bundle (chain + key), single thread, bundles per CPU second")
    print(f"python {sys.version.split()[0]}, cryptography {cryptography.__version__}; "
          f"command: {' '.join(shlex.quote(a) for a in [interpreter, *sys.argv])}")
    made = chains()
    rows = []
    with tempfile.TemporaryDirectory(prefix="parse-bench-") as scratch:
        tmp = args.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        passphrase_file = os.path.join(tmp, "passphrase")
        with open(passphrase_file, "wb") as f:
            f.write(PASSPHRASE)
        manifest = []
        for length in (1, 3, 4):
            for bits in (2048, 4096):
                chain_pem, key = made[(length, bits)]
                for form in ("PKCS#1", "PKCS#8", "enc PKCS#8"):
                    label = f"{length} cert, RSA-{bits} leaf, {form}"
                    stem = os.path.join(tmp, f"{length}-{bits}-{form.replace(' ', '').replace('#', '')}")
                    key_bytes = key_pem(key, form)
                    with open(stem + ".chain.pem", "wb") as f:
                        f.write(chain_pem)
                    with open(stem + ".key.pem", "wb") as f:
                        f.write(key_bytes)
                    encrypted = form == "enc PKCS#8"
                    manifest.append(f"{label}\t{stem}.chain.pem\t{stem}.key.pem\t{passphrase_file if encrypted else '-'}")
                    rows.append((label, chain_pem, key_bytes, PASSPHRASE if encrypted else None))
        rows_file = os.path.join(tmp, "rows.tsv")
        with open(rows_file, "w") as f:
            f.write("\n".join(manifest) + "\n")

        # Row by row, both python programs then slbcert and the floors, so that drift in the machine's load hits all alike.
        rates = {}
        facts = []
        for label, chain_pem, key_bytes, passphrase in rows:
            rates[("python", label)] = rate(python_work(chain_pem, key_bytes, passphrase), args.seconds)
            rates[("python=", label)] = rate(python_work(chain_pem, key_bytes, passphrase, every_fact=True), args.seconds)
            argv = shlex.split(args.extra) + ["--rows", rows_file, "--seconds", str(args.seconds), "--only", label]
            output = subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True).stdout
            for line in output.splitlines():
                if line.startswith("#"):
                    facts.append(line)
                    continue
                kind, row, value = line.split("\t")
                rates[(kind, row)] = float(value)

    for line in facts:
        print(line)
    print()
    header = (f"{'input':36s} {'python':>8s} {'python=':>8s} {'slbcert':>8s} {'floor':>8s} {'+DER':>8s} "
              f"{'slbcert/python':>15s} {'slbcert/python=':>16s} {'floor/slbcert':>14s} {'+DER/slbcert':>13s}")
    print(header)
    print("-" * len(header))
    missed = []
    for label, *_ in rows:
        python, same, slbcert, floor, der = (rates.get((kind, label)) for kind in ("python", "python=", "slbcert", "floor",
                                                                                    "floor+der"))
        vs_python = slbcert / python if python and slbcert else None
        vs_same = slbcert / same if same and slbcert else None
        vs_floor = floor / slbcert if floor and slbcert else None
        vs_der = der / slbcert if der and slbcert else None
        if vs_python is None or vs_python < GOAL_VS_PYTHON or vs_floor is None or vs_floor > GOAL_VS_FLOOR:
            missed.append(label)
        show = lambda value: f"{value:8,.0f}" if value else f"{'n/a':>8s}"
        ratio = lambda value, width: f"{value:{width - 1}.2f}x" if value else f"{'n/a':>{width}s}"
        print(f"{label:36s} {show(python)} {show(same)} {show(slbcert)} {show(floor)} {show(der)} {ratio(vs_python, 15)} "
              f"{ratio(vs_same, 16)} {ratio(vs_floor, 14)} {ratio(vs_der, 13)}")
    print()
    print(f"goals: slbcert/python >= {GOAL_VS_PYTHON:g}x and floor/slbcert <= {GOAL_VS_FLOOR:g}x on every row: "
          + ("met" if not missed else f"MISSED on {len(missed)} row(s): {'; '.join(missed)}"))


if __name__ == "__main__":
    main()
