"""The layered house (docs/architecture.md) as the tree has it: no two modules or packages
import each other in a circle at run time (imports under ``if TYPE_CHECKING:`` aside), no
loose module at the top of ``callcenter/``, the import contracts kept, and the README's and
the architecture page's tables name every package there is and none that is not."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[1]
ROOTS = ("callcenter", "routing", "schedules", "dashboard")


def modules() -> dict[str, Path]:
    found = {}
    for root in ROOTS:
        for path in (ROOT / root).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def runtime_imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The project's modules ``path`` imports when it runs (``TYPE_CHECKING`` blocks left
    out); ``from package import module`` counts the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    # importing a package from inside it (its own __init__) is no circle worth naming
    return {m for m in out if m in known and m != name and not name.startswith(m + ".")}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected parts of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    part.append(member)
                    if member == node:
                        break
                if len(part) > 1:
                    found.append(sorted(part))
    return found


def package_of(module: str) -> str:
    """``routing``, ``schedules``, ``dashboard``, or a first-level part of ``callcenter``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "callcenter" and len(parts) > 1 else parts[0]


def test_no_module_imports_itself_round_a_circle() -> None:
    known = modules()
    graph = {name: runtime_imports(path, name, known) for name, path in known.items()}
    assert circles(graph) == []


def test_no_package_imports_itself_round_a_circle() -> None:
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        here = package_of(name)
        graph.setdefault(here, set()).update(
            package_of(m) for m in runtime_imports(path, name, known) if package_of(m) != here
        )
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_callcenter_has_no_loose_module() -> None:
    loose = sorted(p.name for p in (ROOT / "callcenter").glob("*.py"))
    assert loose == ["__init__.py"]


def packages() -> set[str]:
    """``callcenter/<part>/`` and the other top-level packages, as folders."""
    parts = {f"callcenter/{p.parent.name}/" for p in (ROOT / "callcenter").glob("*/__init__.py")}
    return parts | {f"{root}/" for root in ROOTS if root != "callcenter"}


def test_the_readme_names_every_package_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `([\w/]+/)` \|", layout, re.M)) - {"tests/", "bench/"}
    assert named == packages()


def test_the_architecture_page_names_every_package_and_no_other() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page.split("## The packages", 1)[1].split("\n## ", 1)[0]
    named = {n.replace(".", "/") + "/" for n in re.findall(r"^\| `([\w.]+)` \|", table, re.M)}
    assert named == packages()


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
