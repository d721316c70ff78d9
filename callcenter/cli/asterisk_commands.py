"""``asterisk-config``: the dialplan, queues and AMI account for a real Asterisk."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from callcenter.asterisk.config import MODULES, generate, sound_files, write
from callcenter.cli.common import (
    EXIT_OK,
    CommandError,
    out_folder,
    permit_network,
    read_capture_secret,
    read_secret,
    site_or_exit,
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "asterisk-config", help="write extensions.conf, queues.conf and manager.conf for Asterisk"
    )
    p.add_argument("--config", required=True, help="the site file (TOML)")
    p.add_argument("--out", required=True, help="directory to write the files to")
    p.add_argument(
        "--permit",
        action="append",
        default=None,
        metavar="NET/MASK",
        help="addresses the AMI account may log in from (repeatable; default "
        "127.0.0.1/255.255.255.255)",
    )
    p.set_defaults(handler=asterisk_config)


def asterisk_config(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    secret = read_secret(site)  # manager.conf needs it; it never comes from the repo
    capture = read_capture_secret(site)
    permit = None if args.permit is None else [permit_network(p) for p in args.permit]
    out = out_folder(args.out)
    try:
        files = generate(site, secret, permit=permit, capture_secret=capture)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    paths = write(files, out)
    for path in paths:
        print(path, file=sys.stdout)
    a = site.asterisk
    if capture is None:
        print(
            f"\nmanager.conf has no account for `vuurtoren capture`: set "
            f"{a.capture_secret_env} (or [asterisk].capture_secret_file) and write the files "
            f"again to add the read-only account {a.capture_username!r}."
        )
    else:
        print(f"\nmanager.conf: {a.capture_username!r}, read-only, for `vuurtoren capture`.")
    langs = ", ".join(site.prompts.languages)
    print(
        f"\nPrompts the dialplan plays ({langs}; 8 kHz mono WAV) from {site.prompts.dir}/"
        "<language>/: build them with\n"
        f"  vuurtoren prompts --config {args.config} --out {site.prompts.dir}\n"
        "Each is optional: a missing one is skipped, never a reason to end a call. The\n"
        "default language's:"
    )
    for name, what in sound_files(site):
        print(f"  {name + '.wav':32} {what}")
    print("No Asterisk core sounds are needed: numbers, dates and times are spoken in the prompts.")
    print("Asterisk modules the dialplan needs:")
    for module, what in MODULES:
        print(f"  {module:18} {what}")
    return EXIT_OK
