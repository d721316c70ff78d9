"""The staff services on SQLite and on PostgreSQL: the audit log can only grow and shows
tampering; retention pseudonymises and deletes by age; a caller's data can be exported and
erased, and statistics keep their counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.services import StaffServices, open_staff
from callcenter.store import CallStore, upgrade
from callcenter.tracker import CallRecord, Outcome, Visit, VisitOutcome
from routing.site import Site
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

KEY = b"a test pseudonymisation key, not a real one (>=32)"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
async def staff(engine: AsyncEngine, example_site: Site) -> StaffServices:
    await upgrade(engine)
    services = open_staff(engine, example_site, KEY)
    yield services  # type: ignore[misc]
    services.close()


async def _tamper(engine: AsyncEngine, sql: str) -> None:
    """What a DBA with the owner's rights could do: take the triggers away, then edit."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            await conn.execute(text("DROP TRIGGER audit_log_no_update"))
            await conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        await conn.execute(text(sql))


async def _five_entries(staff: StaffServices) -> None:
    for i in range(5):
        await staff.audit.record("login", actor=f"user{i}", target=f"user{i}", address="127.0.0.1")


async def test_the_audit_log_is_append_only(staff: StaffServices, engine: AsyncEngine) -> None:
    await _five_entries(staff)
    for sql in (
        "UPDATE audit_log SET actor = 'someone' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 3",
    ):
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(sql))
    report = await staff.audit.verify()
    assert report.ok and report.entries == 5


@pytest.mark.parametrize(
    ("sql", "first_bad", "reason"),
    [
        ("UPDATE audit_log SET actor = 'someone-else' WHERE id = 3", 3, "changed"),
        ("DELETE FROM audit_log WHERE id = 3", 4, "entry 3 is missing"),
        ("DELETE FROM audit_log WHERE id = 5", None, ""),  # the newest: see below
    ],
)
async def test_the_audit_chain_names_the_first_entry_that_does_not_fit(
    staff: StaffServices, engine: AsyncEngine, sql: str, first_bad: int | None, reason: str
) -> None:
    await _five_entries(staff)
    await _tamper(engine, sql)
    report = await staff.audit.verify()
    assert report.first_bad == first_bad and reason in report.reason
    if first_bad is None:
        # dropping the newest entry leaves a valid shorter chain: the count tells it, and the
        # next entry written (ids continue from the last one kept) would not show it either.
        assert report.entries == 4


async def test_retention_by_age(staff: StaffServices, engine: AsyncEngine) -> None:
    store = CallStore(engine)
    ages = {"old-1": 200, "old-2": 95, "recent": 30, "today": 0}
    for call_id, days in ages.items():
        call = CallRecord(call_id, NOW - timedelta(days=days), caller="+32470123456")
        call.visits.append(
            Visit(
                "onthaal", call.started, 1, call_id, outcome=VisitOutcome.ANSWERED, wait_seconds=5
            )
        )
        call.outcome, call.ended = Outcome.ANSWERED, call.started
        await store.save(call)
    dry = await staff.privacy.retention(NOW, dry_run=True)
    assert dry.pseudonymised == 2
    assert (await store.get("old-1")).caller == "+32470123456"  # a dry run changes nothing
    report = await staff.privacy.retention(NOW, actor="nightly")
    assert report.pseudonymised == 2
    old1, old2, recent = [await store.get(c) for c in ("old-1", "old-2", "recent")]
    assert old1 and old2 and recent
    assert old1.caller == old2.caller == staff.privacy.pseudonym("0470 12 34 56")  # repeat caller
    assert old1.caller.startswith("p:") and "470" not in old1.caller
    assert recent.caller == "+32470123456"
    assert len(await store.all_calls()) == 4 and old1.visits[0].wait_seconds == 5  # figures stay
    assert (await staff.privacy.retention(NOW)).pseudonymised == 0  # idempotent
    entry = (await staff.audit.query(kind="retention"))[-1]  # newest first: the first run
    assert entry.actor == "nightly" and entry.detail["pseudonymised"] == 2


