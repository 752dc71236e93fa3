"""Classic Load Balancer as far as certificates reach it (docs/clb-listeners.md): load balancers,
HTTPS (and HTTP) listeners and SNI domain extensions, with the rules a certificate rotation meets.

Every change is one store transaction that also applies the fault rules that belong inside it
(busy windows, lingering references, the HealthCheckDomain reset, a stall before the commit); once
it is committed the data plane is told, so a TLS handshake right after the answer shows it.
"""

import base64
import binascii
import json
import re
import secrets
import string
import time
from dataclasses import replace

from . import errors, faults
from .clock import iso_utc
from .params import default_resource_group, parse_tags, required as _required
from .regions import REGIONS
from .store import DomainExtension, Listener, LoadBalancer

MAX_DOMAIN_EXTENSIONS = 3  # per HTTPS listener (documented limit)
MAX_IDS_PER_CALL = 10  # LoadBalancerId lists (documented)
DEFAULT_PAGE_SIZE = 10  # DescribeLoadBalancers without PageSize (the service's default is not documented)
DEFAULT_MAX_RESULTS = 20  # DescribeLoadBalancerListeners (documented)
LB_SPECS = frozenset({"slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium",
                      "slb.s3.large", "slb.s3.xlarge", "slb.s3.xxlarge", "slb.lcu.elastic"})
TLS_CIPHER_POLICIES = ("tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
                       "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3")
