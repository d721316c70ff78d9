"""How long a prompt plays: a real Asterisk's ``Playback`` returns when the file has been
heard, so a caller reaches the queue (or the next step of the last resort) only after their
announcement. The simulated Asterisk takes the same time.

The length of a prompt at ``<dir>/<language>/<name>``:

- the built file's own length, when ``<dir>/<language>/<name>.wav`` is there (what
  ``vuurtoren prompts`` made, or a rendered sentence of the announcer);
- else its text as the site file gives it, read at espeak-ng's pace (its default 175 words a
  minute is about :data:`CHARS_PER_SECOND` characters a second) plus a short lead-in;
- else (a rendered sentence whose file is not there, in the text-only mode of tests and
  benchmarks) :data:`SENTENCE_SECONDS`.
"""

from __future__ import annotations

import wave
from pathlib import Path

from callcenter.dialplan.prompts import SPOKEN_CHARS_PER_SECOND, menu_lines, prompts, spoken_seconds
from routing.site import Site

__all__ = ["CHARS_PER_SECOND", "SENTENCE_SECONDS", "PromptLengths"]

CHARS_PER_SECOND = SPOKEN_CHARS_PER_SECOND
SENTENCE_SECONDS = 4.0


class PromptLengths:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.base = site.prompts.dir.rstrip("/") + "/"
        self._seconds: dict[str, float] = {}
        self._texts: dict[str, dict[str, str]] = {}

    def seconds(self, path: str) -> float:
        """Virtual seconds ``path`` plays (as Asterisk names it: with or without the
        ``[prompts] dir`` in front, no extension)."""
        path = path.removeprefix(self.base)
        known = self._seconds.get(path)
        if known is None:
            known = self._seconds[path] = self._measure(path)
        return known

    def total(self, paths: list[str]) -> float:
        return sum(self.seconds(p) for p in paths)

    def _measure(self, path: str) -> float:
        try:
            with wave.open(str(Path(self.base) / f"{path}.wav"), "rb") as w:
                return w.getnframes() / w.getframerate()
        except (OSError, EOFError, wave.Error):
            pass
        lang, _, name = path.partition("/")
        texts = self._texts.get(lang)
        if texts is None and lang in self.site.prompts.languages:
            texts = self._texts[lang] = {p.name: p.text for p in prompts(self.site, lang)}
        text = (texts or {}).get(name)
        if text is None:
            return SENTENCE_SECONDS
        return spoken_seconds(text)

    def option_heard(
        self, lang: str, prefix: str, key: str, local: Site | None = None
    ) -> float | None:
        """Seconds into the menu after ``prefix`` (``menu`` or ``menu-<prefix>``) at which
        the choice for ``key`` has been said: its sentence's end, the menu's length shared
        out by the sentences' lengths. None: the menu does not offer that key. ``local``: a
        region's municipality, whose own menu it is."""
        site = local if local is not None and local.site_id else self.site
        own = f"{site.site_id}/" if site.site_id else ""
        lines = menu_lines(site, lang, prefix)
        said = 0
        for line_key, line in lines:
            said += len(line) + 1
            if line_key == key:
                total = sum(len(t) + 1 for _, t in lines)
                name = f"{lang}/{own}menu" + (f"-{prefix}" if prefix else "")
                return self.seconds(name) * said / total
        return None
