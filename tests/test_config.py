"""The site file: the documented shape works; every kind of mistake is reported with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.config import ConfigError, load_site, parse_site
from routing.site import Site
from tests.conftest import SMALL_SITE

ISSUE_EXAMPLE = """
[site]
name = "Sociaal Huis Voorbeeld"
timezone = "Europe/Brussels"     # IANA zone; all times are judged here
country = "BE"                   # public-holiday calendar used by PH in hours

[lighthouse]
queue = "lighthouse"             # Asterisk queue of the callcenter
hours = "Mo-Fr 08:00-19:00; Sa 09:00-12:00; Dec 25 off"   # when the callcenter is staffed

[routing]
default_topic = "algemeen"       # used for no choice or an unknown choice

[[counters]]
id = "sociale-dienst"
name = "Sociale dienst"
organisation = "OCMW"
address = "Markt 1"
queue = "sociale-dienst"
hours = "Mo,Tu,Th,Fr 09:00-12:00; We 13:30-18:30; PH off"
max_waiting = 4                  # optional: a new call overflows when at least this many wait
max_wait_seconds = 300           # optional: overflow when the expected wait is longer

[[topics]]
id = "financiele-hulp"
digit = "1"                      # the IVR key
label = "Financiële hulp en leefloon"
counter = "sociale-dienst"

[[topics]]
id = "algemeen"
digit = "0"
label = "Andere vragen"
counter = "sociale-dienst"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_site(text, "t.toml")
    return [str(p) for p in err.value.problems]


def test_the_documented_shape_works_as_written() -> None:
    site = parse_site(ISSUE_EXAMPLE)
    assert site.name == "Sociaal Huis Voorbeeld"
    assert site.zone.key == "Europe/Brussels"
    c = site.counter("sociale-dienst")
    assert (c.queue, c.max_waiting, c.max_wait_seconds) == ("sociale-dienst", 4, 300)
    assert site.topic("1").id == "financiele-hulp"
    assert site.topic(None).id == "algemeen"
    assert site.lighthouse.queue == "lighthouse"


def test_the_shipped_example_is_a_realistic_site(example_site: Site) -> None:
    assert len(example_site.counters) >= 10
    organisations = {c.organisation for c in example_site.counters}
    assert {"OCMW", "CAW", "Gemeente", "Huis van het Kind", "VDAB"} <= organisations
    assert len({c.address for c in example_site.counters}) >= 4
    # the lighthouse is open longer than any counter in a normal week
    from datetime import datetime, timedelta

    monday = datetime(2026, 11, 23, tzinfo=example_site.zone)

    def open_minutes(hours: object) -> int:
        return sum(
            int((b - a) / timedelta(minutes=1))
            for d in range(7)
            for a, b in hours.open_periods_on((monday + timedelta(days=d)).date())  # type: ignore[attr-defined]
        )

    lh = open_minutes(example_site.lighthouse.hours)
    assert all(open_minutes(c.hours) < lh for c in example_site.counters)


