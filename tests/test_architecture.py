"""The shape of the code: no import cycles, and a reason beside every deferred import.

The layers themselves are import-linter's contracts in pyproject.toml (`make lint`); these
tests add what a contract cannot say.
"""

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dsr", "connectors", "accounts")


def _sources() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_there_is_no_import_cycle_among_our_modules_counting_imports_inside_functions():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            # a package's __init__ is not a step of a cycle through its own children
            if not module.startswith(imported + ".")
        }
        for module in graph.modules
    }
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


def _unexplained_deferred_imports(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    tree = ast.parse("\n".join(lines))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            ours = any(name.split(".")[0] in PACKAGES for name in names)
            if not ours:
                continue
            # the comment is on the line above, or above the group of imports it heads
            above = node.lineno - 2
            while above >= 0 and lines[above].lstrip().startswith(("from ", "import ")):
                above -= 1
            if above < 0 or not lines[above].lstrip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_import_inside_a_function_of_our_own_modules_says_why():
    unexplained = [line for path in _sources() for line in _unexplained_deferred_imports(path)]
    assert unexplained == []


def test_every_package_says_in_one_line_what_it_holds():
    silent = []
    for package in (*PACKAGES, "tests"):
        for init in sorted((ROOT / package).rglob("__init__.py")):
            if "migrations" in init.parts:
                continue
            doc = ast.get_docstring(ast.parse(init.read_text()))
            if not doc or not doc.strip():
                silent.append(str(init.relative_to(ROOT)))
    assert silent == []


def test_the_connectors_package_names_nothing_of_the_case_domain():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    leaks = {
        (module, imported)
        for module in graph.find_descendants("connectors") | {"connectors"}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in {"dsr", "accounts"}
    }
    assert leaks == set()
