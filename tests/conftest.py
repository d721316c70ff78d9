from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from routing.config import load_site, parse_site
from routing.site import Site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sociaal-huis.toml"

# A small site whose rules are easy to read in a test table.
SMALL_SITE = """
[site]
name = "Testhuis"
timezone = "Europe/Brussels"
country = "BE"

[lighthouse]
queue = "lighthouse"
hours = "Mo-Fr 08:00-19:00; Sa 09:00-12:00; Dec 25 off"

[routing]
default_topic = "algemeen"

[[counters]]
id = "sociale-dienst"
name = "Sociale dienst"
organisation = "OCMW"
address = "Markt 1"
queue = "sociale-dienst"
hours = "Mo,Tu,Th,Fr 09:00-12:00; We 13:30-18:30; PH off"
max_waiting = 4
max_wait_seconds = 300
average_handle_seconds = 300

[[counters]]
id = "onthaal"
name = "Onthaal"
organisation = "OCMW"
address = "Markt 1"
queue = "onthaal"
hours = "Mo-Fr 09:00-12:00,13:00-16:00; Jul 11 off; PH off"

[[topics]]
id = "financiele-hulp"
digit = "1"
label = "Financiële hulp"
counter = "sociale-dienst"

[[topics]]
id = "algemeen"
digit = "0"
label = "Andere vragen"
counter = "onthaal"
"""


@pytest.fixture(scope="session")
def example_site() -> Site:
    return load_site(EXAMPLE)


@pytest.fixture(scope="session")
def small_site() -> Site:
    return parse_site(SMALL_SITE, "small")


@pytest.fixture
def site_from() -> Callable[[str], Site]:
    return lambda text: parse_site(text, "test")