def test_bad_toml_says_line_and_column() -> None:
    found = problems('[site]\nname = "x\n')
    assert len(found) == 1 and "line 2" in found[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('timezone = "Europe/Brussels"', 'timezone = "Europe/Brussel"'),
            "[site].timezone: unknown time zone 'Europe/Brussel'",
        ),
        (('country = "BE"', 'country = "ZZ"'), "[site].country: no public-holiday calendar"),
        (
            ('country = "BE"', 'country = "BE"\nnumber = "bel ons"'),
            "[site].number: 'bel ons' is not valid: a phone number such as '078 15 15 15'",
        ),
        (
            (
                'hours = "Mo-Fr 09:00-12:00,13:00-16:00; Jul 11 off; PH off"',
                'hours = "Mo-Fr 09:00-12:00,13:00-16:00; Jul 11 of; PH off"',
            ),
            "counters[1] (id 'onthaal').hours: 'Mo-Fr 09:00-12:00,13:00-16:00; Jul 11 of; PH off' "
            "does not parse at column",
        ),
        (
            ('counter = "onthaal"', 'counter = "onthal"'),
            "topics[1] (id 'algemeen').counter: unknown counter 'onthal'",
        ),
        (
            ('default_topic = "algemeen"', 'default_topic = "other"'),
            "[routing].default_topic: unknown topic 'other'",
        ),
        (
            ('digit = "0"', 'digit = "1"'),
            "topics[1] (id 'algemeen'): duplicate topic digit '1' (also at topics[0]",
        ),
        (
            ('id = "onthaal"', 'id = "sociale-dienst"'),
            "counters[1] (id 'sociale-dienst'): duplicate counter id 'sociale-dienst'",
        ),
        (
            ('queue = "onthaal"', 'queue = "lighthouse"'),
            "counters[1] (id 'onthaal'): duplicate queue 'lighthouse' (also at [lighthouse])",
        ),
        (
            ("max_waiting = 4", 'max_waiting = "4"'),
            "counters[0] (id 'sociale-dienst').max_waiting: must be a whole number",
        ),
        (
            ("max_waiting = 4", "max_wating = 4"),
            "counters[0] (id 'sociale-dienst'): unknown field 'max_wating'",
        ),
        (
            ("max_wait_seconds = 300", "max_wait_seconds = -1"),
            "max_wait_seconds: must be between 1 and 86400",
        ),
        (('name = "Onthaal"\n', ""), "counters[1] (id 'onthaal').name: missing (required)"),
        (('[routing]\ndefault_topic = "algemeen"\n', ""), "file: missing table [routing]"),
        (
            ('id = "algemeen"', 'id = "1"'),
            "topics[1] (id '1').id: '1' is also the digit of topics[0]",
        ),
        (('digit = "0"', 'digit = "zero"'), "topics[1] (id 'algemeen').digit: 'zero' is not valid"),
    ],
)
def test_each_mistake_is_reported_with_its_place(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in SMALL_SITE
    text = SMALL_SITE.replace(old, new, 1)
    found = problems(text)
    assert any(expected in p for p in found), found


def test_all_problems_are_reported_at_once() -> None:
    text = (
        SMALL_SITE.replace('"Europe/Brussels"', '"Nowhere/City"')
        .replace('counter = "onthaal"', 'counter = "ghost"')
        .replace("max_waiting = 4", "max_waiting = 0")
        .replace('hours = "Mo-Fr 08:00-19:00;', 'hours = "Mo-Fr 08h-19h;')
    )
    found = problems(text)
    assert len(found) == 4, found
    assert any(p.startswith("[lighthouse].hours") for p in found)


def test_secret_in_the_site_file_is_refused() -> None:
    found = problems(SMALL_SITE + '\n[asterisk]\nsecret = "hunter2"\n')
    assert found == [
        "[asterisk].secret: secrets never go in the site file: use secret_env or secret_file"
    ]


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_site(tmp_path / "absent.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("name = 'Financi\xeble'".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_site(bad)


def test_a_rule_wiped_out_by_a_later_semicolon_rule_is_warned_about() -> None:
    text = SMALL_SITE.replace(
        'hours = "Mo-Fr 09:00-12:00,13:00-16:00; Jul 11 off; PH off"',
        'hours = "Mo-Fr 09:00-12:00; We 13:00-16:00; PH off"',
    )
    site = parse_site(text)
    assert site.warnings == (
        "counters[1] (id 'onthaal').hours: rule 'Mo-Fr 09:00-12:00' is replaced by a later "
        "';' rule on We (use ',' to add hours to a day)",
    )
    fixed = text.replace("Mo-Fr 09:00-12:00; We 13:00-16:00", "Mo-Fr 09:00-12:00, We 13:00-16:00")
    assert parse_site(fixed).warnings == ()


def test_the_example_site_has_no_warnings(example_site: Site) -> None:
    assert example_site.warnings == ()


def with_topic(digit: str, topic_id: str = "extra") -> str:
    return SMALL_SITE + (
        f'\n[[topics]]\nid = "{topic_id}"\ndigit = "{digit}"\nlabel = "Extra"\n'
        'counter = "onthaal"\n'
    )


@pytest.mark.parametrize("digit", ["3#", "#", "12#", "1a", "1234"])
def test_menu_keys_a_caller_cannot_choose_are_refused(digit: str) -> None:
    found = problems(with_topic(digit))
    assert any("topics[2] (id 'extra').digit" in p and "# cannot be chosen" in p for p in found)


def test_a_topic_whose_keys_begin_another_is_a_warning() -> None:
    site = parse_site(with_topic("11"), "t.toml")
    [warning] = [w for w in site.warnings if ".digit" in w]
    assert warning.startswith("topics[0] (id 'financiele-hulp').digit: '1' is the start of '11'")
    assert "waits 3 s" in warning
    assert not [w for w in parse_site(with_topic("91"), "t").warnings if ".digit" in w]


def test_the_example_menu_makes_nobody_wait(example_site: Site) -> None:
    assert not [w for w in example_site.warnings if ".digit" in w]
    assert {t.digit for t in example_site.topics} >= {"21", "22", "41", "42", "43"}


def test_the_privacy_policy_is_checked() -> None:
    bad = SMALL_SITE + (
        '\n[privacy]\npseudonymise_after_days = 0\ndelete_text_after_days = "soon"\n'
        'key = "hunter2-hunter2-hunter2-hunter2-x"\nkeep_forever = true\n'
    )
    found = problems(bad)
    assert any("[privacy].pseudonymise_after_days: must be between 1 and 3650" in p for p in found)
    assert any("[privacy].delete_text_after_days: must be a whole number" in p for p in found)
    assert any(
        "[privacy].key: the pseudonymisation key never goes in the site file" in p for p in found
    )
    assert any("unknown field 'keep_forever'" in p for p in found)
    good = parse_site(SMALL_SITE + "\n[privacy]\npseudonymise_after_days = 30\n", "t")
    assert good.privacy.pseudonymise_after_days == 30 and good.privacy.delete_text_after_days == 365


def test_a_menu_level_too_long_or_too_wide_is_a_warning(example_site: Site) -> None:
    """Time to a person: ``check-config`` says which menu level takes longer to say than
    ``[prompts].menu_max_seconds`` (the first one with the welcome and the language offers)
    and which offers more choices than callers remember."""
    from callcenter.dialplan.prompts import warnings

    assert [w for w in warnings(example_site) if "menu" in w] == []  # the shipped menu
    short = parse_site(ISSUE_EXAMPLE, "short.toml")
    assert [w for w in warnings(short) if "menu" in w] == []  # two choices, a short welcome
    wide = ISSUE_EXAMPLE + "".join(
        f'\n[[topics]]\nid = "extra-{d}"\ndigit = "{d}"\nlabel = "Een bijkomende vraag '
        f'nummer {d}"\ncounter = "sociale-dienst"\n'
        for d in "23456789"
    )
    found = warnings(parse_site(wide, "wide.toml"))
    [long] = [w for w in found if "to say" in w]
    assert long.startswith("[prompts.nl] menu: takes about ")
    assert "s to say with the welcome, over [prompts].menu_max_seconds = 20" in long
    [many] = [w for w in found if "choices;" in w]
    assert many.startswith("[prompts.nl] menu: 10 choices")
    grouped = wide
    for n, d in enumerate("56789", 1):  # five of them behind key 9: six choices left
        grouped = grouped.replace(f'digit = "{d}"', f'digit = "9{n}"')
    grouped += '\n[menu]\ngroups = { "9" = "Nog meer vragen" }\n'
    site = parse_site(grouped, "grouped.toml")
    assert [w for w in warnings(site) if "choices;" in w] == []  # 9 opens a sub-menu now
    assert site.menu_groups == {"9": "Nog meer vragen"}
    tight = parse_site(
        ISSUE_EXAMPLE.replace("[routing]", "[prompts]\nmenu_max_seconds = 5\n\n[routing]"), "t"
    )
    [warning] = [w for w in warnings(tight) if "menu" in w]
    assert "menu_max_seconds = 5" in warning
    assert problems(
        ISSUE_EXAMPLE.replace("[routing]", "[prompts]\nmenu_max_seconds = 1\n\n[routing]")
    )
    assert problems(ISSUE_EXAMPLE + '\n[menu]\ngroups = { "7" = "Niets" }\n') == [
        "[menu].groups.7: no sub-menu opens with '7' (the topics' sub-menu keys: none: no "
        "topic has more than one key)"
    ]


def test_a_retired_prompt_text_is_a_warning_not_an_error() -> None:
    """A site file written for an older version may still set `ogenblik` (said before an
    open counter's queue, now nothing is): it still loads, and check-config says so."""
    from callcenter.dialplan.prompts import problems as prompt_problems
    from callcenter.dialplan.prompts import warnings

    site = parse_site(ISSUE_EXAMPLE + '\n[prompts.nl]\nogenblik = "Een ogenblik."\n', "old.toml")
    assert prompt_problems(site) == []
    [warning] = [w for w in warnings(site) if "ogenblik" in w]
    assert warning.startswith("[prompts.nl].ogenblik: no longer played")
