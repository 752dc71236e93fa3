"""CLB's rules for load balancers, listeners and domain extensions: each refusal with its code and
HTTP status, the create defaults, patch semantics, filters and paging, and both list styles."""

import pytest

from harness import KEY2_ID, KEY_ID, REGION, SECRET2, upload_pair
from lbs import (SPEC, create_lb, create_listener, free_port, https_attribute, ok, served_fingerprint,
                 upload)

LISTENER_DEFAULTS = {  # documented create defaults, and the emulator's for the rest
    "Scheduler": "wrr", "Gzip": "on", "EnableHttp2": "on", "IdleTimeout": 15, "RequestTimeout": 60,
    "HealthCheckHttpCode": "http_2xx", "XForwardedFor": "on", "XForwardedFor_SLBIP": "off",
    "XForwardedFor_proto": "off", "XForwardedFor_SLBID": "off", "AclStatus": "off",
    "StickySession": "off", "TLSCipherPolicy": "tls_cipher_policy_1_0", "HealthCheckDomain": "",
    "CACertificateId": "", "Status": "stopped"}


def refused(reply, status, code, message=None):
    assert (reply.status, reply.code) == (status, code), reply.body
    if message is not None:
        assert reply.json()["Message"] == message


@pytest.fixture
def cert(emu, slbcert_pki):
    return upload(emu, slbcert_pki, "www.example.com", ("www.example.com", "example.com"))


@pytest.fixture
def lb(emu):
    return create_lb(emu)


def extension(emu, lb, port, domain, cert_id):
    return emu.call("CreateDomainExtension", {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"],
                                              "ListenerPort": str(port), "Domain": domain,
                                              "ServerCertificateId": cert_id})


def set_listener(emu, lb, port, **params):
    return emu.call("SetLoadBalancerHTTPSListenerAttribute", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port), **params})


def delete_certificate(emu, cert_id):
    return emu.call("DeleteServerCertificate", {"RegionId": REGION, "ServerCertificateId": cert_id})


# --- certificates in use, and of another region ----------------------------------------------------

def test_a_certificate_of_another_region_or_account_is_not_found(emu, slbcert_pki, cert, lb):
    port = create_listener(emu, lb, cert["ServerCertificateId"], start=False)
    beijing = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), region="cn-beijing")
    certificate, key, _ = upload_pair(slbcert_pki)
    other_account = emu.call("UploadServerCertificate", {
        "RegionId": REGION, "ServerCertificate": certificate, "PrivateKey": key},
        key_id=KEY2_ID, secret=SECRET2).json()
    for foreign in (beijing["ServerCertificateId"], other_account["ServerCertificateId"]):
        refused(set_listener(emu, lb, port, ServerCertificateId=foreign), 404, "ServerCertificateId.NotFound",
                "The specified ServerCertificateId does not exist.")
        refused(emu.call("CreateLoadBalancerHTTPSListener", {
            "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": "9001",
            "ServerCertificateId": foreign, "Bandwidth": "-1", "HealthCheck": "off",
            "BackendServerPort": "80"}), 404, "ServerCertificateId.NotFound")
        refused(extension(emu, lb, port, "www.example.com", foreign), 404, "ServerCertificateId.NotFound")
    assert https_attribute(emu, lb, port)["ServerCertificateId"] == cert["ServerCertificateId"]


