"""The policy core (plugins/module_utils/congvu/) stays pure: no Ansible, no I/O, the standard library alone.

The core receives data (file contents, parsed YAML, LDAP entries as dicts, the day) and returns
decisions; reading and writing happen in the adapters beside it (congvu_directory.py, congvu_planner_files.py,
congvu_files.py, congvu_holidays.py, ...) and in the modules and host scripts (docs/architecture.md,
"Layers"). This scans every file of the core's syntax tree, so a new file is covered without a change
here, and imports each module_utils file in a fresh interpreter that sees the standard library only: what
`ansible-test sanity --test import` checks, which cannot run here (its virtualenv is bootstrapped with a
pip script downloaded from outside the package registries, scripts/sanity.sh).
"""

import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
CORE = os.path.join(MODULE_UTILS, "congvu")
CORE_FILES = sorted(name for name in os.listdir(CORE) if name.endswith(".py"))

# Modules that reach a server, a file, a process or the clock, or that only adapters may import.
FORBIDDEN_MODULES = {
    "ansible", "ansible_collections",
    "ldap", "ldap3", "socket", "ssl", "subprocess", "urllib", "http", "sqlite3", "psycopg2", "requests",
    "smtplib", "imaplib", "poplib", "ftplib", "asyncio", "select", "selectors", "signal", "fcntl", "mmap",
    "shutil", "tempfile", "glob", "pathlib", "fileinput", "gettext", "gc", "multiprocessing", "threading",
    # heavy libraries: only in adapters, imported inside the function that uses them
    "yaml", "holidays", "matplotlib", "jinja2", "markupsafe", "weasyprint", "openpyxl", "babel", "systemd",
}
# A third-party library the core may import inside a function, with why (never at load time).
LAZY_ALLOWED = {
    "unidecode": "roster.py: the look-alike hint of a refused character only (data tables, no I/O); "
                 "the naming rule itself never needs it",
}
# Calls that read or write a file, walk a directory, or read the clock.
FORBIDDEN_CALLS = {
    "open", "io.open", "os.open", "os.listdir", "os.scandir", "os.walk", "os.stat", "os.makedirs",
    "os.mkdir", "os.remove", "os.unlink", "os.rename", "os.replace", "os.chmod", "os.write", "os.read",
    "os.fsync", "os.close", "os.urandom", "os.getenv", "os.system", "os.popen",
    "os.path.exists", "os.path.isdir", "os.path.isfile", "os.path.getsize", "os.path.getmtime",
    "os.path.abspath", "os.path.realpath", "os.path.expanduser",
    "datetime.now", "datetime.utcnow", "datetime.today", "date.today", "dt.datetime.now", "dt.datetime.utcnow",
    "dt.datetime.today", "dt.date.today", "time.time", "time.monotonic", "time.sleep",
    "print", "input", "exec", "eval", "__import__",
}
# The clock, however it is reached (`dt.datetime.now`, `from datetime import date; date.today`, an alias).
CLOCK_METHODS = {"now", "utcnow", "today"}
STDLIB = set(sys.stdlib_module_names)


def _dotted(node):
    """`os.path.exists` for the expression os.path.exists, None when it is not a plain dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _imports(tree):
    """(top-level name, line, at load time) of every absolute import of a module's tree."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name.split(".")[0], child.lineno, not in_function
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield child.module.split(".")[0], child.lineno, not in_function
            yield from walk(child, inside)

    yield from walk(tree, False)


def violations(source, name="<source>"):
    """Every way `source` breaks the core's purity, one line each."""
    tree = ast.parse(source, name)
    found = []
    for module, line, at_load in _imports(tree):
        if module in FORBIDDEN_MODULES:
            found.append(f"{name}:{line}: imports {module}")
        elif module == "__future__" or module in STDLIB:
            continue
        elif at_load:
            found.append(f"{name}:{line}: imports {module} at load time (the standard library alone)")
        elif module not in LAZY_ALLOWED:
            found.append(f"{name}:{line}: imports {module} (not a library the core may use)")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:  # `from os import listdir` is the same call without its prefix
                if f"{node.module}.{alias.name}" in FORBIDDEN_CALLS:
                    found.append(f"{name}:{node.lineno}: imports {node.module}.{alias.name}")
        if isinstance(node, ast.Call):
            called = _dotted(node.func)
            if called in FORBIDDEN_CALLS:
                found.append(f"{name}:{node.lineno}: calls {called}()")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_METHODS:
                found.append(f"{name}:{node.lineno}: reads the clock ({called or node.func.attr}())")
    return found


