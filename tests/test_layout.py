"""The house rules, checked by walking the imports: which package may depend on what."""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "crawler", "newsarchive")
SCRAPY = ("scrapy", "twisted")
# The parts of crawler/ that are plain Python: they must run without Scrapy (extraction workers,
# the planner, the archive session), so Scrapy's own parts are the only ones that import it.
SCRAPY_FREE = ("crawler.sites", "crawler.extract", "crawler.plan", "crawler.run")
COMMANDS = "crawl|fetch|recheck|history|show|diff|changes|copies|export|verify|runs|sites|db"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


MODULES = project_modules()


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Every module `module` names in an import statement, anywhere in it (functions and
    TYPE_CHECKING blocks too: the rule is about what the code depends on)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(
        name for name in names if name in MODULES or name.split(".")[0] not in PACKAGES
    )


@cache
def all_imports(module: str) -> frozenset[str]:
    """What importing `module` imports: its imports, and theirs, through the project's modules
    (a package's __init__ runs too)."""
    seen: set[str] = set()
    stack = [module]
    while stack:
        current = stack.pop()
        for name in direct_imports(current) | _parents(current):
            if name not in seen:
                seen.add(name)
                if name in MODULES:
                    stack.append(name)
    return frozenset(seen)


def _parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def third_party(module: str) -> set[str]:
    return {name.split(".")[0] for name in all_imports(module) if name not in MODULES}


def inside(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if inside(m, "archive")))
def test_the_archive_knows_nothing_of_scrapy_the_crawler_or_the_command_line(module):
    assert not third_party(module) & set(SCRAPY)
    assert not {m for m in all_imports(module) if inside(m, "crawler", "newsarchive")}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if inside(m, "archive.text")))
def test_pure_text_needs_only_the_standard_library_and_opencc(module):
    outside = third_party(module) - set(sys.stdlib_module_names) - {"opencc"}
    assert outside == set()
    assert {m for m in all_imports(module) if m in MODULES} <= {
        m for m in MODULES if inside(m, "archive.text") or m == "archive"
    }


@pytest.mark.parametrize("module", sorted(m for m in MODULES if inside(m, *SCRAPY_FREE)))
def test_the_scrapy_free_parts_of_the_crawler_import_no_scrapy(module):
    assert not third_party(module) & set(SCRAPY)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_what_it_owns_in_its_first_line(module):
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    assert docstring and docstring.splitlines()[0].strip()


def test_every_folder_of_code_is_a_package():
    folders = {
        path.parent
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert [f for f in folders if not (f / "__init__.py").is_file()] == []


def test_archive_package_init_holds_nothing_but_its_docstring():
    tree = ast.parse((ROOT / "archive" / "__init__.py").read_text(encoding="utf-8"))
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)


def test_the_archive_names_no_command_in_its_messages():
    naming = re.compile(rf"newsarchive ({COMMANDS})\b")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "archive").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if naming.search(line)
    ]
    assert found == []


def test_the_walk_sees_imports_through_other_modules():
    """The rules above hold only if a dependency through another module is seen."""
    assert "sqlalchemy" in third_party("crawler.plan.crawl")  # via archive.query
    assert "scrapy" in third_party("crawler.pipelines.archive")
    assert "crawler.sites.profile" in all_imports("crawler.extract.record")
