"""The staff services on SQLite and on PostgreSQL: the audit log can only grow and shows
tampering; retention pseudonymises and deletes by age; a caller's data can be exported and
erased, and statistics keep their counts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.services import StaffServices, open_staff
from callcenter.store import CallStore, upgrade
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.site import Site
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

KEY = b"a test pseudonymisation key, not a real one (>=32)"
AUDIT_KEY = b"a test audit chain key, not a real one either (>=32)"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
async def staff(engine: AsyncEngine, example_site: Site, tmp_path: Path) -> StaffServices:
    await upgrade(engine)
    services = open_staff(
        engine,
        example_site,
        KEY,
        audit_key=AUDIT_KEY,
        checkpoints=tmp_path / "audit-checkpoints.jsonl",
    )
    yield services  # type: ignore[misc]
    services.close()


async def _tamper(engine: AsyncEngine, sql: str) -> None:
    """What a DBA with the owner's rights could do: take the triggers away, then edit."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            await conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            await conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
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
        ("UPDATE audit_log SET prev_hash = 'x' WHERE id = 2", 2, "does not follow"),
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
        # dropping the newest entry after the last checkpoint leaves a valid shorter chain
        # (here there is none): what a checkpoint prevents, below
        assert report.entries == 4


async def _reforge(engine: AsyncEngine, entry: int, actor: str, key: bytes | None) -> None:
    """Rewrite one entry and recompute the chain from there on, as someone who can write
    the database would: with a key of their own (or none), not the service's."""
    from sqlalchemy import select

    from callcenter.staff.audit import _digest
    from callcenter.store.models import AuditRow

    async with engine.connect() as conn:
        rows = (await conn.execute(select(AuditRow).order_by(AuditRow.id))).all()
    await _tamper(engine, "SELECT 1")
    prev = rows[entry - 2].hash if entry > 1 else "0" * 64
    async with engine.begin() as conn:
        for r in rows[entry - 1 :]:
            who = actor if r.id == entry else r.actor
            digest = _digest(key, r.id, r.at, who, r.kind, r.target, r.detail, r.address, prev)
            await conn.execute(
                text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE id = :i"),
                {"a": who, "p": prev, "h": digest, "i": r.id},
            )
            prev = digest


@pytest.mark.parametrize("forger_key", [None, b"someone else's key of 32 characters or more"])
async def test_a_rewritten_entry_with_the_chain_recomputed_is_seen(
    staff: StaffServices, engine: AsyncEngine, forger_key: bytes | None
) -> None:
    """Issue 24, point 5: the chain is keyed, so recomputing it without the key fails."""
    await _five_entries(staff)
    await _reforge(engine, 3, "someone-else", forger_key)
    report = await staff.audit.verify()
    assert report.first_bad == 3 and "key" in report.reason
    # the same forgery with the service's key would pass: the key is what protects
    await _reforge(engine, 3, "someone-else", AUDIT_KEY)
    assert (await staff.audit.verify()).ok


@pytest.mark.parametrize("cut", [1, 20])
async def test_entries_cut_off_the_end_are_seen_at_the_checkpoint(
    staff: StaffServices, engine: AsyncEngine, cut: int
) -> None:
    """Point 5: the last 1 or 20 entries deleted. The head anchored in the checkpoint file
    is gone, and verify says so; entries after the last checkpoint are not covered."""
    for i in range(30):
        await staff.audit.record("login", actor=f"user{i}", target=f"user{i}")
    assert await staff.audit.checkpoint() == (30, (await staff.audit.query(limit=1))[0].hash)
    assert (await staff.audit.verify()).ok and (await staff.audit.verify()).checkpoints == 1
    await _tamper(engine, f"DELETE FROM audit_log WHERE id > {30 - cut}")
    report = await staff.audit.verify()
    assert report.first_bad == 30 and "cut off" in report.reason
    assert f"ends at {30 - cut}" in report.reason


async def test_a_checkpoint_written_without_the_key_is_refused(
    staff: StaffServices, tmp_path: Path
) -> None:
    await _five_entries(staff)
    await staff.audit.checkpoint()
    path = tmp_path / "audit-checkpoints.jsonl"
    point = json.loads(path.read_text())
    point["entry"] = 4  # moved back, as if the log had been cut to 4 and the file adjusted
    path.write_text(json.dumps(point) + "\n")
    with pytest.raises(ValueError, match="MAC does not hold"):
        await staff.audit.verify()


async def test_entries_from_before_the_key_are_accepted_at_the_start_only(
    engine: AsyncEngine, example_site: Site
) -> None:
    """An installation that ran before the chain was keyed: its first entries verify as
    they are (and are counted); an unkeyed entry after a keyed one does not."""
    await upgrade(engine)
    old = open_staff(engine, example_site, KEY)  # no key, as before
    await _five_entries(old)
    new = open_staff(engine, example_site, KEY, audit_key=AUDIT_KEY)
    await new.audit.record("login", actor="after", target="after")
    report = await new.audit.verify()
    assert report.ok and report.unkeyed == 5 and report.entries == 6
    await old.audit.record("login", actor="unkeyed-again", target="x")
    report = await new.audit.verify()
    assert report.first_bad == 7


