"""SQLite storage: server certificates, load balancers, listeners and domain extensions (per account
and region), and registered CAS certificates.

One connection guarded by a lock: every change is one IMMEDIATE transaction, so the checks that
guard it (quota, existence, references, busy instances) and the change itself cannot interleave
with another request's, and a change of several rows (a load balancer with its listeners) is
stored whole or not at all, also across a kill -9.
"""

import json
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import errors

log = logging.getLogger("slbcert_emulator")

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
CREATE TABLE IF NOT EXISTS load_balancers (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    address TEXT NOT NULL UNIQUE,
    client_token TEXT,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS load_balancers_scope ON load_balancers (account_id, region_id);
CREATE TABLE IF NOT EXISTS listeners (
    load_balancer_id TEXT NOT NULL,
    port INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    status TEXT NOT NULL,
    server_certificate_id TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    tags TEXT NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (load_balancer_id, port)
);
CREATE INDEX IF NOT EXISTS listeners_certificate ON listeners (server_certificate_id);
CREATE TABLE IF NOT EXISTS domain_extensions (
    id TEXT PRIMARY KEY,
    load_balancer_id TEXT NOT NULL,
    port INTEGER NOT NULL,
    domain TEXT NOT NULL,
    server_certificate_id TEXT NOT NULL,
    create_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS domain_extensions_listener ON domain_extensions (load_balancer_id, port);
CREATE INDEX IF NOT EXISTS domain_extensions_certificate ON domain_extensions (server_certificate_id);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_COLUMNS = ("id", "account_id", "region_id", "name", "fingerprint", "common_name",
            "subject_alternative_names", "create_ms", "expire_ms", "resource_group_id", "tags",
            "alicloud_certificate_id", "alicloud_certificate_name", "certificate_pem",
            "private_key_pem", "bound")
_CERTIFICATE_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM certificates"


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
    bound: bool = False  # referenced by a listener the emulator does not model (admin `bind`)

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


@dataclass(frozen=True)
class LoadBalancer:
    id: str
    account_id: str
    region_id: str
    create_ms: int
    address: str
    client_token: str
    attributes: dict  # name, status, spec and the other describe fields, see clb.py

    @property
    def spec(self):
        return self.attributes.get("LoadBalancerSpec", "")

    @property
    def status(self):
        return self.attributes["LoadBalancerStatus"]


@dataclass(frozen=True)
class Listener:
    load_balancer_id: str
    port: int
    protocol: str  # "https" or "http"
    status: str  # "running" or "stopped"
    server_certificate_id: str  # "" for http
    create_ms: int
    tags: tuple
    attributes: dict = field(default_factory=dict)  # every other describe field, see clb.py


@dataclass(frozen=True)
class DomainExtension:
    id: str
    load_balancer_id: str
    port: int
    domain: str
    server_certificate_id: str
    create_ms: int


def _load_balancer(row):
    return LoadBalancer(*row[:6], attributes=json.loads(row[6]))


def _listener(row):
    return Listener(*row[:6], tags=tuple(tuple(t) for t in json.loads(row[6])),
                    attributes=json.loads(row[7]))


_LB_SELECT = ("SELECT id, account_id, region_id, create_ms, address, client_token, attributes "
              "FROM load_balancers")
_LISTENER_SELECT = ("SELECT load_balancer_id, port, protocol, status, server_certificate_id, create_ms, "
                    "tags, attributes FROM listeners")
_EXTENSION_SELECT = ("SELECT id, load_balancer_id, port, domain, server_certificate_id, create_ms "
                     "FROM domain_extensions")


class Tx:
    """The queries and changes of one transaction; only valid inside `Store.transaction()`."""

    def __init__(self, db, store):
        self._db = db
        self._store = store

    def _all(self, sql, args=()):
        return self._db.execute(sql, args).fetchall()

    # --- certificates ---------------------------------------------------------------------------

    def certificate(self, account_id, region_id, cert_id):
        rows = self._all(f"{_CERTIFICATE_SELECT} WHERE id = ? AND account_id = ? AND region_id = ?",
                         (cert_id, account_id, region_id))
        return Certificate.from_row(rows[0]) if rows else None

    def certificates_by_id(self, cert_ids):
        found = {}
        for cert_id in set(cert_ids):
            rows = self._all(f"{_CERTIFICATE_SELECT} WHERE id = ?", (cert_id,))
            if rows:
                found[cert_id] = Certificate.from_row(rows[0])
        return found

    def insert_certificate(self, cert, quota):
        """Store a certificate unless its account already holds `quota` in that region."""
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM certificates WHERE account_id = ? AND region_id = ?",
            (cert.account_id, cert.region_id)).fetchone()
        if count >= quota:
            raise errors.over_quota()
        self._db.execute(f"INSERT INTO certificates ({', '.join(_COLUMNS)}) "
                         f"VALUES ({', '.join('?' * len(_COLUMNS))})", cert.to_row())

    def references(self, cert_id):
        """Where a certificate is in use: ["lb-...:443", "de-...", "listener (admin bind)", ...]."""
        used = [f"{lb}:{port}" for lb, port in self._all(
            "SELECT load_balancer_id, port FROM listeners WHERE server_certificate_id = ? "
            "ORDER BY load_balancer_id, port", (cert_id,))]
        used += [de for (de,) in self._all(
            "SELECT id FROM domain_extensions WHERE server_certificate_id = ? ORDER BY id", (cert_id,))]
        if self._all("SELECT 1 FROM certificates WHERE id = ? AND bound = 1", (cert_id,)):
            used.append("listener (admin bind)")
        if self._store.lingering(cert_id):
            used.append("released reference (lingering)")
        return used

    # --- load balancers ---------------------------------------------------------------------------

    def load_balancer(self, account_id, lb_id):
        rows = self._all(f"{_LB_SELECT} WHERE id = ? AND account_id = ?", (lb_id, account_id))
        return _load_balancer(rows[0]) if rows else None

    def load_balancer_by_token(self, account_id, client_token):
        rows = self._all(f"{_LB_SELECT} WHERE account_id = ? AND client_token = ?",
                         (account_id, client_token))
        return _load_balancer(rows[0]) if rows else None

    def load_balancers(self, account_id, region_id=None):
        if region_id is None:
            rows = self._all(f"{_LB_SELECT} WHERE account_id = ? ORDER BY create_ms, rowid", (account_id,))
        else:
            rows = self._all(f"{_LB_SELECT} WHERE account_id = ? AND region_id = ? "
                             "ORDER BY create_ms, rowid", (account_id, region_id))
        return [_load_balancer(r) for r in rows]

    def all_load_balancers(self):
        return [_load_balancer(r) for r in self._all(f"{_LB_SELECT} ORDER BY create_ms, rowid")]

    def addresses(self):
        return {a for (a,) in self._all("SELECT address FROM load_balancers")}

    def insert_load_balancer(self, lb):
        self._db.execute(
            "INSERT INTO load_balancers (id, account_id, region_id, create_ms, address, client_token, "
            "attributes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (lb.id, lb.account_id, lb.region_id, lb.create_ms, lb.address, lb.client_token,
             json.dumps(lb.attributes)))

    def set_address(self, lb_id, address):
        self._db.execute("UPDATE load_balancers SET address = ? WHERE id = ?", (address, lb_id))

    def delete_load_balancer(self, lb_id):
        """Delete an instance with its listeners and extensions; the certificates they used."""
        released = {c for (c,) in self._all(
            "SELECT server_certificate_id FROM listeners WHERE load_balancer_id = ? "
            "UNION SELECT server_certificate_id FROM domain_extensions WHERE load_balancer_id = ?",
            (lb_id, lb_id)) if c}
        self._db.execute("DELETE FROM domain_extensions WHERE load_balancer_id = ?", (lb_id,))
        self._db.execute("DELETE FROM listeners WHERE load_balancer_id = ?", (lb_id,))
        self._db.execute("DELETE FROM load_balancers WHERE id = ?", (lb_id,))
        return released

    # --- listeners --------------------------------------------------------------------------------

    def listener(self, lb_id, port):
        rows = self._all(f"{_LISTENER_SELECT} WHERE load_balancer_id = ? AND port = ?", (lb_id, port))
        return _listener(rows[0]) if rows else None

    def listeners(self, lb_id):
        return [_listener(r) for r in self._all(
            f"{_LISTENER_SELECT} WHERE load_balancer_id = ? ORDER BY port", (lb_id,))]

    def put_listener(self, listener):
        self._db.execute(
            "INSERT OR REPLACE INTO listeners (load_balancer_id, port, protocol, status, "
            "server_certificate_id, create_ms, tags, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (listener.load_balancer_id, listener.port, listener.protocol, listener.status,
             listener.server_certificate_id, listener.create_ms, json.dumps(listener.tags),
             json.dumps(listener.attributes)))

    # --- domain extensions ------------------------------------------------------------------------

    def extension(self, extension_id):
        rows = self._all(f"{_EXTENSION_SELECT} WHERE id = ?", (extension_id,))
        return DomainExtension(*rows[0]) if rows else None

    def extensions(self, lb_id, port):
        return [DomainExtension(*r) for r in self._all(
            f"{_EXTENSION_SELECT} WHERE load_balancer_id = ? AND port = ? ORDER BY create_ms, rowid",
            (lb_id, port))]

    def insert_extension(self, extension):
        self._db.execute(
            "INSERT INTO domain_extensions (id, load_balancer_id, port, domain, server_certificate_id, "
            "create_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (extension.id, extension.load_balancer_id, extension.port, extension.domain,
             extension.server_certificate_id, extension.create_ms))

    def set_extension_certificate(self, extension_id, cert_id):
        self._db.execute("UPDATE domain_extensions SET server_certificate_id = ? WHERE id = ?",
                         (cert_id, extension_id))

    def delete_extension(self, extension_id):
        self._db.execute("DELETE FROM domain_extensions WHERE id = ?", (extension_id,))

    # --- data plane -------------------------------------------------------------------------------

    def running_listeners(self):
        """(load balancer, listener, [domain extensions]) of every running listener."""
        found = []
        for lb in self.all_load_balancers():
            for listener in self.listeners(lb.id):
                if listener.status == "running":
                    found.append((lb, listener, self.extensions(lb.id, listener.port)))
        return found

    def is_empty(self):
        return not self._all("SELECT 1 FROM certificates UNION ALL SELECT 1 FROM load_balancers LIMIT 1")

    def meta(self, key):
        rows = self._all("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key, value):
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _private_file(path):
    """Create `path` readable by its owner only (it holds private keys), or tighten it."""
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def make_private_dir(path):
    """Create a directory readable by its owner only. An existing empty one is tightened; one that
    already holds other files is left as it is (it may be shared), with a warning when others can
    read it."""
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # makedirs' mode is filtered by the umask
        return
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o077:
        if not os.listdir(path) and os.stat(path).st_uid == os.getuid():
            os.chmod(path, 0o700)
        else:
            log.warning("data directory %s is accessible to other users (mode %o); it holds private keys",
                        path, mode)


class Store:
    def __init__(self, data_dir):
        make_private_dir(data_dir)
        self._lock = threading.Lock()
        path = os.path.join(data_dir, DB_NAME)
        _private_file(path)
        # isolation_level=None: no implicit transactions; transaction() opens them explicitly.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # WAL keeps every committed transaction across a kill -9 of the process.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode; make sure
            if os.path.exists(path + suffix):
                os.chmod(path + suffix, 0o600)
        # Transient state the fault rules create; guarded by the same lock as the database.
        self._busy_until = {}  # load balancer id -> monotonic time its busy window ends
        self._lingering = {}  # certificate id -> monotonic time its released reference ends

    @contextmanager
    def transaction(self):
        """An IMMEDIATE transaction: committed when the block ends, rolled back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._db, self)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self):
        """A consistent read of several queries (no other request changes anything meanwhile)."""
        with self._lock:
            yield Tx(self._db, self)

    def _query(self, sql, args=()):
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # --- busy windows and lingering references (call inside a transaction) ------------------------

    def busy(self, lb_id):
        until = self._busy_until.get(lb_id)
        return until is not None and time.monotonic() < until

    def set_busy(self, lb_id, seconds):
        self._busy_until[lb_id] = time.monotonic() + seconds

    def lingering(self, cert_id):
        until = self._lingering.get(cert_id)
        return until is not None and time.monotonic() < until

    def linger(self, cert_ids, seconds):
        for cert_id in cert_ids:
            self._lingering[cert_id] = time.monotonic() + seconds

    # --- certificates (one transaction each) ------------------------------------------------------

    def insert(self, cert, quota):
        with self.transaction() as tx:
            tx.insert_certificate(cert, quota)

    def list_region(self, account_id, region_id):
        rows = self._query(f"{_CERTIFICATE_SELECT} WHERE account_id = ? AND region_id = ? "
                           "ORDER BY create_ms, rowid", (account_id, region_id))
        return [Certificate.from_row(r) for r in rows]

    def list_all(self):
        rows = self._query(f"{_CERTIFICATE_SELECT} ORDER BY create_ms, rowid")
        return [Certificate.from_row(r) for r in rows]

    def rename(self, account_id, region_id, cert_id, name):
        with self.transaction() as tx:
            cursor = tx._db.execute(
                "UPDATE certificates SET name = ? WHERE id = ? AND account_id = ? AND region_id = ?",
                (name, cert_id, account_id, region_id))
            if cursor.rowcount == 0:
                raise errors.certificate_not_found()

    def delete(self, account_id, region_id, cert_id):
        """Delete a certificate no listener default, domain extension or lingering reference uses."""
        with self.transaction() as tx:
            if tx.certificate(account_id, region_id, cert_id) is None:
                raise errors.certificate_not_found()
            if tx.references(cert_id):
                raise errors.certificate_in_use()
            tx._db.execute("DELETE FROM certificates WHERE id = ?", (cert_id,))

    def bind(self, cert_id):
        """Mark a certificate as used by a listener; False when there is no such certificate."""
        with self.transaction() as tx:
            return tx._db.execute("UPDATE certificates SET bound = 1 WHERE id = ?",
                                  (cert_id,)).rowcount > 0

    def unbind(self, cert_id):
        with self.transaction() as tx:
            return tx._db.execute("UPDATE certificates SET bound = 0 WHERE id = ?",
                                  (cert_id,)).rowcount > 0

    def put_cas(self, cas):
        with self.transaction() as tx:
            tx._db.execute("INSERT OR REPLACE INTO cas_certificates (id, name, region_id, certificate_pem) "
                           "VALUES (?, ?, ?, ?)", (cas.id, cas.name, cas.region_id, cas.certificate_pem))

    def get_cas(self, cas_id):
        rows = self._query("SELECT id, name, region_id, certificate_pem FROM cas_certificates "
                           "WHERE id = ?", (cas_id,))
        return CasCertificate(*rows[0]) if rows else None

    def reset(self):
        with self.transaction() as tx:
            for table in ("certificates", "cas_certificates", "domain_extensions", "listeners",
                          "load_balancers"):
                tx._db.execute(f"DELETE FROM {table}")
            self._busy_until.clear()
            self._lingering.clear()

    def close(self):
        with self._lock:
            self._db.close()

