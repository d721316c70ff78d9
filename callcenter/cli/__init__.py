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
    override_commands,
    prompt_commands,
    routing_commands,
    service_commands,
    simulator_commands,
    staff_commands,
)
from callcenter.cli.common import EXIT_INVALID, CommandError

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
    override_commands.register(sub)
    duty_commands.register(sub)
    catalog_commands.register(sub)
    prompt_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `vuurtoren hours | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
