"""Command line: python3 -m slbcert_emulator --data-dir DIR --access-key ID:SECRET ...

Options can also come from files, `@FILE`, one option per line (`--access-key=ID:SECRET`): that keeps
the secrets out of the process list, where every user of the machine can read a command line."""

import argparse
import os
import logging
import signal
import sys
import threading

from .auth import Credential
from .dataplane import parse_block
from .seed import SeedError
from .server import Config, Emulator, Server


def _access_key(text):
    key_id, sep, secret = text.partition(":")
    if not (key_id and sep and secret):
        raise argparse.ArgumentTypeError("expected ID:SECRET")
    return Credential(key_id, secret)


def _sts_token(text):
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError("expected ID:SECRET:TOKEN")
    return Credential(*parts)


def _positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def _block(text):
    try:
        parse_block(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


class OptionParser(argparse.ArgumentParser):
    """Reads @FILE arguments one option per line; blank lines, `#` comments and surrounding space
    (a CR of a Windows editor included) are left out."""

    def __init__(self, fromfile_prefix_chars="@", **options):
        super().__init__(fromfile_prefix_chars=fromfile_prefix_chars, **options)

    def convert_arg_line_to_args(self, arg_line):
        line = arg_line.strip()
        return [] if not line or line.startswith("#") else [line]


def parse_args(argv):
    # The name it was started by: `slbcert-emulator` (the installed command) or `python3 -m ...`.
    invoked = os.path.basename(sys.argv[0])
    parser = OptionParser(
        prog="python3 -m slbcert_emulator" if invoked in ("__main__.py", "-m", "") else invoked,
        description="A local Alibaba Cloud SLB (CLB) for offline tests: server certificates, load "
                    "balancers, HTTPS listeners and SNI domain extensions, each running listener "
                    "serving TLS on its load balancer's own loopback address. "
                    "Prints its base URL on stdout once it accepts connections; stops on "
                    "SIGTERM or SIGINT.",
        epilog="@FILE reads options from FILE, one per line (--access-key=ID:SECRET; blank lines and # "
               "comments are skipped): credentials given so stay out of the process list.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; the admin API under "
                             "/_emulator/ answers loopback clients only)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on; 0 (the default) picks a free one")
    parser.add_argument("--data-dir", required=True,
                        help="directory for the SQLite database (and the default request log)")
    parser.add_argument("--access-key", action="append", default=[], type=_access_key,
                        metavar="ID:SECRET",
                        help="an accepted AccessKey; repeatable. Each AccessKeyId is its own account. "
                             "Give it in an @FILE to keep the secret off the command line")
    parser.add_argument("--sts-token", action="append", default=[], type=_sts_token,
                        metavar="ID:SECRET:TOKEN",
                        help="an accepted STS credential: requests signed with ID must carry TOKEN "
                             "(SecurityToken / x-acs-security-token); repeatable")
    parser.add_argument("--tls-cert", metavar="FILE",
                        help="serve HTTPS with this PEM certificate chain (needs --tls-key)")
    parser.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    parser.add_argument("--quota", type=_positive, default=100,
                        help="certificates per account and region before OverQuota (default 100)")
    parser.add_argument("--max-url-bytes", type=_positive, default=8192,
                        help="longer request URLs get the gateway's HTML 414 (default 8192)")
    parser.add_argument("--request-log", metavar="FILE",
                        help="JSON-lines request log, secrets redacted (default DATA_DIR/requests.log)")
    parser.add_argument("--max-connections", type=_positive, default=128,
                        help="connections served at once; more are refused with 503 (default 128)")
    parser.add_argument("--lb-address-block", type=_block, metavar="127.A.B.0/24",
                        help="loopback /24 whose addresses load balancers get (default: a free one, "
                             "picked at start and kept across restarts when still free)")
    parser.add_argument("--seed", metavar="FILE",
                        help="JSON seed document(s) with certificates, load balancers, listeners and "
                             "domain extensions; applied when the data directory holds nothing yet")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if not args.access_key and not args.sts_token:
        parser.error("give at least one --access-key or --sts-token")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        emulator = Emulator(Config(
            data_dir=args.data_dir, credentials=args.access_key + args.sts_token, host=args.host,
            port=args.port, quota=args.quota, max_url_bytes=args.max_url_bytes,
            request_log=args.request_log, tls_cert=args.tls_cert, tls_key=args.tls_key,
            max_connections=args.max_connections, lb_address_block=args.lb_address_block,
            seed_file=args.seed))
    except (SeedError, ValueError, OSError) as exc:
        print(f"slbcert-emulator: {exc}", file=sys.stderr)
        return 1
    server = Server(emulator)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # serve_forever runs in a thread: shutdown() called from a signal handler on the serving
    # thread itself would wait forever.
    # A short poll interval: a stop signal takes effect within 0.1 s instead of 0.5 s.
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="serve",
                               daemon=True)
    serving.start()
    print(server.base_url, flush=True)
    # Waiting with a timeout: Python runs signal handlers on the main thread only, and a signal the
    # kernel hands to another thread does not wake a main thread blocked in an endless wait.
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
    emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
