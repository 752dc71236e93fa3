"""Load balancers, listeners and TLS handshakes for the tests (through the tests' own client)."""

import hashlib
import socket
import ssl

from harness import REGION, upload_pair

SPEC = "slb.s2.small"  # guaranteed-performance: SNI allowed


def fingerprint_of_der(der):
    return ":".join(f"{b:02x}" for b in hashlib.sha1(der).digest())


def served_certificate(address, port, server_name=None, cafile=None):
    """The leaf DER a TLS handshake with `address:port` receives (SNI `server_name`, or none)."""
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
        context.check_hostname = server_name is not None
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=5) as sock:
        with context.wrap_socket(sock, server_hostname=server_name) as tls:
            return tls.getpeercert(binary_form=True)


def served_fingerprint(address, port, server_name=None):
    return fingerprint_of_der(served_certificate(address, port, server_name))


def free_port(address):
    """A port nobody listens on at `address` (a load balancer's own loopback address)."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def any_free_port():
    """A port free on 127.0.0.1 now, so no wildcard listener holds it: for documents (seeds) that
    name a port before the load balancer's address is known."""
    return free_port("127.0.0.1")


def ok(reply):
    assert reply.status == 200, reply.body
    return reply.json()


def key_entry(pki, index):
    """The PKI entry whose RSA key certificates of `key_index` share: 0 is the leaf's key, others
    are keys of no certificate, made on first use."""
    if index == 0:
        return "leaf"
    name = f"lbs-key-{index}"
    if name not in pki:
        pki.new_key("rsa2048", name=name)
    return name


def upload(emu, pki, common_name, sans, region=REGION, name=None, key_index=0):
    certificate, key, _ = upload_pair(pki, common_name, sans, key=key_entry(pki, key_index))
    return ok(emu.call("UploadServerCertificate", {
        "RegionId": region, "ServerCertificate": certificate, "PrivateKey": key,
        "ServerCertificateName": name or common_name.replace("*", "star")}))


def create_lb(emu, spec=SPEC, region=REGION, **extra):
    params = {"RegionId": region, **extra}
    if spec:
        params["LoadBalancerSpec"] = spec
    return ok(emu.call("CreateLoadBalancer", params))


def create_listener(emu, lb, cert_id, port=None, start=True, **extra):
    port = port or free_port(lb["Address"])
    ok(emu.call("CreateLoadBalancerHTTPSListener", {
        "RegionId": lb.get("RegionId", REGION), "LoadBalancerId": lb["LoadBalancerId"],
        "ListenerPort": str(port), "ServerCertificateId": cert_id, "Bandwidth": "-1",
        "HealthCheck": "off", "BackendServerPort": "80", **extra}))
    if start:
        ok(emu.call("StartLoadBalancerListener", {"RegionId": lb.get("RegionId", REGION),
                                                  "LoadBalancerId": lb["LoadBalancerId"],
                                                  "ListenerPort": str(port)}))
    return port


def https_attribute(emu, lb, port):
    return ok(emu.call("DescribeLoadBalancerHTTPSListenerAttribute", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port)}))


def set_faults(emu, *rules):
    status, body = emu.admin.send("POST", "faults", list(rules))
    assert status == 200, body
    return body["pending"]
