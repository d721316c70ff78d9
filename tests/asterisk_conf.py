"""A strict reader of Asterisk's configuration syntax, after main/config.c and pbx_config.c.

No maintained parser of this syntax exists on PyPI, so the tests use this one. It accepts
``[section]`` headers (with ``(!)``/``(template)`` options), ``name = value`` and
``name => value`` lines, ``;`` comments (``\\;`` escapes a semicolon), ``;-- --;`` block
comments and ``#include``; anything else is an error naming the line. ``dialplan()`` turns
``exten =>`` / ``same =>`` lines into contexts, extensions and numbered priorities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECTION = re.compile(r"^\[([^\]]+)\](\([^)]*\))?$")


class ConfError(ValueError):
    pass


@dataclass
class Section:
    name: str
    lines: list[tuple[int, str, str, bool]] = field(default_factory=list)
    """(line number, name, value, is_object)"""

    def get(self, name: str) -> str | None:
        return next((v for _, n, v, _ in self.lines if n == name), None)

    def all(self, name: str) -> list[str]:
        return [v for _, n, v, _ in self.lines if n == name]


def parse(text: str, filename: str = "<conf>") -> dict[str, Section]:
    sections: dict[str, Section] = {}
    current: Section | None = None
    in_block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_block:
            if "--;" not in line:
                continue
            line = line.split("--;", 1)[1]
            in_block = False
        if ";--" in line:
            before, after = line.split(";--", 1)
            if "--;" in after:
                line = before + after.split("--;", 1)[1]
            else:
                line, in_block = before, True
        # a ';' not preceded by a backslash starts a comment
        line = re.split(r"(?<!\\);", line, maxsplit=1)[0].replace("\\;", ";").strip()
        if not line:
            continue
        if line.startswith("#"):
            if not line.startswith(("#include", "#tryinclude", "#exec")):
                raise ConfError(f"{filename}:{number}: unknown directive {line!r}")
            continue
        match = _SECTION.match(line)
        if match:
            name = match.group(1)
            if name in sections:
                raise ConfError(f"{filename}:{number}: section [{name}] defined twice")
            current = sections[name] = Section(name)
            continue
        if current is None:
            raise ConfError(f"{filename}:{number}: {line!r} outside any [section]")
        if "=>" in line and ("=" not in line or line.index("=>") <= line.index("=")):
            name, value = line.split("=>", 1)
            current.lines.append((number, name.strip(), value.strip(), True))
        elif "=" in line:
            name, value = line.split("=", 1)
            current.lines.append((number, name.strip(), value.strip(), False))
        else:
            raise ConfError(f"{filename}:{number}: no '=' or '=>' in {line!r}")
    if in_block:
        raise ConfError(f"{filename}: unterminated block comment")
    return sections


@dataclass
class Step:
    priority: int
    label: str | None
    app: str
    args: str


def _split_app(text: str, where: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?$", text.strip())
    if not match:
        raise ConfError(f"{where}: not an application call: {text!r}")
    return match.group(1), match.group(2) or ""


def dialplan(sections: dict[str, Section]) -> dict[str, dict[str, list[Step]]]:
    """contexts -> extensions -> steps (priorities 1..n, 'n' resolved, labels kept)."""
    plan: dict[str, dict[str, list[Step]]] = {}
    for name, section in sections.items():
        if name in ("general", "globals"):
            continue
        context = plan.setdefault(name, {})
        last: str | None = None
        for number, key, value, is_object in section.lines:
            where = f"[{name}] line {number}"
            if key not in ("exten", "same", "include", "ignorepat", "switch"):
                raise ConfError(f"{where}: unexpected {key!r} in a dialplan context")
            if key in ("include", "ignorepat", "switch"):
                continue
            if not is_object:
                raise ConfError(f"{where}: use '=>' for {key}")
            if key == "exten":
                ext, prio, app = (part.strip() for part in value.split(",", 2))
                last = ext
            else:
                if last is None:
                    raise ConfError(f"{where}: 'same' without an 'exten' before it")
                ext = last
                prio, app = (part.strip() for part in value.split(",", 1))
            steps = context.setdefault(ext, [])
            label_match = re.match(r"^(\d+|n)(?:\(([A-Za-z0-9_-]+)\))?$", prio)
            if not label_match:
                raise ConfError(f"{where}: bad priority {prio!r}")
            number_text, label = label_match.groups()
            priority = len(steps) + 1 if number_text == "n" else int(number_text)
            if priority != len(steps) + 1:
                raise ConfError(f"{where}: priority {priority} of {ext} is not the next one")
            steps.append(Step(priority, label, *_split_app(app, where)))
    return plan
