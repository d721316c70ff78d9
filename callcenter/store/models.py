"""The tables. Times are stored in UTC and always read back aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditRow",
    "Base",
    "CallRow",
    "CallbackAttemptRow",
    "ClaimRow",
    "ClosureRow",
    "ContactChangeRow",
    "ContactRow",
    "DialRow",
    "HandoverRow",
    "IntervalRow",
    "KnownCallerRow",
    "OverrideRow",
    "ProductRow",
    "ReferralRow",
    "RotaExceptionRow",
    "RotaShiftRow",
    "SessionRow",
    "StandInRow",
    "TokenRow",
    "UserRow",
    "UtcDateTime",
    "VisitRow",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused by the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CallRow(Base):
    """One call that entered the central number (a contact)."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    """Asterisk's Linkedid."""
    uniqueid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(128))
    caller: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    digits: Mapped[str | None] = mapped_column(String(8))
    topic: Mapped[str | None] = mapped_column(String(64))
    counter: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(16))
    target_queue: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(16))
    next_open: Mapped[datetime | None] = mapped_column(UtcDateTime())
    route_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    redirected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failsafe: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When the caller asked for a callback in the last resort (the console's callback list)."""
    final_queue: Mapped[str | None] = mapped_column(String(80))
    answered_by: Mapped[str | None] = mapped_column(String(128))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_reason: Mapped[str | None] = mapped_column(String(200))
    legs: Mapped[str] = mapped_column(String(400), default="")
    site: Mapped[str | None] = mapped_column(String(64))
    """A region's municipality whose number was dialled (migration 0018)."""
    worker: Mapped[str | None] = mapped_column(String(128))
    """The phone of the caller's own social worker, rung first (migration 0020)."""
    worker_answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When that worker answered (the call never went to the team's queue then)."""
    """Uniqueids of the call's legs, space-separated, to follow it again after a restart."""

    visits: Mapped[list[VisitRow]] = relationship(
        back_populates="call",
        cascade="all, delete-orphan",
        order_by="VisitRow.joined_at",
        lazy="selectin",
    )

    __table_args__ = (
        # by start time, with what reports group the calls by: a report reads the index alone
        Index(
            "ix_calls_started_route",
            "started_at",
            "counter",
            "topic",
            "digits",
            "target",
            "reason",
            "outcome",
            "failsafe",
            "final_queue",
        ),
        Index("ix_calls_caller_started", "caller", "started_at"),
        Index("ix_calls_open", "outcome", "started_at"),
    )


class VisitRow(Base):
    """One caller in one queue."""

    __tablename__ = "queue_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("calls.call_id", ondelete="CASCADE")
    )
    """The call's Linkedid: the natural key, so visits can be written in bulk."""
    seq: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str | None] = mapped_column(String(64))
    """The call's topic (as ``calls.topic``), kept with each visit for the reports."""
    uniqueid: Mapped[str] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    position: Mapped[int] = mapped_column(Integer)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(128))
    agents_rung: Mapped[int] = mapped_column(Integer, default=0)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    ended_by: Mapped[str | None] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(String(128))
    """The organisation of the user whose phone answered, at that moment (migration 0017)."""
    site: Mapped[str | None] = mapped_column(String(64))
    """Its call's municipality in a region (migration 0018), as ``topic`` its call's topic."""

    call: Mapped[CallRow] = relationship(back_populates="visits")

    __table_args__ = (
        Index("ix_visits_queue_joined", "queue", "joined_at"),
        Index("ix_visits_joined", "joined_at"),
        Index("ix_visits_call", "call_id", "seq", unique=True),
    )


class KnownCallerRow(Base):
    """The consent register of neighbourhood teams (``[teams]``): a citizen's number, given
    with their consent, names their team and perhaps their own social worker (a user's
    login). Kept until ``expires_at`` (the consent's date plus ``register_days``), then
    erased by retention; each read is audited."""

    __tablename__ = "known_callers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caller: Mapped[str] = mapped_column(String(64), unique=True)
    """The number in international form (``+32470123456``)."""
    team: Mapped[str] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(64))
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(80))
    site: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_known_callers_expires", "expires_at"),)