async def test_concurrent_writers_each_leave_their_entry(
    database_url: str, engine: AsyncEngine, example_site: Site
) -> None:
    """Point 6: 24 writers at once, each with its own connection pool (as the command line
    beside ``serve`` and web requests are): every action is stored with its entry, and the
    chain is whole."""
    from callcenter.planning.overrides import OverrideStore
    from callcenter.store import open_engine

    await upgrade(engine)
    engines = [open_engine(database_url) for _ in range(24)]
    try:
        stores = [
            OverrideStore(
                e,
                open_staff(e, example_site, KEY, audit_key=AUDIT_KEY).audit,
                example_site,
                lambda: NOW,
            )
            for e in engines
        ]
        counters = [c.id for c in example_site.counters]

        async def one(i: int) -> None:
            await stores[i].set(
                counters[i % len(counters)], "open", actor=f"writer{i}", reason=f"test {i}"
            )

        results = await asyncio.gather(*(one(i) for i in range(24)), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
    finally:
        for e in engines:
            await e.dispose()
    audit = open_staff(engine, example_site, KEY, audit_key=AUDIT_KEY).audit
    entries = await audit.query(kind="override")
    assert sorted(e.actor or "" for e in entries) == sorted(f"writer{i}" for i in range(24))
    assert (await audit.verify()).ok


async def test_an_action_whose_entry_cannot_be_written_is_not_stored(
    staff: StaffServices, engine: AsyncEngine, example_site: Site
) -> None:
    """Point 6: the action and its audit entry commit together, or neither does."""
    from callcenter.planning.overrides import OverrideStore

    store = OverrideStore(engine, staff.audit, example_site, lambda: NOW)
    await _five_entries(staff)

    async def fails(*args: object) -> None:
        raise OSError("no space left on device")  # the database failing the entry's insert

    staff.audit._append = fails  # type: ignore[method-assign]
    with pytest.raises(OSError, match="no space left"):
        await store.set("sociale-dienst", "closed", actor="mia", reason="test")
    del staff.audit._append
    assert await store.load(NOW) == []  # the override was not stored either
    assert await staff.audit.count() == 5 and (await staff.audit.verify()).ok
    await store.set("sociale-dienst", "closed", actor="mia", reason="test")
    assert len(await store.load(NOW)) == 1 and await staff.audit.count() == 6


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


SUMMARY = "Mevrouw Janssens vraagt leefloon; haar man is vertrokken."


async def _everything_about(engine: AsyncEngine, number: str) -> None:
    """A caller in every table that can hold their data: a call with a queue visit, a
    registration with a referral and an earlier version, a callback dial with its stand-in
    and an agent's attempt note."""
    from datetime import date

    from sqlalchemy.ext.asyncio import async_sessionmaker

    from callcenter.store.models import (
        CallbackAttemptRow,
        ContactChangeRow,
        ContactRow,
        DialRow,
        ReferralRow,
        StandInRow,
    )

    store = CallStore(engine)
    call_id = f"700.{number[-1]}"
    call = CallRecord(call_id, NOW - timedelta(days=2), caller=number)
    call.visits.append(Visit("onthaal", call.started, 1, call_id, outcome=VisitOutcome.ABANDONED))
    call.outcome, call.ended = Outcome.ABANDONED, call.started
    await store.save(call)
    async with async_sessionmaker(engine).begin() as s:
        contact = ContactRow(
            call_id=call_id,
            caller=number,
            channel="phone",
            topic="financiele-hulp",
            category="inkomen",
            summary=SUMMARY,
            outcome="referred",
            author="an",
            created_at=NOW,
        )
        s.add(contact)
        await s.flush()
        s.add(
            ReferralRow(
                contact_id=contact.id,
                to_counter="sociale-dienst",
                request="Leefloon nakijken",
                response="Afspraak dinsdag",
                due=date(2026, 11, 30),
                status="handled",
                created_by="an",
                created_at=NOW,
            )
        )
        s.add(
            ContactChangeRow(
                contact_id=contact.id,
                at=NOW,
                actor="an",
                before='{"summary": "Janssens, leefloon"}',
            )
        )
        dial = DialRow(
            call_id=call_id,
            caller=number,
            queue="onthaal",
            kind="queued",
            requested_at=NOW,
            state="reached",
            attempts=1,
            updated_at=NOW,
        )
        s.add(dial)
        await s.flush()
        s.add(StandInRow(request_id=dial.id, queue="onthaal", joined_at=NOW, outcome="answered"))
        s.add(
            CallbackAttemptRow(
                call_id=call_id,
                at=NOW,
                actor="an",
                result="reached",
                note="Janssens teruggebeld, is ziek",
            )
        )


async def test_the_right_of_access_gives_every_table(
    staff: StaffServices, engine: AsyncEngine
) -> None:
    """Issue 24, point 7: the export holds everything stored about the number, each table
    named: referrals, earlier versions and callback notes too."""
    await _everything_about(engine, "+32470111111")
    data = await staff.privacy.export("0470 11 11 11", actor="admin1")
    assert [c["call_id"] for c in data["calls"]] == ["700.1"]  # the number's last digit
    assert data["calls"][0]["visits"][0]["queue"] == "onthaal"
    assert data["contacts"][0]["summary"] == SUMMARY
    assert data["referrals"][0]["response"] == "Afspraak dinsdag"
    assert "Janssens, leefloon" in data["contact_changes"][0]["before"]
    assert data["callback_dials"][0]["state"] == "reached"
    assert data["callback_stand_ins"][0]["outcome"] == "answered"
    assert data["callback_attempts"][0]["note"] == "Janssens teruggebeld, is ziek"
    other = await staff.privacy.export("+32470999999")
    assert all(other[k] == [] for k in other if k not in ("caller", "pseudonym"))


def test_every_table_that_can_hold_a_callers_data_is_exported() -> None:
    """A new table with a caller, call, contact or callback reference must be added to the
    export (``CALLER_COLUMNS`` or ``LINKED`` in callcenter/staff/privacy.py) or listed here
    with the reason it holds nothing of a caller."""
    from callcenter.staff.privacy import CALLER_COLUMNS, CONSENTED, LINKED
    from callcenter.store.models import Base

    exported = {"calls", "queue_visits"} | {c.caller.table.name for c in CALLER_COLUMNS}
    exported |= {c.caller.table.name for c in CONSENTED}
    exported |= {link.column.table.name for link in LINKED}
    nothing_of_a_caller = {"audit_log": "names callers by pseudonym only, and is kept whole"}
    references = {"caller", "call_id", "contact_id", "request_id", "linkedid", "number"}
    holding = {
        t.name for t in Base.metadata.sorted_tables if references & {c.name for c in t.columns}
    }
    assert holding - exported - set(nothing_of_a_caller) == set()


@pytest.mark.parametrize("texts", [True, False])
async def test_erasure_clears_the_texts_by_default(
    staff: StaffServices, engine: AsyncEngine, texts: bool, database_url: str
) -> None:
    """Point 8: the summaries and notes name the person; erasure clears them unless asked
    to keep them; on SQLite nothing of them stays in the database files."""
    await _everything_about(engine, "+32470111111")
    await _everything_about(engine, "+32470222222")  # someone else
    assert await staff.privacy.erase("+32 470 11 11 11", texts=texts, actor="admin1") == 1
    data = await staff.privacy.export("+32470111111")
    assert data["calls"] == [] and data["contacts"] == []  # the number is gone
    async with engine.connect() as conn:
        summaries = [
            r[0] for r in await conn.execute(text("SELECT summary FROM contacts ORDER BY id"))
        ]
        notes = [
            r[0] for r in await conn.execute(text("SELECT note FROM callback_attempts ORDER BY id"))
        ]
        requests = [
            r[0] for r in await conn.execute(text("SELECT request FROM referrals ORDER BY id"))
        ]
    if texts:
        assert summaries == [None, SUMMARY] and notes[0] is None and requests[0] is None
    else:
        assert summaries == [SUMMARY, SUMMARY] and notes[0] is not None
    entry = (await staff.audit.query(kind="privacy-erase"))[0]
    assert entry.detail["texts"] is texts
    if texts and database_url.startswith("sqlite"):
        await engine.dispose()  # every connection closed: the files are what stays
        path = Path(database_url.split("///", 1)[1])
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert raw.count(b"+32470111111") == 0
        assert raw.count(b"teruggebeld") == 1  # only the other caller's note


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "123456789012",
        " " * 12,
        "wachtwoord123",
        "Welkom2026!!",
        "lien-peeters",  # her own name and login
        "vuurtoren2026",
    ],
)
async def test_common_and_guessable_passwords_are_refused(
    staff: StaffServices, password: str
) -> None:
    """Issue 24, point 15: twelve characters are not enough; a strength estimator (zxcvbn)
    with a Dutch list of common words refuses what is easy to guess, and says why in
    Dutch."""
    from callcenter.staff.errors import StaffError

    with pytest.raises(StaffError) as err:
        await staff.users.add("lien", "Lien Peeters", ["agent"], password)
    assert err.value.field == "password" and err.value.id == "weak-password"
    assert "te makkelijk te raden" in err.value.message
    assert await staff.users.list() == []


async def test_a_good_passphrase_is_accepted_and_none_is_cut_short(
    staff: StaffServices,
) -> None:
    from callcenter.staff.errors import StaffError

    user = await staff.users.add("lien", "Lien", ["agent"], "kast ballon fiets regenjas")
    assert await staff.users.password_matches(user.id, "kast ballon fiets regenjas")
    long = "kast ballon fiets regenjas " * 10  # 270 characters: refused, not shortened
    with pytest.raises(StaffError) as err:
        await staff.users.set_password(user.id, long)
    assert err.value.field == "password" and "te lang" in err.value.message
