"""The HTTP side: keep-alive, HTTPS with a test CA, odd bodies, and surviving its own bugs."""

import http.client
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.error

import pytest
from alibabacloud_slb20140515 import models

import client
import harness
from harness import KEY_ID, REGION, SECRET, upload_params
from sdks import Legacy, tea
from slbcert_emulator import devcerts
from slbcert_emulator.auth import Credential
from slbcert_emulator.server import Config, Emulator, Server
from test_sdk_legacy import describe as legacy_describe

DESCRIBE = "DescribeServerCertificates"


def test_keep_alive_serves_many_requests_on_one_connection(emu):
    before = emu.admin.send("GET", "stats")[1]["connections_accepted"]
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        for _ in range(3):
            method, target, headers, body = client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY_ID, SECRET)
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["ServerCertificates"]
    finally:
        connection.close()
    assert emu.admin.send("GET", "stats")[1]["connections_accepted"] == before + 2  # + this stats call


def test_chunked_form_body(emu, slbcert_pki):
    method, target, headers, body = client.v1_request(
        "UploadServerCertificate", upload_params(slbcert_pki), KEY_ID, SECRET, in_body=True)
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))
        connection.request(method, target, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 200, response.read()
    finally:
        connection.close()


def test_malformed_content_length_gets_the_gateway_page(emu):
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        connection.putrequest("POST", "/")
        connection.putheader("Content-Length", "lots")
        connection.endheaders()
        response = connection.getresponse()
        assert (response.status, response.getheader("Content-Type")) == (400, "text/html")
        assert b"400 Bad Request" in response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory):
    emulator = harness.Emulator(tmp_path_factory.mktemp("tls"), tls=True).start()
    yield emulator
    emulator.stop()


def test_https_with_a_test_ca(tls_emulator, slbcert_pki):
    emu = tls_emulator
    assert emu.url.startswith("https://127.0.0.1:")
    assert emu.call("UploadServerCertificate", upload_params(slbcert_pki)).status == 200
    assert len(legacy_describe(Legacy(emu, ca_file=str(emu.ca_file)))) == 1
    listed = tea(emu, ca_file=str(emu.ca_file)).describe_server_certificates(
        models.DescribeServerCertificatesRequest(region_id=REGION)).body
    assert len(listed.server_certificates.server_certificate) == 1
    # A client that does not trust the test CA is refused by the handshake.
    with pytest.raises(urllib.error.URLError) as info:
        client.send(emu.url, "GET", "/_emulator/health", tls=ssl.create_default_context())
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
    assert emu.admin.send("GET", "health") == (200, {"status": "ok"})


def test_devcerts_is_idempotent(tmp_path):
    def run():
        return subprocess.run([sys.executable, "-m", "slbcert_emulator.devcerts", "--out", str(tmp_path)],
                              capture_output=True, text=True, timeout=60, check=True).stdout

    assert run().startswith("wrote")
    contents = {name: (tmp_path / name).read_bytes() for name in devcerts.FILES}
    assert run().startswith("kept")
    assert contents == {name: (tmp_path / name).read_bytes() for name in devcerts.FILES}
    assert os.stat(tmp_path / "server-key.pem").st_mode & 0o777 == 0o600
    (tmp_path / "server.pem").write_text("damaged")
    assert run().startswith("wrote")


def test_unexpected_failure_is_an_internal_error_and_serving_goes_on(tmp_path, monkeypatch):
    emulator = Emulator(Config(data_dir=str(tmp_path), credentials=[Credential(KEY_ID, SECRET)]))
    server = Server(emulator)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        def broken(*_):
            raise RuntimeError("a bug in the emulator")

        monkeypatch.setattr(emulator.operations, "run", broken)
        request = client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY_ID, SECRET)
        reply = client.send(server.base_url, *request)
        assert (reply.status, reply.json()["Code"]) == (500, "InternalError")
        monkeypatch.undo()
        request = client.v1_request(DESCRIBE, {"RegionId": REGION}, KEY_ID, SECRET)
        assert client.send(server.base_url, *request).status == 200
    finally:
        server.shutdown()
        server.server_close()
        emulator.close()


def test_help_documents_every_option():
    text = subprocess.run([sys.executable, "-m", "slbcert_emulator", "--help"], capture_output=True,
                          text=True, timeout=30, check=True).stdout
    for option in ("--host", "--port", "--data-dir", "--access-key", "--sts-token", "--tls-cert",
                   "--tls-key", "--quota", "--max-url-bytes", "--request-log", "--max-connections",
                   "--lb-address-block", "--seed"):
        assert option in text


def test_bad_command_lines_are_refused(tmp_path):
    for args in ([], ["--data-dir", str(tmp_path)], ["--data-dir", str(tmp_path), "--access-key", "nocolon"],
                 ["--data-dir", str(tmp_path), "--access-key", "a:b", "--tls-cert", "x.pem"]):
        result = subprocess.run([sys.executable, "-m", "slbcert_emulator", *args], capture_output=True,
                                text=True, timeout=30)
        assert result.returncode == 2 and "error" in result.stderr
