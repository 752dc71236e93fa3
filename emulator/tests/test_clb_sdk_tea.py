"""alibabacloud-slb20140515 (tea) drives every load-balancer operation, with V3 and V1 signatures,
and its models read the emulator's answers: nested lists, the plain arrays of
DescribeLoadBalancerListeners, NextToken paging."""

import re

import pytest
from alibabacloud_slb20140515 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from harness import REGION
from lbs import SPEC, free_port, served_fingerprint, upload
from sdks import tea

SIGNATURES = pytest.mark.parametrize("v1", [False, True], ids=["V3", "V1"])


def call(client, action, **fields):
    """client.<action in snake case>(models.<action>Request(region_id=REGION, **fields)).body"""
    method = re.sub(r"(?<!^)(?=[A-Z])", "_", action.replace("HTTPSListener", "Httpslistener")).lower()
    request = getattr(models, f"{action}Request")(region_id=REGION, **fields)
    return getattr(client, method)(request).body


def refused(call_it):
    with pytest.raises(ClientException) as info:
        call_it()
    return info.value.status_code, info.value.code


@SIGNATURES
def test_a_rotation_driven_by_the_tea_sdk(emu, slbcert_pki, v1):
    client = tea(emu, v1=v1)
    cert_a = upload(emu, slbcert_pki, "shop.example.com", ("shop.example.com",), key_index=0)
    cert_b = upload(emu, slbcert_pki, "*.api.example.com", ("*.api.example.com",), key_index=1)
    cert_c = upload(emu, slbcert_pki, "shop.example.com", ("shop.example.com", "*.api.example.com"), key_index=2)
    a, b, c = (x["ServerCertificateId"] for x in (cert_a, cert_b, cert_c))

    created = call(client, "CreateLoadBalancer", load_balancer_name="shop", load_balancer_spec=SPEC)
    lb_id, address = created.load_balancer_id, created.address
    port = free_port(address)
    call(client, "CreateLoadBalancerHTTPSListener", load_balancer_id=lb_id, listener_port=port,
         server_certificate_id=a, bandwidth=-1, health_check="on", health_check_domain="shop.example.com",
         backend_server_port=8080, sticky_session="off")
    call(client, "StartLoadBalancerListener", load_balancer_id=lb_id, listener_port=port)
    de_id = call(client, "CreateDomainExtension", load_balancer_id=lb_id, listener_port=port,
                 domain="*.api.example.com", server_certificate_id=b).domain_extension_id
    assert emu.request_log()[-1]["signature"] == ("V1" if v1 else "V3")

    page = call(client, "DescribeLoadBalancers", page_number=1, page_size=50)
    assert page.total_count == 1 and page.load_balancers.load_balancer[0].address == address
    attribute = call(client, "DescribeLoadBalancerAttribute", load_balancer_id=lb_id)
    assert attribute.listener_ports.listener_port == [port]
    assert attribute.listener_ports_and_protocal.listener_port_and_protocal[0].listener_protocal == "https"
    listed = call(client, "DescribeLoadBalancerListeners", load_balancer_id=[lb_id])
    [listener] = listed.listeners
    assert (listener.listener_protocol, listener.status, listener.backend_server_port) == ("https", "running", 8080)
    assert listener.httpslistener_config.server_certificate_id == a
    assert listener.acl_ids == [] and listener.tags == []
    https = call(client, "DescribeLoadBalancerHTTPSListenerAttribute", load_balancer_id=lb_id, listener_port=port)
    assert (https.server_certificate_id, https.health_check_domain, https.gzip) == (a, "shop.example.com", "on")
    assert [(d.domain, d.server_certificate_id) for d in https.domain_extensions.domain_extension] == [
        ("*.api.example.com", b)]
    listed = call(client, "DescribeDomainExtensions", load_balancer_id=lb_id, listener_port=port)
    assert [d.domain_extension_id for d in listed.domain_extensions.domain_extension] == [de_id]
    one = call(client, "DescribeDomainExtensionAttribute", domain_extension_id=de_id)
    assert (one.domain, one.listener_port, one.server_certificate_id) == ("*.api.example.com", port, b)

    assert served_fingerprint(address, port, "eu.api.example.com") == cert_b["Fingerprint"]
    assert served_fingerprint(address, port, "shop.example.com") == cert_a["Fingerprint"]
    assert refused(lambda: call(client, "DeleteServerCertificate", server_certificate_id=a)) == (
        400, "CertificateAndPrivateKeyIsRefered")

    call(client, "SetLoadBalancerHTTPSListenerAttribute", load_balancer_id=lb_id, listener_port=port,
         server_certificate_id=c)
    call(client, "SetDomainExtensionAttribute", domain_extension_id=de_id, server_certificate_id=c)
    for server_name in (None, "shop.example.com", "eu.api.example.com"):
        assert served_fingerprint(address, port, server_name) == cert_c["Fingerprint"]
    after = call(client, "DescribeLoadBalancerHTTPSListenerAttribute", load_balancer_id=lb_id, listener_port=port)
    # Patch semantics: the fields the switch did not send kept their values.
    assert (after.health_check_domain, after.backend_server_port, after.health_check) == (
        "shop.example.com", 8080, "on")
    call(client, "DeleteServerCertificate", server_certificate_id=a)
    call(client, "DeleteServerCertificate", server_certificate_id=b)

    call(client, "StopLoadBalancerListener", load_balancer_id=lb_id, listener_port=port)
    call(client, "DeleteDomainExtension", domain_extension_id=de_id)
    assert refused(lambda: call(client, "DescribeDomainExtensionAttribute", domain_extension_id=de_id)) == (
        400, "InvalidParameter.DomainExtensionId")
    call(client, "DeleteLoadBalancer", load_balancer_id=lb_id)
    assert call(client, "DescribeLoadBalancers").load_balancers.load_balancer == []
    call(client, "DeleteServerCertificate", server_certificate_id=c)


def test_listener_pages_follow_next_token(emu, slbcert_pki):
    client = tea(emu)
    cert = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",))["ServerCertificateId"]
    expected = []
    for _ in range(2):
        lb = call(client, "CreateLoadBalancer", load_balancer_spec=SPEC)
        for port in (9441, 9442, 9443):
            call(client, "CreateLoadBalancerHTTPSListener", load_balancer_id=lb.load_balancer_id,
                 listener_port=port, server_certificate_id=cert, bandwidth=-1, health_check="off",
                 backend_server_port=80)
            expected.append((lb.load_balancer_id, port))
    seen, token, pages = [], None, 0
    while True:
        page = call(client, "DescribeLoadBalancerListeners", max_results=4, next_token=token)
        pages += 1
        assert page.total_count == 6 and page.max_results == 4
        seen += [(li.load_balancer_id, li.listener_port) for li in page.listeners]
        token = page.next_token
        if not token:
            break
    assert pages == 2 and sorted(seen) == sorted(expected) and len(set(seen)) == 6
    assert call(client, "DescribeLoadBalancerListeners", listener_protocol="http").listeners == []
    assert refused(lambda: call(client, "DescribeLoadBalancerListeners", next_token="!!not a token")) == (
        400, "InvalidParameter")
