"""The collection's modules, filters and lookup are called by their fully qualified names (docs/collection.md).

ansible.cfg no longer puts plugins/ on Ansible's plugin paths, so a short name fails only when the task or
the template runs (a lookup in a role default, in one scenario); this finds every one at once.
"""

import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
# every filter the plugins define: the keys of their FilterModule.filters() dicts
FILTERS = sorted({name for plugin in os.listdir(os.path.join(ROOT, "plugins", "filter")) if plugin.endswith(".py")
                  for name in re.findall(r'"(congvu_\w+)":', open(os.path.join(ROOT, "plugins", "filter", plugin),
                                                                    encoding="utf-8").read())})

SHORT_LOOKUP = re.compile(r"""\b(?:lookup|query)\(\s*['"]congvu_profile['"]""")
SHORT_FILTER = re.compile(r"\|\s*(?:" + "|".join(FILTERS) + r")\b")
# a task whose action is one of the collection's modules by its short name
SHORT_MODULE = re.compile(r"^\s*-?\s*(?:" + "|".join(MODULES) + r"):\s*(?:#.*)?$", re.MULTILINE)
OLD_IMPORT = re.compile(r"\bansible\.module_utils\.congvu")
TASK_FOLDERS = ("tasks", "handlers")


def files(*tops, suffixes=(".yml", ".yaml", ".j2")):
    for top in tops:
        for folder, subfolders, names in os.walk(os.path.join(ROOT, top)):
            subfolders[:] = [s for s in subfolders if not s.startswith(".")]
            for name in names:
                if name.endswith(suffixes):
                    yield os.path.join(folder, name)


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_templates_call_the_filters_and_the_lookup_by_their_full_names():
    found = []
    for path in files("playbooks", "roles", "molecule", "inventories", "tests"):
        text = read(path)
        for pattern in (SHORT_LOOKUP, SHORT_FILTER):
            found += [f"{os.path.relpath(path, ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found, "use congvu.mail.<name>:\n" + "\n".join(found)


def test_tasks_call_the_modules_by_their_full_names():
    found = []
    for path in files("playbooks", "roles", "molecule", suffixes=(".yml", ".yaml")):
        relative = os.path.relpath(path, ROOT)
        parts = relative.split(os.sep)
        if parts[0] == "roles" and parts[2] not in TASK_FOLDERS:
            continue  # a role's defaults and specs may name a variable `roster:`; only tasks run modules
        found += [f"{relative}: {m.group(0).strip()}" for m in SHORT_MODULE.finditer(read(path))]
    assert not found, "use congvu.mail.<module>:\n" + "\n".join(found)


def test_plugins_import_their_helpers_from_the_collection():
    found = [os.path.relpath(path, ROOT) for path in files("plugins", suffixes=(".py",))
             if OLD_IMPORT.search(read(path))]
    assert not found, "import ansible_collections.congvu.mail.plugins.module_utils...: " + ", ".join(found)
