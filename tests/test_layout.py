"""The package layout: imports only go down, the public API is cheap to import, and the dotted
paths Scrapy and Datasette load by name resolve."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each part may never import (a prefix forbids the module and everything below it).
UPPER = ("newsarchive.crawl", "newsarchive.serve", "newsarchive.warc", "newsarchive.cli")
UPPER += ("newsarchive.cli_warc", "newsarchive.cli_units", "newsarchive.cli_options")
UPPER += ("newsarchive.cli_crawl", "newsarchive.cli_extract", "newsarchive.cli_read")
UPPER += ("newsarchive.cli_admin", "newsarchive.settings", "spiders")
PURE = ("scrapy", "twisted", "datasette", "sqlite3", "sqlite_utils", "newsarchive.store", *UPPER)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "newsarchive.model": ("scrapy", "newsarchive.extract", "newsarchive.dates", *PURE),
    "newsarchive.defaults": ("newsarchive.", *PURE),
    "newsarchive.urls": ("scrapy", "newsarchive.extract", "newsarchive.dates", *PURE),
    "newsarchive.extract": PURE,
    "newsarchive.dates": PURE,
    "newsarchive.store": ("scrapy", "twisted", "datasette", *UPPER),
    "newsarchive.serve": ("scrapy", "twisted", "newsarchive.crawl", "newsarchive.cli", "spiders"),
    "newsarchive.distributed": ("newsarchive.serve", "newsarchive.cli"),
    "spiders": ("newsarchive.serve", "newsarchive.cli", "sqlite3", "sqlite_utils"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (functions and TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(rules: dict[str, tuple[str, ...]], files: list[tuple[str, Path]]) -> list[str]:
    bad = []
    for mod, path in files:
        for part, forbidden in rules.items():
            if not under(mod, part):
                continue
            for imported in sorted(imports_of(path)):
                if any(under(imported, f) and not under(imported, part) for f in forbidden):
                    bad.append(f"{mod} imports {imported}")
    return bad


FILES = sorted((ROOT / "newsarchive").rglob("*.py")) + sorted((ROOT / "spiders").rglob("*.py"))
SOURCES = [(module_name(p), p) for p in FILES]


def test_every_source_file_is_checked() -> None:
    parts = {mod.split(".")[:2][-1] for mod, _ in SOURCES if "." in mod}
    assert {"extract", "dates", "store", "crawl", "serve", "model", "urls"} <= parts


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_imports_only_go_down(part: str) -> None:
    assert violations({part: FORBIDDEN[part]}, SOURCES) == []


def test_spiders_import_no_store() -> None:
    assert violations({"spiders": ("newsarchive.store",)}, SOURCES) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rule table is not vacuous: an upward import in a pure package is reported."""
    fake = tmp_path / "probe.py"
    source = "def f():\n    from newsarchive.store.archive import Archive\n    import scrapy\n"
    fake.write_text(source, encoding="utf-8")
    found = violations({"newsarchive.extract": PURE}, [("newsarchive.extract._layout_probe", fake)])
    assert found == [
        "newsarchive.extract._layout_probe imports newsarchive.store.archive",
        "newsarchive.extract._layout_probe imports newsarchive.store.archive.Archive",
        "newsarchive.extract._layout_probe imports scrapy",
    ]


def test_public_api_is_lazy_and_complete() -> None:
    code = (
        "import sys, newsarchive\n"
        "heavy = [m for m in ('trafilatura', 'sqlite_utils', 'scrapy', 'dateparser')"
        " if m in sys.modules]\n"
        "assert heavy == [], heavy\n"
        "from newsarchive import Archive, extract_article, normalize_date\n"
        "from newsarchive.dates.normalize import normalize_date as n\n"
        "from newsarchive.extract.article import extract_article as e\n"
        "from newsarchive.store.archive import Archive as a\n"
        "assert (Archive, extract_article, normalize_date) == (a, e, n)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "ok", done.stderr


def test_scrapy_components_named_in_settings_load() -> None:
    from scrapy.utils.misc import load_object

    from newsarchive import settings

    named = [
        *settings.DOWNLOADER_MIDDLEWARES,
        *settings.ITEM_PIPELINES,
        *settings.EXTENSIONS,
        *settings.ADDONS,
    ]
    assert named
    for path in named:
        load_object(path)


ONCE = {
    '"archive.db"': "DEFAULT_DB",
    '"Europe/Rome"': "DEFAULT_TZ (and the grammar's CET/CEST zone words)",
    "TOO_LARGE = ": "outcomes.TOO_LARGE",
    "ALLOWED_SCHEMES = ": "urls.ALLOWED_SCHEMES",
    "CHROME_ROLES = ": "chrome.CHROME_ROLES",
    "TOKEN_SPLIT_RE = ": "chrome.TOKEN_SPLIT_RE (class/id tokens split into words)",
    "def utc_now(": "model.utc_now",
    "1, 6, 24, 168": "DEFAULT_RECHECK_HOURS",
}
ALLOWED = {'"Europe/Rome"': 2}


@pytest.mark.parametrize("text", sorted(ONCE))
def test_a_shared_constant_is_written_once(text: str) -> None:
    where = [
        f"{mod}:{n}"
        for mod, path in SOURCES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if text in line and not line.lstrip().startswith("#")
    ]
    assert len(where) == ALLOWED.get(text, 1), (ONCE[text], where)


def edits_sys_path(path: Path) -> bool:
    """Whether a file calls sys.path.insert/append/extend (or assigns sys.path)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = node.value if isinstance(node, ast.Attribute) else None
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "path"
            and isinstance(target.value, ast.Name)
            and target.value.id == "sys"
        ):
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "path" for t in node.targets
        ):
            return True
    return False


def test_tests_and_bench_are_apart() -> None:
    """tests/ never import bench/, bench/ never imports tests/, the testing package imports
    neither, and none of the three edits sys.path (the helpers are importable through the
    install)."""
    bench = {p.stem for p in (ROOT / "bench").glob("*.py")}
    tests = {p.stem for p in (ROOT / "tests").glob("*.py")}
    bad = []
    apart = (("tests", bench), ("bench", tests), ("newsarchive_testing", bench | tests))
    for folder, forbidden in apart:
        for path in sorted((ROOT / folder).glob("*.py")):
            if edits_sys_path(path):
                bad.append(f"{folder}/{path.name} edits sys.path")
            for imported in imports_of(path):
                if imported.split(".")[0] in forbidden:
                    bad.append(f"{folder}/{path.name} imports {imported}")
    assert bad == []


def test_the_testing_package_stays_out_of_the_wheel() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "newsarchive",
        "spiders",
    ]
