"""Layering of the scorers (and what training shares with them), read from the source with ``ast``:
no import cycle, function-local imports included; no module imports another's ``_private`` names;
the batching leaf imports nothing else of xlt.scoring; training takes prompt encoding from xlt.data."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [*sorted((ROOT / "xlt" / "scoring").glob("*.py")), ROOT / "xlt" / "training" / "examples.py",
           *sorted((ROOT / "xlt" / "results").glob("*.py")), ROOT / "xlt" / "data" / "encode.py",
           ROOT / "xlt" / "data" / "prompts.py", ROOT / "xlt" / "languages" / "groups.py"]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[str, str | None, int]]:
    """Every import in ``source`` (anywhere: module level, functions, TYPE_CHECKING blocks) as
    ``(module imported from, name or None, line)``; ``module._x`` attribute uses of an imported module
    count as importing ``_x`` from it."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, str | None, int]] = []
    bound: dict[str, str] = {}  # local name -> module it refers to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, None, node.lineno))
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.append((base, alias.name, node.lineno))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in bound:
                found.append((".".join([bound[value.id], *reversed(chain)]), node.attr, node.lineno))
    return found


def graph(files: dict[str, str], packages: frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """module -> the modules among ``files`` it imports (``from pkg import sub`` is an edge to pkg.sub)."""
    out: dict[str, set[str]] = {}
    for mod, src in files.items():
        deps = set()
        for target, name, _ in imports(src, mod, mod in packages):
            sub = f"{target}.{name}" if name else None
            if sub in files:
                deps.add(sub)
            elif target in files:
                deps.add(target)
        out[mod] = deps - {mod}
    return out


def cycle(files: dict[str, str], packages: frozenset[str] = frozenset()) -> list[str] | None:
    """One import cycle among ``files`` (module -> source), or None."""
    try:
        TopologicalSorter(graph(files, packages)).prepare()
    except CycleError as err:
        return list(err.args[1])
    return None


def private_imports(files: dict[str, str], packages: frozenset[str] = frozenset()) -> list[str]:
    """``module:line imports _name from other`` for every private name taken from another module."""
    return [f"{mod}:{line} imports {name} from {target}" for mod, src in files.items()
            for target, name, line in imports(src, mod, mod in packages)
            if name and name.startswith("_") and not name.startswith("__") and target != mod]


@pytest.fixture(scope="module")
def sources() -> tuple[dict[str, str], frozenset[str]]:
    files = {module_name(p): p.read_text(encoding="utf-8") for p in CHECKED}
    return files, frozenset(module_name(p) for p in CHECKED if p.name == "__init__.py")


def test_no_import_cycle(sources):
    files, packages = sources
    assert cycle(files, packages) is None


def test_no_private_names_from_other_modules(sources):
    files, packages = sources
    assert private_imports(files, packages) == []


def test_batching_is_the_leaf_and_scorers_build_on_it(sources):
    files, packages = sources
    deps = graph(files, packages)
    assert not {d for d in deps["xlt.scoring.batching"] if d.startswith("xlt.scoring")}
    assert "xlt.scoring.batching" in deps["xlt.scoring.prefix"] and "xlt.scoring.scorer" in deps["xlt.scoring.cot"]
    assert "xlt.scoring.scorer" not in deps["xlt.scoring.prefix"] | deps["xlt.scoring.packed"]


def test_training_takes_prompt_encoding_from_the_prompts(sources):
    files, packages = sources
    scoring = {d for d in graph(files, packages)["xlt.training.examples"] if d.startswith("xlt.scoring")}
    assert scoring <= {"xlt.scoring.labels"} and "xlt.data.encode" in graph(files, packages)["xlt.training.examples"]


def test_the_checks_catch_local_cycles_and_private_names():
    """The detectors themselves: a cycle closed by a function-local import, and both forms of private use."""
    files = {"p.a": "from p.b import f\n",
             "p.b": "def f():\n    from p.a import _g\n    return _g\n",
             "p.c": "import p.a as a\n\ndef h():\n    return a._g()\n"}
    assert set(cycle(files)) == {"p.a", "p.b"}
    assert private_imports(files) == ["p.b:2 imports _g from p.a", "p.c:4 imports _g from p.a"]
    assert cycle({"p.a": "from . import b\n", "p.b": "x = 1\n"}) is None
    assert cycle({"p.a": "from . import b\n", "p.b": "from .a import x\n"}) is not None
