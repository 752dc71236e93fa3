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

import hashlib
import json
import os
import socket
import ssl
import sys
from pathlib import Path

from slbcert_emulator.testing import AdminClient, Emulator, TestPKI

ACCESS_KEY = ("LTAI5tCDeployTest01", "c-deploy-test-secret-value")
REGION = "cn-hangzhou"
NAMES = ["www.c-deploy.example", "api.c-deploy.example", "*.shop.c-deploy.example"]


def serve(directory):
    """The shared launcher: the emulator over HTTPS with its test CA, until stdin closes."""
    directory = Path(directory)
    emulator = Emulator(directory / "data", access_keys=[ACCESS_KEY], region=REGION).start()
    try:
        print(f"URL={emulator.url}\nCA={emulator.ca_file}\nACCESS_KEY_ID={ACCESS_KEY[0]}\n"
              f"ACCESS_KEY_SECRET={ACCESS_KEY[1]}\nREADY", flush=True)
        sys.stdin.read()  # returns when the C program closes its end, or exits
    finally:
        emulator.stop()


def admin(url, ca, method, path, body=None):
    return AdminClient(url, ca).request(method, path, body)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def world(url, ca, directory):
    """The scenario's certificates from the shared test PKI, seeded onto two load balancers."""
    directory = Path(directory)
    admin(url, ca, "POST", "reset")
    pki = TestPKI(directory / "pki")

    def issue(names, days):
        return pki.issue_leaf(names[0].replace("*", "wildcard"), names, days=days, key="rsa2048")

    old, other = issue(NAMES, 30), issue(["other.c-deploy.example"], 30)
    new, unrelated = issue(NAMES, 90), issue(["elsewhere.c-deploy.example"], 90)
    ports = [free_port(), free_port(), free_port()]
    answer = admin(url, ca, "POST", "seed", {
        "AccessKeyId": ACCESS_KEY[0], "RegionId": REGION,
        "Certificates": [{"Ref": "old", "ServerCertificate": old.chain_pem.decode(), "PrivateKey": old.key_bytes("pkcs1").decode()},
                         {"Ref": "other", "ServerCertificate": other.chain_pem.decode(),
                          "PrivateKey": other.key_bytes("pkcs1").decode()}],
        "LoadBalancers": [
            {"LoadBalancerName": "c1", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
                {"ListenerPort": ports[0], "ServerCertificate": "old", "HealthCheckDomain": "health.c-deploy.example",
                 "DomainExtensions": [{"Domain": "api.c-deploy.example", "ServerCertificate": "old"},
                                      {"Domain": "*.shop.c-deploy.example", "ServerCertificate": "old"}]}]},
            {"LoadBalancerName": "c2", "LoadBalancerSpec": "slb.s2.small", "Listeners": [
                {"ListenerPort": ports[1], "ServerCertificate": "old", "HealthCheckDomain": "health.c-deploy.example",
                 "DomainExtensions": [{"Domain": "www.c-deploy.example", "ServerCertificate": "old"}]},
                {"ListenerPort": ports[2], "ServerCertificate": "other"}]}]})
    lb1, lb2 = answer["LoadBalancers"]
    print(f"OLD={answer['Certificates']['old']['ServerCertificateId']}\n"
          f"OTHER={answer['Certificates']['other']['ServerCertificateId']}\n"
          f"OLD_FINGERPRINT={old.fingerprint}\nNEW_FINGERPRINT={new.fingerprint}\n"
          f"NEW_CHAIN={new.chain_path}\nNEW_KEY={new.key_path}\n"
          f"UNRELATED_CHAIN={unrelated.chain_path}\nUNRELATED_KEY={unrelated.key_path}\n"
          f"LB1={lb1['LoadBalancerId']}\nLB2={lb2['LoadBalancerId']}\nADDRESS1={lb1['Address']}\nADDRESS2={lb2['Address']}\n"
          f"PORT1={ports[0]}\nPORT2={ports[1]}\nPORT3={ports[2]}")


def bindings(url, ca):
    for listener in admin(url, ca, "GET", "listeners")["Listeners"]:
        name = f"{listener['LoadBalancerId']}:{listener['ListenerPort']}"
        print(f"{name}={listener['ServerCertificateId']}")
        for extension in listener["DomainExtensions"]:
            print(f"{name}:{extension['Domain']}={extension['ServerCertificateId']}")


def served(address, port, name):
    """The SHA-1 of the leaf a handshake with `name` gets (verification off: the fingerprint is the check)."""
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
