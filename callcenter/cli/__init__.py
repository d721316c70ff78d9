"""The ``vuurtoren`` command line. Each subcommand lives in the module of its feature."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from callcenter.cli import (
    asterisk_commands,
    capture_commands,
    catalog_commands,
    duty_commands,
    known_commands,
    override_commands,
    prompt_commands,
    routing_commands,
    service_commands,
    simulator_commands,
    staff_commands,
)
from callcenter.cli.common import EXIT_INVALID, CommandError
from callcenter.staff.errors import StaffError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vuurtoren",
        description="Vuurtoren: one phone number for a Sociaal Huis, routed by opening hours.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    routing_commands.register(sub)
    simulator_commands.register(sub)
    capture_commands.register(sub)
    service_commands.register(sub)
    asterisk_commands.register(sub)
    staff_commands.register(sub)
    known_commands.register(sub)
    override_commands.register(sub)
    duty_commands.register(sub)
    catalog_commands.register(sub)
    prompt_commands.register(sub)
    return parser


def _options(parser: argparse.ArgumentParser, dest: str) -> set[str]:
    """Every option string, in ``parser`` and its subcommands, that sets ``dest``."""
    found: set[str] = set()
    for action in parser._actions:
        if action.dest == dest:
            found.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                found |= _options(sub, dest)
    return found


def refusal(exc: StaffError, parser: argparse.ArgumentParser, argv: Sequence[str]) -> str:
    """A refusal in the command line's language (English), naming the option the user gave
    for the field it is about (``--until``; ``--from`` for a rota's ``starts``), or else
    the field (an argument without an option, such as the counter of ``override close``)."""
    text = exc.en or exc.message
    if not exc.field:
        return text
    given = [
        option
        for option in sorted(_options(parser, exc.field))
        if any(a == option or a.startswith(option + "=") for a in argv)
    ]
    return f"{given[0] if given else exc.field}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except StaffError as exc:  # refused by the rules the web forms apply too
        said = refusal(exc, parser, sys.argv[1:] if argv is None else argv)
        print(f"error: {said}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `vuurtoren hours | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
