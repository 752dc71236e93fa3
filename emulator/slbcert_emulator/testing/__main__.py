"""python3 -m slbcert_emulator.testing pki|serve|run|admin: the shared test tooling for any language.

  pki --out DIR                    write the test PKI (every standard entry) and DIR/manifest.json
  pki issue-leaf --pki DIR --cn CN [--key leaf|rsa2048|ec256|...] [--name NAME] ...
                                   one more leaf (a new fingerprint); prints its manifest entry
  pki get --pki DIR NAME [FIELD]   one entry of the manifest (file fields as absolute paths)
  serve [--data-dir DIR] ...       start the emulator (HTTPS, dev CA), print the environment a
                                   client needs (NAME=value lines, then an empty line), stay in
                                   the foreground until SIGTERM or SIGINT; @FILE reads options
                                   from FILE, one per line (--access-key=ID:SECRET keeps the
                                   secret off the command line)
  run [...] -- COMMAND ARGS...     start it, run COMMAND with that environment, stop it, and exit
                                   with COMMAND's status
  admin [--endpoint URL] METHOD NAME [JSON]
                                   one admin API request; prints the JSON answer
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from ..__main__ import OptionParser
from .launcher import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, AdminClient, Emulator, EmulatorError,
                       unblock_stop_signals)
from .pki import KEY_SPECS, STANDARD, TestPKI

PROG = "python3 -m slbcert_emulator.testing"


# ---------------------------------------------------------------------------------------------- pki
def _entry_with_paths(pki, name):
    doc = pki.manifest_entry(name)
    doc["name"] = name
    doc["files"] = {form: str(pki.directory / file) for form, file in doc["files"].items()}
    return doc


def pki_main(args):
    if args.pki_command is None:
        if not args.out:
            raise SystemExit(f"{PROG} pki: give --out DIR (or a subcommand: issue-leaf, get)")
        pki = TestPKI(args.out)
        for name in args.only or STANDARD:
            pki[name]
        print(pki.manifest_path)
        return 0
    pki = TestPKI(args.pki)
    if args.pki_command == "issue-leaf":
        subject = ([("C", args.country)] if args.country else []) + (
            [("O", args.organization)] if args.organization else []) + [("CN", args.cn)]
        issued = pki.issue_leaf(args.cn, dns=args.dns or None, ips=args.ip or (), days=args.days,
                                not_before=None if args.valid_from_days is None else
                                _days_from_now(args.valid_from_days),
                                key=args.key, ca=args.ca, subject=subject, name=args.name)
        print(json.dumps(_entry_with_paths(pki, issued.name), indent=2, sort_keys=True))
        return 0
    doc = _entry_with_paths(pki, args.name)
    if args.field is None:
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    value = doc["files"].get(args.field, doc.get(args.field))
    if args.field not in doc["files"] and args.field not in doc:
        raise SystemExit(f"{PROG} pki get: {args.name} has no field {args.field!r}: "
                         + ", ".join(sorted(set(doc) - {"files"} | set(doc["files"]))))
    print(" ".join(map(str, value)) if isinstance(value, list) else
          json.dumps(value) if isinstance(value, (bool, type(None))) else value)
    return 0


def _days_from_now(days):
    import datetime as dt
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days)


# ---------------------------------------------------------------------------------------------- serve / run
def _credential(text, parts):
    fields = text.split(":", parts - 1)
    if len(fields) != parts or not all(fields):
        raise argparse.ArgumentTypeError("expected " + ":".join(["ID", "SECRET", "TOKEN"][:parts]))
    return tuple(fields)


def _emulator(args):
    keys = args.access_key or ([] if args.sts_token else [(ACCESS_KEY_ID, ACCESS_KEY_SECRET)])
    return Emulator(args.data_dir, access_keys=keys, sts_tokens=args.sts_token, tls=not args.http,
                    tls_dir=args.tls_dir, region=args.region, port=args.port,
                    extra_args=args.emulator_option, start_timeout=args.start_timeout)


def _write_private(path, text):
    temporary = f"{path}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(temporary, path)


def serve_main(args):
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    emulator = _emulator(args)
    try:
        emulator.start()
    except EmulatorError as error:
        print(f"{PROG} serve: {error}", file=sys.stderr)
        return 1
    exited = False
    try:
        lines = "".join(f"{name}={value}\n" for name, value in emulator.env.items()) + "\n"
        if args.env_file:
            _write_private(args.env_file, lines)
        sys.stdout.write(lines)
        sys.stdout.flush()
        if args.stop_on_eof:
            def wait_for_eof():
                while os.read(sys.stdin.fileno(), 65536):  # not sys.stdin's buffer: see lifeline.py
                    pass
                stop.set()
            threading.Thread(target=wait_for_eof, daemon=True).start()
        while not stop.wait(0.5):
            if not emulator.running:
                exited = True
                print(f"{PROG} serve: the emulator exited; its stderr:\n{emulator.stderr_text()}", file=sys.stderr)
                break
    finally:
        status = emulator.stop()
        if args.env_file:
            try:
                os.unlink(args.env_file)
            except FileNotFoundError:
                pass
    if status != 0 and not exited:
        print(f"{PROG} serve: the emulator stopped with status {status}; its stderr:\n{emulator.stderr_text()}",
              file=sys.stderr)
    return 0 if status == 0 and not exited else 1


def run_main(args):
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        raise SystemExit(f"{PROG} run: give the command after --")
    emulator = _emulator(args)
    try:
        emulator.start()
    except EmulatorError as error:
        print(f"{PROG} run: {error}", file=sys.stderr)
        return 1
    try:
        try:
            child = subprocess.Popen(command, env=emulator.child_env())
        except OSError as error:
            print(f"{PROG} run: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
            return 127
        # SIGINT reaches the whole foreground process group; SIGTERM is passed on.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda signum, _: child.send_signal(signum))
        status = child.wait()
        return 128 - status if status < 0 else status
    finally:
        emulator.stop()


# ---------------------------------------------------------------------------------------------- admin
def admin_main(args):
    endpoint = args.endpoint or os.environ.get("SLBCERT_ENDPOINT")
    if not endpoint:
        raise SystemExit(f"{PROG} admin: give --endpoint URL (or set SLBCERT_ENDPOINT)")
    ca = args.ca_bundle or os.environ.get("SLBCERT_CA_BUNDLE")
    body = json.loads(args.body) if args.body is not None else None
    status, document = AdminClient(endpoint, ca).send(args.method.upper(), args.name, body)
    print(json.dumps(document, sort_keys=True))
    return 0 if status == 200 else 1


# ---------------------------------------------------------------------------------------------- arguments
def _add_emulator_options(parser):
    parser.add_argument("--data-dir", help="the emulator's data directory (default: a temporary one, removed)")
    parser.add_argument("--tls-dir", help="where the dev CA and server certificate are kept (default DATA_DIR/tls)")
    parser.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS with the dev CA")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: a free one)")
    parser.add_argument("--access-key", action="append", default=[], metavar="ID:SECRET",
                        type=lambda text: _credential(text, 2),
                        help=f"an accepted AccessKey, repeatable (default {ACCESS_KEY_ID}:...); the first "
                             "one is the environment's")
    parser.add_argument("--sts-token", action="append", default=[], metavar="ID:SECRET:TOKEN",
                        type=lambda text: _credential(text, 3), help="an accepted STS credential, repeatable")
    parser.add_argument("--region", default=REGION, help=f"ALIBABA_CLOUD_REGION_ID to give (default {REGION})")
    parser.add_argument("--emulator-option", action="append", default=[], metavar="OPTION",
                        help="one more option of python3 -m slbcert_emulator, e.g. --emulator-option=--quota=5")
    parser.add_argument("--start-timeout", type=float, default=30.0, help="seconds to wait for it (default 30)")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:]))
    # Each command reads @FILE arguments as the emulator does (credentials kept off the command line),
    # except run, whose COMMAND ARGS are not its own.
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OptionParser)

    pki = commands.add_parser("pki", help="write the test PKI, issue further leaves, read its manifest",
                              description="The test PKI: root CA -> intermediate CA -> leaves; manifest.json "
                                          "lists every file and its facts.")
    pki.add_argument("--out", metavar="DIR", help="write every standard entry and manifest.json into DIR")
    pki.add_argument("--only", action="append", metavar="NAME", choices=sorted(STANDARD),
                     help="only this standard entry (and what it needs); repeatable")
    pki_commands = pki.add_subparsers(dest="pki_command")
    issue = pki_commands.add_parser("issue-leaf", help="issue one more leaf (a new fingerprint)")
    issue.add_argument("--pki", required=True, metavar="DIR", help="the PKI's directory")
    issue.add_argument("--cn", required=True, help="common name")
    issue.add_argument("--organization", metavar="O", help="an O attribute of the subject (before the CN)")
    issue.add_argument("--country", metavar="C", help="a C attribute of the subject (first)")
    issue.add_argument("--dns", action="append", metavar="NAME", help="a DNS SAN, repeatable (default: the CN)")
    issue.add_argument("--ip", action="append", metavar="ADDRESS", help="an IP SAN, repeatable")
    issue.add_argument("--key", default="leaf",
                       help=f"an entry whose key to reuse (default leaf), or a new key: {', '.join(KEY_SPECS)}")
    issue.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    issue.add_argument("--valid-from-days", type=int, metavar="N",
                       help="notBefore N days from now (negative: in the past; default an hour ago)")
    issue.add_argument("--ca", action="store_true", help="a 'leaf' that is a CA (CA:TRUE)")
    issue.add_argument("--name", help="its name in the manifest, files DIR/NAME.* (default issued-N)")
    get = pki_commands.add_parser("get", help="print a manifest entry, or one field of it")
    get.add_argument("--pki", required=True, metavar="DIR", help="the PKI's directory")
    get.add_argument("name", help="the entry (leaf, intermediate, stray, ...)")
    get.add_argument("field", nargs="?", help="a fact (fingerprint_sha1, ...) or a file (cert, chain, pkcs1, ...)")

    serve = commands.add_parser("serve", help="run the emulator in the foreground; print the client environment")
    _add_emulator_options(serve)
    serve.add_argument("--env-file", metavar="FILE", help="also write the environment lines to FILE (0600, "
                                                          "removed at exit) once the emulator answers")
    serve.add_argument("--stop-on-eof", action="store_true",
                       help="also stop when standard input reaches end of file (a parent's lifeline)")

    run = commands.add_parser("run", help="run a command against a fresh emulator", fromfile_prefix_chars=None)
    _add_emulator_options(run)
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ARGS...", help="the command to run")

    admin = commands.add_parser("admin", help="one request to the admin API (/_emulator/...)")
    admin.add_argument("--endpoint", help="the emulator's URL (default $SLBCERT_ENDPOINT)")
    admin.add_argument("--ca-bundle", help="CA file for HTTPS (default $SLBCERT_CA_BUNDLE)")
    admin.add_argument("method", help="GET or POST")
    admin.add_argument("name", help="health, reset, certificates, stats, bind, cas, faults, clock")
    admin.add_argument("body", nargs="?", help="the JSON body of a POST")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if argv is None:  # a process of its own, not a call from Python code
        unblock_stop_signals()
    handler = {"pki": pki_main, "serve": serve_main, "run": run_main, "admin": admin_main}[args.command]
    try:
        return handler(args)
    except (KeyError, ValueError) as error:  # a bad entry name, key spec or JSON body
        raise SystemExit(f"{PROG} {args.command}: {error.args[0] if error.args else error}") from None


if __name__ == "__main__":
    sys.exit(main())