class UserRow(Base):
    """Someone who logs in: agents, counter staff, managers, admins."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    roles: Mapped[str] = mapped_column(String(64), default="")
    """Comma-separated: agent, counter, manager, admin."""
    counters: Mapped[str] = mapped_column(String(1000), default="")
    """Comma-separated counter ids the user belongs to."""
    interfaces: Mapped[str] = mapped_column(String(400), default="")
    """Comma-separated phone interfaces (``PJSIP/201``) the user takes calls on."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set by an admin: the user chooses their own at the next login."""
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    """The desk-phone PIN (Argon2id), for the override feature code."""
    organisation: Mapped[str | None] = mapped_column(String(128))
    """The organisation the user works for (one of the site's): a joint counter's figures
    are split by it."""
    sites: Mapped[str] = mapped_column(String(400), default="")
    """Comma-separated: the region's municipalities the user is limited to (none: all)."""


class SessionRow(Base):
    """A logged-in browser. The cookie holds a random id; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    address: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_sessions_user", "user_id"),)


class TokenRow(Base):
    """A personal API token: shown once, stored as its SHA-256, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_tokens_user", "user_id"),)


class AuditRow(Base):
    """Who did what, when, from where. Append-only (database triggers refuse UPDATE and
    DELETE); each row's ``hash`` covers its content and the previous row's hash."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_kind_at", "kind", "at"),
        Index("ix_audit_actor_at", "actor", "at"),
    )


class OverrideRow(Base):
    """A manager's instruction: a counter (``*``: every counter; ``lighthouse``) closed or
    forced open, from ``starts_at`` until ``ends_at`` (None: until lifted)."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    """``temporary`` (ends by itself at the next scheduled change) or ``emergency``."""
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    """What callers hear (the manager's words)."""
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_overrides_open", "lifted_at", "ends_at"),)


class RotaShiftRow(Base):
    """The weekly pattern of the lighthouse duty: ``user_id`` holds it on ``weekday``
    (0 = Monday) from ``starts`` to ``ends`` (local ``HH:MM``; ``24:00`` is midnight)."""

    __tablename__ = "rota_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[str] = mapped_column(String(5))
    ends: Mapped[str] = mapped_column(String(5))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RotaExceptionRow(Base):
    """A dated exception to the pattern: ``absent`` (leave; the whole day when no times) or
    ``extra`` (an extra shift)."""

    __tablename__ = "rota_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    starts: Mapped[str | None] = mapped_column(String(5))
    ends: Mapped[str | None] = mapped_column(String(5))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_rota_exceptions_day", "day"),)


class HandoverRow(Base):
    """An agent took over the duty ("ik neem de wacht over"), from ``given_by`` (None: from
    nobody), until ``ends_at`` (the end of that shift) or a handback (``ended_at``)."""

    __tablename__ = "duty_handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (Index("ix_duty_handovers_open", "ended_at"),)


class ClosureRow(Base):
    """A planned closure of one or more counters (``scopes``: comma-separated ids, ``*`` for
    all), from ``starts_at`` to ``ends_at``; imported ones name their ``source``."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scopes: Mapped[str] = mapped_column(String(1000))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    all_day: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_by: Mapped[str | None] = mapped_column(String(80))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_closures_open", "deleted_at", "ends_at"),)


class IntervalRow(Base):
    """One queue's figures for one 15-minute interval (visits counted by when they joined),
    with the live staffing seen when the interval closed."""

    __tablename__ = "interval_snapshots"

    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    queued: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    answered_within_sl: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    abandoned_short: Mapped[int] = mapped_column(Integer)
    timeout: Mapped[int] = mapped_column(Integer)
    callback: Mapped[int] = mapped_column(Integer)
    wait_seconds: Mapped[int] = mapped_column(Integer)
    talk_seconds: Mapped[int] = mapped_column(Integer)
    agents_logged_in: Mapped[int | None] = mapped_column(Integer)
    agents_available: Mapped[int | None] = mapped_column(Integer)
    waiting: Mapped[int | None] = mapped_column(Integer)


class ProductRow(Base):
    """A service of the site (productencatalogus): who provides it, words people use for it,
    what to bring."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    counter: Mapped[str] = mapped_column(String(64))
    keywords: Mapped[str] = mapped_column(Text, default="")
    """One per line."""
    bring: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ContactRow(Base):
    """A registered question (klantcontact): what a citizen asked, on a call or at a counter,
    and what came of it. ``caller`` is the number (pseudonymised by retention); ``summary``
    is free text (deleted by retention)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str | None] = mapped_column(String(64))
    caller: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    """``phone`` or ``walk-in``."""
    counter: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    product: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    """``answered``, ``referred``, ``appointment`` or ``callback``."""
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    """The form's or API client's key: the same submission twice is one registration."""
    site: Mapped[str | None] = mapped_column(String(64))
    """A region's municipality: its call's, or its own counter's (migration 0019)."""

    __table_args__ = (
        Index("ix_contacts_caller_created", "caller", "created_at"),
        Index("ux_contacts_author_key", "author", "idempotency_key", unique=True),
        Index("ix_contacts_call", "call_id"),
        Index("ix_contacts_created", "created_at"),
    )


class ContactChangeRow(Base):
    """A contact as it was before an edit (JSON): the history of changes."""

    __tablename__ = "contact_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    before: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_contact_changes_contact", "contact_id"),)


