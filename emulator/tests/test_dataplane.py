"""The data plane: each load balancer's own loopback address, real TLS by SNI on each running
listener, a switch visible at the next handshake, and failures reported instead of crashing."""

import errno
import random
import socket
import ssl
import subprocess
import sys

import pytest

from harness import KEY_ID, REGION, SECRET, issue_leaf
from lbs import (any_free_port, create_lb, create_listener, fingerprint_of_der, free_port, ok,
                 served_certificate, served_fingerprint, upload)
from slbcert_emulator import dataplane


def listeners(emu):
    status, body = emu.admin.send("GET", "listeners")
    assert status == 200
    return body


def test_each_load_balancer_has_its_own_address_in_the_emulators_block(emu):
    addresses = [create_lb(emu)["Address"] for _ in range(3)]
    block = listeners(emu)["AddressBlock"]
    prefix = block[:-len(".0/24")]
    assert len(set(addresses)) == 3 and all(a.rsplit(".", 1)[0] == prefix for a in addresses)
    assert prefix != "127.0.0" and all(int(a.rsplit(".", 1)[1]) >= 2 for a in addresses)
    described = ok(emu.call("DescribeLoadBalancers", {"RegionId": REGION}))["LoadBalancers"]["LoadBalancer"]
    assert [b["Address"] for b in described] == addresses


def test_two_emulators_never_share_an_address(slbcert_emulator_factory, slbcert_pki):
    first, second = slbcert_emulator_factory(), slbcert_emulator_factory()
    lbs, certs = [], []
    for emu, index in ((first, 0), (second, 1)):
        certs.append(upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=index))
        lbs.append(create_lb(emu))
    assert listeners(first)["AddressBlock"] != listeners(second)["AddressBlock"]
    assert lbs[0]["Address"] != lbs[1]["Address"]
    port = free_port(lbs[0]["Address"])
    for emu, lb, cert in zip((first, second), lbs, certs):
        create_listener(emu, lb, cert["ServerCertificateId"], port=port)
    for lb, cert in zip(lbs, certs):
        assert served_fingerprint(lb["Address"], port) == cert["Fingerprint"]


def test_an_explicit_block_and_one_already_taken(slbcert_emulator_factory, tmp_path):
    block = f"127.{random.randint(200, 254)}.{random.randint(0, 255)}.0/24"
    emu = slbcert_emulator_factory("--lb-address-block", block)
    assert listeners(emu)["AddressBlock"] == block
    assert create_lb(emu)["Address"] == block.replace(".0/24", ".2")
    result = subprocess.run(
        [sys.executable, "-m", "slbcert_emulator", "--data-dir", str(tmp_path / "second"), "--access-key",
         f"{KEY_ID}:{SECRET}", "--lb-address-block", block], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "in use by another emulator" in result.stderr
    for bad in ("10.0.0.0/24", "127.1.2.0/16", "127.1.2.3/24"):
        result = subprocess.run([sys.executable, "-m", "slbcert_emulator", "--data-dir", str(tmp_path / "x"),
                                 "--access-key", "a:b", "--lb-address-block", bad],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and "127.0.0.0/8" in result.stderr


def test_sni_picks_an_exact_domain_then_a_wildcard_then_the_default(emu, slbcert_pki):
    default = upload(emu, slbcert_pki, "default.example.com", ("default.example.com",), key_index=0)
    exact = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=1)
    wildcard = upload(emu, slbcert_pki, "*.example.com", ("*.example.com",), key_index=2)
    lb = create_lb(emu)
    port = create_listener(emu, lb, default["ServerCertificateId"])
    for domain, cert in (("*.example.com", wildcard), ("www.example.com", exact)):
        ok(emu.call("CreateDomainExtension", {
            "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port),
            "Domain": domain, "ServerCertificateId": cert["ServerCertificateId"]}))
    expected = {None: default, "www.example.com": exact, "WWW.Example.COM": exact, "shop.example.com": wildcard,
                "a.b.example.com": default, "example.com": default, "www.example.net": default}
    for server_name, cert in expected.items():
        assert served_fingerprint(lb["Address"], port, server_name) == cert["Fingerprint"], server_name
    [shown] = listeners(emu)["Listeners"]
    assert shown["DataPlane"]["Endpoint"] == f"{lb['Address']}:{port}" and shown["DataPlane"]["Serving"]
    assert {s["ServerName"]: s["Fingerprint"] for s in shown["DataPlane"]["Served"]} == {
        None: default["Fingerprint"], "*.example.com": wildcard["Fingerprint"],
        "www.example.com": exact["Fingerprint"]}


def test_the_chain_verifies_like_a_real_listener(emu, slbcert_pki, tmp_path):
    cert = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",))
    lb = create_lb(emu)
    port = create_listener(emu, lb, cert["ServerCertificateId"])
    ca_file = tmp_path / "root.pem"
    ca_file.write_bytes(slbcert_pki.root.cert_pem)
    der = served_certificate(lb["Address"], port, "www.example.com", cafile=str(ca_file))
    assert fingerprint_of_der(der) == cert["Fingerprint"]
    with pytest.raises(ssl.SSLCertVerificationError):  # the name is checked as well
        served_certificate(lb["Address"], port, "other.example.com", cafile=str(ca_file))
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection((lb["Address"], port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname="www.example.com") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
            answer = tls.recv(4096)
    assert answer.startswith(b"HTTP/1.1 503 ") and lb["LoadBalancerId"].encode() in answer


def test_a_port_that_cannot_be_bound_is_reported(emu, slbcert_pki):
    cert = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",))
    lb = create_lb(emu)
    port = free_port(lb["Address"])
    squatter = socket.create_server((lb["Address"], port))
    try:
        create_listener(emu, lb, cert["ServerCertificateId"], port=port)  # the API call succeeds
        [shown] = listeners(emu)["Listeners"]
        assert shown["DataPlane"]["Serving"] is False
        assert shown["DataPlane"]["Error"].startswith(f"cannot listen on {lb['Address']}:{port}: ")
        assert "in use" in shown["DataPlane"]["Error"]
        assert ok(emu.call("DescribeLoadBalancers", {"RegionId": REGION}))["TotalCount"] == 1
    finally:
        squatter.close()
    # The next change retries the bind.
    ok(emu.call("SetLoadBalancerHTTPSListenerAttribute", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port),
        "IdleTimeout": "20"}))
    assert served_fingerprint(lb["Address"], port) == cert["Fingerprint"]
    assert listeners(emu)["Listeners"][0]["DataPlane"]["Error"] is None


