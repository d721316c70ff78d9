"""Traffic: callers arriving through the day, with a topic mix, patience and handle times.

Arrivals are a non-homogeneous Poisson process (thinning) whose rate follows a Flemish
welfare office's day: a morning peak, a lunch dip, a quieter afternoon, little at night and
at weekends. ``calls_per_hour`` is the rate at the weekday morning peak. Every caller's
behaviour comes from its own random stream derived from the seed and its arrival number, so
the same seed gives the same callers whatever the timing of the rest.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from callcenter.simulator.calls import CallerProfile, start_call
from callcenter.simulator.core import SimAsterisk
from routing.site import Site

__all__ = ["HOURLY_PROFILE", "TrafficGenerator", "draw_caller", "rate_factor"]

# Share of the peak rate for each hour of a weekday (local time).
HOURLY_PROFILE = (
    0.01,
    0.01,
    0.01,
    0.01,
    0.01,
    0.02,
    0.05,
    0.06,
    0.25,
    1.00,
    0.95,
    0.80,
    0.45,
    0.35,
    0.45,
    0.35,
    0.25,
    0.15,
    0.10,
    0.10,
    0.06,
    0.04,
    0.02,
    0.01,
)
WEEKEND_FACTOR = (0.20, 0.08)  # Saturday, Sunday

# Topics people ask about most: a weight per topic id, 1.0 when not listed.
TOPIC_WEIGHTS = {"algemeen": 2.5, "financiele-hulp": 2.0, "wonen": 1.5, "zorg": 1.2}


def rate_factor(local: datetime) -> float:
    factor = HOURLY_PROFILE[local.hour]
    if local.weekday() >= 5:
        factor *= WEEKEND_FACTOR[local.weekday() - 5]
    return factor


@dataclass(frozen=True, slots=True)
class _Menu:
    digits: tuple[str, ...]
    weights: tuple[float, ...]
    handle: dict[str, float]


def _menu(site: Site) -> _Menu:
    digits = tuple(t.digit for t in site.topics)
    weights = tuple(TOPIC_WEIGHTS.get(t.id, 1.0) for t in site.topics)
    handle = {t.digit: float(site.counter(t.counter).average_handle_seconds) for t in site.topics}
    return _Menu(digits, weights, handle)


def draw_caller(site: Site, rng: random.Random, callers: int = 5000) -> CallerProfile:
    """One caller: a number from a pool (people call back), a menu choice, patience, talk.
    In a region, first the municipality they call, the larger (more agents at its own
    counters) more often; then its menu."""
    local = site
    if site.sites:
        sizes = [
            1 + sum(c.agents for c in s.counters if c.id in s.own_counters) for s in site.sites
        ]
        local = rng.choices(site.sites, sizes)[0]
    menu = _menu(local)
    roll = rng.random()
    if roll < 0.06:
        digits: str | None = None  # pressed nothing: the default topic
    elif roll < 0.09:
        digits = "9" * 3  # a key that is not in the menu
    else:
        digits = rng.choices(menu.digits, menu.weights)[0]
    handle = menu.handle.get(digits or "", 240.0)
    # patience: most wait a few minutes, some give up within seconds (short abandons)
    patience = (
        rng.uniform(1.0, 5.0) if rng.random() < 0.06 else rng.lognormvariate(math.log(210.0), 0.6)
    )
    talk = max(15.0, rng.lognormvariate(math.log(handle) - 0.18, 0.6))
    number = None if rng.random() < 0.03 else f"+3247{rng.randrange(callers):07d}"
    agent_hangs_up = rng.random() < 0.35
    menu_seconds = rng.uniform(4.0, 12.0)
    return CallerProfile(
        number=number,
        name=None,
        digits=digits,
        patience=patience,
        talk_seconds=talk,
        agent_hangs_up=agent_hangs_up,
        menu_seconds=menu_seconds,
        # a caller who knows what they want presses as soon as they hear it: 0.5-2 s later
        # (from the same draw: every seeded run keeps its random sequence)
        react_seconds=0.5 + (menu_seconds - 4.0) * 1.5 / 8.0,
        hangup_in_menu=rng.random() < 0.02,
        last_resort_choice=rng.choices(["callback", "hangup"], [0.6, 0.4])[0],
        # the most patient callers would rather be called back than wait long (no draw: the
        # random sequence, and so every seeded run, stays as it was)
        callback_after=75.0 if number and patience > 360.0 else None,
        # at a mobile counter's last resort, four in ten ask for one of the first four
        # addresses (from the number, not a draw: the random sequence stays as it was)
        place_key=number[-1] if number and number[-1] in "1234" else None,
        site=local.site_id or None,
        # neighbourhood teams: asked for it, the postcode of where the caller lives (from
        # the number, not a draw); one in ten keys in nothing, some live elsewhere
        postcode=_postcode(local, number),
    )


def _postcode(site: Site, number: str | None) -> str | None:
    if site.teams is None or not number or number[-2] == "0":
        return None
    codes = sorted({pc for t in site.teams.counters for pc in site.counter(t).postcodes})
    codes.append("9000")  # a caller from outside the city: no team, the intake
    return codes[int(number[-4:]) % len(codes)]


class TrafficGenerator:
    def __init__(
        self,
        ast: SimAsterisk,
        calls_per_hour: float,
        *,
        seed: int = 0,
        max_calls: int | None = None,
    ) -> None:
        if calls_per_hour < 0:
            raise ValueError("calls_per_hour must not be negative")
        self.ast = ast
        self.calls_per_hour = calls_per_hour
        self.seed = seed
        self.max_calls = max_calls
        self.arrivals = random.Random(seed)
        self.started = 0

    def caller(self, index: int) -> CallerProfile:
        return draw_caller(self.ast.site, random.Random(self.seed * 1_000_003 + index))

    async def run(self) -> None:
        """Start calls until ``max_calls`` (forever when None)."""
        peak = self.calls_per_hour / 3600.0
        if peak <= 0:
            return
        clock = self.ast.clock
        while self.max_calls is None or self.started < self.max_calls:
            # thinning: candidate arrivals at the peak rate, kept with the hour's share
            await clock.sleep(self.arrivals.expovariate(peak))
            keep = rate_factor(self.ast.local_now())
            if self.arrivals.random() >= keep:
                continue
            profile = self.caller(self.started)
            self.started += 1
            if self.ast.fully_booted:
                start_call(self.ast, profile)
