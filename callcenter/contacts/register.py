"""The question log: every question registered with its outcome, referral and follow-up, so
a citizen tells the story once.

- A *contact* (klantcontact) is one question: on a call (with the call id) or at a counter (a
  walk-in), its topic, a category, optionally the product asked about, a short summary and the
  outcome: answered directly, referred, appointment made, callback needed.
- A *referral* (doorverwijzing) sends it to a counter of the site or an outside partner, with
  what is asked and by when. The receiving counter reports back (terugkoppeling): contacted,
  handled, not reachable, or not for us (and referred on); then the loop is closed.
- A caller's history (their last contacts with referrals and follow-up) is read on every call;
  each reading is audited. Edits keep the version before them.

Numbers are stored in one form (``+32470123456``); retention pseudonymises them after the
site's term and deletes the free text (``callcenter/staff/privacy.py`` lists these columns).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.contacts.catalog import Catalog
from callcenter.contacts.scope import CallTrail, may_read_contact, may_see_call
from callcenter.infra.csvout import to_csv
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.privacy import Privacy, normalise_number
from callcenter.staff.stores import SiteStore
from callcenter.staff.users import User
from callcenter.store.models import CallRow, ContactChangeRow, ContactRow, ReferralRow, VisitRow
from routing.site import Site

__all__ = [
    "CATEGORIES",
    "OUTCOMES",
    "REFERRAL_STATES",
    "Contact",
    "Referral",
    "Register",
]

OUTCOMES = {
    "answered": "Direct beantwoord",
    "referred": "Doorverwezen",
    "appointment": "Afspraak gemaakt",
    "callback": "Terugbellen nodig",
}
REFERRAL_STATES = {
    "open": "Open",
    "contacted": "Contact opgenomen",
    "handled": "Afgehandeld",
    "unreachable": "Niet bereikbaar",
    "not_for_us": "Niet voor ons",
}
CLOSED_STATES = frozenset({"handled", "unreachable", "not_for_us"})
CATEGORIES = {
    "inkomen": "Inkomen en financiële hulp",
    "schulden": "Schulden en budget",
    "wonen": "Wonen",
    "gezin": "Gezin en kinderen",
    "werk": "Werk, opleiding en taal",
    "zorg": "Zorg en gezondheid",
    "welzijn": "Welzijn en relaties",
    "administratie": "Administratie en papieren",
    "andere": "Andere",
}
DEFAULT_DUE_DAYS = 5
MAX_TEXT = 1000
HISTORY = 20


@dataclass(slots=True)
class Referral:
    id: int
    contact_id: int
    to_counter: str | None
    to_partner: str | None
    request: str | None
    due: date
    status: str
    response: str | None
    created_by: str
    created_at: datetime
    updated_by: str | None = None
    updated_at: datetime | None = None
    by_phone: bool = False
    """Passed on by phone (a transfer from the console), not only written down."""

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATES

    def overdue(self, today: date) -> bool:
        return not self.closed and self.due < today

    def as_json(self, today: date | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "contact_id": self.contact_id,
            "to_counter": self.to_counter,
            "to_partner": self.to_partner,
            "request": self.request,
            "due": self.due.isoformat(),
            "status": self.status,
            "response": self.response,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "overdue": None if today is None else self.overdue(today),
            "by_phone": self.by_phone,
        }


@dataclass(slots=True)
class Contact:
    id: int
    call_id: str | None
    caller: str | None
    channel: str
    counter: str | None
    topic: str
    category: str
    product: str | None
    summary: str | None
    outcome: str
    author: str
    created_at: datetime
    updated_by: str | None = None
    updated_at: datetime | None = None
    referrals: list[Referral] = field(default_factory=list)
    site: str | None = None
    """A region's municipality: its call's, or its own counter's."""
    replayed: bool = False
    """Registered before under the same idempotency key: this is that registration."""

    def as_json(self, today: date | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "call_id": self.call_id,
            "caller": self.caller,
            "channel": self.channel,
            "counter": self.counter,
            "topic": self.topic,
            "category": self.category,
            "product": self.product,
            "summary": self.summary,
            "outcome": self.outcome,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "referrals": [r.as_json(today) for r in self.referrals],
        }


def _in_sites(sites: Sequence[str]) -> tuple[Any, ...]:
    """The condition that keeps a limited user's registrations (none for a user limited to
    no municipality)."""
    return (ContactRow.site.in_(list(sites)),) if sites else ()


