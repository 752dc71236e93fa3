#!/usr/bin/env python3
"""Signs request cases with Alibaba's own Python SDKs, for slbcert's differential test.

Reads a JSON list of cases on stdin, writes a JSON list of results (same order) on stdout.
A case: {"version": "v1"|"v3", "legacy": bool, "method": "POST"|"GET", "placement": "query"|"body",
         "action", "api_version", "host", "access_key_id", "secret", "sts_token": str|null,
         "nonce", "timestamp", "params": [[name, value], ...]}

V1 with "legacy": aliyun-python-sdk-core's RpcRequest + AccessKeySigner/StsTokenSigner, the path its
AcsClient takes (nonce and time fixed by patching its parameter_helper, nothing re-implemented).
V1 without "legacy": alibabacloud-tea-openapi's Utils.get_rpcsignature (Format=json, no SignatureType).
V3: alibabacloud-tea-openapi's Utils.get_authorization over the headers slbcert signs.
"""
import hashlib
import json
import sys
import types
import urllib.parse

from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
from aliyunsdkcore.auth.signers.access_key_signer import AccessKeySigner
from aliyunsdkcore.auth.signers.sts_token_signer import StsTokenSigner
from aliyunsdkcore.request import RpcRequest
from aliyunsdkcore.utils import parameter_helper
from alibabacloud_tea_openapi import utils as tea_utils
from alibabacloud_tea_openapi.utils import Utils as TeaUtils


def v1_legacy_core(case):
    # The core draws nonce and time from these two functions at signing time.
    parameter_helper.get_uuid = lambda: case["nonce"]
    parameter_helper.get_iso_8061_date = lambda: case["timestamp"]
    params = [(k, v) for k, v in case["params"] if k != "Format"]
    fmt = next((v for k, v in case["params"] if k == "Format"), "JSON")
    request = RpcRequest("Slb", case["api_version"], case["action"], format=fmt)
    request.set_method(case["method"])
    for name, value in params:
        if case["placement"] == "body":
            request.add_body_params(name, value)
        else:
            request.add_query_param(name, value)
    if case.get("sts_token") is not None:
        signer = StsTokenSigner(StsTokenCredential(case["access_key_id"], case["secret"], case["sts_token"]))
    else:
        signer = AccessKeySigner(AccessKeyCredential(case["access_key_id"], case["secret"]))
    # get_url adds RegionId from this argument only when the request has none: pass the case's own.
    region = next((v for k, v in case["params"] if k == "RegionId"), None)
    _, url = signer.sign(region, request)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    return {"string_to_sign": request.string_to_sign, "signature": query["Signature"][0]}


def v1_tea(case):
    signed = {"Action": case["action"], "Version": case["api_version"], "Format": "json",
              "AccessKeyId": case["access_key_id"], "SignatureMethod": "HMAC-SHA1",
              "SignatureVersion": "1.0", "SignatureNonce": case["nonce"], "Timestamp": case["timestamp"]}
    if case.get("sts_token") is not None:
        signed["SecurityToken"] = case["sts_token"]
    signed.update(dict(case["params"]))
    signature = TeaUtils.get_rpcsignature(signed, case["method"], case["secret"])
    return {"signature": signature}


def v3_tea(case):
    body = ""
    query = {}
    if case["placement"] == "body" and case["params"]:
        body = "&".join(f"{TeaUtils.get_encode_param(k)}={TeaUtils.get_encode_param(v)}"
                        for k, v in case["params"])
    else:
        query = dict(case["params"])
    payload = TeaUtils.hex_encode(TeaUtils.hash(body.encode("utf-8"), "ACS3-HMAC-SHA256"))
    headers = {"host": case["host"], "x-acs-action": case["action"], "x-acs-version": case["api_version"],
               "x-acs-date": case["timestamp"], "x-acs-signature-nonce": case["nonce"],
               "x-acs-content-sha256": payload}
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded"
    if case.get("sts_token") is not None:
        headers["x-acs-accesskey-id"] = case["access_key_id"]
        headers["x-acs-security-token"] = case["sts_token"]
    request = types.SimpleNamespace(method=case["method"], pathname="/", query=query, headers=headers)
    authorization = TeaUtils.get_authorization(request, "ACS3-HMAC-SHA256", payload,
                                               case["access_key_id"], case["secret"])
    canonical_headers, signed_headers = tea_utils.get_canonicalized_headers(headers)
    canonical_request = "\n".join([case["method"], "/", tea_utils.get_canonical_query_string(query),
                                   canonical_headers, signed_headers, payload])
    return {"authorization": authorization, "canonical_request": canonical_request, "body": body,
            "string_to_sign": "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()}


def sign(case):
    if case["version"] == "v3":
        return v3_tea(case)
    return v1_legacy_core(case) if case["legacy"] else v1_tea(case)


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