def test_delete_is_refused_while_a_listener_or_an_extension_uses_it(emu, slbcert_pki, cert, lb):
    default_id = cert["ServerCertificateId"]
    sni = upload(emu, slbcert_pki, "api.example.com", ("api.example.com",), key_index=1)
    port = create_listener(emu, lb, default_id, start=False)
    ok(extension(emu, lb, port, "api.example.com", sni["ServerCertificateId"]))
    for cert_id in (default_id, sni["ServerCertificateId"]):
        refused(delete_certificate(emu, cert_id), 400, "CertificateAndPrivateKeyIsRefered",
                "The specified certificate is bound to listeners. You cannot delete it.")
    [listed] = [c for c in emu.admin.send("GET", "certificates")[1]["Certificates"]
                if c["ServerCertificateId"] == sni["ServerCertificateId"]]
    assert listed["Bound"] is True and listed["References"][0].startswith("de-")
    # Deleting the instance releases both references.
    ok(emu.call("DeleteLoadBalancer", {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"]}))
    ok(delete_certificate(emu, default_id))
    ok(delete_certificate(emu, sni["ServerCertificateId"]))


def test_the_admin_bind_is_a_listener_reference(emu, cert):
    cert_id = cert["ServerCertificateId"]
    assert emu.admin.send("POST", "bind", {"ServerCertificateId": cert_id})[0] == 200
    refused(delete_certificate(emu, cert_id), 400, "CertificateAndPrivateKeyIsRefered")
    assert emu.admin.send("POST", "unbind", {"ServerCertificateId": cert_id}) == (
        200, {"ServerCertificateId": cert_id, "Bound": False})
    ok(delete_certificate(emu, cert_id))


# --- SNI ---------------------------------------------------------------------------------------------

def test_sni_is_refused_on_a_shared_performance_instance(emu, cert):
    shared = create_lb(emu, spec=None)
    assert ok(emu.call("DescribeLoadBalancerAttribute", {
        "RegionId": REGION, "LoadBalancerId": shared["LoadBalancerId"]}))["LoadBalancerSpec"] == ""
    port = create_listener(emu, shared, cert["ServerCertificateId"], start=False)
    refused(extension(emu, shared, port, "www.example.com", cert["ServerCertificateId"]), 400,
            "OperationUnsupported.SharedInstance",
            "Listeners on shared-resource instances do not support additional domain names.")
    # TLSCipherPolicy is a guaranteed-performance setting too.
    refused(set_listener(emu, shared, port, TLSCipherPolicy="tls_cipher_policy_1_2"), 400, "InvalidParameter")


@pytest.mark.parametrize("sans, domain, covered", [
    (("www.example.com",), "www.example.com", True),
    (("WWW.Example.com",), "www.example.com", True),
    (("www.example.com",), "api.example.com", False),
    (("*.example.com",), "api.example.com", True),
    (("*.example.com",), "a.b.example.com", False),  # a wildcard covers one label
    (("*.example.com",), "example.com", False),
    (("*.example.com",), "*.example.com", True),
    (("api.example.com",), "*.example.com", False),  # a wildcard domain needs a wildcard certificate
    ((), "legacy.example.com", True),  # no SAN: the CN counts
])
def test_an_extensions_certificate_must_cover_its_domain(emu, slbcert_pki, lb, sans, domain, covered):
    default = upload(emu, slbcert_pki, "default.example.com", ("default.example.com",))
    cn = "legacy.example.com" if not sans else sans[0]
    candidate = upload(emu, slbcert_pki, cn, sans, key_index=1)
    port = create_listener(emu, lb, default["ServerCertificateId"], start=False)
    reply = extension(emu, lb, port, domain, candidate["ServerCertificateId"])
    if covered:
        ok(reply)
    else:
        refused(reply, 400, "DomainNotMatchCertificate", "The domain name does not match the certificate.")


def test_set_domain_extension_checks_coverage_too(emu, slbcert_pki, lb):
    api = upload(emu, slbcert_pki, "api.example.com", ("api.example.com",))
    wrong = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=1)
    port = create_listener(emu, lb, api["ServerCertificateId"], start=False)
    de_id = ok(extension(emu, lb, port, "api.example.com", api["ServerCertificateId"]))["DomainExtensionId"]
    refused(emu.call("SetDomainExtensionAttribute", {"RegionId": REGION, "DomainExtensionId": de_id,
                                                     "ServerCertificateId": wrong["ServerCertificateId"]}),
            400, "DomainNotMatchCertificate")
    refused(emu.call("SetDomainExtensionAttribute", {"RegionId": REGION, "DomainExtensionId": de_id}),
            400, "InvalidParameter", "The specified parameter ServerCertificateId is empty.")
    refused(emu.call("SetDomainExtensionAttribute", {"RegionId": REGION, "DomainExtensionId": "de-nothere",
                                                     "ServerCertificateId": api["ServerCertificateId"]}),
            400, "InvalidParameter.DomainExtensionId")


def test_at_most_three_extensions_and_one_per_domain(emu, slbcert_pki, lb):
    wildcard = upload(emu, slbcert_pki, "*.example.com", ("*.example.com",))
    cert_id = wildcard["ServerCertificateId"]
    port = create_listener(emu, lb, cert_id, start=False)
    for name in ("a", "b", "c"):
        ok(extension(emu, lb, port, f"{name}.example.com", cert_id))
    refused(extension(emu, lb, port, "a.example.com", cert_id), 400, "DomainExist")
    refused(extension(emu, lb, port, "d.example.com", cert_id), 400, "QuotaExceeded.DomainExtension",
            "A listener can have at most 3 domain extensions.")
    refused(extension(emu, lb, port, "not a domain", cert_id), 400, "InvalidParameter")
    listed = ok(emu.call("DescribeDomainExtensions", {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"],
                                                      "ListenerPort": str(port)}))
    assert [d["Domain"] for d in listed["DomainExtensions"]["DomainExtension"]] == [
        "a.example.com", "b.example.com", "c.example.com"]


# --- listeners -----------------------------------------------------------------------------------------

def test_create_defaults_and_required_parameters(emu, cert, lb):
    port = create_listener(emu, lb, cert["ServerCertificateId"], start=False)
    shown = https_attribute(emu, lb, port)
    assert {k: shown[k] for k in LISTENER_DEFAULTS} == LISTENER_DEFAULTS
    assert (shown["ListenerPort"], shown["Bandwidth"], shown["BackendServerPort"]) == (port, -1, 80)
    assert shown["AclIds"] == {"AclId": []} and shown["Tags"] == {"Tag": []}
    assert "DomainExtensions" not in shown  # left out when there is none, as documented
    base = {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": "9002",
            "ServerCertificateId": cert["ServerCertificateId"], "Bandwidth": "-1", "HealthCheck": "off",
            "BackendServerPort": "80"}
    for dropped in ("Bandwidth", "HealthCheck", "BackendServerPort"):
        reply = emu.call("CreateLoadBalancerHTTPSListener", {k: v for k, v in base.items() if k != dropped})
        refused(reply, 400, "MissingParameter")
        assert f'"{dropped}"' in reply.json()["Message"]
    refused(emu.call("CreateLoadBalancerHTTPSListener", {**base, "ServerCertificateId": ""}), 400,
            "InvalidParameter", "The specified parameter ServerCertificateId is empty.")
    refused(emu.call("CreateLoadBalancerHTTPSListener", {**base, "ListenerPort": str(port)}), 400,
            "ListenerAlreadyExists")
    for name, bad in (("ListenerPort", "70000"), ("Bandwidth", "0"), ("Gzip", "yes"), ("IdleTimeout", "61")):
        refused(emu.call("CreateLoadBalancerHTTPSListener", {**base, name: bad}), 400, "InvalidParameter")
    refused(emu.call("CreateLoadBalancerHTTPSListener", {**base, "StickySession": "on"}), 400,
            "MissingParameter")


def test_set_is_a_patch(emu, slbcert_pki, cert, lb):
    port = create_listener(emu, lb, cert["ServerCertificateId"], start=False, HealthCheck="on",
                           HealthCheckDomain="health.example.com", Description="web-443", Gzip="off")
    before = https_attribute(emu, lb, port)
    ok(set_listener(emu, lb, port, IdleTimeout="30"))
    after = https_attribute(emu, lb, port)
    changed = {k for k in before if before[k] != after[k] and k != "RequestId"}
    assert changed == {"IdleTimeout"} and after["IdleTimeout"] == 30
    renewed = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=1)
    ok(set_listener(emu, lb, port, ServerCertificateId=renewed["ServerCertificateId"]))
    final = https_attribute(emu, lb, port)
    changed = {k for k in after if after[k] != final[k] and k != "RequestId"}
    assert changed == {"ServerCertificateId"}
    assert (final["HealthCheckDomain"], final["Description"], final["Gzip"]) == (
        "health.example.com", "web-443", "off")
    # A combination the merged listener breaks is refused, and changes nothing.
    refused(set_listener(emu, lb, port, StickySession="on"), 400, "MissingParameter")
    refused(set_listener(emu, lb, port, ServerCertificateId=""), 400, "InvalidParameter")
    ok(set_listener(emu, lb, port, StickySession="on", StickySessionType="insert", CookieTimeout="600"))
    assert https_attribute(emu, lb, port)["StickySessionType"] == "insert"


def test_dry_run_changes_nothing(emu, slbcert_pki, cert, lb):
    port = create_listener(emu, lb, cert["ServerCertificateId"], start=False)
    renewed = upload(emu, slbcert_pki, "www.example.com", ("www.example.com",), key_index=1)
    refused(set_listener(emu, lb, port, ServerCertificateId=renewed["ServerCertificateId"], DryRun="true"),
            400, "DryRunOperation")
    assert https_attribute(emu, lb, port)["ServerCertificateId"] == cert["ServerCertificateId"]


def test_missing_instances_listeners_and_wrong_protocols(emu, slbcert_pki, cert, lb):
    refused(https_call(emu, "lb-nothere", 443), 404, "InvalidLoadBalancerId.NotFound",
            "The specified LoadBalancerId does not exist.")
    refused(https_call(emu, lb["LoadBalancerId"], 443), 400, "InvalidParameter",
            "The specified resource does not exist.")
    refused(emu.call("DescribeLoadBalancerAttribute", {"RegionId": "cn-beijing",
                                                       "LoadBalancerId": lb["LoadBalancerId"]}),
            404, "InvalidLoadBalancerId.NotFound")
    refused(emu.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": lb["LoadBalancerId"]},
                     key_id=KEY2_ID, secret=SECRET2), 404, "InvalidLoadBalancerId.NotFound")
    refused(emu.call("DescribeDomainExtensions", {"LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": "1"}),
            400, "MissingParameter")
    status, seeded = emu.admin.send("POST", "seed", {
        "AccessKeyId": KEY_ID, "RegionId": REGION, "LoadBalancers": [
            {"LoadBalancerSpec": SPEC, "Listeners": [{"ListenerPort": 8080, "ListenerProtocol": "http",
                                                      "Status": "stopped"}]},
            {"LoadBalancerSpec": SPEC, "LoadBalancerStatus": "locked"}]})
    assert status == 200, seeded
    http_lb, locked = seeded["LoadBalancers"]
    refused(https_call(emu, http_lb["LoadBalancerId"], 8080), 400, "UnsupportedOperationonfixedprotocalport",
            "The operation is not supported by the protocol of the specified port.")
    refused(extension(emu, http_lb, 8080, "www.example.com", cert["ServerCertificateId"]), 400,
            "UnsupportedOperationonfixedprotocalport")
    refused(create_listener_call(emu, locked, cert["ServerCertificateId"]), 400, "ActionNotAllowed",
            "Locked for any Business Reason.")


