"""Counters for the admin API and the JSON-lines request log."""

import collections
import json
import os
import threading

# Never written to the log, whatever their value; any value holding a PEM block is dropped too.
SECRET_PARAMS = frozenset({"PrivateKey", "ServerCertificate", "Signature", "SecurityToken",
                           "AccessKeySecret", "Authorization"})
REDACTED = "[redacted]"
MAX_LOGGED_VALUE = 256


def redact(params):
    safe = {}
    for key, value in params.items():
        if key in SECRET_PARAMS or "-----BEGIN" in value:
            safe[key] = REDACTED
        else:
            safe[key] = value[:MAX_LOGGED_VALUE]
    return safe


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._connections = 0
            self._refused = 0
            self._requests = collections.Counter()
            self._faults = collections.Counter()

    def connection(self):
        with self._lock:
            self._connections += 1

    def refused(self):
        with self._lock:
            self._refused += 1

    def request(self, action):
        with self._lock:
            self._requests[action] += 1

    def fault(self, kind):
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self):
        with self._lock:
            return {"connections_accepted": self._connections,
                    "connections_refused": self._refused,
                    "requests": dict(self._requests),
                    "faults_fired": dict(self._faults)}


class RequestLog:
    """Appends one JSON object per line; callers pass only redacted values."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._lock = threading.Lock()
        # Owner-only like the database beside it, though it holds no secret.
        self._file = open(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a",
                          encoding="utf-8")

    def write(self, entry):
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if not self._file.closed:  # a request still finishing while the emulator stops
                self._file.write(line + "\n")
                self._file.flush()

    def close(self):
        with self._lock:
            self._file.close()