def test_a_certificate_without_a_key_here_is_reported(emu, slbcert_pki):
    leaf = issue_leaf(slbcert_pki, "cas.example.com", ("cas.example.com",))
    emu.admin.send("POST", "cas", {"AliCloudCertificateId": "777", "AliCloudCertificateName": "cas",
                                   "ServerCertificate": leaf.chain_pem.decode()})
    cas = ok(emu.call("UploadServerCertificate", {"RegionId": REGION, "AliCloudCertificateId": "777"}))
    lb = create_lb(emu)
    create_listener(emu, lb, cas["ServerCertificateId"])
    [shown] = listeners(emu)["Listeners"]
    assert shown["DataPlane"]["Serving"] is False and "has no private key" in shown["DataPlane"]["Error"]


def test_http_listeners_answer_in_plain_text_and_stopped_ones_not_at_all(emu):
    running, stopped = any_free_port(), any_free_port()
    status, seeded = emu.admin.send("POST", "seed", {"AccessKeyId": KEY_ID, "RegionId": REGION, "LoadBalancers": [
        {"Listeners": [{"ListenerPort": running, "ListenerProtocol": "http"},
                       {"ListenerPort": stopped, "ListenerProtocol": "http", "Status": "stopped"}]}]})
    assert status == 200, seeded
    address = seeded["LoadBalancers"][0]["Address"]
    with socket.create_connection((address, running), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 503 ")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, stopped), timeout=5)
    assert emu.admin.send("POST", "reset")[0] == 200
    with pytest.raises(ConnectionRefusedError):  # reset closes every listener
        socket.create_connection((address, running), timeout=5)


def test_without_loopback_aliases_the_api_works_and_listeners_say_why(monkeypatch, tmp_path):
    """As on a host where only 127.0.0.1 is configured (macOS): no crash, a clear reason."""
    real_bind = socket.socket.bind

    def bind(sock, address):
        if isinstance(address, tuple) and address[0].startswith("127.") and address[0] != "127.0.0.1":
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
        return real_bind(sock, address)

    monkeypatch.setattr(socket.socket, "bind", bind)
    block = dataplane.AddressBlock()
    assert block.prefix and "Cannot assign requested address" in block.error
    plane = dataplane.DataPlane(str(tmp_path / "tls"), block)
    try:
        plane.sync({(f"{block.prefix}.2", 8443): dataplane.Route(name="lb-x:8443", protocol="http")})
        assert plane.status() == {(f"{block.prefix}.2", 8443): (False, block.error, ())}
    finally:
        plane.close()


def test_the_tls_policy_decides_whether_tls_1_3_is_offered(emu, slbcert_pki):
    cert = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",))
    lb = create_lb(emu)
    port = create_listener(emu, lb, cert["ServerCertificateId"])

    def negotiated():
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with socket.create_connection((lb["Address"], port), timeout=5) as sock:
            with context.wrap_socket(sock) as tls:
                return tls.version()

    assert negotiated() == "TLSv1.2"  # tls_cipher_policy_1_0, the default, tops out at TLS 1.2
    ok(emu.call("SetLoadBalancerHTTPSListenerAttribute", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port),
        "TLSCipherPolicy": "tls_cipher_policy_1_2_strict_with_1_3"}))
    assert negotiated() == "TLSv1.3"
