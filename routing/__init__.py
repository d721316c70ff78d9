"""Routing: the site model, its configuration, and the pure decision of where a call goes."""

from routing.config import ConfigError, load_site, parse_site
from routing.decide import decide
from routing.site import Counter, Lighthouse, Site, Topic
from routing.types import Decision, QueueState, Reason, Target

__all__ = [
    "ConfigError",
    "Counter",
    "Decision",
    "Lighthouse",
    "QueueState",
    "Reason",
    "Site",
    "Target",
    "Topic",
    "decide",
    "load_site",
    "parse_site",
]
