"""A small hand-made client: signs V1/V3 requests from docs/protocol.md section 3 (independently of the emulator's
code), places parameters in the query or a form body, and sends them with urllib."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

VERSION = "2014-05-15"
TIMEOUT = 15


def enc(text):
    return urllib.parse.quote(text, safe="~")


def form(params):
    """Percent-encoded `k=v&...` (space as %20), usable as a query string or a form body."""
    return "&".join(f"{enc(k)}={enc(v)}" for k, v in params.items())


def v1_signature(method, params, secret):
    canonical = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params))
    string_to_sign = f"{method}&{enc('/')}&{enc(canonical)}"
    return base64.b64encode(hmac.new((secret + "&").encode(), string_to_sign.encode(),
                                     hashlib.sha1).digest()).decode()


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def v1_request(action, params, key_id, secret, token=None, in_body=False, method="POST",
               fmt="JSON", nonce=None, timestamp=None):
    """(method, path-and-query, headers, body) of a V1-signed RPC request."""
    signed = dict(params, Action=action, Version=VERSION, AccessKeyId=key_id,
                  SignatureMethod="HMAC-SHA1", SignatureVersion="1.0",
                  SignatureNonce=nonce or uuid.uuid4().hex, Timestamp=timestamp or utc_now())
    if fmt:
        signed["Format"] = fmt
    if token:
        signed["SecurityToken"] = token
    signed["Signature"] = v1_signature(method, signed, secret)
    if in_body:
        return method, "/", {"Content-Type": "application/x-www-form-urlencoded"}, form(signed).encode()
    return method, "/?" + form(signed), {}, b""


def v3_authorization(method, query, headers, body, key_id, secret):
    names = sorted(headers)
    canonical = "\n".join([
        method, "/", "&".join(f"{enc(k)}={enc(query[k])}" for k in sorted(query)),
        "".join(f"{n}:{headers[n].strip()}\n" for n in names), ";".join(names),
        hashlib.sha256(body).hexdigest()])
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={';'.join(names)},Signature={signature}"


def v3_request(action, params, key_id, secret, host, token=None, in_body=False, nonce=None,
               date=None, accept="application/json"):
    body = form(params).encode() if in_body else b""
    query = {} if in_body else dict(params)
    headers = {
        "host": host, "x-acs-action": action, "x-acs-version": VERSION,
        "x-acs-date": date or utc_now(), "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if in_body:
        headers["content-type"] = "application/x-www-form-urlencoded"
    if token:
        headers["x-acs-security-token"] = token
        headers["x-acs-accesskey-id"] = key_id
    headers["Authorization"] = v3_authorization("POST", query, headers, body, key_id, secret)
    headers["accept"] = accept  # unsigned on purpose: the gateway needs only x-acs-* signed
    return "POST", ("/?" + form(query)) if query else "/", headers, body


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def xml(self):
        return ET.fromstring(self.body)

    @property
    def code(self):
        """The error Code, whatever the body's format."""
        if "xml" in self.headers.get("Content-Type", ""):
            return self.xml().findtext("Code")
        return self.json().get("Code")


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def send(base_url, method, target, headers=None, body=b"", tls=None):
    request = urllib.request.Request(base_url + target, data=body or None, method=method,
                                     headers=headers or {})
    opener = _OPENER if tls is None else urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls))
    try:
        with opener.open(request, timeout=TIMEOUT) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return Reply(err.code, err.headers, err.read())