def https_call(emu, lb_id, port):
    return emu.call("DescribeLoadBalancerHTTPSListenerAttribute",
                    {"RegionId": REGION, "LoadBalancerId": lb_id, "ListenerPort": str(port)})


def create_listener_call(emu, lb, cert_id):
    return emu.call("CreateLoadBalancerHTTPSListener", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": "9443",
        "ServerCertificateId": cert_id, "Bandwidth": "-1", "HealthCheck": "off", "BackendServerPort": "80"})


# --- load balancers ------------------------------------------------------------------------------------

def test_describe_load_balancers_filters_and_pages(emu):
    created = [create_lb(emu, LoadBalancerName=f"web-{i}", **({"Tag.1.Key": "env", "Tag.1.Value": "prod"}
                                                              if i % 2 else {})) for i in range(5)]
    create_lb(emu, region="cn-beijing")

    def describe(**params):
        return ok(emu.call("DescribeLoadBalancers", {"RegionId": REGION, **params}))

    everything = describe(PageNumber="1", PageSize="50")
    assert [b["LoadBalancerId"] for b in everything["LoadBalancers"]["LoadBalancer"]] == [
        c["LoadBalancerId"] for c in created]
    assert describe()["PageSize"] == 10  # the emulator's default; clients always send both
    second = describe(PageNumber="2", PageSize="2")
    assert (second["TotalCount"], second["PageNumber"], second["PageSize"]) == (5, 2, 2)
    assert [b["LoadBalancerName"] for b in second["LoadBalancers"]["LoadBalancer"]] == ["web-2", "web-3"]
    assert describe(PageNumber="4", PageSize="2")["LoadBalancers"] == {"LoadBalancer": []}
    ids = ",".join(c["LoadBalancerId"] for c in created[:2])
    assert describe(LoadBalancerId=ids)["TotalCount"] == 2
    assert describe(LoadBalancerName="web-3")["TotalCount"] == 1
    assert describe(Address=created[4]["Address"])["LoadBalancers"]["LoadBalancer"][0]["LoadBalancerName"] == "web-4"
    assert describe(**{"Tag.1.Key": "env", "Tag.1.Value": "prod"})["TotalCount"] == 2
    assert describe(Tags='[{"TagKey": "env"}]')["TotalCount"] == 2
    assert describe(ServerId="i-backend")["TotalCount"] == 0  # no backend servers are modelled
    refused(emu.call("DescribeLoadBalancers", {"RegionId": REGION, "PageSize": "101"}), 400, "InvalidParameter")
    refused(emu.call("DescribeLoadBalancers", {}), 400, "MissingParameter")
    shown = everything["LoadBalancers"]["LoadBalancer"][0]
    assert shown["CreateTime"].endswith("Z") and shown["CreateTimeStamp"] > 0
    assert (shown["LoadBalancerStatus"], shown["AddressType"], shown["NetworkType"]) == (
        "active", "internet", "classic")


