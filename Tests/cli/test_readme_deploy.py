"""The README's worked deploy example runs as it is written: its shell block, pointed at the test
emulator (its URL, CA and AccessKey instead of `make emulator`'s, a free port instead of 8444, this
build's slbcert), must succeed step by step and leave the listener on the new certificate."""

import re
import socket
import subprocess

from cli_support import ACCESS_KEY_ID, ACCESS_KEY_SECRET, CLI, REPO


def the_block():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Worked example against the emulator"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_worked_example_runs_as_written(cli, emulator):
    block = the_block()
    for expected in ("make emulator", "https://127.0.0.1:8443", "LTAI5tLocalEmulator", "8444"):
        assert expected in block or expected in (REPO / "README.md").read_text(), expected
    script = (block.replace("LTAI5tLocalEmulator", ACCESS_KEY_ID).replace("local-emulator-secret", ACCESS_KEY_SECRET)
              .replace("$PWD/build/emulator/tls/ca.pem", str(emulator.ca)).replace("https://127.0.0.1:8443", emulator.url)
              .replace("PATH=$PWD/build/bin:$PATH", f"PATH={CLI.parent}:$PATH").replace("8444", str(free_port())))
    result = subprocess.run(["bash", "-e", "-c", script], env=cli.env, cwd=cli.home, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for line in ("Dry run: 2 binding(s) would be switched; nothing was changed.",
                 "Deployed: 2 binding(s) switched, 0 already on it.",
                 "Already deployed: every binding already uses",
                 "Rolled back: every binding is on the certificate it had before the deploy."):
        assert line in out, out
    assert out.count(" ok\n") == 2, out  # the two TLS checks
    assert "Deleted " in out, out
    [listener] = emulator.admin("GET", "listeners")["Listeners"]
    stored = {c["ServerCertificateId"] for c in emulator.certificates()}
    assert stored == {listener["ServerCertificateId"]} == {e["ServerCertificateId"] for e in listener["DomainExtensions"]}
