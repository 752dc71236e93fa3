"""Nonces stay unique across fork(): the library draws random bytes in bulk, and a forked child must
not hand out the bytes its parent goes on to use."""

from __future__ import annotations

import os
import select
import urllib.parse

import slbcert

DRAWS = 300  # more nonces than one bulk draw of random bytes holds


def _nonce() -> str:
    request = slbcert.sign("DescribeServerCertificates", {"RegionId": "cn-hangzhou"},
                           access_key_id="LTAI5tForkTest", access_key_secret="fork-test-secret")
    query = dict(urllib.parse.parse_qsl(request.path_and_query.partition("?")[2]))
    return query["SignatureNonce"]


def test_a_forked_child_draws_other_nonces_than_its_parent() -> None:
    _nonce()  # the parent has random bytes buffered before it forks
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            os.write(write_end, "\n".join(_nonce() for _ in range(DRAWS)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    received = b""
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], 30)
            assert ready, "the child sent no nonces within 30 s"
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            received += chunk
    finally:
        os.close(read_end)
        _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    child_nonces = received.decode().split("\n")
    parent_nonces = [_nonce() for _ in range(DRAWS)]
    assert len(child_nonces) == DRAWS and len(set(child_nonces)) == DRAWS
    assert len(set(parent_nonces)) == DRAWS
    assert not set(child_nonces) & set(parent_nonces)