def test_client_token_and_delete_protection(emu):
    first = create_lb(emu, ClientToken="token-1")
    assert create_lb(emu, ClientToken="token-1")["LoadBalancerId"] == first["LoadBalancerId"]
    assert ok(emu.call("DescribeLoadBalancers", {"RegionId": REGION}))["TotalCount"] == 1
    protected = create_lb(emu, DeleteProtection="on")
    refused(emu.call("DeleteLoadBalancer", {"RegionId": REGION, "LoadBalancerId": protected["LoadBalancerId"]}),
            400, "InvalidOperation.DeleteProtection")
    refused(emu.call("CreateLoadBalancer", {"RegionId": REGION, "LoadBalancerSpec": "slb.s9.huge"}), 400,
            "InvalidParameter")


# --- list styles, formats and parameter placement -------------------------------------------------------

def test_listener_listing_uses_plain_arrays(emu, slbcert_pki, cert, lb):
    other = create_lb(emu)
    port = create_listener(emu, lb, cert["ServerCertificateId"], start=False, **{"Tag.1.Key": "team",
                                                                                   "Tag.1.Value": "web"})
    create_listener(emu, other, cert["ServerCertificateId"], start=False)
    listed = ok(emu.call("DescribeLoadBalancerListeners", {"RegionId": REGION,
                                                           "LoadBalancerId.1": lb["LoadBalancerId"]}))
    [listener] = listed["Listeners"]
    assert (listed["TotalCount"], listed["MaxResults"], listed["NextToken"]) == (1, 20, "")
    assert listener["Tags"] == [{"TagKey": "team", "TagValue": "web"}] and listener["AclIds"] == []
    assert (listener["ListenerPort"], listener["HTTPSListenerConfig"]["ServerCertificateId"]) == (
        port, cert["ServerCertificateId"])
    both = ok(emu.call("DescribeLoadBalancerListeners", {
        "RegionId": REGION, "LoadBalancerId.1": lb["LoadBalancerId"], "LoadBalancerId.2": other["LoadBalancerId"]}))
    assert both["TotalCount"] == 2
    tagged = ok(emu.call("DescribeLoadBalancerListeners", {"RegionId": REGION, "Tag.1.Key": "team"}))
    assert tagged["TotalCount"] == 1
    empty = ok(emu.call("DescribeLoadBalancerListeners", {"RegionId": "cn-beijing"}))
    assert "Listeners" not in empty and empty["TotalCount"] == 0  # documented: absent when none
    too_many = {f"LoadBalancerId.{i}": f"lb-{i}" for i in range(1, 12)}
    refused(emu.call("DescribeLoadBalancerListeners", {"RegionId": REGION, **too_many}), 400, "InvalidParameter")


