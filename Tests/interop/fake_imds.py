#!/usr/bin/env python3
"""A loopback stand-in for the ECS instance metadata service (docs/protocol.md section 7), for tests.

  PUT /latest/api/token  (X-aliyun-ecs-metadata-token-ttl-seconds: 1..21600)  -> a session token
  GET /latest/meta-data/ram/security-credentials/        -> the role name
  GET /latest/meta-data/ram/security-credentials/<role>  -> {"Code":"Success","AccessKeyId",..,"Expiration"}
  GET /_stats                                            -> request counts (for the test, not part of IMDS)

Options: --role NAME, --expires-in SECONDS (Expiration = now + this), --no-v2 (token endpoint answers 404,
as an old instance would), --require-v2 (requests without a valid token get 401). Each credentials answer
has a new AccessKeyId (suffix = the count), so a test can tell a refresh from a cached value.
Listens on 127.0.0.1, port 0; prints "PORT <n>" on stdout once ready; exits when stdin closes.
"""
import argparse
import http.server
import json
import secrets
import sys
import threading
import time

PREFIX = "/latest/meta-data/ram/security-credentials/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="SLBCertRole")
    parser.add_argument("--expires-in", type=int, default=6 * 3600)
    parser.add_argument("--no-v2", action="store_true")
    parser.add_argument("--require-v2", action="store_true")
    args = parser.parse_args()
    lock = threading.Lock()
    stats = {"token": 0, "role": 0, "credentials": 0, "without_token": 0}
    tokens = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def reply(self, status, body, content_type="text/plain"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path != "/latest/api/token" or args.no_v2:
                return self.reply(404, "Not Found")
            ttl = self.headers.get("X-aliyun-ecs-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, "Bad Request")
            token = secrets.token_hex(16)
            with lock:
                stats["token"] += 1
                tokens.add(token)
            self.reply(200, token)

        def do_GET(self):
            if self.path == "/_stats":
                with lock:
                    return self.reply(200, json.dumps(stats), "application/json")
            token = self.headers.get("X-aliyun-ecs-metadata-token")
            with lock:
                valid = token in tokens
                if not valid:
                    stats["without_token"] += 1
            if token is not None and not valid or args.require_v2 and not valid:
                return self.reply(401, "Unauthorized")
            if self.path == PREFIX:
                with lock:
                    stats["role"] += 1
                return self.reply(200, args.role)
            if self.path == PREFIX + args.role:
                with lock:
                    stats["credentials"] += 1
                    count = stats["credentials"]
                expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + args.expires_in))
                return self.reply(200, json.dumps({
                    "AccessKeyId": f"STS.fake{count}", "AccessKeySecret": secrets.token_hex(15),
                    "Expiration": expiration, "SecurityToken": "CAIS" + secrets.token_hex(40),
                    "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "Code": "Success"}),
                    "application/json")
            self.reply(404, "Not Found")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()  # the test closes stdin (or dies) -> we stop
    server.shutdown()


if __name__ == "__main__":
    main()
