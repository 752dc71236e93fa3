"""The legacy SDK (aliyun-python-sdk-slb) drives every load-balancer operation, unmodified, through a
whole rotation: listener default and SNI extension switched from their certificates to a new one,
checked by TLS handshakes against the listener's own address."""

import importlib
import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException

from harness import REGION
from lbs import SPEC, free_port, served_fingerprint, upload
from sdks import Legacy


def call(sdk, action, **setters):
    """Build `<action>Request` of aliyunsdkslb, call its set_<name>(value) setters, send it."""
    module = importlib.import_module(f"aliyunsdkslb.request.v20140515.{action}Request")
    request = getattr(module, f"{action}Request")()
    for name, value in setters.items():
        getattr(request, f"set_{name}")(value)
    return json.loads(sdk.call(request))


def refused(call_it):
    with pytest.raises(ServerException) as info:
        call_it()
    return info.value.get_http_status(), info.value.get_error_code()


def test_a_rotation_driven_by_the_legacy_sdk(emu, slbcert_pki):
    sdk = Legacy(emu)
    cert_a = upload(emu, slbcert_pki, "www.example.com", ("www.example.com", "example.com"), key_index=0)
    cert_b = upload(emu, slbcert_pki, "api.example.com", ("api.example.com",), key_index=1)
    cert_c = upload(emu, slbcert_pki, "www.example.com", ("www.example.com", "example.com", "api.example.com"),
                    name="renewed", key_index=2)
    a, b, c = (x["ServerCertificateId"] for x in (cert_a, cert_b, cert_c))

    created = call(sdk, "CreateLoadBalancer", LoadBalancerName="web", LoadBalancerSpec=SPEC)
    lb_id, address = created["LoadBalancerId"], created["Address"]
    assert lb_id.startswith("lb-") and address.startswith("127.") and address != "127.0.0.1"
    port = free_port(address)
    call(sdk, "CreateLoadBalancerHTTPSListener", LoadBalancerId=lb_id, ListenerPort=port,
         ServerCertificateId=a, Bandwidth=-1, HealthCheck="off", BackendServerPort=80)
    call(sdk, "StartLoadBalancerListener", LoadBalancerId=lb_id, ListenerPort=port)
    extension = call(sdk, "CreateDomainExtension", LoadBalancerId=lb_id, ListenerPort=port,
                     Domain="api.example.com", ServerCertificateId=b)
    de_id = extension["DomainExtensionId"]
    assert de_id.startswith("de-") and extension["ListenerPort"] == port

    # Discovery, the way a deploy finds the bindings.
    [found] = call(sdk, "DescribeLoadBalancers", PageNumber=1, PageSize=50)["LoadBalancers"]["LoadBalancer"]
    assert (found["LoadBalancerId"], found["Address"], found["LoadBalancerSpec"]) == (lb_id, address, SPEC)
    attribute = call(sdk, "DescribeLoadBalancerAttribute", LoadBalancerId=lb_id)
    assert attribute["ListenerPortsAndProtocol"]["ListenerPortAndProtocol"] == [
        {"ListenerPort": port, "ListenerProtocol": "https", "Description": ""}]
    listed = call(sdk, "DescribeLoadBalancerListeners", LoadBalancerIds=[lb_id], ListenerProtocol="https")
    assert [li["HTTPSListenerConfig"]["ServerCertificateId"] for li in listed["Listeners"]] == [a]
    https = call(sdk, "DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb_id, ListenerPort=port)
    assert https["ServerCertificateId"] == a and https["Status"] == "running"
    assert https["DomainExtensions"]["DomainExtension"] == [
        {"DomainExtensionId": de_id, "Domain": "api.example.com", "ServerCertificateId": b}]
    assert call(sdk, "DescribeDomainExtensions", LoadBalancerId=lb_id, ListenerPort=port)[
        "DomainExtensions"]["DomainExtension"][0]["ServerCertificateId"] == b
    assert call(sdk, "DescribeDomainExtensionAttribute", DomainExtensionId=de_id)["LoadBalancerId"] == lb_id

    assert served_fingerprint(address, port) == cert_a["Fingerprint"]
    assert served_fingerprint(address, port, "www.example.com") == cert_a["Fingerprint"]
    assert served_fingerprint(address, port, "api.example.com") == cert_b["Fingerprint"]
    for bound in (a, b):
        assert refused(lambda: call(sdk, "DeleteServerCertificate", ServerCertificateId=bound)) == (
            400, "CertificateAndPrivateKeyIsRefered")

    # The switch: only the parameters a rotation needs.
    call(sdk, "SetLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb_id, ListenerPort=port,
         ServerCertificateId=c)
    call(sdk, "SetDomainExtensionAttribute", DomainExtensionId=de_id, ServerCertificateId=c)
    for server_name in (None, "www.example.com", "api.example.com", "other.example.net"):
        assert served_fingerprint(address, port, server_name) == cert_c["Fingerprint"]
    call(sdk, "DeleteServerCertificate", ServerCertificateId=a)
    call(sdk, "DeleteServerCertificate", ServerCertificateId=b)
    assert refused(lambda: call(sdk, "DeleteServerCertificate", ServerCertificateId=c)) == (
        400, "CertificateAndPrivateKeyIsRefered")

    # Tear down: stop, unbind the extension, delete the instance; then C is free.
    call(sdk, "StopLoadBalancerListener", LoadBalancerId=lb_id, ListenerPort=port)
    assert call(sdk, "DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb_id,
                ListenerPort=port)["Status"] == "stopped"
    with pytest.raises(OSError):
        served_fingerprint(address, port)
    call(sdk, "DeleteDomainExtension", DomainExtensionId=de_id)
    call(sdk, "DeleteLoadBalancer", LoadBalancerId=lb_id)
    assert refused(lambda: call(sdk, "DescribeLoadBalancerAttribute", LoadBalancerId=lb_id)) == (
        404, "InvalidLoadBalancerId.NotFound")
    call(sdk, "DeleteServerCertificate", ServerCertificateId=c)


def test_another_regions_certificate_is_not_found_on_set(emu, slbcert_pki):
    sdk = Legacy(emu)
    lb = call(sdk, "CreateLoadBalancer", LoadBalancerSpec=SPEC)
    here = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",))["ServerCertificateId"]
    elsewhere = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), region="cn-beijing")
    port = free_port(lb["Address"])
    call(sdk, "CreateLoadBalancerHTTPSListener", LoadBalancerId=lb["LoadBalancerId"], ListenerPort=port,
         ServerCertificateId=here, Bandwidth=-1, HealthCheck="off", BackendServerPort=80)
    status, code = refused(lambda: call(
        sdk, "SetLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb["LoadBalancerId"],
        ListenerPort=port, ServerCertificateId=elsewhere["ServerCertificateId"]))
    assert (status, code) == (404, "ServerCertificateId.NotFound")
    assert emu.request_log()[-1]["params"]["RegionId"] == REGION
