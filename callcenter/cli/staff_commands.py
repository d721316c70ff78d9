"""``users``, ``audit`` and ``privacy``: people, their traces, and callers' rights.

All work on the service's database (SQLite in ``./data``, or ``VUURTOREN_DATABASE_URL``),
migrating it first; every change is audited with the actor ``cli:<system user>``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from callcenter.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    installed_database,
    site_or_exit,
)
from callcenter.cli.demo_guard import installation_clock
from callcenter.staff.audit import KEY_ENV as AUDIT_KEY_ENV
from callcenter.staff.audit import checkpoint_path
from callcenter.staff.audit import load_key as load_audit_key
from callcenter.staff.privacy import load_key
from callcenter.staff.services import StaffServices, open_staff
from callcenter.staff.users import ROLES
from callcenter.store import open_engine, upgrade
from routing.site import Site

__all__ = ["actor", "register", "with_staff"]

T = TypeVar("T")


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "users", help="people who log in: add, passwd, disable, enable, unlock, list"
    )
    users = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = users.add_parser("add", help="make a user (the first admin: --admin)")
    add.add_argument("login")
    add.add_argument("--name", required=True, help="full name as colleagues know it")
    add.add_argument("--role", action="append", default=[], choices=ROLES, help="repeatable")
    add.add_argument("--admin", action="store_true", help="the admin role (same as --role admin)")
    add.add_argument("--counter", action="append", default=[], help="counter id (repeatable)")
    add.add_argument("--interface", action="append", default=[], help="phone, e.g. PJSIP/201")
    add.add_argument(
        "--organisation", help="the organisation the user works for (one of the site file's)"
    )
    add.add_argument(
        "--site",
        action="append",
        default=[],
        help="a region's municipality the user is limited to (repeatable; none: all)",
    )
    add.add_argument(
        "--config", help="the site file (needed to check --counter, --organisation, --site)"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument("--data-dir", help="SQLite directory (default ./data)")
    add.set_defaults(handler=users_add)

    for name, helptext in (
        ("passwd", "set a new password (ends the user's sessions)"),
        ("disable", "disable a user (ends the user's sessions at once)"),
        ("enable", "enable a disabled user"),
        ("unlock", "lift the lockout after too many failed logins"),
    ):
        q = users.add_parser(name, help=helptext)
        q.add_argument("login")
        q.add_argument("--data-dir", help="SQLite directory (default ./data)")
        if name == "passwd":
            q.add_argument("--password-stdin", action="store_true")
        q.set_defaults(handler=users_change, action=name)

    pin = users.add_parser("pin", help="set (or with an empty PIN remove) a desk-phone PIN")
    pin.add_argument("login")
    pin.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    pin.add_argument("--data-dir", help="SQLite directory (default ./data)")
    pin.set_defaults(handler=users_pin)

    ls = users.add_parser("list", help="every user with roles and state")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--data-dir", help="SQLite directory (default ./data)")
    ls.set_defaults(handler=users_list)

    p = sub.add_parser("audit", help="the audit log")
    audit = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit.add_parser("verify", help="check the hash chain; name the first bad entry")
    verify.add_argument("--data-dir", help="SQLite directory (default ./data)")
    verify.set_defaults(handler=audit_verify)

    p = sub.add_parser("privacy", help="retention, and a caller's rights of access and erasure")
    privacy = p.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    ret = privacy.add_parser("retention", help="apply the site's retention policy now")
    ret.add_argument("--config", required=True)
    ret.add_argument("--dry-run", action="store_true", help="only say what it would do")
    ret.add_argument("--data-dir", help="SQLite directory (default ./data)")
    ret.set_defaults(handler=privacy_retention)
    for name, helptext in (
        ("export", "everything stored about a caller's number, as JSON"),
        ("erase", "remove a caller's number from every record (counts stay)"),
    ):
        q = privacy.add_parser(name, help=helptext)
        q.add_argument("--caller", required=True, help="the phone number")
        q.add_argument("--config", required=True)
        q.add_argument("--data-dir", help="SQLite directory (default ./data)")
        if name == "erase":
            q.add_argument(
                "--keep-texts",
                action="store_true",
                help="keep the summaries, referral texts and callback notes of the caller's "
                "records (by default they are erased too: they can name the person)",
            )
        q.set_defaults(handler=privacy_request, action=name)


def existing_database(data_dir: str | None) -> str:
    """The installation's database (:func:`installed_database`), which must exist: a
    mistyped folder is refused, never answered from a new, empty database (only ``db
    upgrade``, ``serve`` and ``demo`` make one)."""
    url, db = installed_database(data_dir)
    if url is None:
        assert db is not None
        raise CommandError(
            f"no database at {db}: a typo in --data-dir (or VUURTOREN_DATA_DIR)? A new "
            f"installation begins with: vuurtoren db upgrade --data-dir {db.parent}"
        )
    return url


def with_staff(
    args: argparse.Namespace,
    work: Callable[[StaffServices], Awaitable[T]],
    site: Site | None = None,
    key: bytes | None = None,
) -> T:
    try:
        audit_key = load_audit_key()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    url = existing_database(args.data_dir)
    clock = installation_clock(args.data_dir)  # a running demo's, when it is the demo's

    async def main() -> T:
        engine = open_engine(url)
        staff = None
        try:
            await upgrade(engine)
            # without the privacy key no pseudonym is made: these commands make none
            staff = open_staff(
                engine,
                site,
                key or secrets.token_bytes(32),
                audit_key=audit_key,
                checkpoints=checkpoint_path(url),
                clock=clock,
            )
            return await work(staff)
        finally:
            if staff is not None:
                staff.close()
            await engine.dispose()

    return asyncio.run(main())  # a refusal (StaffError) is said by cli.main, in English


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Once more: ") != first:
        raise CommandError("the two passwords differ")
    return first


def users_add(args: argparse.Namespace) -> int:
    roles = set(args.role) | ({"admin"} if args.admin else set())
    if not roles:
        raise CommandError(f"give at least one --role ({', '.join(ROLES)}) or --admin")
    if args.counter and not args.config:
        raise CommandError("--counter needs --config (the site file, to check the counter ids)")
    if args.organisation and not args.config:
        raise CommandError("--organisation needs --config (the site file names them)")
    if args.site and not args.config:
        raise CommandError("--site needs --config (the region's site file names them)")
    site = site_or_exit(args.config) if args.config else None
    password = _password(args)
    user = with_staff(
        args,
        lambda s: s.users.add(
            args.login,
            args.name,
            roles,
            password,
            counters=args.counter,
            interfaces=args.interface,
            organisation=args.organisation,
            sites=args.site,
            actor=actor(),
        ),
        site,
    )
    print(f"user {user.login!r} ({user.name}) made: {', '.join(sorted(user.roles))}")
    return EXIT_OK


def users_change(args: argparse.Namespace) -> int:
    password = _password(args) if args.action == "passwd" else ""

    async def work(s: StaffServices) -> str:
        user = await s.users.by_login(args.login)
        if args.action == "passwd":
            await s.users.set_password(user.id, password, actor=actor())
            return f"{user.login}: new password set; every session ended"
        if args.action in ("disable", "enable"):
            await s.users.set_active(user.id, args.action == "enable", actor=actor())
            return f"{user.login}: {args.action}d" + (
                "; every session ended" if args.action == "disable" else ""
            )
        await s.users.unlock(user.id, actor=actor())
        return f"{user.login}: unlocked"

    print(with_staff(args, work))
    return EXIT_OK


def users_pin(args: argparse.Namespace) -> int:
    if args.pin_stdin:
        value = sys.stdin.readline().strip()
    else:
        value = getpass.getpass("Desk-phone PIN (4 to 8 digits; empty: remove it): ")
        if getpass.getpass("Once more: ") != value:
            raise CommandError("the two PINs differ")

    async def work(s: StaffServices) -> str:
        user = await s.users.by_login(args.login)
        await s.users.set_pin(user.id, value, actor=actor())
        return f"{user.login}: desk-phone PIN {'set' if value else 'removed'}"

    print(with_staff(args, work))
    return EXIT_OK


def users_list(args: argparse.Namespace) -> int:
    users = with_staff(args, lambda s: s.users.list())
    if args.json:
        print(json.dumps([u.as_json() for u in users], ensure_ascii=False))
        return EXIT_OK
    if not users:
        print(
            "no users yet: add the first administrator with\n"
            "  vuurtoren users add LOGIN --name NAME --admin"
            + (f" --data-dir {args.data_dir}" if getattr(args, "data_dir", None) else "")
        )
        return EXIT_OK
    now = datetime.now(UTC)
    for u in users:
        state = (
            "disabled"
            if not u.active
            else ("locked" if u.locked_until and u.locked_until > now else "active")
        )
        org = f" {u.organisation}" if u.organisation else ""
        print(f"{u.login:20} {u.name:30} {','.join(sorted(u.roles)):28} {state}{org}")
    return EXIT_OK


def audit_verify(args: argparse.Namespace) -> int:
    try:
        report = with_staff(args, lambda s: s.audit.verify())
    except ValueError as exc:  # a checkpoint file that does not hold
        print(f"audit log: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if not report.keyed:
        print(
            f"audit log: no key ({AUDIT_KEY_ENV}): the chain is checked for order only, "
            "which anyone who can write the database can recompute",
            file=sys.stderr,
        )
    if report.ok:
        extra = [f"{report.checkpoints} checkpoints reached"]
        if report.unkeyed:
            extra.append(f"the first {report.unkeyed} written before the chain was keyed")
        print(f"audit log: {report.entries} entries, the chain is whole ({'; '.join(extra)})")
        return EXIT_OK
    print(
        f"audit log: entry {report.first_bad} does not fit: {report.reason} "
        f"(checked {report.entries} entries)",
        file=sys.stderr,
    )
    return EXIT_INVALID


def _privacy_site(args: argparse.Namespace) -> tuple[Site, bytes]:
    site = site_or_exit(args.config)
    return site, load_key(site.privacy)


def privacy_retention(args: argparse.Namespace) -> int:
    site, key = _privacy_site(args)
    report = with_staff(
        args,
        lambda s: s.privacy.retention(s.clock.now(), dry_run=args.dry_run, actor=actor()),
        site,
        key,
    )
    verb = "would pseudonymise" if args.dry_run else "pseudonymised"
    print(
        f"{verb} the numbers of {report.pseudonymised} call(s) older than "
        f"{site.privacy.pseudonymise_after_days} days; "
        f"{'would delete' if args.dry_run else 'deleted'} {report.texts_deleted} text(s) "
        f"older than {site.privacy.delete_text_after_days} days"
    )
    return EXIT_OK


def privacy_request(args: argparse.Namespace) -> int:
    site, key = _privacy_site(args)
    if args.action == "export":
        data = with_staff(args, lambda s: s.privacy.export(args.caller, actor=actor()), site, key)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        texts = not args.keep_texts
        erased = with_staff(
            args, lambda s: s.privacy.erase(args.caller, texts=texts, actor=actor()), site, key
        )
        print(
            f"the number is removed from {erased} call(s); the calls stay as anonymous counts; "
            + (
                "the texts of the caller's records are erased too"
                if texts
                else "the texts of the caller's records are kept (--keep-texts)"
            )
        )
    return EXIT_OK
