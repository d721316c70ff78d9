"""What the citizen hears: the prompts' texts from the site file (``catalog``), dates and
times in words (``speech``), building them as audio Asterisk plays (``build``), the sentences
that change rendered ahead of the calls (``announcer``), and a waiting caller's place and
expected wait (``queue_voice``). See ``docs/prompts.md``."""
