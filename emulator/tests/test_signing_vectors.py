"""The verifier accepts the exact requests of the golden SDK signatures, the repository's one copy in
Tests/SLBCertTests/Fixtures/signing-vectors.json.

The emulator's clock is set near the vectors' 2024-01-01T12:00:00Z. A vector's request is
authenticated when the answer is the upload's own refusal of its sample name (the operation
runs only after authentication); replaying it then gives SignatureNonceUsed.
"""

import calendar
import json
import time
from pathlib import Path

import pytest

import client
from harness import Emulator

VECTORS_PATH = Path(__file__).resolve().parents[2] / "Tests" / "SLBCertTests" / "Fixtures" / "signing-vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
INPUTS = VECTORS["inputs"]
VECTOR_TIME = calendar.timegm(time.strptime(INPUTS["Timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
AUTHENTICATED = "The specified parameter ServerCertificateName is not valid."  # "my cert é*~/1"


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("plain"),
                        "--access-key", f"{INPUTS['AccessKeyId']}:{INPUTS['AccessKeySecret']}").start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def sts(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("sts"), "--sts-token",
                        f"{INPUTS['AccessKeyId']}:{INPUTS['AccessKeySecret']}:{INPUTS['StsToken']}").start()
    yield emulator
    emulator.stop()


def at_vector_time(emulator):
    emulator.admin.send("POST", "reset")
    status, _ = emulator.admin.send("POST", "clock", {"offset_seconds": VECTOR_TIME - time.time()})
    assert status == 200
    return emulator


def v1_target(vector):
    return "/?" + client.form(dict(vector["signed_params"], Signature=vector["signature"]))


def v3_parts(vector):
    headers = dict(vector["signed_headers"], Authorization=vector["authorization"])
    return "/?" + client.form(vector["query"]), headers, vector["body"].encode()


def assert_authenticated(reply):
    assert (reply.status, reply.code) == (400, "InvalidParameter"), reply.body
    assert reply.json()["Message"] == AUTHENTICATED


@pytest.mark.parametrize("name", ["A_legacy_core_POST_Format_JSON_SignatureType_empty",
                                  "A2_legacy_core_GET", "B_tea_openapi_v2_POST_Format_json"])
def test_v1_vectors_in_the_query(plain, name):
    vector = VECTORS["v1"][name]
    emulator = at_vector_time(plain)
    reply = client.send(emulator.url, vector["method"], v1_target(vector))
    assert_authenticated(reply)
    replay = client.send(emulator.url, vector["method"], v1_target(vector))
    assert (replay.status, replay.code) == (400, "SignatureNonceUsed")


def test_v1_vector_in_a_form_body(plain):
    vector = VECTORS["v1"]["A_legacy_core_POST_Format_JSON_SignatureType_empty"]
    emulator = at_vector_time(plain)
    body = client.form(dict(vector["signed_params"], Signature=vector["signature"])).encode()
    reply = client.send(emulator.url, "POST", "/", body=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_authenticated(reply)


def test_v1_sts_vector(sts):
    vector = VECTORS["v1"]["D1_legacy_core_POST_sts"]
    reply = client.send(at_vector_time(sts).url, "POST", v1_target(vector))
    assert_authenticated(reply)


def test_v1_vector_with_a_changed_parameter_is_refused(plain):
    vector = VECTORS["v1"]["B_tea_openapi_v2_POST_Format_json"]
    params = dict(vector["signed_params"], RegionId="cn-beijing", Signature=vector["signature"])
    reply = client.send(at_vector_time(plain).url, "POST", "/?" + client.form(params))
    assert (reply.status, reply.code) == (400, "SignatureDoesNotMatch")
    server_sts = vector["string_to_sign"].replace("cn-hangzhou", "cn-beijing")
    assert reply.json()["Message"].endswith("server string to sign is:" + server_sts)


def test_v3_vector_m1(plain):
    target, headers, body = v3_parts(VECTORS["v3"]["M1_minimal_headers"])
    reply = client.send(at_vector_time(plain).url, "POST", target, headers=headers, body=body)
    # No Format parameter and no Accept header: the answer is XML, the service's default.
    assert reply.headers["Content-Type"].startswith("text/xml")
    assert (reply.status, reply.code) == (400, "InvalidParameter")
    assert reply.xml().findtext("Message") == AUTHENTICATED


def test_v3_sts_vector_m2(sts):
    target, headers, body = v3_parts(VECTORS["v3"]["M2_minimal_headers_sts"])
    reply = client.send(at_vector_time(sts).url, "POST", target,
                        headers=dict(headers, Accept="application/json"), body=body)
    assert_authenticated(reply)


def test_an_unsigned_x_acs_header_is_refused(sts):
    vector = VECTORS["v3"]["M1_minimal_headers"]
    target, headers, body = v3_parts(vector)
    headers.update({"x-acs-security-token": INPUTS["StsToken"], "Accept": "application/json"})
    reply = client.send(at_vector_time(sts).url, "POST", target, headers=headers, body=body)
    # The token header is present but not signed: the gateway refuses that before anything else.
    assert (reply.status, reply.code) == (400, "IncompleteSignature")


def test_the_tests_own_signer_matches_the_vectors():
    for vector in VECTORS["v1"].values():
        assert client.v1_signature(vector["method"], vector["signed_params"],
                                   INPUTS["AccessKeySecret"]) == vector["signature"]
    for vector in VECTORS["v3"].values():
        assert client.v3_authorization("POST", vector["query"], vector["signed_headers"],
                                       vector["body"].encode(), INPUTS["AccessKeyId"],
                                       INPUTS["AccessKeySecret"]) == vector["authorization"]
