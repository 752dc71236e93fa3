#!/usr/bin/env python3
"""Peak memory of one upload: the C example (examples/c/upload) against reference clients, in one run.

One run of this script:
  1. builds examples/c/upload against the build tree (`make lib` first), as a user builds it (pkg-config,
     its Makefile, RPATH=1);
  2. writes a chain (leaf + intermediate, RSA-2048) and its key from the shared test PKI, to a temp dir;
  3. starts the emulator with the shared launcher: 127.0.0.1, a free port, HTTPS, a temp data dir;
  4. runs each client once per round, three rounds, the emulator reset before each run, and takes its
     peak resident set as GNU time(1) reports it (%M, ru_maxrss: the whole process, libraries included):
       examples/c/upload CHAIN KEY: the duplicate-safe upload (a describe, then the upload), settings from
         the environment as the example's README shows, the emulator's CA as ALIBABA_CLOUD_CA_BUNDLE;
       curl (the system's CLI: libcurl and OpenSSL with no slbcert): one HTTPS POST of the same chain and key,
         form-encoded, to the same emulator with the same CA (the answer is an error: the request is not
         signed; the bytes on the wire are about the same size);
       alibabacloud-slb20140515 (the official Python SDK, tea-openapi): one UploadServerCertificate;
  5. prints, for each client, the peak RSS over the rounds (min-max), and the example's exit status.
Figures, not a test: nothing fails on a figure (only on a failed upload).

Usage: build/venv/bin/python bench/load_bench.py [--rounds 3] [--keep]
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
try:
    import slbcert_emulator.testing  # noqa: F401
except ImportError:  # not installed: the repository's copy
    sys.path.insert(0, str(REPO / "emulator"))
from slbcert_emulator.testing import Emulator, without_proxies  # noqa: E402

AK, SECRET, REGION = "LTAI5tLoadBenchKey0001", "load-bench-secret-not-a-real-one", "cn-hangzhou"
RUN_TIMEOUT = 120  # seconds

SDK_UPLOAD = """
import os
import sys
from alibabacloud_slb20140515 import models
from alibabacloud_slb20140515.client import Client
from alibabacloud_tea_openapi import utils_models as tea_models
host, ca, chain, key = sys.argv[1:5]
client = Client(tea_models.Config(access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                                  access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], endpoint=host,
                                  protocol="https", region_id=os.environ["ALIBABA_CLOUD_REGION_ID"], ca=ca))
answer = client.upload_server_certificate(models.UploadServerCertificateRequest(
    region_id=os.environ["ALIBABA_CLOUD_REGION_ID"], server_certificate=open(chain).read(), private_key=open(key).read()))
assert answer.body.server_certificate_id, answer
"""


def child_env(extra=None):
    """Everything is on 127.0.0.1: no proxy, and no setting of this shell, may get in the way."""
    env = {k: v for k, v in without_proxies().items()
           if not k.startswith("ALIBABA_CLOUD_") and not k.startswith("SLBCERT_")}
    env.update(extra or {})
    return env


def peak_rss_kib(command, env):
    """Runs `command` under GNU time; returns (exit status, peak RSS in KiB, output). The peak RSS is
    inherited across exec, so the client is started by time(1), a small process, not by this Python."""
    with tempfile.NamedTemporaryFile(mode="r") as report:
        completed = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT)
        lines = [line for line in report.read().splitlines() if line.strip().isdigit()]
        return completed.returncode, int(lines[-1]) if lines else -1, completed.stdout.decode(errors="replace")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    from client_bench import write_certificates  # the same certificates the client benchmark uploads

    pc_dir = BUILD / "lib" / "pkgconfig"
    if not (pc_dir / "slbcert.pc").exists():
        raise SystemExit("load_bench: build/lib/pkgconfig/slbcert.pc is missing: run `make lib` first")
    work = Path(tempfile.mkdtemp(prefix="slbcert-load-bench-"))
    example = work / "upload"
    build = ["make", "-s", "-C", str(REPO / "examples" / "c"), f"PKG_CONFIG_PATH={pc_dir}", "RPATH=1", f"BIN={example}"]
    subprocess.run(build, check=True)
    emulator = None
    rows = {}
    try:
        certs = work / "certs"
        certs.mkdir()
        key = Path(write_certificates(work / "pki", certs, 1))
        chain = certs / "leaf-000.pem"
        emulator = Emulator(work / "emulator", access_keys=[(AK, SECRET)], region=REGION)
        emulator.start()
        ca = emulator.ca_file
        home = work / "home"
        home.mkdir()
        example_env = child_env({"HOME": str(home), "ALIBABA_CLOUD_ACCESS_KEY_ID": AK,
                                 "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET, "ALIBABA_CLOUD_REGION_ID": REGION,
                                 "ALIBABA_CLOUD_CA_BUNDLE": str(ca), "SLBCERT_ENDPOINT": emulator.url,
                                 "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
        form = work / "form.txt"
        form.write_text(urllib.parse.urlencode({"RegionId": REGION, "ServerCertificate": chain.read_text(),
                                                "PrivateKey": key.read_text()}, quote_via=urllib.parse.quote))
        clients = [
            ("slbcert C example (examples/c/upload), duplicate-safe upload", [str(example), str(chain), str(key)],
             example_env),
            ("reference: curl CLI, one HTTPS POST of the same form (no slbcert)",
             ["curl", "-sS", "-o", "/dev/null", "--cacert", str(ca), "--data-binary", f"@{form}",
              "-H", "Content-Type: application/x-www-form-urlencoded", emulator.url + "/"], child_env()),
            ("reference: python SDK alibabacloud-slb20140515, one upload",
             [sys.executable, "-c", SDK_UPLOAD, emulator.url.split("://", 1)[1], str(ca), str(chain), str(key)],
             child_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": AK, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
                        "ALIBABA_CLOUD_REGION_ID": REGION})),
        ]
        if shutil.which("curl") is None:
            clients = [c for c in clients if not c[1][0] == "curl"]
        for _ in range(args.rounds):
            for label, command, env in clients:
                emulator.reset()
                status, kib, output = peak_rss_kib(command, env)
                if status != 0:
                    raise SystemExit(f"load_bench: {label} failed (exit {status}):\n{output}")
                if command[0] == str(example) and "uploaded" not in output:
                    raise SystemExit(f"load_bench: the example did not upload:\n{output}")
                rows.setdefault(label, (command, []))[1].append(kib)
    finally:
        if emulator:
            emulator.stop()
        if args.keep:
            print(f"load_bench: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    invocation = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, REPO)
                                                   if sys.executable.startswith(str(REPO)) else sys.executable, *sys.argv])
    print(f"peak RSS of one upload against the emulator (HTTPS on loopback), whole process (/usr/bin/time %M), "
          f"{args.rounds} rounds; command: {invocation}")
    print(f"  example built with: {' '.join(shlex.quote(c) for c in build)}")
    print(f"  emulator: {' '.join(shlex.quote(c) for c in emulator.command)}")
    for label, (command, values) in rows.items():
        shown = [c if len(c) < 80 else c[:40] + "..." for c in command]
        print(f"  {label}: {' '.join(shlex.quote(c) for c in shown)}")
    for label, (_, values) in rows.items():
        print(f"{label:70s} {min(values) / 1024:7.1f}-{max(values) / 1024:.1f} MiB peak RSS")


if __name__ == "__main__":
    main()
