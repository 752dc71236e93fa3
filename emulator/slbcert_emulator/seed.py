"""Seeding: a region's certificates, load balancers, listeners and domain extensions in one step.

A seed document (JSON) names an account and a region and lists what to create; certificates get a
local name ("Ref") that listeners and extensions use instead of ids not known in advance:

    {"AccessKeyId": "LTAI...", "RegionId": "cn-hangzhou",
     "Certificates": [{"Ref": "a", "ServerCertificate": "<PEM>", "PrivateKey": "<PEM>"}],
     "LoadBalancers": [{"LoadBalancerName": "web", "LoadBalancerSpec": "slb.s2.small",
         "Listeners": [{"ListenerPort": 8443, "ServerCertificate": "a",
             "DomainExtensions": [{"Domain": "api.example.com", "ServerCertificate": "a"}]}]}]}

Everything is checked by the same rules as the API and stored in one transaction: a document
that breaks any rule creates nothing.
"""

from . import errors
from .auth import account_id_for

# What a seeded listener is when the document does not say (the API's create needs these sent).
LISTENER_DEFAULTS = {"ListenerProtocol": "https", "Status": "running", "Bandwidth": "-1",
                     "HealthCheck": "off", "BackendServerPort": "80"}


class SeedError(Exception):
    pass


def _params(doc, where):
    """A JSON object as request parameters: strings, numbers as their decimal text."""
    if not isinstance(doc, dict):
        raise SeedError(f"{where} must be an object")
    params = {}
    for key, value in doc.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            continue  # nested lists are read separately
        params[key] = str(value)
    return params


def _list(doc, name, where):
    value = doc.get(name, [])
    if not isinstance(value, list):
        raise SeedError(f"{where}.{name} must be a list")
    return value


def account_of(doc, known_key_ids):
    if not isinstance(doc, dict):
        raise SeedError("a seed document must be an object")
    key_id, account_id = doc.get("AccessKeyId"), doc.get("AccountId")
    if key_id is not None:
        if key_id not in known_key_ids:
            raise SeedError(f"AccessKeyId {key_id} is not one of the emulator's credentials")
        return account_id_for(key_id)
    if isinstance(account_id, str) and account_id.isdigit():
        return account_id
    raise SeedError("give AccessKeyId (one of the emulator's credentials) or AccountId")


def apply(doc, account_id, store, operations, clb):
    """Create everything `doc` lists for `account_id`; return the ids created."""
    if not isinstance(doc, dict):
        raise SeedError("a seed document must be an object")
    region = doc.get("RegionId")
    if not isinstance(region, str):
        raise SeedError("RegionId must be a string")
    where = "Certificates"
    try:
        with store.transaction() as tx:
            refs, shown_certs = {}, {}
            for i, item in enumerate(_list(doc, "Certificates", "seed")):
                where = f"Certificates[{i}]"
                params = _params(item, where)
                ref = params.pop("Ref", None) or str(i)
                cert = operations.new_certificate(dict(params, RegionId=region), account_id)
                tx.insert_certificate(cert, operations.quota)
                refs[ref] = cert.id
                shown_certs[ref] = {"ServerCertificateId": cert.id, "Fingerprint": cert.fingerprint}
            shown_lbs = []
            for i, item in enumerate(_list(doc, "LoadBalancers", "seed")):
                where = f"LoadBalancers[{i}]"
                lb = clb.new_load_balancer(tx, account_id, region, _params(item, where))
                shown_lb = {"LoadBalancerId": lb.id, "LoadBalancerName": lb.attributes["LoadBalancerName"],
                            "Address": lb.address, "Listeners": []}
                for j, listener_doc in enumerate(_list(item, "Listeners", where)):
                    where = f"LoadBalancers[{i}].Listeners[{j}]"
                    params = {**LISTENER_DEFAULTS, **_params(listener_doc, where)}
                    _resolve(params, refs, where)
                    protocol, status = params.pop("ListenerProtocol"), params.pop("Status")
                    if protocol not in ("https", "http") or status not in ("running", "stopped"):
                        raise SeedError(f"{where}: ListenerProtocol is https or http, Status running "
                                        "or stopped")
                    listener = clb.new_listener(tx, lb, params, protocol=protocol, status=status)
                    shown_listener = {"ListenerPort": listener.port, "ListenerProtocol": protocol,
                                      "Status": status, "DomainExtensions": []}
                    for k, ext_doc in enumerate(_list(listener_doc, "DomainExtensions", where)):
                        where = f"LoadBalancers[{i}].Listeners[{j}].DomainExtensions[{k}]"
                        ext_params = _params(ext_doc, where)
                        _resolve(ext_params, refs, where)
                        extension = clb.new_extension(tx, lb, listener.port, ext_params.get("Domain", ""),
                                                      ext_params.get("ServerCertificateId"))
                        shown_listener["DomainExtensions"].append(
                            {"Domain": extension.domain, "DomainExtensionId": extension.id})
                    shown_lb["Listeners"].append(shown_listener)
                shown_lbs.append(shown_lb)
    except errors.ApiError as exc:
        raise SeedError(f"{where}: {exc.code}: {exc.message}") from None
    return {"AccountId": account_id, "RegionId": region, "Certificates": shown_certs,
            "LoadBalancers": shown_lbs}


def _resolve(params, refs, where):
    """A `ServerCertificate` reference becomes the `ServerCertificateId` seeded under that name."""
    ref = params.pop("ServerCertificate", None)
    if ref is not None:
        if ref not in refs:
            raise SeedError(f"{where}: no certificate with Ref {ref!r} in this document")
        params["ServerCertificateId"] = refs[ref]

