#!/usr/bin/env python3
"""Client CPU per call and connections: slbcert (C API) against Alibaba's Python SDK, over HTTPS on loopback.

One run of this script:
  1. compiles bench/bench_client.c against the build tree (`make lib` first: build/lib/pkgconfig/slbcert.pc);
  2. writes 200 distinct leaf certificates of the shared test PKI (slbcert_emulator.testing: one RSA-2048
     key, distinct CNs and serials, each with the intermediate that issued it) to a temp dir;
  3. starts the emulator with slbcert_emulator.testing's launcher: 127.0.0.1, a free port, HTTPS with
     its dev CA, a temp data dir (bounded start-up wait);
  4. runs each client in its own process, the emulator reset before each (POST /_emulator/reset):
       slbcert C API V1, options.no_ensure = 1: 200 uploads (one request each), then 1,000 describes
       slbcert C API V3, the same
       slbcert C API V1, ensure mode (the default duplicate-safe upload: describe + upload): 200 uploads
       alibabacloud-slb20140515 (tea-openapi, its default ACS3-HMAC-SHA256), one Client, the emulator's
       CA passed as Config.ca (tea hands it to requests as verify=): 200 uploads, then 1,000 describes;
       the floor, bench/bench_curl_floor.c: the same HTTP exchanges as the slbcert V1 rows (requests signed
       by slbcert_sign before its clock starts, the same headers, body and User-Agent, one keep-alive
       connection, the same TLS verification) made with bare libcurl, the answers counted, not parsed;
  5. reads GET /_emulator/stats after each client: requests per action and connections accepted;
  6. stops the emulator and prints a table: client CPU (user + sys) per call, measured around the loops
     only (C: getrusage(RUSAGE_SELF); Python: resource.getrusage(RUSAGE_SELF), after the imports and the
     client's construction), wall time per call for information, connections per client; then the ratios
     SDK CPU / slbcert CPU per call (goals: upload >= 10, describe >= 8), slbcert CPU / floor CPU, and
     connections per client (goal: 1, one thread).
The emulator's CPU is not counted. Figures, not a test: nothing fails on a figure (only on a failed call).

Usage: build/venv/bin/python bench/client_bench.py [--uploads 200] [--describes 1000] [--keep]
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
try:
    import slbcert_emulator.testing  # noqa: F401
except ImportError:  # not installed: the repository's copy
    sys.path.insert(0, str(REPO / "emulator"))
from slbcert_emulator.testing import Emulator, TestPKI, without_proxies  # noqa: E402

AK, SECRET, REGION = "LTAI5tClientBenchKey01", "client-bench-secret-not-a-real-one", "cn-hangzhou"
RUN_TIMEOUT = 1800  # seconds


# ------------------------------------------------------------------------------------------ SDK worker
def sdk_worker(args):
    """The Python SDK client, in a process of its own; prints one JSON object."""
    import resource
    import time

    from alibabacloud_slb20140515 import models
    from alibabacloud_slb20140515.client import Client
    from alibabacloud_tea_openapi import utils_models as tea_models

    def now():
        u = resource.getrusage(resource.RUSAGE_SELF)
        return {"user": u.ru_utime, "sys": u.ru_stime, "wall": time.monotonic()}

    def since(start, name):
        end = now()
        user, sys_, wall = end["user"] - start["user"], end["sys"] - start["sys"], end["wall"] - start["wall"]
        return {f"{name}_cpu_s": user + sys_, f"{name}_user_s": user, f"{name}_sys_s": sys_, f"{name}_wall_s": wall}

    key = Path(args.key).read_text()
    chains = [(Path(args.certs) / f"leaf-{i:03d}.pem").read_text() for i in range(args.count)]
    client = Client(tea_models.Config(access_key_id=AK, access_key_secret=SECRET, endpoint=args.host,
                                      protocol="https", region_id=REGION, ca=args.ca,
                                      connect_timeout=5000, read_timeout=30000))
    result = {"uploads": args.count, "describes": args.describes}
    start = now()
    uploaded = 0
    for chain in chains:
        response = client.upload_server_certificate(models.UploadServerCertificateRequest(
            region_id=REGION, server_certificate=chain, private_key=key))
        uploaded += bool(response.body.server_certificate_id)
    result.update(since(start, "upload"), uploaded=uploaded)
    start = now()
    listed = 0
    for _ in range(args.describes):
        response = client.describe_server_certificates(models.DescribeServerCertificatesRequest(region_id=REGION))
        listed = len(response.body.server_certificates.server_certificate)
    result.update(since(start, "describe"), listed=listed)
    print(json.dumps(result))


# ------------------------------------------------------------------------------------------ inputs
def write_certificates(pki_dir, out_dir, count):
    """count leaves of the test PKI (its leaf's RSA-2048 key, distinct CN and serial), each followed by its
    intermediate, as out_dir/leaf-NNN.pem; returns the path of the shared key (PKCS#1)."""
    pki = TestPKI(pki_dir)
    for i in range(count):
        cn = f"bench-{i:03d}.example.com"
        (out_dir / f"leaf-{i:03d}.pem").write_bytes(pki.issue_leaf(cn, [cn]).chain_pem)
    return pki.leaf.key_path


def child_env():
    """Everything is on 127.0.0.1: no proxy of the environment may get in the way. The C programs read
    the AccessKeySecret from the environment, never from argv."""
    env = {k: v for k, v in without_proxies().items() if k.lower() != "alibaba_cloud_ca_bundle"}
    env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = SECRET
    return env


# ------------------------------------------------------------------------------------------ main
def compile_c_client():
    pc_dir = BUILD / "lib" / "pkgconfig"
    if not (pc_dir / "slbcert.pc").exists():
        raise SystemExit("client_bench: build/lib/pkgconfig/slbcert.pc is missing: run `make lib` first")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "slbcert"], check=True, capture_output=True,
                           text=True, env={**os.environ, "PKG_CONFIG_PATH": str(pc_dir)}).stdout.split()
    out = BUILD / "bench" / "bench_client"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [os.environ.get("CC", "cc"), "-O2", "-std=c11", "-Wall", "-Wextra", str(REPO / "bench" / "bench_client.c"),
               "-o", str(out), *flags, f"-Wl,-rpath,{BUILD / 'lib'}"]
    subprocess.run(command, check=True)
    return out, command