class ReferralRow(Base):
    """A referral (doorverwijzing) of a contact to a counter of the site or an outside
    partner, with what is asked and by when; the receiver reports back (terugkoppeling)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    to_counter: Mapped[str | None] = mapped_column(String(64))
    to_partner: Mapped[str | None] = mapped_column(String(200))
    request: Mapped[str | None] = mapped_column(Text)
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    """``open``, ``contacted``, ``handled``, ``unreachable`` or ``not_for_us``."""
    response: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    by_phone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Passed on by phone from the console (a transfer into the counter's queue), not only
    written down."""

    __table_args__ = (
        Index("ix_referrals_counter_status", "to_counter", "status"),
        Index("ix_referrals_contact", "contact_id"),
    )


class CallbackAttemptRow(Base):
    """An agent called a citizen back for a call that reached nobody; ``result``
    ``reached``, ``no_answer``, ``busy`` or ``wrong_number``."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(80))
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_callback_attempts_call", "call_id"),)


class ClaimRow(Base):
    """A citizen on the callback list taken by an agent ("ik neem dit"): the others see who
    calls them back. Holds no number (the call id points to it)."""

    __tablename__ = "callback_claims"

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(80))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DialRow(Base):
    """A callback Vuurtoren dials by itself (``callcenter/contacts/dialer.py``): a queued
    callback (the caller's place in line, ``position``), a callback request of the last resort
    (at the counter's next opening), or a redial. ``state``: ``waiting`` (for ``next_at``),
    ``in_line`` (a callback waits in the queue, channel ``channel_id``), ``dialing`` (an agent
    took it, the citizen's phone rings), ``reached``, ``given_up`` (after the last attempt:
    the callback list has it) or ``cancelled``. At most one open row per number and queue."""

    __tablename__ = "callback_dials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str | None] = mapped_column(String(64))
    """None after an erasure: nobody left to call."""
    queue: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    """``queued`` or ``opening``."""
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    position: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_callback_dials_state", "state"),
        Index("ix_callback_dials_call", "call_id"),
    )


class StandInRow(Base):
    """A queued callback's stand-in in a queue (``callcenter/contacts/dialer.py``): for
    Asterisk an ordinary visit (``queue_log``, ``queue show``), for Vuurtoren no call. The
    reports show them as their own line, so that a supervisor can reconcile with a
    ``queue_log``-based tool. ``outcome``: ``answered`` (an agent took it and the citizen was
    dialled), ``timeout`` (nobody took it within ``wait_minutes``), ``left`` (it left the
    queue otherwise) or ``lost`` (Asterisk no longer had it after a reconnect). No personal
    data: the request is named by its id."""

    __tablename__ = "callback_stand_ins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_callback_stand_ins_joined", "joined_at"),)


class AgentPeriodRow(Base):
    """A stretch of an agent's day that is not talk: a pause (with its reason) or after-call
    work after a queue call. Written when it ends; holds no personal data."""

    __tablename__ = "agent_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    """``pause`` or ``after_call``."""
    reason: Mapped[str] = mapped_column(String(80))
    """The pause's label as Asterisk had it; for after-call work, the queue."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seconds: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_agent_periods_started", "started_at"),)


class WrapupRow(Base):
    """The wrap-up code an agent chose for a call they answered from a queue: one per call,
    queue and agent (the last choice counts)."""

    __tablename__ = "wrapup_codes"

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    login: Mapped[str] = mapped_column(String(80), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    chosen_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_wrapup_codes_chosen", "chosen_at"),)
