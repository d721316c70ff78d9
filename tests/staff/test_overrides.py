"""Overrides in the store: a manager closes a counter now; temporary ones end at the next
scheduled change, emergency ones when lifted; bad input changes nothing; all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.planning.overrides import OverrideStore
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.store import upgrade
from routing.site import Site
from schedules.overrides import OverrideMode, active_override
from tests.service.conftest import at
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

MONDAY_10 = at("2026-11-23 10:00")


@pytest.fixture
async def store(engine: AsyncEngine, example_site: Site) -> OverrideStore:
    await upgrade(engine)
    return OverrideStore(engine, AuditLog(engine), example_site, lambda: MONDAY_10)


async def test_a_temporary_closure_ends_at_the_next_scheduled_change(store: OverrideStore) -> None:
    ov = await store.set("sociale-dienst", "closed", actor="mia", reason="personeelsvergadering")
    assert ov.ends == at("2026-11-23 12:00")  # Monday 09:00-12:00
    active = active_override(store.current(), "sociale-dienst", MONDAY_10)
    assert active is not None and active.mode is OverrideMode.CLOSED
    assert active.note == "personeelsvergadering" and active.created_by == "mia"
    assert active_override(store.current(), "sociale-dienst", at("2026-11-23 12:00")) is None
    assert await store.load(at("2026-11-23 12:01")) == []  # ended by itself


async def test_an_emergency_closure_stays_until_lifted(store: OverrideStore) -> None:
    ov = await store.set("*", "closed", kind="emergency", actor="mia", reason="stroompanne")
    assert ov.ends is None and ov.id is not None
    later = MONDAY_10 + timedelta(days=30)
    assert active_override(store.current(), "woonloket", later) is not None
    assert active_override(store.current(), "lighthouse", later) is None  # not the lighthouse
    await store.lift(ov.id, actor="jo")
    assert store.current() == []
    with pytest.raises(StaffError, match="al opgeheven"):
        await store.lift(ov.id, actor="jo")
    kinds = [
        (e.actor, e.detail.get("lifted", False)) for e in await store.audit.query(kind="override")
    ]
    assert kinds == [("jo", True), ("mia", False)]


async def test_an_explicit_end_wins(store: OverrideStore) -> None:
    until = at("2026-11-24 17:00")
    ov = await store.set("woonloket", "closed", kind="temporary", until=until, actor="mia")
    assert ov.ends == until


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scope": "atlantis", "mode": "closed"}, "scope"),
        ({"scope": "woonloket", "mode": "shut"}, "mode"),
        ({"scope": "woonloket", "mode": "closed", "kind": "forever"}, "kind"),
        ({"scope": "woonloket", "mode": "closed", "until": at("2026-11-23 09:00")}, "until"),
        (
            {"scope": "woonloket", "mode": "closed", "until": MONDAY_10.replace(tzinfo=None)},
            "until",
        ),
        ({"scope": "woonloket", "mode": "closed", "reason": "x" * 201}, "reason"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    store: OverrideStore, kwargs: dict[str, object], field: str
) -> None:
    kwargs = dict(kwargs)  # the same parameters serve SQLite and PostgreSQL
    scope, mode = kwargs.pop("scope"), kwargs.pop("mode")
    with pytest.raises(StaffError) as refused:
        await store.set(scope, mode, actor="mia", **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert await store.load() == [] and await store.audit.count() == 0


async def test_the_lighthouse_can_be_forced_open(store: OverrideStore) -> None:
    sunday = at("2026-11-22 10:00")
    ov = await store.set("lighthouse", "open", kind="emergency", actor="mia", now=sunday)
    assert active_override(store.current(), "lighthouse", sunday) == ov
