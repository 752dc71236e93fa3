#!/usr/bin/env python3
"""Signatures per second for an UploadServerCertificate request (4 KB chain, 2 KB key), one thread.

Rows: the official Python SDK signers (V1: aliyun-python-sdk-core's RpcRequest path; V3: tea-openapi's
Utils.get_authorization), a bare Python HMAC over the V1 string-to-sign, and rows from --extra COMMAND:
a program that prints "<label> <signatures_per_second>" lines ('#' lines are facts, printed as they are).
bench/bench_sign.c is that program: slbcert through the C API (slbcert_sign V1, V3) and the native floor
(OpenSSL's HMAC over the strings slbcert signed). The extra command gets the same chain and key as the
Python rows (--chain FILE --key FILE) and the time per row (--seconds S):
    python bench/sign_bench.py --extra build/bench/bench_sign
Rates are per second of CPU time (time.process_time here, getrusage in bench_sign), not wall time.
Then the ratios: slbcert / SDK (goal >= 20x) and floor / slbcert (goal <= 3x).
Run with the venv that holds the SDK pins. Figures, not a test: nothing here passes or fails on a figure.
"""
import argparse
import base64
import hashlib
import hmac
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
import types

from aliyunsdkcore.auth.credentials import AccessKeyCredential
from aliyunsdkcore.auth.signers.access_key_signer import AccessKeySigner
from aliyunsdkcore.request import RpcRequest
from alibabacloud_tea_openapi.utils import Utils as TeaUtils

AK, SECRET, HOST = "LTAI5tBenchmarkKeyId", "BenchmarkSecretBenchmarkSecret", "slb.aliyuncs.com"
GOAL_VS_SDK, GOAL_VS_FLOOR = 20.0, 2.0


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
    """Calls per second of this process's CPU time."""
    for _ in range(5):
        function()  # warm up
    count, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for _ in range(50):
            function()
        count += 50
    return count / elapsed


# Which extra rows are which, by the start of their label (bench_sign.c prints these).
EXTRA_KEYS = {"slbcert C API V1": "slbcert_v1", "slbcert C API V3": "slbcert_v3",
              "native floor V1": "floor_v1", "native floor V3": "floor_v3"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per row")
    parser.add_argument("--extra", action="append", default=[], help="a program printing '<label> <rate>' lines")
    args = parser.parse_args()
    params = parameters()
    string_to_sign = sdk_v1(params)()
    print(f"UploadServerCertificate, {sum(len(v) for _, v in params)} bytes of parameters "
          f"(chain {len(params[1][1])}, key {len(params[2][1])}), SDK V1 string-to-sign {len(string_to_sign)} bytes, "
          f"single thread, rates per CPU second")
    interpreter = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    print(f"python {sys.version.split()[0]}; command: {' '.join(shlex.quote(a) for a in [interpreter, *sys.argv])}")
    rates = {}
    rows = [("sdk_v1", "python sdk-core V1 (RpcRequest + AccessKeySigner)", sdk_v1(params)),
            ("sdk_v3", "python tea-openapi V3 (get_authorization)", sdk_v3(params)),
            ("py_hmac_v1", "bare HMAC-SHA1 over the V1 string-to-sign (python hmac)", bare_hmac_v1(string_to_sign))]
    for key, label, function in rows:
        rates[key] = rate(function, args.seconds)
        print(f"{label:75s} {rates[key]:12,.0f} signatures/s", flush=True)
    with tempfile.TemporaryDirectory(prefix="sign-bench-") as tmp:
        chain_file, key_file = os.path.join(tmp, "chain.pem"), os.path.join(tmp, "key.pem")
        with open(chain_file, "w") as f:
            f.write(params[1][1])
        with open(key_file, "w") as f:
            f.write(params[2][1])
        for command in args.extra:
            argv = shlex.split(command) + ["--seconds", str(args.seconds), "--chain", chain_file, "--key", key_file]
            output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
            for line in output.splitlines():
                if line.startswith("#"):
                    print(line)
                    continue
                label, _, value = line.rpartition(" ")
                for prefix, key in EXTRA_KEYS.items():
                    if label.startswith(prefix):
                        rates[key] = float(value)
                print(f"{label:75s} {float(value):12,.0f} signatures/s")

    print()
    def ratio(name, numerator, denominator, goal, at_least):
        if numerator not in rates or denominator not in rates:
            print(f"{name:75s} {'n/a':>12s}")
            return
        value = rates[numerator] / rates[denominator]
        met = value >= goal if at_least else value <= goal
        print(f"{name:75s} {value:11.1f}x  (goal {'>=' if at_least else '<='} {goal:g}x: {'met' if met else 'MISSED'})")
    ratio("slbcert / SDK, V1", "slbcert_v1", "sdk_v1", GOAL_VS_SDK, True)
    ratio("slbcert / SDK, V3", "slbcert_v3", "sdk_v3", GOAL_VS_SDK, True)
    ratio("floor / slbcert, V1 (native HMAC-SHA1)", "floor_v1", "slbcert_v1", GOAL_VS_FLOOR, False)
    ratio("floor / slbcert, V3 (native SHA-256 x2 + HMAC-SHA256)", "floor_v3", "slbcert_v3", GOAL_VS_FLOOR, False)


if __name__ == "__main__":
    main()
