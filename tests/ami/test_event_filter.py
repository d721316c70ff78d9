"""manager.conf ``eventfilter`` in the simulated Asterisk: Asterisk's include/exclude rules,
applied to events only, never to responses or the answer of a list action."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.ami import AMIClient, ClientSettings
from callcenter.ami.codec import encode_message
from callcenter.simulator import Account, CallerProfile, SimSettings, Simulator
from callcenter.simulator.filters import EventFilter, FilterError
from routing.site import Site
from tests.ami.conftest import MONDAY_10
from tests.ami.test_client import until

NEWCHANNEL = encode_message(
    [("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/201-1")]
)
HANGUP_LOCAL = encode_message(
    [("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "Local/s@x-1;2")]
)
VARSET = encode_message([("Event", "VarSet"), ("Privilege", "dialplan,all"), ("Variable", "X")])


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ((), (True, True, True)),  # no filters: everything
        (("Event: Newchannel",), (True, False, False)),  # include only
        (("!Event: VarSet",), (True, True, False)),  # exclude only
        (("^Event: (Newchannel|Hangup)", "!Channel: Local/"), (True, False, False)),  # both
        (("Event: Hangup", "Event: VarSet"), (False, True, True)),  # any include will do
    ],
)
def test_asterisks_rules(rules: tuple[str, ...], expected: tuple[bool, bool, bool]) -> None:
    f = EventFilter(rules)
    assert (f.allows(NEWCHANNEL), f.allows(HANGUP_LOCAL), f.allows(VARSET)) == expected


def test_a_filter_that_does_not_compile_is_named(example_site: Site) -> None:
    with pytest.raises(FilterError, match=r"eventfilter '!Event: \(Var' does not compile"):
        Simulator(example_site, accounts=[Account("a", "b", eventfilter=("!Event: (Var",))])


async def test_the_account_gets_only_filtered_events_but_every_answer(example_site: Site) -> None:
    account = Account("filtered", "pw", eventfilter=("^Event: (Newchannel|Hangup)[^A-Za-z]",))
    async with (
        Simulator(
            example_site,
            accounts=[account],
            start=MONDAY_10,
            speed=40,
            settings=SimSettings(failsafe_seconds=2),
        ) as sim,
        AMIClient(ClientSettings(port=sim.port, username="filtered", secret="pw")) as ami,
    ):
        seen: list[str] = []
        ami.subscribe(None, lambda m: seen.append(m.name))
        call = sim.call(CallerProfile(number="8", digits="1", talk_seconds=2))
        await until(lambda: call.truth.ended is not None, 20)
        await asyncio.sleep(0.2)
        status = await ami.queue_status()  # a list answer: its events are not filtered
    assert set(seen) == {"Newchannel", "Hangup"}
    assert {q.queue for q in status} >= {"sociale-dienst", "lighthouse"}
    assert sim.server.events_sent == len(seen)


async def test_an_action_outside_the_accounts_write_classes_is_refused(
    example_site: Site,
) -> None:
    """manager.conf ``write``: an action runs when the account has any class it is
    registered with (Redirect: call; DBPut: system; DBGet: system or reporting)."""
    from callcenter.ami import AMIError

    account = Account("narrow", "pw", write=frozenset({"call", "reporting"}))
    async with (
        Simulator(example_site, accounts=[account], start=MONDAY_10) as sim,
        AMIClient(ClientSettings(port=sim.port, username="narrow", secret="pw")) as ami,
    ):
        with pytest.raises(AMIError, match="Permission denied"):
            await ami.db_put("vuurtoren", "counter/x", "open")
        assert await ami.db_get("vuurtoren", "counter/x") is None  # reporting will do
        status = await ami.queue_status()  # needs no class at all
    assert status
    assert sim.ast.db_get("vuurtoren", "counter/x") is None
