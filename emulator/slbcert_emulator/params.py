"""Request parameters every operation reads the same way: required values and tags."""

import base64
import hashlib
import re

from . import errors

MAX_TAGS = 20
_TAG_PARAM = re.compile(r"^Tag\.([1-9][0-9]*)\.(Key|Value)$")
_TAG_FORBIDDEN_PREFIXES = ("aliyun", "acs:")
_TAG_FORBIDDEN_PARTS = ("http://", "https://")


def required(params, name):
    value = params.get(name)
    if not value:
        raise errors.missing_parameter(name)
    return value


def _tag_text_ok(text):
    lowered = text.lower()
    return (not lowered.startswith(_TAG_FORBIDDEN_PREFIXES)
            and not any(part in lowered for part in _TAG_FORBIDDEN_PARTS))


def parse_tags(params, missing_value):
    """`Tag.N.Key`/`Tag.N.Value` pairs in N order; an absent value becomes `missing_value`."""
    found = {}
    for name, value in params.items():
        match = _TAG_PARAM.match(name)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    if len(found) > MAX_TAGS or any(n > MAX_TAGS for n in found):
        raise errors.tag_count_limit()
    tags, keys = [], set()
    for n in sorted(found):
        key, value = found[n].get("Key"), found[n].get("Value")
        if not key:
            raise errors.missing_parameter(f"Tag.{n}.Key")
        if len(key) > 64 or not _tag_text_ok(key) or key in keys:
            raise errors.invalid_parameter(f"Tag.{n}.Key")
        if value is not None and (len(value) > 128 or not _tag_text_ok(value)):
            raise errors.invalid_parameter(f"Tag.{n}.Value")
        keys.add(key)
        tags.append((key, missing_value if value is None else value))
    return tags


def default_resource_group(account_id):
    """Every account has a default resource group; this one is derived from the account uid."""
    digest = base64.b32encode(hashlib.sha256(account_id.encode()).digest()).decode().lower()
    return "rg-acfm" + digest[:10]