async def test_access_and_erasure(staff: StaffServices, engine: AsyncEngine) -> None:
    store = CallStore(engine)
    for call_id, caller, days in (
        ("a", "+32470111111", 1),
        ("b", "+32470111111", 120),
        ("c", "+32470222222", 1),
    ):
        call = CallRecord(call_id, NOW - timedelta(days=days), caller=caller)
        call.outcome, call.ended = Outcome.ABANDONED, call.started
        await store.save(call)
    await staff.privacy.retention(NOW)  # "b" is pseudonymised by now
    data = await staff.privacy.export("0470 11 11 11", actor="admin1")
    assert [c["call_id"] for c in data["calls"]] == ["b", "a"]  # clear and pseudonymised
    assert data["calls"][1]["caller"] == "+32470111111"
    erased = await staff.privacy.erase("+32 470 11 11 11", actor="admin1")
    assert erased == 2
    assert (await store.get("a")).caller is None and (await store.get("b")).caller is None
    assert (await store.get("c")).caller == "+32470222222"  # someone else's stays
    assert len(await store.all_calls()) == 3  # anonymous counts stay
    assert (await staff.privacy.export("+32470111111"))["calls"] == []
    entries = await staff.audit.query()
    assert {e.kind for e in entries} >= {"privacy-export", "privacy-erase"}
    assert all("470111111" not in (e.target + str(e.detail)) for e in entries)  # no number


async def test_free_text_is_deleted_after_its_days(
    staff: StaffServices, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table that registers its free text (as the question log will) loses it by age."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, insert, select

    from callcenter.staff import privacy

    notes = Table(
        "test_notes",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True)),
        Column("summary", Text, nullable=True),
        Column("topic", Text),
    )
    async with engine.begin() as conn:
        await conn.run_sync(notes.create)
        await conn.execute(
            insert(notes),
            [
                {
                    "id": 1,
                    "at": NOW - timedelta(days=400),
                    "summary": "schulden, 3 kinderen",
                    "topic": "schulden",
                },
                {
                    "id": 2,
                    "at": NOW - timedelta(days=10),
                    "summary": "huurwaarborg",
                    "topic": "wonen",
                },
            ],
        )
    monkeypatch.setattr(
        privacy, "TEXT_COLUMNS", [privacy.TextRetention(notes.c.at, (notes.c.summary,))]
    )
    try:
        assert (await staff.privacy.retention(NOW, dry_run=True)).texts_deleted == 1
        assert (await staff.privacy.retention(NOW)).texts_deleted == 1
        async with engine.connect() as conn:
            rows = (await conn.execute(select(notes).order_by(notes.c.id))).all()
        assert [(r.summary, r.topic) for r in rows] == [
            (None, "schulden"),
            ("huurwaarborg", "wonen"),
        ]
        assert (await staff.privacy.retention(NOW, dry_run=True)).texts_deleted == 0
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(notes.drop)


async def test_a_phone_is_one_asterisk_can_dial(staff: StaffServices) -> None:
    """``PJSIP/201`` and a Local channel with its options (``Local/201@phones/n``) are
    phones; anything else is refused, naming the field."""
    from callcenter.staff.errors import StaffError

    user = await staff.users.add(
        "lien", "Lien", ["agent"], "een lang genoeg wachtwoord", interfaces=["Local/201@phones/n"]
    )
    assert user.interfaces == ("Local/201@phones/n",)
    for bad in ("Local/201", "Local/201@phones/x", "PJSIP/20 1", "pjsip/201", "Local/a@b/n;2"):
        with pytest.raises(StaffError) as err:
            await staff.users.add(
                "x" + str(len(bad)), "X", ["agent"], "een lang wachtwoord!", interfaces=[bad]
            )
        assert err.value.field == "interfaces"
