#!/usr/bin/env python3
"""Signatures per second for an UploadServerCertificate request (4 KB chain, 2 KB key), one thread.

Rows: the official Python SDK signers (V1: aliyun-python-sdk-core's RpcRequest path; V3: tea-openapi's
Utils.get_authorization) and the floor, a bare HMAC over the same string-to-sign. More rows plug in
through --extra COMMAND: a program that prints "<label> <signatures_per_second>" lines, e.g. the
slbcert-through-the-C-API figure from bench/bench_sign.c once the ABI exists:
    python bench/sign_bench.py --extra build/bench/bench_sign
Run with the venv that holds the SDK pins. Figures, not a test: nothing here passes or fails.
"""
import argparse
import base64
import hashlib
import hmac
import random
import subprocess
import time
import types

from aliyunsdkcore.auth.credentials import AccessKeyCredential
from aliyunsdkcore.auth.signers.access_key_signer import AccessKeySigner
from aliyunsdkcore.request import RpcRequest
from alibabacloud_tea_openapi.utils import Utils as TeaUtils

AK, SECRET, HOST = "LTAI5tBenchmarkKeyId", "BenchmarkSecretBenchmarkSecret", "slb.aliyuncs.com"


def pem(label, size, rng):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = "".join(rng.choice(alphabet) for _ in range(size))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def parameters():
    rng = random.Random(7)  # same input every run
    return [("RegionId", "cn-hangzhou"), ("ServerCertificate", pem("CERTIFICATE", 3000, rng) + pem("CERTIFICATE", 1000, rng)),
            ("PrivateKey", pem("RSA PRIVATE KEY", 2000, rng)), ("ServerCertificateName", "bench-cert")]


def sdk_v1(params):
    signer = AccessKeySigner(AccessKeyCredential(AK, SECRET))

    def sign():
        request = RpcRequest("Slb", "2014-05-15", "UploadServerCertificate", format="JSON")
        request.set_method("POST")
        for name, value in params:
            request.add_body_params(name, value)
        signer.sign("cn-hangzhou", request)
        return request.string_to_sign
    return sign


def sdk_v3(params):
    def sign():
        body = "&".join(f"{TeaUtils.get_encode_param(k)}={TeaUtils.get_encode_param(v)}" for k, v in params)
        payload = hashlib.sha256(body.encode()).hexdigest()
        headers = {"host": HOST, "x-acs-action": "UploadServerCertificate", "x-acs-version": "2014-05-15",
                   "x-acs-date": TeaUtils.get_timestamp(), "x-acs-signature-nonce": TeaUtils.get_nonce(),
                   "x-acs-content-sha256": payload, "content-type": "application/x-www-form-urlencoded"}
        request = types.SimpleNamespace(method="POST", pathname="/", query={}, headers=headers)
        return TeaUtils.get_authorization(request, "ACS3-HMAC-SHA256", payload, AK, SECRET)
    return sign


def bare_hmac_v1(string_to_sign):
    key, message = (SECRET + "&").encode(), string_to_sign.encode()
    return lambda: base64.b64encode(hmac.new(key, message, hashlib.sha1).digest())


def rate(function, seconds):
    function()  # warm up
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            function()
        count += 50
    return count / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="per row")
    parser.add_argument("--extra", action="append", default=[], help="a program printing '<label> <rate>' lines")
    args = parser.parse_args()
    params = parameters()
    string_to_sign = sdk_v1(params)()
    print(f"UploadServerCertificate, {sum(len(v) for _, v in params)} bytes of parameters, "
          f"string-to-sign {len(string_to_sign)} bytes, single thread")
    rows = [("python sdk-core V1 (RpcRequest + AccessKeySigner)", sdk_v1(params)),
            ("python tea-openapi V3 (get_authorization)", sdk_v3(params)),
            ("bare HMAC-SHA1 over the V1 string-to-sign (python hmac)", bare_hmac_v1(string_to_sign))]
    for label, function in rows:
        print(f"{label:60s} {rate(function, args.seconds):12,.0f} signatures/s")
    for command in args.extra:
        output = subprocess.run(command.split(), check=True, capture_output=True, text=True).stdout
        for line in output.splitlines():
            label, _, value = line.rpartition(" ")
            print(f"{label:60s} {float(value):12,.0f} signatures/s")


if __name__ == "__main__":
    main()