def _contact(row: ContactRow, referrals: Iterable[ReferralRow] = ()) -> Contact:
    return Contact(
        row.id,
        row.call_id,
        row.caller,
        row.channel,
        row.counter,
        row.topic,
        row.category,
        row.product,
        row.summary,
        row.outcome,
        row.author,
        row.created_at,
        row.updated_by,
        row.updated_at,
        [_referral(r) for r in referrals],
        row.site,
    )


def _referral(row: ReferralRow) -> Referral:
    return Referral(
        row.id,
        row.contact_id,
        row.to_counter,
        row.to_partner,
        row.request,
        row.due,
        row.status,
        row.response,
        row.created_by,
        row.created_at,
        row.updated_by,
        row.updated_at,
        bool(row.by_phone),
    )


def _text(value: object, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    if value is None or value == "":
        if required:
            raise StaffError("invalid-field", "Vul dit in.", field=name)
        return None
    if not isinstance(value, str):
        raise StaffError("invalid-field", "Tekst verwacht.", field=name)
    text = " ".join(value.split())
    if len(text) > limit or any(not ch.isprintable() for ch in text):
        raise StaffError(
            "invalid-field", f"Ten hoogste {limit} tekens, zonder stuurtekens.", field=name
        )
    return text or None


def _idempotency_key(value: object) -> str | None:
    """A client's key for one submission: 8 to 64 letters, digits, ``-`` or ``_``."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", value):
        raise StaffError(
            "invalid-field",
            "De sleutel van het formulier is ongeldig (8 tot 64 letters, cijfers, - of _).",
            field="idempotency_key",
        )
    return value


def _choice(value: object, name: str, allowed: Mapping[str, str] | Iterable[str]) -> str:
    options = list(allowed)
    if not isinstance(value, str) or value not in options:
        raise StaffError("invalid-field", f"Kies uit: {', '.join(options)}.", field=name)
    return value


class Register(SiteStore):
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        catalog: Catalog,
        privacy: Privacy,
        clock: Callable[[], datetime] | None = None,
        live: Callable[[str], CallTrail | None] = lambda call_id: None,
        member_of: Callable[[Iterable[str]], Iterable[str]] = lambda phones: (),
    ) -> None:
        """``live``: where a call still up has been (the tracker's view); ``member_of``: the
        queues some phones are members of now."""
        super().__init__(engine, audit, site, clock)
        self.catalog = catalog
        self.privacy = privacy
        self.live = live
        self.member_of = member_of

    async def _trail(self, session: Any, call: CallRow) -> CallTrail:
        visits = list(
            await session.scalars(select(VisitRow).where(VisitRow.call_id == call.call_id))
        )
        queues = {v.queue for v in visits} | {q for q in (call.target_queue, call.final_queue) if q}
        phones = {v.agent for v in visits if v.agent} | (
            {call.answered_by} if call.answered_by else set()
        )
        live = self.live(call.call_id)
        if live is not None:
            queues |= live.queues
            phones |= live.phones
        return CallTrail(
            frozenset(queues),
            frozenset(phones),
            call.counter or (live.counter if live else None),
            call.site or (live.site if live else None),
        )

    def _walk_in_site(self, user: User, counter: str | None) -> str | None:
        """A walk-in's municipality: its counter's own; at a shared counter, that of the user
        who registers it when they belong to one (else none: the region's)."""
        own = self.site.site_of_counter(counter or "")
        return own or (user.sites[0] if len(user.sites) == 1 else None)

    def _readable(self, user: User, contact: Contact) -> bool:
        return may_read_contact(
            user,
            contact.author,
            contact.counter,
            [r.to_counter for r in contact.referrals],
            contact.site,
        )

    def today(self) -> date:
        return self.now().astimezone(self.site.zone).date()

    # -- checking ------------------------------------------------------------------------------
    def _number(self, value: object) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            raise StaffError("invalid-field", "Een telefoonnummer verwacht.", field="caller")
        self.privacy.forms(value)  # refuses what is no number, naming the field
        return normalise_number(value, self.privacy.country)

    def _referral_values(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        counters = {c.id for c in self.site.counters}
        to_counter = raw.get("to_counter") or None
        to_partner = _text(raw.get("to_partner"), "to_partner", limit=200)
        if to_counter is not None and to_counter not in counters:
            raise StaffError("invalid-field", f"Onbekend loket {to_counter!r}.", field="to_counter")
        if (to_counter is None) == (to_partner is None):
            raise StaffError(
                "invalid-field",
                "Verwijs naar een loket of naar een partner (één van beide).",
                field="to_counter",
            )
        due = raw.get("due")
        if due in (None, ""):
            due_day = self.today() + timedelta(days=DEFAULT_DUE_DAYS)
        else:
            try:
                due_day = date.fromisoformat(str(due))
            except ValueError:
                raise StaffError(
                    "invalid-field", f"{due!r} is geen datum (jjjj-mm-dd).", field="due"
                ) from None
            if due_day < self.today():
                raise StaffError("invalid-field", "De termijn ligt in het verleden.", field="due")
        return {
            "to_counter": to_counter,
            "to_partner": to_partner,
            "request": _text(raw.get("request"), "request"),
            "due": due_day,
        }

    def _values(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        topics = {t.id for t in self.site.topics}
        product = raw.get("product") or None
        if product is not None and product not in self.catalog.products:
            raise StaffError("invalid-field", f"Onbekend product {product!r}.", field="product")
        return {
            "topic": _choice(raw.get("topic"), "topic", sorted(topics)),
            "category": _choice(raw.get("category"), "category", CATEGORIES),
            "product": product,
            "summary": _text(raw.get("summary"), "summary"),
            "outcome": _choice(raw.get("outcome"), "outcome", OUTCOMES),
        }

    # -- registering -----------------------------------------------------------------------------
    async def register(
        self,
        user: User,
        raw: Mapping[str, Any],
        *,
        address: str | None = None,
        by_phone: bool = False,
    ) -> Contact:
        """Register a question (``raw``: topic, category, product, summary, outcome, and
        ``call_id`` on a call or ``counter`` for a walk-in; ``referral`` when referred).
        :class:`StaffError` names the first bad field; nothing is stored then."""
        key = _idempotency_key(raw.get("idempotency_key"))
        if key is not None:
            earlier = await self._by_key(user.login, key)
            if earlier is not None:
                return earlier
        values = self._values(raw)
        call_id = raw.get("call_id") or None
        caller = self._number(raw.get("caller"))
        counter = raw.get("counter") or None
        site_of_call: str | None = None
        async with self.sessions() as session:
            if call_id is not None:
                call = await session.scalar(select(CallRow).where(CallRow.call_id == call_id))
                site_of_call = call.site if call is not None else None
                # a call the user may not see answers as one that does not exist: call ids
                # are sequential, and neither a number nor a call's existence may be fished
                if call is None or not may_see_call(
                    user,
                    await self._trail(session, call),
                    self.site,
                    self.member_of(user.interfaces),
                ):
                    raise StaffError(
                        "invalid-field", f"Geen oproep {call_id!r} die u mag zien.", field="call_id"
                    )
                if call.caller is not None:
                    # the caller comes from the call: a form that names another number is
                    # about another citizen
                    if caller is not None and caller != call.caller:
                        raise StaffError(
                            "invalid-field",
                            "Dit nummer is niet dat van de oproep: de vraag hoort bij een "
                            "andere burger.",
                            field="caller",
                        )
                    caller = call.caller
        if call_id is None:
            if counter is None or counter not in {c.id for c in self.site.counters}:
                raise StaffError(
                    "invalid-field", "Een vraag aan de balie hoort bij een loket.", field="counter"
                )
            if not (user.has("manager") or counter in user.counters):
                raise StaffError(
                    "not-your-counter", "U werkt niet aan dat loket.", field="counter", status=403
                )
        referral = raw.get("referral")
        referral_values: dict[str, Any] = {}
        if values["outcome"] == "referred":
            if not isinstance(referral, Mapping):
                raise StaffError(
                    "invalid-field", "Een doorverwijzing zegt naar wie.", field="referral"
                )
            referral_values = self._referral_values(referral)
            referral_values["by_phone"] = by_phone
        elif referral:
            raise StaffError(
                "invalid-field",
                "Alleen bij 'doorverwezen' hoort een doorverwijzing.",
                field="referral",
            )
        now = self.now()
        row = ContactRow(
            call_id=call_id,
            caller=caller,
            channel="phone" if call_id else "walk-in",
            counter=counter,
            site=site_of_call if call_id else self._walk_in_site(user, counter),
            author=user.login,
            created_at=now,
            idempotency_key=key,
            **values,
        )
        try:
            return await self._insert(user, row, referral_values, address)
        except IntegrityError:
            earlier = await self._by_key(user.login, key) if key is not None else None
            if earlier is None:
                raise
            return earlier  # the same submission, a moment earlier, in another request

    async def _by_key(self, author: str, key: str) -> Contact | None:
        async with self.sessions() as session:
            found = await session.scalar(
                select(ContactRow.id).where(
                    ContactRow.author == author, ContactRow.idempotency_key == key
                )
            )
        if found is None:
            return None
        contact = await self.get(found)
        contact.replayed = True
        return contact

    async def _insert(
        self,
        user: User,
        row: ContactRow,
        referral_values: dict[str, Any],
        address: str | None,
    ) -> Contact:
        """The registration, its referral (when ``referral_values``) and its audit entry, in
        one transaction."""
        now = row.created_at
        referral_rows: list[ReferralRow] = []
        async with self.sessions.begin() as session:
            session.add(row)
            await session.flush()
            if referral_values:
                referral_rows.append(
                    ReferralRow(
                        contact_id=row.id,
                        status="open",
                        created_by=user.login,
                        created_at=now,
                        **referral_values,
                    )
                )
                session.add_all(referral_rows)
            await self.audit.record(
                "registration",
                actor=user.login,
                target=str(row.id),
                detail={
                    "call_id": row.call_id,
                    "outcome": row.outcome,
                    "referred_to": [r.to_counter or r.to_partner for r in referral_rows],
                },
                address=address,
                session=session,
            )
        return _contact(row, referral_rows)

    async def read(self, user: User, contact_id: int, *, address: str | None = None) -> Contact:
        """A registration as ``user`` may read it (:mod:`callcenter.contacts.scope`); one
        they may not is answered as one that does not exist. Audited."""
        contact = await self.get(contact_id)
        if not self._readable(user, contact):
            raise StaffError(
                "contact-not-found", f"Registratie {contact_id} bestaat niet.", status=404
            )
        await self._audit_read(user, [contact], "registration", address)
        return contact

    async def _audit_read(
        self, user: User, contacts: list[Contact], what: str, address: str | None
    ) -> None:
        callers = sorted({self.privacy.pseudonym(c.caller) for c in contacts if c.caller})
        await self.audit.record(
            "contact-read",
            actor=user.login,
            target=callers[0] if len(callers) == 1 else f"{len(callers)} bellers",
            detail={"what": what, "contacts": [c.id for c in contacts], "callers": callers},
            address=address,
        )

    async def get(self, contact_id: int) -> Contact:
        async with self.sessions() as session:
            row = await session.get(ContactRow, contact_id)
            if row is None:
                raise StaffError(
                    "contact-not-found", f"Registratie {contact_id} bestaat niet.", status=404
                )
            refs = await session.scalars(
                select(ReferralRow)
                .where(ReferralRow.contact_id == contact_id)
                .order_by(ReferralRow.id)
            )
            return _contact(row, refs)

    async def edit(
        self, user: User, contact_id: int, raw: Mapping[str, Any], *, address: str | None = None
    ) -> Contact:
        """Change a registration (its author or a manager); the version before is kept."""
        current = await self.get(contact_id)
        if current.author != user.login and not user.has("manager"):
            raise StaffError(
                "not-yours", "Alleen wie registreerde (of een manager) past dit aan.", status=403
            )
        merged = {
            "topic": current.topic,
            "category": current.category,
            "product": current.product,
            "summary": current.summary,
            "outcome": current.outcome,
            **raw,
        }
        values = self._values(merged)
        now = self.now()
        async with self.sessions.begin() as session:
            row = await session.get(ContactRow, contact_id)
            assert row is not None
            before = {k: getattr(row, k) for k in values}
            session.add(
                ContactChangeRow(
                    contact_id=contact_id,
                    at=now,
                    actor=user.login,
                    before=json.dumps(before, ensure_ascii=False),
                )
            )
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_by, row.updated_at = user.login, now
            await self.audit.record(
                "registration",
                actor=user.login,
                target=str(contact_id),
                detail={"edited": sorted(k for k in values if values[k] != before[k])},
                address=address,
                session=session,
            )
        return await self.get(contact_id)

    async def changes(
        self, user: User, contact_id: int, *, address: str | None = None
    ) -> list[dict[str, Any]]:
        """The earlier versions of a registration (its author and managers). Audited."""
        contact = await self.get(contact_id)
        if not self._readable(user, contact):
            raise StaffError(
                "contact-not-found", f"Registratie {contact_id} bestaat niet.", status=404
            )
        if contact.author != user.login and not user.has("manager"):
            raise StaffError(
                "not-yours", "Alleen de auteur en managers zien de wijzigingen.", status=403
            )
        await self._audit_read(user, [contact], "changes", address)
        async with self.sessions() as session:
            rows = await session.scalars(
                select(ContactChangeRow)
                .where(ContactChangeRow.contact_id == contact_id)
                .order_by(ContactChangeRow.id)
            )
            return [
                {
                    "at": r.at.isoformat(),
                    "actor": r.actor,
                    "before": json.loads(r.before) if r.before else None,
                }
                for r in rows
            ]

    # -- a caller's history --------------------------------------------------------------------
    async def history(
        self,
        number: str,
        *,
        actor: str,
        address: str | None = None,
        limit: int = HISTORY,
        sites: Sequence[str] = (),
    ) -> list[Contact]:
        """The caller's latest contacts, newest first, with referrals and follow-up (their
        number in any form, or its pseudonym after retention). Audited. ``sites``: a limited
        user's municipalities: only theirs."""
        forms = self.privacy.forms(number)
        async with self.sessions() as session:
            rows = list(
                await session.scalars(
                    select(ContactRow)
                    .where(ContactRow.caller.in_(forms), *_in_sites(sites))
                    .order_by(ContactRow.created_at.desc())
                    .limit(limit)
                )
            )
            refs: dict[int, list[ReferralRow]] = {}
            if rows:
                for ref in await session.scalars(
                    select(ReferralRow).where(ReferralRow.contact_id.in_([r.id for r in rows]))
                ):
                    refs.setdefault(ref.contact_id, []).append(ref)
        await self.audit.record(
            "history-read",
            actor=actor,
            target=self.privacy.pseudonym(number),
            detail={"contacts": len(rows)},
            address=address,
        )
        return [_contact(r, sorted(refs.get(r.id, []), key=lambda x: x.id)) for r in rows]

    # -- export ----------------------------------------------------------------------------------
    async def export_csv(
        self,
        start: datetime,
        end: datetime,
        *,
        actor: str,
        excel: bool = False,
        address: str | None = None,
        sites: Sequence[str] = (),
    ) -> str:
        """The question log of ``[start, end)`` as CSV (managers), one row per contact with
        its latest referral. The caller appears only as a pseudonym: a spreadsheet leaves the
        system's access rules and retention behind. Audited. ``sites``: a limited manager's
        municipalities: only theirs."""
        async with self.sessions() as session:
            contacts = list(
                await session.scalars(
                    select(ContactRow)
                    .where(
                        ContactRow.created_at >= start,
                        ContactRow.created_at < end,
                        *_in_sites(sites),
                    )
                    .order_by(ContactRow.created_at)
                )
            )
            refs: dict[int, ReferralRow] = {}
            if contacts:
                for ref in await session.scalars(
                    select(ReferralRow)
                    .where(ReferralRow.contact_id.in_([c.id for c in contacts]))
                    .order_by(ReferralRow.id)
                ):
                    refs[ref.contact_id] = ref
        header = [
            "id",
            "tijdstip",
            "kanaal",
            "loket",
            "onderwerp",
            "categorie",
            "product",
            "uitkomst",
            "samenvatting",
            "doorverwezen naar",
            "termijn",
            "status",
            "registratie door",
            "beller (pseudoniem)",
        ]
        rows = []
        for c in contacts:
            r = refs.get(c.id)
            rows.append(
                [
                    c.id,
                    c.created_at.astimezone(self.site.zone).isoformat(timespec="seconds"),
                    c.channel,
                    c.counter or "",
                    c.topic,
                    c.category,
                    c.product or "",
                    c.outcome,
                    c.summary or "",
                    (r.to_counter or r.to_partner or "") if r else "",
                    r.due.isoformat() if r else "",
                    r.status if r else "",
                    c.author,
                    self.privacy.pseudonym(c.caller) if c.caller else "",
                ]
            )
        await self.audit.record(
            "export",
            actor=actor,
            target="contacts",
            detail={
                "rows": len(contacts),
                "from": start.isoformat(),
                "to": end.isoformat(),
                "excel": excel,
            },
            address=address,
        )
        return to_csv(header, rows, excel=excel)

    # -- referrals and follow-up -----------------------------------------------------------------
    async def referrals(
        self, user: User, *, status: str = "open", address: str | None = None
    ) -> list[tuple[Referral, Contact]]:
        """Referrals the user may see: counter staff their counters' incoming ones, agents the
        ones they made, managers all; ``status`` ``open`` (not closed), ``overdue`` or ``all``."""
        _choice(status, "status", ("open", "overdue", "all"))
        stmt = select(ReferralRow, ContactRow).join(
            ContactRow, ContactRow.id == ReferralRow.contact_id
        )
        if not user.has("manager"):
            stmt = stmt.where(
                or_(
                    ReferralRow.to_counter.in_(user.counters if user.has("counter") else ()),
                    ReferralRow.created_by == user.login,
                )
            )
        stmt = stmt.where(*_in_sites(user.sites))
        if status != "all":
            stmt = stmt.where(ReferralRow.status.not_in(sorted(CLOSED_STATES)))
        if status == "overdue":
            stmt = stmt.where(ReferralRow.due < self.today())
        async with self.sessions() as session:
            rows = (await session.execute(stmt.order_by(ReferralRow.due, ReferralRow.id))).all()
        found = [(_referral(r), _contact(c)) for r, c in rows]
        if found:
            unique = {c.id: c for _, c in found}
            await self._audit_read(user, list(unique.values()), "referrals", address)
        return found

    async def overdue_count(self, referrer: str | None = None) -> int:
        """Open referrals past their due date: those ``referrer`` made, or all (None)."""
        stmt = (
            select(func.count())
            .select_from(ReferralRow)
            .where(ReferralRow.status.not_in(sorted(CLOSED_STATES)), ReferralRow.due < self.today())
        )
        if referrer is not None:
            stmt = stmt.where(ReferralRow.created_by == referrer)
        async with self.sessions() as session:
            return int(await session.scalar(stmt) or 0)

    async def report_back(
        self,
        user: User,
        referral_id: int,
        raw: Mapping[str, Any],
        *,
        address: str | None = None,
    ) -> Referral:
        """The receiving counter answers a referral (terugkoppeling); ``not_for_us`` may
        refer it on (``refer_on``: a counter or a partner), which opens a new referral."""
        async with self.sessions() as session:
            row = await session.get(ReferralRow, referral_id)
        if row is None:
            raise StaffError(
                "referral-not-found", f"Doorverwijzing {referral_id} bestaat niet.", status=404
            )
        if not (user.has("manager") or (user.has("counter") and row.to_counter in user.counters)):
            raise StaffError(
                "not-your-counter", "Deze doorverwijzing is voor een ander loket.", status=403
            )
        if row.status in CLOSED_STATES:
            raise StaffError("referral-closed", "Deze doorverwijzing is al afgesloten.", status=409)
        status = _choice(raw.get("status"), "status", [s for s in REFERRAL_STATES if s != "open"])
        response = _text(raw.get("response"), "response")
        onward = raw.get("refer_on")
        if onward and status != "not_for_us":
            raise StaffError(
                "invalid-field", "Doorverwijzen kan alleen bij 'niet voor ons'.", field="refer_on"
            )
        onward_values = self._referral_values(onward) if isinstance(onward, Mapping) else None
        now = self.now()
        async with self.sessions.begin() as session:
            fresh = await session.get(ReferralRow, referral_id)
            assert fresh is not None
            fresh.status, fresh.response = status, response
            fresh.updated_by, fresh.updated_at = user.login, now
            if onward_values is not None:
                session.add(
                    ReferralRow(
                        contact_id=fresh.contact_id,
                        status="open",
                        created_by=user.login,
                        created_at=now,
                        **onward_values,
                    )
                )
            await self.audit.record(
                "referral",
                actor=user.login,
                target=str(referral_id),
                detail={"status": status, "referred_on": bool(onward_values)},
                address=address,
                session=session,
            )
        return _referral(fresh)
