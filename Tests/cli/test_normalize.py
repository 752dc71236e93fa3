"""slbcert normalize: a leaf-first 64-column chain and a PKCS#1 key with mode 0600."""

import re
import stat

import pytest
from cli_support import PASSPHRASE, assert_no_secrets
from cryptography import x509
from cryptography.hazmat.primitives import serialization

PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]+\n)+-----END CERTIFICATE-----\n")


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def check_outputs(pki, out_cert, out_key):
    text = out_cert.read_text()
    blocks = PEM_BLOCK.findall(text)
    assert "".join(blocks) == text, "the chain file holds something besides the PEM blocks"
    certificates = [x509.load_pem_x509_certificate(block.encode()) for block in blocks]
    assert certificates == [pki.leaf, pki.intermediate], "not leaf first, then its issuer"
    for block in blocks:
        body = block.splitlines()[1:-1]
        assert all(len(line) == 64 for line in body[:-1]) and 0 < len(body[-1]) <= 64, block
    assert "\r" not in text

    key_text = out_key.read_text()
    assert key_text.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert key_text.rstrip("\n").endswith("-----END RSA PRIVATE KEY-----")
    body = key_text.splitlines()[1:-1]
    assert all(len(line) == 64 for line in body[:-1]) and 0 < len(body[-1]) <= 64
    key = serialization.load_pem_private_key(key_text.encode(), password=None)
    assert key.public_key().public_numbers() == pki.leaf.public_key().public_numbers()
    assert mode(out_key) == 0o600, oct(mode(out_key))


@pytest.mark.parametrize("cert_attr,key_attr,extra", [
    ("fullchain", "key_pkcs1", []),
    ("reversed_chain", "key_pkcs8", []),
    ("fullchain", "key_pkcs8_encrypted", ["--passphrase-file", "PASSFILE"]),
])
def test_writes_clb_form(cli, pki, tmp_path, cert_attr, key_attr, extra):
    out_cert, out_key = tmp_path / "clb-cert.pem", tmp_path / "clb-key.pem"
    extra = [str(pki.passphrase_file) if arg == "PASSFILE" else arg for arg in extra]
    result = cli("normalize", "--cert", getattr(pki, cert_attr), "--key", getattr(pki, key_attr), *extra,
                 "--out-cert", out_cert, "--out-key", out_key)
    assert result.returncode == 0, result
    check_outputs(pki, out_cert, out_key)
    assert_no_secrets(result.output, pki, extra=[PASSPHRASE])
    assert out_key.read_text().splitlines()[1] not in result.output


def test_existing_0644_key_file_becomes_0600(cli, pki, tmp_path):
    out_cert, out_key = tmp_path / "clb-cert.pem", tmp_path / "clb-key.pem"
    out_key.write_text("old content that is longer than nothing\n" * 100)
    out_key.chmod(0o644)
    result = cli("normalize", "--cert", pki.fullchain, "--key", pki.key_pkcs8,
                 "--out-cert", out_cert, "--out-key", out_key)
    assert result.returncode == 0, result
    check_outputs(pki, out_cert, out_key)
    assert "old content" not in out_key.read_text()


def test_key_mode_0600_whatever_the_umask(cli, pki, tmp_path):
    out_cert, out_key = tmp_path / "c.pem", tmp_path / "k.pem"
    result = cli("normalize", "--cert", pki.fullchain, "--key", pki.key_pkcs1, "--out-cert", out_cert,
                 "--out-key", out_key, umask=0)
    assert result.returncode == 0, result
    assert mode(out_key) == 0o600


def test_mismatched_pair_writes_nothing(cli, pki, tmp_path):
    out_cert, out_key = tmp_path / "clb-cert.pem", tmp_path / "clb-key.pem"
    result = cli("normalize", "--cert", pki.fullchain, "--key", pki.other_key,
                 "--out-cert", out_cert, "--out-key", out_key)
    assert result.returncode == 2, result
    assert "KEY_MISMATCH" in result.stderr, result
    assert not out_cert.exists() and not out_key.exists()
    assert_no_secrets(result.output, pki)


def test_mismatched_pair_leaves_existing_files_alone(cli, pki, tmp_path):
    out_cert, out_key = tmp_path / "clb-cert.pem", tmp_path / "clb-key.pem"
    out_cert.write_text("previous chain\n")
    out_key.write_text("previous key\n")
    result = cli("normalize", "--cert", pki.fullchain, "--key", pki.other_key,
                 "--out-cert", out_cert, "--out-key", out_key)
    assert result.returncode == 2, result
    assert out_cert.read_text() == "previous chain\n" and out_key.read_text() == "previous key\n"


def test_key_is_required(cli, pki, tmp_path):
    result = cli("normalize", "--cert", pki.fullchain, "--out-cert", tmp_path / "c.pem", "--out-key", tmp_path / "k.pem")
    assert result.returncode == 1, result
    assert not (tmp_path / "c.pem").exists()
