"""The SLB operations: the four certificate operations (docs/protocol.md section 1) here, the load
balancer ones in clb.py; parameters in, response payload out."""

import re
import secrets

from . import certs, errors
from .clock import iso_utc
from .params import default_resource_group, parse_tags, required as _required
from .regions import REGIONS
from .store import Certificate

API_VERSION = "2014-05-15"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,79}$")


def _region(params):
    region = _required(params, "RegionId")
    if region not in REGIONS:
        raise errors.region_not_found()
    return region


def _name(value):
    if not _NAME.match(value):
        raise errors.invalid_parameter("ServerCertificateName")
    return value


def _new_id(account_id, now_ms):
    """Shaped like the service's ids: <account uid>_<hex ms timestamp>_<int>_<int>."""
    return (f"{account_id}_{now_ms:x}_{1_000_000_000 + secrets.randbelow(1_000_000_000)}"
            f"_{100_000_000 + secrets.randbelow(900_000_000)}")


def view(cert, with_tags):
    """A certificate as the API shows it: never its PEMs."""
    shown = {
        "ServerCertificateId": cert.id,
        "ServerCertificateName": cert.name,
        "Fingerprint": cert.fingerprint,
        "CommonName": cert.common_name,
        "SubjectAlternativeNames": {"SubjectAlternativeName": list(cert.subject_alternative_names)},
        "CreateTime": iso_utc(cert.create_ms / 1000),
        "CreateTimeStamp": cert.create_ms,
        "ExpireTime": iso_utc(cert.expire_ms / 1000),
        "ExpireTimeStamp": cert.expire_ms,
        "IsAliCloudCertificate": 1 if cert.alicloud_certificate_id else 0,
        "AliCloudCertificateId": cert.alicloud_certificate_id,
        "AliCloudCertificateName": cert.alicloud_certificate_name,
        "RegionId": cert.region_id,
        "RegionIdAlias": cert.region_id,
        "ResourceGroupId": cert.resource_group_id,
    }
    if with_tags:
        shown["Tags"] = {"Tag": [{"TagKey": k, "TagValue": v} for k, v in cert.tags]}
    return shown


class Operations:
    def __init__(self, store, clock, quota, clb=None):
        self._store = store
        self._clock = clock
        self._quota = quota
        self._handlers = {
            "UploadServerCertificate": self.upload,
            "DescribeServerCertificates": self.describe,
            "DeleteServerCertificate": self.delete,
            "SetServerCertificateName": self.rename,
            **(clb.handlers if clb else {}),
        }

    @property
    def actions(self):
        return self._handlers.keys()

    def run(self, action, params, caller):
        """The response payload of `action` (without RequestId), or raise its ApiError."""
        return self._handlers[action](params, caller.account_id)

    def upload(self, params, account_id):
        cert = self.new_certificate(params, account_id)
        self._store.insert(cert, self._quota)
        return view(cert, with_tags=False)

    def new_certificate(self, params, account_id):
        """The certificate UploadServerCertificate would store, validated as CLB does it."""
        region = _region(params)
        tags = parse_tags(params, missing_value="")
        name = params.get("ServerCertificateName")
        if name is not None:
            _name(name)
        cas_id = params.get("AliCloudCertificateId")
        if cas_id:
            cas = self._store.get_cas(cas_id)
            cas_region = params.get("AliCloudCertificateRegionId")
            if cas is None or (cas_region and cas_region != cas.region_id):
                raise errors.cas_certificate_not_found()
            facts = certs.facts(certs.parse_chain(cas.certificate_pem))
            certificate_pem, private_key_pem = cas.certificate_pem, ""
            cas_name = params.get("AliCloudCertificateName") or cas.name
        else:
            certificate_pem, private_key_pem = params.get("ServerCertificate"), params.get("PrivateKey")
            if not certificate_pem or not private_key_pem:
                raise errors.pem_empty()
            facts = certs.check_upload(certificate_pem, private_key_pem)
            cas_id, cas_name = "", ""
        now_ms = int(self._clock.now() * 1000)
        cert = Certificate(
            id=_new_id(account_id, now_ms),
            account_id=account_id,
            region_id=region,
            name=name or facts.common_name,  # inferred: an unnamed certificate shows its CN
            fingerprint=facts.fingerprint,
            common_name=facts.common_name,
            subject_alternative_names=facts.subject_alternative_names,
            create_ms=now_ms,
            expire_ms=int(facts.not_after * 1000),
            resource_group_id=params.get("ResourceGroupId") or default_resource_group(account_id),
            tags=tuple(tags),
            alicloud_certificate_id=cas_id,
            alicloud_certificate_name=cas_name,
            certificate_pem=certificate_pem,
            private_key_pem=private_key_pem,
        )
        return cert

    @property
    def quota(self):
        return self._quota

    def describe(self, params, account_id):
        region = _region(params)
        wanted_id = params.get("ServerCertificateId")
        wanted_group = params.get("ResourceGroupId")
        wanted_tags = parse_tags(params, missing_value=None)  # None: any value
        found = []
        for cert in self._store.list_region(account_id, region):
            tags = dict(cert.tags)
            if ((wanted_id and cert.id != wanted_id)
                    or (wanted_group and cert.resource_group_id != wanted_group)
                    or any(k not in tags or (v is not None and tags[k] != v) for k, v in wanted_tags)):
                continue
            found.append(view(cert, with_tags=True))
        return {"ServerCertificates": {"ServerCertificate": found}}

    def delete(self, params, account_id):
        region = _region(params)
        self._store.delete(account_id, region, _required(params, "ServerCertificateId"))
        return {}

    def rename(self, params, account_id):
        region = _region(params)
        cert_id = _required(params, "ServerCertificateId")
        name = _name(_required(params, "ServerCertificateName"))
        self._store.rename(account_id, region, cert_id, name)
        return {}