def compile_floor_client():
    """bench/bench_curl_floor.c against the build tree and the system's libcurl."""
    pc_dir = BUILD / "lib" / "pkgconfig"
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "slbcert", "libcurl"], check=True, capture_output=True,
                           text=True, env={**os.environ, "PKG_CONFIG_PATH": str(pc_dir)}).stdout.split()
    out = BUILD / "bench" / "bench_curl_floor"
    command = [os.environ.get("CC", "cc"), "-O2", "-std=c11", "-Wall", "-Wextra", str(REPO / "bench" / "bench_curl_floor.c"),
               "-o", str(out), *flags, f"-Wl,-rpath,{BUILD / 'lib'}"]
    subprocess.run(command, check=True)
    return out, command


GOALS = {"upload": 10.0, "describe": 8.0}  # SDK CPU / slbcert CPU per call
FLOOR_LABEL = "floor: bare libcurl, no parsing (V1 requests)"
SDK_LABEL = "python SDK alibabacloud-slb20140515 (tea, V3)"


def run_client(label, command, emulator):
    emulator.reset()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=child_env())
    if completed.returncode != 0:
        raise SystemExit(f"client_bench: {label} failed (exit {completed.returncode}):\n{completed.stderr}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    stats = emulator.admin.stats()
    # The stats request's own connection was accepted too; reset's was accepted before the counters were zeroed.
    result["connections"] = stats["connections_accepted"] - 1
    result["requests"] = stats["requests"]
    result["label"] = label
    return result


def versions():
    names = ["alibabacloud-slb20140515", "alibabacloud-tea-openapi", "darabonba-core", "requests", "urllib3"]
    found = []
    for n in names:
        try:
            found.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--describes", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (certificates, emulator log)")
    parser.add_argument("--sdk-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    parser.add_argument("--certs", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sdk_worker:
        return sdk_worker(args)

    invocation = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, REPO)
                                                   if sys.executable.startswith(str(REPO)) else sys.executable,
                                                   *sys.argv])
    binary, compile_command = compile_c_client()
    floor_binary, floor_compile_command = compile_floor_client()
    work = Path(tempfile.mkdtemp(prefix="slbcert-client-bench-"))
    emulator = None
    try:
        certs = work / "certs"
        certs.mkdir()
        key = str(write_certificates(work / "pki", certs, args.uploads))
        emulator = Emulator(work / "emulator", access_keys=[(AK, SECRET)], region=REGION,
                            extra_args=["--quota", str(max(1000, 2 * args.uploads))])
        emulator.start()
        ca = str(emulator.ca_file)

        def c_command(signature, ensure, describes, program=binary):
            return [str(program), "--endpoint", emulator.url, "--ca", ca, "--access-key-id", AK,
                    "--region", REGION, "--certs", str(certs), "--key", key, "--count", str(args.uploads),
                    "--describes", str(describes), "--signature", signature, *(["--ensure"] if ensure else [])]
        sdk_command = [sys.executable, str(Path(__file__).resolve()), "--sdk-worker", "--host", emulator.host,
                       "--ca", ca, "--certs", str(certs), "--key", key, "--count", str(args.uploads),
                       "--describes", str(args.describes)]
        runs = [("slbcert C API, V1", c_command("v1", False, args.describes)),
                ("slbcert C API, V3", c_command("v3", False, args.describes)),
                ("slbcert C API, V1, ensure mode", c_command("v1", True, 0)),
                (SDK_LABEL, sdk_command),
                (FLOOR_LABEL, c_command("v1", False, args.describes, program=floor_binary))]
        results = []
        for label, command in runs:
            print(f"running: {label} ...", file=sys.stderr, flush=True)
            results.append((run_client(label, command, emulator), command))
    finally:
        if emulator:
            emulator.stop()
        if args.keep:
            print(f"client_bench: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    report(args, invocation, [compile_command, floor_compile_command], emulator, results)


def report(args, invocation, compile_commands, emulator, results):
    print(f"slbcert client benchmark: {args.uploads} uploads, {args.describes} describes per client, one thread, "
          f"HTTPS to the emulator on loopback (CA passed to both clients)")
    print(f"command: {invocation}")
    for compile_command in compile_commands:
        print(f"  C client built with: {' '.join(shlex.quote(c) for c in compile_command)}")
    print(f"  emulator: {' '.join(shlex.quote(c) for c in emulator.command)}")
    for result, command in results:
        print(f"  {result['label']}: {' '.join(shlex.quote(c) for c in command)}")
    print(f"python {sys.version.split()[0]}; {versions()}")
    print("CPU = the client process's user + sys time around its loop only (getrusage RUSAGE_SELF); "
          "the emulator's CPU is not counted")
    print()
    header = f"{'client':47s} {'operation':34s} {'calls':>5s} {'CPU ms/call':>11s} {'user':>7s} {'sys':>7s} " \
             f"{'wall ms/call':>12s} {'connections':>11s}"
    print(header)
    print("-" * len(header))
    by_label = {}
    for result, _ in results:
        by_label[result["label"]] = result
        ensure = result.get("ensure") == 1
        rows = [("upload" + (" (ensure: describe + upload)" if ensure else " (one request)"), "upload", result["uploads"])]
        if result["describes"]:
            listed = (f"{result['listed']} listed" if "listed" in result
                      else f"{result.get('describe_bytes', 0):,} bytes, unparsed")
            rows.append((f"describe ({listed})", "describe", result["describes"]))
        for i, (operation, key, calls) in enumerate(rows):
            cpu = 1000 * result[f"{key}_cpu_s"] / calls
            user = 1000 * result[f"{key}_user_s"] / calls
            sys_ = 1000 * result[f"{key}_sys_s"] / calls
            wall = 1000 * result[f"{key}_wall_s"] / calls
            connections = str(result["connections"]) if i == 0 else '"'
            print(f"{result['label'] if i == 0 else '':47s} {operation:34s} {calls:5d} {cpu:11.3f} {user:7.3f} "
                  f"{sys_:7.3f} {wall:12.3f} {connections:>11s}")
        requests = ", ".join(f"{action} {n}" for action, n in sorted(result["requests"].items()))
        extra = ""
        if "parse_cpu_s" in result:
            extra = (f"; bundle parse (before the clock) {1000 * result['parse_cpu_s'] / result['uploads']:.3f} ms/bundle, "
                     f"client_new {1000 * result['client_new_cpu_s']:.3f} ms")
        print(f"{'':47s} requests seen: {requests}{extra}")
    print()
    sdk, floor = by_label.get(SDK_LABEL), by_label.get(FLOOR_LABEL)

    def per_call(result, key):
        return result[f"{key}_cpu_s"] / result[f"{key}s"]

    print("ratio SDK CPU / slbcert CPU per call (goals: upload >= 10, describe >= 8):")
    for label in ("slbcert C API, V1", "slbcert C API, V3"):
        ours = by_label.get(label)
        if not (sdk and ours):
            continue
        for key in ("upload", "describe"):
            if not ours.get("describes") and key == "describe":
                continue
            value = per_call(sdk, key) / per_call(ours, key) if per_call(ours, key) > 0 else float("inf")
            print(f"  {key:8s} SDK / {label:20s} {value:8.1f}x  (goal >= {GOALS[key]:g}x: {'met' if value >= GOALS[key] else 'MISSED'})")
    if floor:
        print("ratio slbcert CPU / floor CPU per call (the same exchanges with nothing parsed; 1.0 is the floor):")
        for label in ("slbcert C API, V1", "slbcert C API, V3"):
            ours = by_label.get(label)
            if not ours:
                continue
            for key in ("upload", "describe"):
                if ours.get(f"{key}s") and floor.get(f"{key}s") and per_call(floor, key) > 0:
                    print(f"  {key:8s} {label:20s} / floor {per_call(ours, key) / per_call(floor, key):8.1f}x")
    print("connections per client (goal: 1, one thread):")
    for result, _ in results:
        n = result["connections"]
        print(f"  {result['label']:47s} {n:5d}  ({'met' if n == 1 else 'MISSED'})")


if __name__ == "__main__":
    main()