def test_xml_answers(emu, slbcert_pki, cert, lb):
    port = create_listener(emu, lb, cert["ServerCertificateId"], start=False)
    ok(extension(emu, lb, port, "www.example.com", cert["ServerCertificateId"]))
    params = {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port)}
    root = emu.call("DescribeLoadBalancerHTTPSListenerAttribute", params, fmt="XML").xml()
    assert root.tag == "DescribeLoadBalancerHTTPSListenerAttributeResponse"
    assert root.findtext("DomainExtensions/DomainExtension/Domain") == "www.example.com"
    assert root.findtext("ListenerPort") == str(port)
    root = emu.call("DescribeLoadBalancerListeners", {"RegionId": REGION}, fmt="XML").xml()
    assert root.findtext("Listeners/HTTPSListenerConfig/ServerCertificateId") == cert["ServerCertificateId"]
    reply = emu.call("DescribeLoadBalancerAttribute", {"RegionId": REGION, "LoadBalancerId": "lb-x"}, fmt="XML")
    assert (reply.status, reply.code) == (404, "InvalidLoadBalancerId.NotFound")


@pytest.mark.parametrize("signature", ["V1", "V3"])
def test_parameters_in_a_form_body(emu, slbcert_pki, cert, lb, signature):
    port = free_port(lb["Address"])
    reply = emu.call("CreateLoadBalancerHTTPSListener", {
        "RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": str(port),
        "ServerCertificateId": cert["ServerCertificateId"], "Bandwidth": "-1", "HealthCheck": "off",
        "BackendServerPort": "80"}, signature=signature, in_body=True)
    ok(reply)
    ok(emu.call("StartLoadBalancerListener", {"RegionId": REGION, "LoadBalancerId": lb["LoadBalancerId"],
                                              "ListenerPort": str(port)}, signature=signature, in_body=True))
    assert served_fingerprint(lb["Address"], port) == cert["Fingerprint"]
