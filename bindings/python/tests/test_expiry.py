"""Client.expiring(): the region's certificates that expire within a span, soonest first."""

from __future__ import annotations

import datetime as dt

import pytest
import slbcert
from conftest import Emulator, client_for, unique_cn


def test_expiring_within_a_timedelta(fresh: Emulator, pki) -> None:  # type: ignore[no-untyped-def]
    with client_for(fresh) as client:
        for days in (60, 12, 4):
            issued = pki.issue_leaf(unique_cn(f"exp{days}"), days=days)
            with slbcert.Bundle(issued.chain_pem, issued.key_pem) as bundle:
                client.upload(bundle)
        soon = client.expiring(within=dt.timedelta(days=30))
        assert [c.expire_time_ms for c in soon] == sorted(c.expire_time_ms for c in soon) and len(soon) == 2
        assert len(client.expiring(within=90)) == 3
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=100)
        assert len(client.expiring(within=0, now=later)) == 3  # all expired by then
        with pytest.raises(slbcert.InvalidArgument):
            client.expiring(within=dt.timedelta(days=40000))
