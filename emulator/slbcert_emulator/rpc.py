"""One RPC request as the gateway sees it: parameters from the query and a form body, merged."""

import urllib.parse
from dataclasses import dataclass, field

from . import errors

FORM_TYPE = "application/x-www-form-urlencoded"


def parse_pairs(raw):
    """Decode `a=1&b=2` into pairs the way a servlet does (`+` is a space); values must be UTF-8."""
    try:
        return urllib.parse.parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise errors.invalid_encoding() from None


def accepts_json(headers):
    return "json" in (headers.get("Accept") or "").lower()


def _first_values(pairs):
    values = {}
    for key, value in pairs:
        values.setdefault(key, value)
    return values


@dataclass
class RpcRequest:
    method: str
    path: str
    query: list
    form: list
    headers: object  # http.client.HTTPMessage: case-insensitive, keeps repeated headers
    body: bytes
    query_params: dict = field(init=False)
    params: dict = field(init=False)  # query and body merged

    def __post_init__(self):
        # A parameter sent twice keeps its first value; the query comes before the body.
        self.query_params = _first_values(self.query)
        self.params = _first_values(self.query + self.form)

    @classmethod
    def parse(cls, method, target, headers, body):
        path, _, raw_query = target.partition("?")
        try:
            # http.server decodes the request line as Latin-1; undo that to see the raw bytes.
            raw_query = raw_query.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            raise errors.invalid_encoding() from None
        form = []
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and content_type == FORM_TYPE:
            try:
                form = parse_pairs(body.decode("utf-8"))
            except UnicodeDecodeError:
                raise errors.invalid_encoding() from None
        return cls(method, urllib.parse.unquote(path), parse_pairs(raw_query), form, headers, body)

    @property
    def is_v3(self):
        return (self.headers.get("Authorization") or "").startswith("ACS3-")

    @property
    def action(self):
        return self.headers.get("x-acs-action") if self.is_v3 else self.params.get("Action")

    @property
    def version(self):
        return self.headers.get("x-acs-version") if self.is_v3 else self.params.get("Version")

    @property
    def wants_json(self):
        """`Format` decides (any case); without it an `Accept` naming JSON does; XML otherwise."""
        fmt = self.params.get("Format")
        return fmt.lower() == "json" if fmt else accepts_json(self.headers)