_ID_CHARS = string.ascii_lowercase + string.digits
_LB_NAME = re.compile(r"^[^\W\d_][\w.\-]{0,79}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HEALTH_DOMAIN = re.compile(r"^[A-Za-z0-9.\-]{1,80}$")
_COOKIE = re.compile(r"^[A-Za-z0-9]{1,200}$")
_URI = re.compile(r"^/[A-Za-z0-9\-/.%?#&=_]{0,79}$")
_LISTENER_ID_PARAM = re.compile(r"^LoadBalancerId\.([1-9][0-9]*)$")


# --- parameter parsing --------------------------------------------------------------------------

def _region(params, required):
    region = params.get("RegionId")
    if not region:
        if required:
            raise errors.missing_parameter("RegionId")
        return None
    if region not in REGIONS:
        raise errors.region_not_found()
    return region


def _integer(name, value, low, high):
    try:
        number = int(value, 10)
    except (TypeError, ValueError):
        raise errors.invalid_parameter(name) from None
    if not low <= number <= high:
        raise errors.invalid_parameter(name)
    return number


def _port(params, name="ListenerPort"):
    return _integer(name, _required(params, name), 1, 65535)


def _on_off(name, value):
    if value not in ("on", "off"):
        raise errors.invalid_parameter(name)
    return value


def _choice(*allowed):
    def parse(name, value):
        if value not in allowed:
            raise errors.invalid_parameter(name)
        return value
    return parse


def _int_range(low, high):
    return lambda name, value: _integer(name, value, low, high)


def _matching(pattern, allow_empty=False):
    def parse(name, value):
        if not (value == "" and allow_empty) and not pattern.match(value):
            raise errors.invalid_parameter(name)
        return value
    return parse


def _text(limit):
    def parse(name, value):
        if len(value) > limit or any(ord(c) < 32 for c in value):
            raise errors.invalid_parameter(name)
        return value
    return parse


def _bandwidth(name, value):
    number = _integer(name, value, -1, 5120)
    if number == 0:
        raise errors.invalid_parameter(name)
    return number


def _health_domain(name, value):
    if value not in ("", "$_ip") and not _HEALTH_DOMAIN.match(value):
        raise errors.invalid_parameter(name)
    return value


def _http_codes(name, value):
    codes = value.split(",")
    if not codes or any(c not in ("http_2xx", "http_3xx", "http_4xx", "http_5xx") for c in codes):
        raise errors.invalid_parameter(name)
    return value


def _bool(name, value):
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise errors.invalid_parameter(name)
    return value.lower() == "true"


# The HTTPS listener's attributes in DescribeLoadBalancerHTTPSListenerAttribute's order: how a
# parameter is read, and the value a new listener gets when it is not sent (None: not shown).
_PORT = _int_range(1, 65535)
HTTPS_ATTRIBUTES = {
    "BackendServerPort": (_PORT, None),
    "Bandwidth": (_bandwidth, None),
    "Scheduler": (_choice("wrr", "rr", "wlc"), "wrr"),
    "VServerGroupId": (_text(64), ""),
    "Description": (_text(256), ""),
    "StickySession": (_on_off, "off"),
    "StickySessionType": (_choice("insert", "server"), ""),
    "Cookie": (_matching(_COOKIE), ""),
    "CookieTimeout": (_int_range(1, 86400), None),
    "HealthCheck": (_on_off, None),
    "HealthCheckDomain": (_health_domain, ""),
    "HealthCheckURI": (_matching(_URI), "/"),
    "HealthCheckHttpCode": (_http_codes, "http_2xx"),
    "HealthCheckMethod": (_choice("head", "get"), "head"),
    "HealthCheckConnectPort": (_PORT, None),
    "HealthCheckInterval": (_int_range(1, 50), 2),
    "HealthCheckTimeout": (_int_range(1, 300), 5),
    "HealthyThreshold": (_int_range(2, 10), 3),
    "UnhealthyThreshold": (_int_range(2, 10), 3),
    "Gzip": (_on_off, "on"),
    "EnableHttp2": (_on_off, "on"),
    "TLSCipherPolicy": (_choice(*TLS_CIPHER_POLICIES), "tls_cipher_policy_1_0"),
    "IdleTimeout": (_int_range(1, 60), 15),
    "RequestTimeout": (_int_range(1, 180), 60),
    "XForwardedFor": (_on_off, "on"),
    "XForwardedFor_SLBIP": (_on_off, "off"),
    "XForwardedFor_SLBID": (_on_off, "off"),
    "XForwardedFor_SLBPORT": (_on_off, "off"),
    "XForwardedFor_proto": (_on_off, "off"),
    "XForwardedFor_ClientSrcPort": (_on_off, "off"),
    "AclStatus": (_on_off, "off"),
    "AclType": (_choice("white", "black"), ""),
    "AclId": (_text(64), ""),
    "CACertificateId": (_text(256), ""),
}
# Shown, never set by these operations (mutual-TLS header options).
READ_ONLY_ATTRIBUTES = {"XForwardedFor_ClientCertSubjectDN": "off", "XForwardedFor_ClientCertIssuerDN": "off",
                        "XForwardedFor_ClientCertFingerprint": "off",
                        "XForwardedFor_ClientCertClientVerify": "off"}
HTTP_ONLY = {"ListenerForward": (_on_off, "off"), "ForwardPort": (_PORT, None)}
HTTPS_ONLY = ("EnableHttp2", "TLSCipherPolicy", "CACertificateId")
HTTP_ATTRIBUTES = {**{k: v for k, v in HTTPS_ATTRIBUTES.items() if k not in HTTPS_ONLY}, **HTTP_ONLY}
CREATE_ONLY = ("BackendServerPort",)  # Set has no BackendServerPort
# In DescribeLoadBalancerListeners these sit on the listener; the rest in its *ListenerConfig.
LISTENER_TOP_LEVEL = ("BackendServerPort", "Bandwidth", "Scheduler", "VServerGroupId", "Description",
                      "AclStatus", "AclType", "AclId")
# Guaranteed-performance only (documented for TLSCipherPolicy).
GUARANTEED_ONLY = ("TLSCipherPolicy",)


def _read_attributes(params, table, names):
    """The attributes among `names` that `params` carries, parsed."""
    found = {}
    for name in names:
        value = params.get(name)
        if value is not None:
            found[name] = table[name][0](name, value)
    return found


def _check_combinations(attributes, creating):
    """The combinations the service documents as required together (on the merged listener)."""
    if attributes.get("StickySession") == "on":
        kind = attributes.get("StickySessionType")
        if not kind:
            raise errors.missing_parameter("StickySessionType")
        if kind == "insert" and not attributes.get("CookieTimeout"):
            raise errors.missing_parameter("CookieTimeout")
        if kind == "server" and not attributes.get("Cookie"):
            raise errors.missing_parameter("Cookie")
    if attributes.get("AclStatus") == "on":
        for name in ("AclId", "AclType"):
            if not attributes.get(name):
                raise errors.missing_parameter(name)
    if creating and attributes.get("BackendServerPort") is None and not attributes.get("VServerGroupId"):
        raise errors.missing_parameter("BackendServerPort")


def _tags(params):
    return parse_tags(params, missing_value="")


def _wanted_tags(params):
    wanted = parse_tags(params, missing_value=None)
    legacy = params.get("Tags")  # DescribeLoadBalancers' older JSON form
    if legacy:
        try:
            items = json.loads(legacy)
            wanted += [(item["TagKey"], item.get("TagValue")) for item in items]
        except (ValueError, TypeError, KeyError):
            raise errors.invalid_parameter("Tags") from None
    return wanted


def _has_tags(tags, wanted):
    held = dict(tags)
    return all(k in held and (v is None or held[k] == v) for k, v in wanted)


# --- names and certificates as TLS matches them ---------------------------------------------------

def normal_domain(domain):
    """An extension's domain in lower case, or None when it is not a host name or a `*.` wildcard."""
    domain = domain.lower()
    labels = domain[2:].split(".") if domain.startswith("*.") else domain.split(".")
    if len(domain) > 80 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return None
    return domain


def name_matches(pattern, name):
    """Whether a certificate or extension name matches a host name; a wildcard covers one label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        first, dot, rest = name.partition(".")
        return bool(first and dot) and rest == pattern[2:]
    return pattern == name


def certificate_names(cert):
    """The names a certificate serves: its DNS SANs, else its CN (as TLS clients check them)."""
    return cert.subject_alternative_names or ((cert.common_name,) if cert.common_name else ())


def covers(cert, domain):
    """Whether `cert` is valid for every name a domain extension for `domain` receives."""
    names = certificate_names(cert)
    if domain.startswith("*."):
        return any(n.lower() == domain for n in names)
    return any(name_matches(n, domain) for n in names)


def select_extension(extensions, server_name):
    """The domain extension that serves an SNI name: an exact domain first, then a wildcard."""
    if not server_name:
        return None
    for extension in extensions:
        if not extension.domain.startswith("*.") and name_matches(extension.domain, server_name):
            return extension
    for extension in extensions:
        if extension.domain.startswith("*.") and name_matches(extension.domain, server_name):
            return extension
    return None


# --- views ----------------------------------------------------------------------------------------

def _tags_view(tags):
    return [{"TagKey": k, "TagValue": v} for k, v in tags]


def _lb_create_time(lb):
    # The documented example shows minutes only ("2018-11-08T20:21Z"); CreateTimeStamp is exact.
    return iso_utc(lb.create_ms / 1000)[:-4] + "Z"


def load_balancer_view(lb):
    a = lb.attributes
    return {
        "LoadBalancerId": lb.id,
        "LoadBalancerName": a["LoadBalancerName"],
        "LoadBalancerStatus": a["LoadBalancerStatus"],
        "LoadBalancerSpec": a["LoadBalancerSpec"],
        "Address": lb.address,
        "AddressType": a["AddressType"],
        "AddressIPVersion": a["AddressIPVersion"],
        "NetworkType": a["NetworkType"],
        "VpcId": a["VpcId"],
        "VSwitchId": a["VSwitchId"],
        "MasterZoneId": a["MasterZoneId"],
        "SlaveZoneId": a["SlaveZoneId"],
        "RegionId": lb.region_id,
        "RegionIdAlias": lb.region_id,
        "ResourceGroupId": a["ResourceGroupId"],
        "PayType": a["PayType"],
        "InternetChargeType": a["InternetChargeType"],
        "Bandwidth": a["Bandwidth"],
        "CreateTime": _lb_create_time(lb),
        "CreateTimeStamp": lb.create_ms,
        "DeleteProtection": a["DeleteProtection"],
        "ModificationProtectionStatus": a["ModificationProtectionStatus"],
        "ModificationProtectionReason": a["ModificationProtectionReason"],
        "Tags": {"Tag": _tags_view(a["Tags"])},
    }


def _attributes_view(listener):
    shown = {k: v for k, v in listener.attributes.items() if v is not None}
    if listener.protocol == "https":
        shown.update(READ_ONLY_ATTRIBUTES)
    return shown


def https_listener_view(lb, listener, extensions):
    """DescribeLoadBalancerHTTPSListenerAttribute: nested lists ({"Tag": [...]})."""
    shown = {"LoadBalancerId": lb.id, "ListenerPort": listener.port, "Status": listener.status}
    shown.update(_attributes_view(listener))
    shown["ServerCertificateId"] = listener.server_certificate_id
    acl_id = listener.attributes.get("AclId")
    shown["AclIds"] = {"AclId": [acl_id] if acl_id else []}
    shown["Rules"] = {"Rule": []}
    shown["Tags"] = {"Tag": _tags_view(listener.tags)}
    if extensions:  # the documented examples leave the list out when there is none
        shown["DomainExtensions"] = {"DomainExtension": [extension_view(e) for e in extensions]}
    return shown


def listener_list_view(lb, listener):
    """DescribeLoadBalancerListeners: the one API whose lists are plain arrays."""
    attributes = _attributes_view(listener)
    shown = {"LoadBalancerId": lb.id, "ListenerPort": listener.port,
             "ListenerProtocol": listener.protocol, "Status": listener.status}
    shown.update({k: attributes.pop(k) for k in LISTENER_TOP_LEVEL if k in attributes})
    acl_id = listener.attributes.get("AclId")
    shown["AclIds"] = [acl_id] if acl_id else []
    shown["Tags"] = _tags_view(listener.tags)
    if listener.protocol == "https":
        attributes["ServerCertificateId"] = listener.server_certificate_id
        shown["HTTPSListenerConfig"] = attributes
    else:
        shown["HTTPListenerConfig"] = attributes
    return shown


def extension_view(extension):
    return {"DomainExtensionId": extension.id, "Domain": extension.domain,
            "ServerCertificateId": extension.server_certificate_id}


def _token(lb_id, port):
    return base64.urlsafe_b64encode(f"{lb_id}:{port}".encode()).decode().rstrip("=")


def _read_token(text):
    try:
        lb_id, port = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().rsplit(":", 1)
        return lb_id, int(port)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_parameter("NextToken") from None


def _new_id(prefix, length):
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(length))


class Clb:
    """The CLB operations; `addresses` hands out data-plane addresses, `on_change` syncs it."""

    def __init__(self, store, clock, fault_plan, addresses, on_change=lambda: None):
        self._store = store
        self._clock = clock
        self._faults = fault_plan
        self._addresses = addresses
        self._on_change = on_change
        self.handlers = {
            "CreateLoadBalancer": self.create_load_balancer,
            "DescribeLoadBalancers": self.describe_load_balancers,
            "DescribeLoadBalancerAttribute": self.describe_load_balancer,
            "DeleteLoadBalancer": self.delete_load_balancer,
            "CreateLoadBalancerHTTPSListener": self.create_https_listener,
            "DescribeLoadBalancerListeners": self.describe_listeners,
            "DescribeLoadBalancerHTTPSListenerAttribute": self.describe_https_listener,
            "SetLoadBalancerHTTPSListenerAttribute": self.set_https_listener,
            "StartLoadBalancerListener": self.start_listener,
            "StopLoadBalancerListener": self.stop_listener,
            "DescribeDomainExtensions": self.describe_extensions,
            "DescribeDomainExtensionAttribute": self.describe_extension,
            "CreateDomainExtension": self.create_extension,
            "SetDomainExtensionAttribute": self.set_extension,
            "DeleteDomainExtension": self.delete_extension,
        }

    def _now_ms(self):
        return int(self._clock.now() * 1000)

    # --- the shape of every change --------------------------------------------------------------

    def _change(self, action, account_id, lb_id, region, change):
        """Run `change(tx, lb)` -> (payload, released certificate ids) as one transaction on one
        instance, with the instance's rules (locked, busy) and the fault rules that fire inside."""
        with self._store.transaction() as tx:
            lb = self._instance(tx, account_id, lb_id, region)
            if lb.status == "locked":
                raise errors.locked()
            if self._store.busy(lb.id):
                raise errors.service_is_configuring()
            payload, released = change(tx, lb)
            self._after_change(action, tx, lb.id, released)
        self._on_change()
        return payload

    def _after_change(self, action, tx, lb_id, released):
        if released:
            rule = self._faults.take(action, faults.ON_UNBIND)
            if rule is not None:
                self._store.linger(released, rule.duration_ms / 1000)
        rule = self._faults.take(action, faults.ON_MUTATION)
        if rule is not None and lb_id is not None:
            self._store.set_busy(lb_id, rule.duration_ms / 1000)
        rule = self._faults.take(action, faults.BEFORE_COMMIT)
        if rule is not None:
            time.sleep(rule.delay_ms / 1000)  # the transaction is open: a kill now loses all of it

    @staticmethod
    def _instance(tx, account_id, lb_id, region):
        lb = tx.load_balancer(account_id, lb_id)
        if lb is None or (region is not None and lb.region_id != region):
            raise errors.load_balancer_not_found()
        return lb

    @staticmethod
    def _listener(tx, lb, port, https=True):
        listener = tx.listener(lb.id, port)
        if listener is None:
            raise errors.listener_not_found()
        if https and listener.protocol != "https":
            raise errors.wrong_protocol()
        return listener

    @staticmethod
    def _usable_certificate(tx, lb, cert_id):
        """A certificate a listener of `lb` may use: the same account and region, or 404."""
        cert = tx.certificate(lb.account_id, lb.region_id, cert_id)
        if cert is None:
            raise errors.listener_certificate_not_found()
        return cert

    def _extension_of(self, tx, account_id, region, extension_id):
        extension = tx.extension(extension_id)
        lb = extension and tx.load_balancer(account_id, extension.load_balancer_id)
        if lb is None or lb.region_id != region:
            raise errors.domain_extension_not_found()
        return extension

    # --- load balancers ---------------------------------------------------------------------------

    def new_load_balancer(self, tx, account_id, region, params):
        """Validate CreateLoadBalancer's parameters and store the instance (in `tx`)."""
        status = params.get("LoadBalancerStatus") or "active"
        _choice("active", "inactive", "locked")("LoadBalancerStatus", status)
        name = params.get("LoadBalancerName")
        if name is not None and not _LB_NAME.match(name):
            raise errors.invalid_parameter("LoadBalancerName")
        spec = params.get("LoadBalancerSpec") or ""
        if spec and spec not in LB_SPECS:
            raise errors.invalid_parameter("LoadBalancerSpec")
        address_type = params.get("AddressType") or "internet"
        _choice("internet", "intranet")("AddressType", address_type)
        ip_version = params.get("AddressIPVersion") or "ipv4"
        _choice("ipv4")("AddressIPVersion", ip_version)  # the data plane is IPv4 loopback
        charge = params.get("InternetChargeType") or "paybytraffic"
        _choice("paybytraffic", "paybybandwidth")("InternetChargeType", charge)
        bandwidth = params.get("Bandwidth")
        bandwidth = _integer("Bandwidth", bandwidth, 1, 5120) if bandwidth else 5120
        protection = params.get("DeleteProtection") or "off"
        _on_off("DeleteProtection", protection)
        modification = params.get("ModificationProtectionStatus") or "NonProtection"
        _choice("NonProtection", "ConsoleProtection")("ModificationProtectionStatus", modification)
        pay_type = params.get("PayType") or "PayOnDemand"
        _choice("PayOnDemand", "PrePay")("PayType", pay_type)
        address = self._addresses.allocate(tx.addresses())
        if address is None:
            raise errors.load_balancer_limit()
        lb_id = _new_id("lb-", 22)
        vswitch = params.get("VSwitchId") or ""
        lb = LoadBalancer(
            id=lb_id, account_id=account_id, region_id=region, create_ms=self._now_ms(), address=address,
            client_token=params.get("ClientToken") or None,
            attributes={
                "LoadBalancerName": name or f"auto_named_slb_{lb_id[3:11]}",
                "LoadBalancerStatus": status,
                "LoadBalancerSpec": spec,
                "AddressType": address_type,
                "AddressIPVersion": ip_version,
                "NetworkType": "vpc" if vswitch or params.get("VpcId") else "classic",
                "VpcId": params.get("VpcId") or "",
                "VSwitchId": vswitch,
                "MasterZoneId": params.get("MasterZoneId") or f"{region}-a",
                "SlaveZoneId": params.get("SlaveZoneId") or f"{region}-b",
                "ResourceGroupId": params.get("ResourceGroupId") or default_resource_group(account_id),
                "PayType": pay_type,
                "InternetChargeType": charge,
                "Bandwidth": bandwidth,
                "DeleteProtection": protection,
                "ModificationProtectionStatus": modification,
                "ModificationProtectionReason": params.get("ModificationProtectionReason") or "",
                "Tags": _tags(params),
            })
        tx.insert_load_balancer(lb)
        return lb

    @staticmethod
    def _created_view(lb):
        return {"LoadBalancerId": lb.id, "LoadBalancerName": lb.attributes["LoadBalancerName"],
                "Address": lb.address, "AddressIPVersion": lb.attributes["AddressIPVersion"],
                "NetworkType": lb.attributes["NetworkType"], "VpcId": lb.attributes["VpcId"],
                "VSwitchId": lb.attributes["VSwitchId"], "ResourceGroupId": lb.attributes["ResourceGroupId"]}

    def create_load_balancer(self, params, account_id):
        region = _region(params, required=True)
        params = {k: v for k, v in params.items() if k != "LoadBalancerStatus"}  # seeds only
        with self._store.transaction() as tx:
            token = params.get("ClientToken")
            earlier = token and tx.load_balancer_by_token(account_id, token)
            if earlier:  # the same ClientToken again: the instance that request created
                return self._created_view(earlier)
            lb = self.new_load_balancer(tx, account_id, region, params)
            self._after_change("CreateLoadBalancer", tx, lb.id, ())
        self._on_change()
        return self._created_view(lb)

    def describe_load_balancers(self, params, account_id):
        region = _region(params, required=True)
        page = _integer("PageNumber", params.get("PageNumber") or "1", 1, 10**9)
        size = _integer("PageSize", params.get("PageSize") or str(DEFAULT_PAGE_SIZE), 1, 100)
        ids = [i.strip() for i in (params.get("LoadBalancerId") or "").split(",") if i.strip()]
        if len(ids) > MAX_IDS_PER_CALL:
            raise errors.invalid_parameter("LoadBalancerId")
        wanted_tags = _wanted_tags(params)
        filters = {name: params[name] for name in (
            "LoadBalancerName", "AddressType", "AddressIPVersion", "NetworkType", "VpcId", "VSwitchId",
            "MasterZoneId", "SlaveZoneId", "LoadBalancerStatus", "InternetChargeType", "PayType",
            "ResourceGroupId") if params.get(name)}
        with self._store.reading() as tx:
            found = []
            for lb in tx.load_balancers(account_id, region):
                if ((ids and lb.id not in ids)
                        or (params.get("Address") and lb.address != params["Address"])
                        or any(lb.attributes.get(k) != v for k, v in filters.items())
                        or not _has_tags(lb.attributes["Tags"], wanted_tags)
                        # backend servers are not modelled: no instance has the one asked for
                        or params.get("ServerId") or params.get("ServerIntranetAddress")):
                    continue
                found.append(load_balancer_view(lb))
        shown = found[(page - 1) * size:page * size]
        return {"PageNumber": page, "PageSize": size, "TotalCount": len(found),
                "LoadBalancers": {"LoadBalancer": shown}}

    def describe_load_balancer(self, params, account_id):
        region = _region(params, required=False)
        lb_id = _required(params, "LoadBalancerId")
        with self._store.reading() as tx:
            lb = self._instance(tx, account_id, lb_id, region)
            listeners = tx.listeners(lb.id)
        shown = load_balancer_view(lb)
        shown["ListenerPorts"] = {"ListenerPort": [li.port for li in listeners]}
        shown["ListenerPortsAndProtocol"] = {"ListenerPortAndProtocol": [
            {"ListenerPort": li.port, "ListenerProtocol": li.protocol,
             "Description": li.attributes.get("Description", "")} for li in listeners]}
        # The legacy misspelling is still sent beside the correct one.
        shown["ListenerPortsAndProtocal"] = {"ListenerPortAndProtocal": [
            {"ListenerPort": li.port, "ListenerProtocal": li.protocol} for li in listeners]}
        shown["BackendServers"] = {"BackendServer": []}
        return shown

    def delete_load_balancer(self, params, account_id):
        region = _region(params, required=False)
        lb_id = _required(params, "LoadBalancerId")

        def change(tx, lb):
            if lb.attributes["DeleteProtection"] == "on":
                raise errors.delete_protected()
            return {}, tx.delete_load_balancer(lb.id)

        return self._change("DeleteLoadBalancer", account_id, lb_id, region, change)

    # --- listeners --------------------------------------------------------------------------------

    def new_listener(self, tx, lb, params, protocol="https", status="stopped"):
        """Validate a listener's creation parameters and store it (in `tx`)."""
        port = _port(params)
        table = HTTPS_ATTRIBUTES if protocol == "https" else HTTP_ATTRIBUTES
        given = _read_attributes(params, table, table)
        for name in ("Bandwidth", "HealthCheck"):
            if name not in given:
                raise errors.missing_parameter(name)
        if lb.spec == "" and any(n in given for n in GUARANTEED_ONLY):
            raise errors.invalid_parameter(GUARANTEED_ONLY[0])
        attributes = {name: given.get(name, default) for name, (_, default) in table.items()}
        _check_combinations(attributes, creating=True)
        cert_id = ""
        if protocol == "https":
            cert_id = params.get("ServerCertificateId")
            if not cert_id:
                raise errors.no_server_certificate()
            self._usable_certificate(tx, lb, cert_id)
        if tx.listener(lb.id, port) is not None:
            raise errors.listener_exists()
        listener = Listener(load_balancer_id=lb.id, port=port, protocol=protocol, status=status,
                            server_certificate_id=cert_id, create_ms=self._now_ms(),
                            tags=tuple(_tags(params)), attributes=attributes)
        tx.put_listener(listener)
        return listener

    def create_https_listener(self, params, account_id):
        region = _region(params, required=False)
        lb_id = _required(params, "LoadBalancerId")
        _port(params)  # a malformed port is refused before the instance is looked at

        def change(tx, lb):
            self.new_listener(tx, lb, params)
            return {}, ()

        return self._change("CreateLoadBalancerHTTPSListener", account_id, lb_id, region, change)

    def describe_listeners(self, params, account_id):
        region = _region(params, required=False)
        ids = [v for k, v in sorted(params.items(), key=lambda kv: kv[0])
               if _LISTENER_ID_PARAM.match(k) and v]
        if len(ids) > MAX_IDS_PER_CALL:
            raise errors.invalid_parameter("LoadBalancerId")
        protocol = params.get("ListenerProtocol")
        if protocol is not None:
            _choice("tcp", "udp", "http", "https")("ListenerProtocol", protocol)
        port = _port(params) if params.get("ListenerPort") else None
        size = _integer("MaxResults", params.get("MaxResults") or str(DEFAULT_MAX_RESULTS), 1, 100)
        after = _read_token(params["NextToken"]) if params.get("NextToken") else None
        wanted_tags = _wanted_tags(params)
        description = params.get("Description")
        with self._store.reading() as tx:
            matching = []
            for lb in sorted(tx.load_balancers(account_id, region), key=lambda b: b.id):
                if ids and lb.id not in ids:
                    continue
                for listener in tx.listeners(lb.id):
                    if ((protocol and listener.protocol != protocol)
                            or (port and listener.port != port)
                            or (description is not None
                                and listener.attributes.get("Description") != description)
                            or not _has_tags(listener.tags, wanted_tags)):
                        continue
                    matching.append((lb, listener))
        remaining = [m for m in matching if after is None or (m[0].id, m[1].port) > after]
        page = remaining[:size]
        shown = {"TotalCount": len(matching), "MaxResults": size,
                 "NextToken": _token(page[-1][0].id, page[-1][1].port) if len(remaining) > size else ""}
        if page:  # documented: not returned when there is no listener
            shown["Listeners"] = [listener_list_view(lb, listener) for lb, listener in page]
        return shown

    def describe_https_listener(self, params, account_id):
        region = _region(params, required=False)
        lb_id = _required(params, "LoadBalancerId")
        port = _port(params)
        with self._store.reading() as tx:
            lb = self._instance(tx, account_id, lb_id, region)
            listener = self._listener(tx, lb, port)
            extensions = tx.extensions(lb.id, port)
        return https_listener_view(lb, listener, extensions)

    def set_https_listener(self, params, account_id):
        region = _region(params, required=False)
        lb_id = _required(params, "LoadBalancerId")
        port = _port(params)
        names = [n for n in HTTPS_ATTRIBUTES if n not in CREATE_ONLY]
        given = _read_attributes(params, HTTPS_ATTRIBUTES, names)
        if params.get("VServerGroup") is not None:
            _on_off("VServerGroup", params["VServerGroup"])
        dry_run = _bool("DryRun", params.get("DryRun"))
        cert_id = params.get("ServerCertificateId")
        if cert_id == "":
            raise errors.no_server_certificate()
        action = "SetLoadBalancerHTTPSListenerAttribute"

        def change(tx, lb):
            listener = self._listener(tx, lb, port)
            if lb.spec == "" and any(n in given for n in GUARANTEED_ONLY):
                raise errors.invalid_parameter(GUARANTEED_ONLY[0])
            if cert_id:
                self._usable_certificate(tx, lb, cert_id)
            # Patch semantics: what is not sent keeps its value...
            attributes = {**listener.attributes, **given}
            _check_combinations(attributes, creating=False)
            if dry_run:
                raise errors.dry_run_passed()
            # ...unless the opt-in quirk of the service's past resets an omitted HealthCheckDomain.
            if "HealthCheckDomain" not in params and self._faults.take(action, faults.ON_SET_LISTENER):
                attributes["HealthCheckDomain"] = ""
            new_cert = cert_id or listener.server_certificate_id
            tx.put_listener(replace(listener, server_certificate_id=new_cert, attributes=attributes))
            released = {listener.server_certificate_id} - {new_cert}
            return {}, released

        return self._change(action, account_id, lb_id, region, change)

    def _set_status(self, action, status, params, account_id):
        region = _region(params, required=False)
        lb_id = _required(params, "LoadBalancerId")
        port = _port(params)
        protocol = params.get("ListenerProtocol")

        def change(tx, lb):
            listener = self._listener(tx, lb, port, https=False)
            if protocol and protocol.lower() != listener.protocol:
                raise errors.listener_not_found()
            tx.put_listener(replace(listener, status=status))
            return {}, ()

        return self._change(action, account_id, lb_id, region, change)

    def start_listener(self, params, account_id):
        return self._set_status("StartLoadBalancerListener", "running", params, account_id)

    def stop_listener(self, params, account_id):
        return self._set_status("StopLoadBalancerListener", "stopped", params, account_id)

    # --- domain extensions ------------------------------------------------------------------------

    def new_extension(self, tx, lb, port, domain, cert_id):
        listener = self._listener(tx, lb, port)
        if lb.spec == "":
            raise errors.sni_unsupported()
        normal = normal_domain(domain)
        if normal is None:
            raise errors.invalid_parameter("Domain")
        if not cert_id:
            raise errors.no_server_certificate()
        cert = self._usable_certificate(tx, lb, cert_id)
        existing = tx.extensions(lb.id, listener.port)
        if any(e.domain == normal for e in existing):
            raise errors.domain_exists()
        if len(existing) >= MAX_DOMAIN_EXTENSIONS:
            raise errors.domain_extension_limit(MAX_DOMAIN_EXTENSIONS)
        if not covers(cert, normal):
            raise errors.domain_not_covered()
        extension = DomainExtension(id=_new_id("de-", 13), load_balancer_id=lb.id, port=listener.port,
                                    domain=normal, server_certificate_id=cert_id, create_ms=self._now_ms())
        tx.insert_extension(extension)
        return extension

    def describe_extensions(self, params, account_id):
        region = _region(params, required=True)
        lb_id = _required(params, "LoadBalancerId")
        port = _port(params)
        wanted = params.get("DomainExtensionId")
        with self._store.reading() as tx:
            lb = self._instance(tx, account_id, lb_id, region)
            self._listener(tx, lb, port)
            extensions = [e for e in tx.extensions(lb.id, port) if not wanted or e.id == wanted]
        return {"DomainExtensions": {"DomainExtension": [extension_view(e) for e in extensions]}}

    def describe_extension(self, params, account_id):
        region = _region(params, required=True)
        extension_id = _required(params, "DomainExtensionId")
        with self._store.reading() as tx:
            extension = self._extension_of(tx, account_id, region, extension_id)
        return {"DomainExtensionId": extension.id, "Domain": extension.domain,
                "ListenerPort": extension.port, "LoadBalancerId": extension.load_balancer_id,
                "ServerCertificateId": extension.server_certificate_id}

    def create_extension(self, params, account_id):
        region = _region(params, required=True)
        lb_id = _required(params, "LoadBalancerId")
        port = _port(params)
        domain = _required(params, "Domain")
        cert_id = params.get("ServerCertificateId")

        def change(tx, lb):
            extension = self.new_extension(tx, lb, port, domain, cert_id)
            return {"DomainExtensionId": extension.id, "ListenerPort": extension.port}, ()

        return self._change("CreateDomainExtension", account_id, lb_id, region, change)

    def _extension_change(self, action, params, account_id, change):
        region = _region(params, required=True)
        extension_id = _required(params, "DomainExtensionId")
        with self._store.reading() as tx:
            lb_id = self._extension_of(tx, account_id, region, extension_id).load_balancer_id

        def guarded(tx, lb):
            extension = self._extension_of(tx, account_id, region, extension_id)  # still there?
            return change(tx, lb, extension)

        return self._change(action, account_id, lb_id, region, guarded)

    def set_extension(self, params, account_id):
        cert_id = params.get("ServerCertificateId")
        if not cert_id:
            raise errors.no_server_certificate()

        def change(tx, lb, extension):
            if lb.spec == "":
                raise errors.sni_unsupported()
            cert = self._usable_certificate(tx, lb, cert_id)
            if not covers(cert, extension.domain):
                raise errors.domain_not_covered()
            tx.set_extension_certificate(extension.id, cert_id)
            return {}, {extension.server_certificate_id} - {cert_id}

        return self._extension_change("SetDomainExtensionAttribute", params, account_id, change)

    def delete_extension(self, params, account_id):
        def change(tx, lb, extension):
            tx.delete_extension(extension.id)
            return {}, {extension.server_certificate_id}

        return self._extension_change("DeleteDomainExtension", params, account_id, change)
