"""Request authentication as Alibaba's API gateway does it: V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256).

Written from docs/protocol.md section 3; checked against golden SDK signatures
(Tests/SLBCertTests/Fixtures/signing-vectors.json in the repository) by the tests.
"""

import base64
import calendar
import collections
import hashlib
import hmac
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass

from . import errors

WINDOW_SECONDS = 15 * 60  # allowed clock skew, and how long a nonce stays spent
V3_ALGORITHM = "ACS3-HMAC-SHA256"
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z$")
V1_REQUIRED = ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
               "SignatureNonce", "Timestamp")
V3_REQUIRED = ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")


def percent_encode(text):
    """RFC 3986 encoding of the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ stay; hex is upper-case."""
    return urllib.parse.quote(text, safe="~")


def v1_string_to_sign(method, params):
    pairs = sorted(((k, v) for k, v in params.items() if k != "Signature"),
                   key=lambda kv: kv[0].encode("utf-8"))
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def v1_signature(secret, string_to_sign):
    digest = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def v3_canonical_request(method, path, query, headers, signed_headers, payload_sha256):
    """`headers` maps a lower-case name to the list of its values (an absent header: [])."""
    query_pairs = sorted(query.items(), key=lambda kv: kv[0].encode("utf-8"))
    canonical_query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query_pairs)
    canonical_headers = "".join(
        f"{name}:{','.join(sorted(v.strip() for v in headers.get(name, [])))}\n"
        for name in signed_headers)
    return "\n".join([method, path, canonical_query, canonical_headers,
                      ";".join(signed_headers), payload_sha256])


def v3_string_to_sign(canonical_request):
    return V3_ALGORITHM + "\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()


def v3_signature(secret, string_to_sign):
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_timestamp(text):
    match = _TIMESTAMP.match(text)
    if not match:
        raise errors.timestamp_format()
    try:
        return calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        raise errors.timestamp_format() from None


def account_id_for(access_key_id):
    """A stable 16-digit account uid per AccessKeyId: each key is its own account."""
    digits = int.from_bytes(hashlib.sha256(access_key_id.encode("utf-8")).digest()[:8], "big")
    return "1" + str(digits % 10**15).zfill(15)


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    secret: str
    security_token: str = None  # set for STS credentials: requests must carry this token


@dataclass(frozen=True)
class Caller:
    access_key_id: str
    account_id: str


class NonceCache:
    """Nonces seen in the last 15 minutes (of the emulator's clock), per AccessKeyId."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen = {}
        self._order = collections.deque()  # (time, key) in the order recorded, for expiry

    def use(self, access_key_id, nonce, now):
        """Record the nonce; False when it was already used within the window."""
        key = (access_key_id, nonce)
        with self._lock:
            while self._order and self._order[0][0] <= now - WINDOW_SECONDS:
                seen_at, old = self._order.popleft()
                if self._seen.get(old) == seen_at:
                    del self._seen[old]
            last = self._seen.get(key)
            if last is not None and abs(now - last) < WINDOW_SECONDS:
                return False
            self._seen[key] = now
            self._order.append((now, key))
            return True

    def clear(self):
        with self._lock:
            self._seen.clear()
            self._order.clear()


@dataclass(frozen=True)
class _Claims:
    """What a request says about itself; the signature is checked once the secret is known."""
    access_key_id: str
    timestamp: str
    nonce: str
    token: str
    signature: str
    string_to_sign: str
    sign: object  # (secret, string_to_sign) -> signature
    payload_ok: bool = True


class Authenticator:
    def __init__(self, credentials, clock):
        self._credentials = {c.access_key_id: c for c in credentials}
        self._clock = clock
        self.nonces = NonceCache()

    @property
    def key_ids(self):
        return frozenset(self._credentials)

    def authenticate(self, req):
        """Return the caller of a correctly signed request, or raise the gateway's ApiError."""
        claims = _v3_claims(req) if req.is_v3 else _v1_claims(req)
        now = self._clock.now()
        if abs(now - parse_timestamp(claims.timestamp)) > WINDOW_SECONDS:
            raise errors.timestamp_expired()
        credential = self._credentials.get(claims.access_key_id)
        if credential is None:
            raise errors.access_key_not_found()
        if (claims.token or None) != credential.security_token:
            raise errors.security_token_mismatch()
        expected = claims.sign(credential.secret, claims.string_to_sign)
        if not (claims.payload_ok and hmac.compare_digest(expected.encode("utf-8"),
                                                          claims.signature.encode("utf-8"))):
            raise errors.signature_does_not_match(claims.string_to_sign)
        if not self.nonces.use(claims.access_key_id, claims.nonce, now):
            raise errors.nonce_used()
        return Caller(claims.access_key_id, account_id_for(claims.access_key_id))


def _v1_claims(req):
    params = req.params
    for name in V1_REQUIRED:
        if not params.get(name):
            raise errors.missing_parameter(name)
    if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
        raise errors.incomplete_signature("Use SignatureMethod HMAC-SHA1 and SignatureVersion 1.0.")
    return _Claims(params["AccessKeyId"], params["Timestamp"], params["SignatureNonce"],
                   params.get("SecurityToken"), params["Signature"],
                   v1_string_to_sign(req.method, params), v1_signature)


def _v3_claims(req):
    algorithm, _, rest = req.headers["Authorization"].partition(" ")
    if algorithm != V3_ALGORITHM:
        raise errors.incomplete_signature(f"Unsupported algorithm {algorithm}.")
    auth = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            auth[name] = value
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not auth.get(name):
            raise errors.incomplete_signature(f"Authorization lacks {name}.")
    for name in V3_REQUIRED:
        if not req.headers.get(name):
            raise errors.missing_parameter(name)
    signed = auth["SignedHeaders"].split(";")
    # The gateway wants every x-acs-* header it receives covered by the signature.
    for name in sorted({n.lower() for n in req.headers.keys()}):
        if name.startswith("x-acs-") and name not in signed:
            raise errors.incomplete_signature(f"Header {name} is not signed.")
    # The server hashes the body itself, so a wrong x-acs-content-sha256 never verifies.
    body_sha256 = hashlib.sha256(req.body).hexdigest()
    headers = {name: req.headers.get_all(name) or [] for name in signed}
    canonical = v3_canonical_request(req.method, req.path, req.query_params, headers, signed,
                                     body_sha256)
    return _Claims(auth["Credential"], req.headers["x-acs-date"],
                   req.headers["x-acs-signature-nonce"], req.headers.get("x-acs-security-token"),
                   auth["Signature"], v3_string_to_sign(canonical), v3_signature,
                   payload_ok=req.headers["x-acs-content-sha256"] == body_sha256)
