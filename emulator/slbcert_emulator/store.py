"""SQLite storage of server certificates (per account and region) and registered CAS certificates.

One connection guarded by a lock: every change is one IMMEDIATE transaction, so the checks that
guard it (quota, existence, listener binding) and the change itself cannot interleave with
another request's.
"""

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from . import errors

DB_NAME = "slbcert-emulator.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    common_name TEXT NOT NULL,
    subject_alternative_names TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    expire_ms INTEGER NOT NULL,
    resource_group_id TEXT NOT NULL,
    tags TEXT NOT NULL,
    alicloud_certificate_id TEXT NOT NULL,
    alicloud_certificate_name TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    bound INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS certificates_scope ON certificates (account_id, region_id);
CREATE TABLE IF NOT EXISTS cas_certificates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_id TEXT NOT NULL,
    certificate_pem TEXT NOT NULL
);
"""

_COLUMNS = ("id", "account_id", "region_id", "name", "fingerprint", "common_name",
            "subject_alternative_names", "create_ms", "expire_ms", "resource_group_id", "tags",
            "alicloud_certificate_id", "alicloud_certificate_name", "certificate_pem",
            "private_key_pem", "bound")


@dataclass(frozen=True)
class Certificate:
    id: str
    account_id: str
    region_id: str
    name: str
    fingerprint: str
    common_name: str
    subject_alternative_names: tuple
    create_ms: int
    expire_ms: int
    resource_group_id: str
    tags: tuple  # ((key, value), ...) in upload order
    alicloud_certificate_id: str
    alicloud_certificate_name: str
    certificate_pem: str
    private_key_pem: str
    bound: bool = False

    def to_row(self):
        row = [getattr(self, c) for c in _COLUMNS]
        row[_COLUMNS.index("subject_alternative_names")] = json.dumps(self.subject_alternative_names)
        row[_COLUMNS.index("tags")] = json.dumps(self.tags)
        row[_COLUMNS.index("bound")] = int(self.bound)
        return row

    @classmethod
    def from_row(cls, row):
        values = dict(zip(_COLUMNS, row))
        values["subject_alternative_names"] = tuple(json.loads(values["subject_alternative_names"]))
        values["tags"] = tuple(tuple(t) for t in json.loads(values["tags"]))
        values["bound"] = bool(values["bound"])
        return cls(**values)


@dataclass(frozen=True)
class CasCertificate:
    id: str
    name: str
    region_id: str
    certificate_pem: str


class Store:
    def __init__(self, data_dir):
        os.makedirs(data_dir, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: no implicit transactions; _transaction() opens them explicitly.
        self._db = sqlite3.connect(os.path.join(data_dir, DB_NAME), check_same_thread=False,
                                   isolation_level=None)
        # WAL keeps every committed transaction across a kill -9 of the process.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _transaction(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql, args=()):
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def insert(self, cert, quota):
        """Store a certificate unless its account already holds `quota` in that region."""
        with self._transaction() as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM certificates WHERE account_id = ? AND region_id = ?",
                (cert.account_id, cert.region_id)).fetchone()
            if count >= quota:
                raise errors.over_quota()
            db.execute(f"INSERT INTO certificates ({', '.join(_COLUMNS)}) "
                       f"VALUES ({', '.join('?' * len(_COLUMNS))})", cert.to_row())

    def list_region(self, account_id, region_id):
        rows = self._query(
            f"SELECT {', '.join(_COLUMNS)} FROM certificates WHERE account_id = ? AND region_id = ? "
            "ORDER BY create_ms, rowid", (account_id, region_id))
        return [Certificate.from_row(r) for r in rows]

    def list_all(self):
        rows = self._query(f"SELECT {', '.join(_COLUMNS)} FROM certificates ORDER BY create_ms, rowid")
        return [Certificate.from_row(r) for r in rows]

    def rename(self, account_id, region_id, cert_id, name):
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE certificates SET name = ? WHERE id = ? AND account_id = ? AND region_id = ?",
                (name, cert_id, account_id, region_id))
            if cursor.rowcount == 0:
                raise errors.certificate_not_found()

    def delete(self, account_id, region_id, cert_id):
        with self._transaction() as db:
            row = db.execute(
                "SELECT bound FROM certificates WHERE id = ? AND account_id = ? AND region_id = ?",
                (cert_id, account_id, region_id)).fetchone()
            if row is None:
                raise errors.certificate_not_found()
            if row[0]:
                raise errors.certificate_in_use()
            db.execute("DELETE FROM certificates WHERE id = ?", (cert_id,))

    def bind(self, cert_id):
        """Mark a certificate as used by a listener; False when there is no such certificate."""
        with self._transaction() as db:
            return db.execute("UPDATE certificates SET bound = 1 WHERE id = ?",
                              (cert_id,)).rowcount > 0

    def put_cas(self, cas):
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO cas_certificates (id, name, region_id, certificate_pem) "
                       "VALUES (?, ?, ?, ?)", (cas.id, cas.name, cas.region_id, cas.certificate_pem))

    def get_cas(self, cas_id):
        rows = self._query("SELECT id, name, region_id, certificate_pem FROM cas_certificates "
                           "WHERE id = ?", (cas_id,))
        return CasCertificate(*rows[0]) if rows else None

    def reset(self):
        with self._transaction() as db:
            db.execute("DELETE FROM certificates")
            db.execute("DELETE FROM cas_certificates")

    def close(self):
        with self._lock:
            self._db.close()
