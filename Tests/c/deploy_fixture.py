"""What Tests/c/test_deploy.c needs from the emulator, as a small command-line tool (C has no TLS or
JSON of its own here): it runs the emulator, seeds load balancers with listeners and SNI domain
extensions, injects faults, and reports what the emulator holds and what its data plane serves.

    deploy_fixture.py serve DIR                  start the emulator; print URL=, CA=, then READY;
                                                 stop it when stdin closes (the C program exited)
    deploy_fixture.py world URL CA DIR           reset, make certificates, seed the scenario; print KEY=VALUE
    deploy_fixture.py faults URL CA JSON         replace the fault rules
    deploy_fixture.py bindings URL CA            print LB:PORT[:DOMAIN]=CERTIFICATE_ID, one per line
    deploy_fixture.py served ADDRESS PORT NAME   print FINGERPRINT=, the SHA-1 of the leaf a handshake with NAME gets

The scenario: an old certificate on two guaranteed-performance load balancers (LB1: its default
and the SNI domains api and *.shop; LB2: its default and the SNI domain www), an unrelated
certificate on a second listener of LB2, and a renewal of the old certificate in NEW_CHAIN/NEW_KEY.
"""

import datetime
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

ACCESS_KEY = ("LTAI5tCDeployTest01", "c-deploy-test-secret-value")
REGION = "cn-hangzhou"
NAMES = ["www.c-deploy.example", "api.c-deploy.example", "*.shop.c-deploy.example"]


def serve(directory):
    directory = Path(directory)
    subprocess.run([sys.executable, "-m", "slbcert_emulator.devcerts", "--out", str(directory / "tls")], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    with open(directory / "emulator.err", "wb") as errors:
        emulator = subprocess.Popen(
            [sys.executable, "-m", "slbcert_emulator", "--host", "127.0.0.1", "--port", "0",
             "--data-dir", str(directory / "data"), "--access-key", ":".join(ACCESS_KEY),
             "--tls-cert", str(directory / "tls" / "server.pem"), "--tls-key", str(directory / "tls" / "server-key.pem")],
            stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
    try:
        url = emulator.stdout.readline().decode().strip()
        if not url.startswith("https://"):
            sys.exit(f"the emulator did not start: {(directory / 'emulator.err').read_text()}")
        print(f"URL={url}\nCA={directory / 'tls' / 'ca.pem'}\nACCESS_KEY_ID={ACCESS_KEY[0]}\n"
              f"ACCESS_KEY_SECRET={ACCESS_KEY[1]}\nREADY", flush=True)
        sys.stdin.read()  # returns when the C program closes its end, or exits
    finally:
        emulator.send_signal(signal.SIGTERM)
        try:
            emulator.wait(10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait(10)


def admin(url, ca, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_emulator/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca)))
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read())


def _pem(item):
    return item.public_bytes(serialization.Encoding.PEM).decode()


def issue(ca_cert, ca_key, names, days):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    begin = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0].replace("*", "wildcard"))]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(begin).not_valid_after(begin + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    fingerprint = ":".join(f"{b:02x}" for b in cert.fingerprint(hashes.SHA1()))
    return _pem(cert) + _pem(ca_cert), key_pem, fingerprint


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def world(url, ca, directory):
    directory = Path(directory)
    admin(url, ca, "POST", "reset")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "C deploy test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    old_chain, old_key, old_fingerprint = issue(ca_cert, ca_key, NAMES, 30)
    other_chain, other_key, _ = issue(ca_cert, ca_key, ["other.c-deploy.example"], 30)
    new_chain, new_key, new_fingerprint = issue(ca_cert, ca_key, NAMES, 90)
    unrelated_chain, unrelated_key, _ = issue(ca_cert, ca_key, ["elsewhere.c-deploy.example"], 90)
    ports = [free_port(), free_port(), free_port()]
    answer = admin(url, ca, "POST", "seed", {
        "AccessKeyId": ACCESS_KEY[0], "RegionId": REGION,
        "Certificates": [{"Ref": "old", "ServerCertificate": old_chain, "PrivateKey": old_key},
                         {"Ref": "other", "ServerCertificate": other_chain, "PrivateKey": other_key}],
        "LoadBalancers": [
            {"LoadBalancerName": "c1", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
                {"ListenerPort": ports[0], "ServerCertificate": "old", "HealthCheckDomain": "health.c-deploy.example",
                 "DomainExtensions": [{"Domain": "api.c-deploy.example", "ServerCertificate": "old"},
                                      {"Domain": "*.shop.c-deploy.example", "ServerCertificate": "old"}]}]},
            {"LoadBalancerName": "c2", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
                {"ListenerPort": ports[1], "ServerCertificate": "old", "HealthCheckDomain": "health.c-deploy.example",
                 "DomainExtensions": [{"Domain": "www.c-deploy.example", "ServerCertificate": "old"}]},
                {"ListenerPort": ports[2], "ServerCertificate": "other"}]}]})
    files = {}
    for name, text in [("new.pem", new_chain), ("new.key", new_key), ("unrelated.pem", unrelated_chain),
                       ("unrelated.key", unrelated_key)]:
        path = directory / name
        path.write_text(text)
        path.chmod(0o600)
        files[name] = path
    lb1, lb2 = answer["LoadBalancers"]
    print(f"OLD={answer['Certificates']['old']['ServerCertificateId']}\n"
          f"OTHER={answer['Certificates']['other']['ServerCertificateId']}\n"
          f"OLD_FINGERPRINT={old_fingerprint}\nNEW_FINGERPRINT={new_fingerprint}\n"
          f"NEW_CHAIN={files['new.pem']}\nNEW_KEY={files['new.key']}\n"
          f"UNRELATED_CHAIN={files['unrelated.pem']}\nUNRELATED_KEY={files['unrelated.key']}\n"
          f"LB1={lb1['LoadBalancerId']}\nLB2={lb2['LoadBalancerId']}\nADDRESS1={lb1['Address']}\nADDRESS2={lb2['Address']}\n"
          f"PORT1={ports[0]}\nPORT2={ports[1]}\nPORT3={ports[2]}")


def bindings(url, ca):
    for listener in admin(url, ca, "GET", "listeners")["Listeners"]:
        name = f"{listener['LoadBalancerId']}:{listener['ListenerPort']}"
        print(f"{name}={listener['ServerCertificateId']}")
        for extension in listener["DomainExtensions"]:
            print(f"{name}:{extension['Domain']}={extension['ServerCertificateId']}")


def served(address, port, name):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, int(port)), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=name) as tls:
            print("FINGERPRINT=" + ":".join(f"{b:02x}" for b in hashlib.sha1(tls.getpeercert(binary_form=True)).digest()))


def main(argv):
    command, args = argv[1], argv[2:]
    os.environ.pop("HTTPS_PROXY", None)
    if command == "serve":
        serve(*args)
    elif command == "world":
        world(*args)
    elif command == "faults":
        admin(args[0], args[1], "POST", "faults", json.loads(args[2]))
    elif command == "bindings":
        bindings(*args)
    elif command == "served":
        served(*args)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
