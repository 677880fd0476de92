"""The shape of the package, enforced: layers that point one way, no import cycle, private names
that stay in their module, and no guard against verify's own modules being missing (a broken
module must fail loudly, not be skipped).

The layers, from the bottom (a module may import its own layer and the layers below it):

    0  vocabulary   verify.model, verify.clock, verify.errors, verify.urls
    1  text         verify.text.*            (pure: no database, no network)
    2  store        verify.store.*           (the only place with SQL)
    3  network      verify.capture.fetch, netguard, browser   (one URL -> result, no database)
    4  workflows    verify.capture.* (engine, policy, cluster, replay), verify.webarchives.*,
                    verify.ingest.*, verify.review.*, verify.export.*, verify.demo.*,
                    verify.settings (the settings a command may change, role checked)
    5  faces        verify.web.*, verify.cli.*

Text sits below the store because the store's triggers compute match keys with it. Inside the
workflows, capture never imports review: a stored snapshot tells the review workflow through the
store's hook."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "verify"

LAYERS: list[tuple[int, str]] = [
    (0, r"verify\.(model|clock|errors|urls)"),
    (1, r"verify\.text(\..*)?"),
    (2, r"verify\.store(\..*)?"),
    (3, r"verify\.capture\.(fetch|netguard|browser)"),
    (4, r"verify\.(capture|webarchives|ingest|review|export|demo)(\..*)?"),
    (4, r"verify\.settings"),
    (5, r"verify\.(web|cli)(\..*)?"),
]
# verify/__init__.py, the old-path aliases and the deprecated verify.archive shim sit outside the
# layers: they only forward to the modules that hold the code.
OUTSIDE = {"verify", "verify.oldpaths", "verify.archive"}

FORBIDDEN: list[tuple[str, str, str]] = [
    (r"verify\.capture(\..*)?", r"verify\.review(\..*)?", "capture tells review through a hook"),
]


def layer_of(module: str) -> int | None:
    for rank, pattern in LAYERS:
        if re.fullmatch(pattern, module):
            return rank
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The verify modules `name` imports, anywhere in it (functions included): `from x import y`
    is x.y when y is itself a module, else x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "verify")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "verify":
                target = node.module
            else:
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & known
            out.update(subs)
            if len(subs) < len(node.names):
                out.add(target)
    return {m for m in out if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported_modules(name, path, known) for name, path in found.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, imports in sorted(graph.items()):
        if module in OUTSIDE:
            continue
        rank = layer_of(module)
        for imported in sorted(imports):
            if imported in OUTSIDE or imported == module.rpartition(".")[0]:
                continue
            other = layer_of(imported)
            if rank is not None and other is not None and other > rank:
                out.append(f"{module} (layer {rank}) imports {imported} (layer {other})")
            for src, dst, why in FORBIDDEN:
                if re.fullmatch(src, module) and re.fullmatch(dst, imported):
                    out.append(f"{module} imports {imported}: {why}")
    return out


def test_the_graph_sees_imports():
    graph = import_graph()
    assert "verify.model" in graph["verify.capture.engine"]
    assert "verify.capture.fetch" in graph["verify.capture.engine"]
    assert "verify.errors" in graph["verify.model"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_has_a_layer():
    missing = [m for m in modules() if m not in OUTSIDE and layer_of(m) is None]
    assert not missing, f"modules outside every layer: {missing}"


def test_layers_point_one_way():
    assert layer_violations({"verify.store.claims": {"verify.review.workflow"}})  # can fail
    violations = layer_violations(import_graph())
    assert not violations, "\n".join(violations)


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_private_names_stay_in_their_module():
    """`from verify.x import _name` across modules is the sign of a missing public name."""
    found = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("verify")
            ):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{name}: {node.module}.{alias.name}")
    assert not found, "private names imported across modules:\n" + "\n".join(found)


def _imports_verify(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.ImportFrom) and (
            sub.level or (sub.module or "").split(".")[0] == "verify"
        ):
            return True
        if isinstance(sub, ast.Import) and any(a.name.split(".")[0] == "verify" for a in sub.names):
            return True
    return False


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True  # a bare except catches it too
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError", "Exception")
        for n in names
    )


def guards(path: Path) -> list[str]:
    """Places in `path` that would hide a missing or broken verify module: a try around an
    import of verify whose handler catches ImportError (or everything), and
    pytest.importorskip of a verify module."""
    found = []
    label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            if any(_imports_verify(stmt) for stmt in node.body):
                found.append(f"{label}:{node.lineno}: try/except around a verify import")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "importorskip"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).split(".")[0] == "verify"
        ):
            found.append(f"{label}:{node.lineno}: importorskip of verify")
    return found


def test_the_guard_finder_finds_guards(tmp_path):
    sample = tmp_path / "guarded.py"
    sample.write_text(
        "import pytest\n"
        "try:\n    from .fetch import fetch_url\nexcept ImportError:\n    fetch_url = None\n"
        "try:\n    import fcntl\nexcept ImportError:\n    fcntl = None\n"
        "def f():\n    try:\n        from verify import capture\n    except Exception:\n        pass\n"
        "pytest.importorskip('verify.export.warc')\npytest.importorskip('setuptools')\n"
    )
    assert [g.rsplit(": ", 1)[1] for g in guards(sample)] == [
        "try/except around a verify import",
        "try/except around a verify import",
        "importorskip of verify",
    ]


def test_no_guard_against_verify_modules_missing():
    files = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "tests").rglob("*.py"))
    files += sorted((ROOT / "bench").rglob("*.py"))
    found = [g for path in files for g in guards(path)]
    assert found == []