@pytest.mark.parametrize("file_name", CORE_FILES)
def test_core_file_is_pure(file_name):
    with open(os.path.join(CORE, file_name), encoding="utf-8") as handle:
        source = handle.read()
    assert violations(source, file_name) == []


@pytest.mark.parametrize("source, expected", [
    ("import yaml\n", "imports yaml"),
    ("def f():\n    import yaml\n", "imports yaml"),
    ("from ldap.controls import X\n", "imports ldap"),
    ("import ansible.module_utils.basic\n", "imports ansible"),
    ("import subprocess\n", "imports subprocess"),
    ("import unidecode\n", "imports unidecode at load time"),
    ("def f():\n    import psutil\n", "imports psutil (not a library"),
    ("def f(p):\n    return open(p).read()\n", "calls open()"),
    ("import os\nos.listdir('.')\n", "calls os.listdir()"),
    ("import os\nfor x in os.walk('.'): pass\n", "calls os.walk()"),
    ("import os\nos.scandir('.')\n", "calls os.scandir()"),
    ("import datetime as dt\nx = dt.datetime.now(dt.UTC)\n", "calls dt.datetime.now()"),
    ("from datetime import date as D\nx = D.today()\n", "reads the clock (D.today())"),
    ("from os import listdir\n", "imports os.listdir"),
])
def test_the_scan_finds_each_kind_of_impurity(source, expected):
    """The scan itself can fail: each forbidden import or call is reported."""
    found = violations(source)
    assert len(found) == 1 and expected in found[0], found


def test_the_scan_allows_what_the_core_does():
    source = ("from __future__ import annotations\nimport datetime as dt\nimport re\nfrom . import naming\n"
              "import os\n\ndef hint(c):\n    from unidecode import unidecode\n    return unidecode(c)\n\n"
              "def code(name):\n    return os.path.splitext(name)[0] + dt.date(2026, 1, 1).isoformat()\n")
    assert violations(source) == []


# The module_utils files that need a library outside the standard library at load time: adapters only,
# each for a reason, and none of them imported by a module that runs on a managed host.
HEAVY_ADAPTERS = {
    "congvu_render/__init__.py": "the report renderer (matplotlib, Jinja2, WeasyPrint, openpyxl), controller only",
    "congvu_render/charts.py": "matplotlib, controller only",
    "congvu_render/document.py": "Jinja2, controller only",
    "congvu_render/i18n.py": "a module of the package congvu_render, whose __init__ loads the renderers",
    "congvu_render/sheets.py": "openpyxl, controller only",
    "congvu_usage/postgresql.py": "psycopg2, imported by store.py only when the database is PostgreSQL",
}


def _module_utils_files():
    for folder, subfolders, names in os.walk(MODULE_UTILS):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith((".", "__")))
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.relpath(os.path.join(folder, name), MODULE_UTILS)


IMPORTABLE = [f for f in _module_utils_files() if f not in HEAVY_ADAPTERS]


def test_heavy_adapters_exist():
    """The exemptions name real files (a renamed adapter must not leave a stale exemption behind)."""
    assert set(HEAVY_ADAPTERS) <= set(_module_utils_files())


def test_module_utils_import_with_the_standard_library_alone():
    """Each file imports in a fresh interpreter without site-packages (-I -S): only the standard library
    and plugins/module_utils itself on the path, as ansible-test's import test would check."""
    names = [f[:-3].replace(os.sep, ".").removesuffix(".__init__") for f in IMPORTABLE]
    script = (
        "import importlib, sys\n"
        f"sys.path[:0] = [{MODULE_UTILS!r}]\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    before = set(sys.modules)\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "    for loaded in set(sys.modules) - before:\n"  # each file on its own: no module_utils left by another
        "        if loaded.startswith('congvu'):\n"
        "            del sys.modules[loaded]\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script, *names], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
