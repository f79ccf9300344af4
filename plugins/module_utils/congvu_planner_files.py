"""The planner's files: the roster folder (list and read the agency files, compose their YAML) and a state
export, handed to the core as bytes, nodes and text.

The policy core validates a roster it is given as bytes, with a composer it is given
(congvu/roster.py: load_roster(files, compose, ...)); this file reads the folder and composes with
PyYAML (libyaml's C parser when present: about ten times faster on a 100,000-person roster), imported
here only, when a roster is loaded. load_roster(folder), load_state(path) and plan_roster_path(folder,
...) are what the modules, the tools and the tests call.

Imported by the modules (as part of the collection) and by the tools and tests (beside the core on
their sys.path), hence the two ways of reaching the core below.
"""

from __future__ import annotations

import datetime as dt
import os

if __package__:  # the collection's module_utils (a module run)
    from .congvu.account_import import YamlCodec
    from .congvu.plan import Plan, invalid_plan, make_plan
    from .congvu.roster import Roster, RosterFile, RosterInvalid, YamlSyntaxError, roster_order
    from .congvu.roster import load_roster as _validate
    from .congvu.settings import Settings
    from .congvu.state import State
else:  # a tool or a test: the core on sys.path as the package congvu
    from congvu.account_import import YamlCodec
    from congvu.plan import Plan, invalid_plan, make_plan
    from congvu.roster import Roster, RosterFile, RosterInvalid, YamlSyntaxError, roster_order
    from congvu.roster import load_roster as _validate
    from congvu.settings import Settings
    from congvu.state import State


def roster_files(folder: str) -> list[str]:
    """The agency files of a roster folder, in file-name order (this order is the roster order)."""
    return roster_order(os.listdir(folder))


def read_roster_files(folder: str) -> list[RosterFile] | None:
    """Every agency file of `folder` with its bytes (or why it could not be read); None: no such folder."""
    if not os.path.isdir(folder):
        return None
    files = []
    for name in roster_files(folder):
        try:
            with open(os.path.join(folder, name), "rb") as handle:
                files.append(RosterFile(name, handle.read()))
        except OSError as exc:
            files.append(RosterFile(name, unreadable=exc.strerror or str(exc)))
    return files


def _syntax_error(exc) -> YamlSyntaxError:
    """PyYAML's error as the core's: the parser's words, its line and the line of what it was reading."""
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    return YamlSyntaxError(getattr(exc, "problem", None) or str(exc), mark.line + 1 if mark else 1,
                           getattr(exc, "context", None) or "",
                           context_mark.line + 1 if context_mark is not None else None)


def compose(text: str):
    """The root node of one YAML document (None when empty); a syntax error as the core's YamlSyntaxError."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from None


def _compose_all(text: str) -> list:
    import yaml

    try:
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from None


def _load(text: str):
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from None


def _node_data(node):
    import yaml

    return yaml.safe_load(yaml.serialize(node))


# PyYAML for tools/import_accounts.py (congvu.account_import): another system's accounts into roster files.
IMPORT_YAML = YamlCodec(_compose_all, _load, _node_data)


def load_roster(folder: str, settings: Settings | None = None) -> Roster:
    """Read every agency file under `folder`, validate all of it, and return the Roster.

    Raises RosterInvalid listing every error (and warning) when anything is wrong.
    """
    return _validate(read_roster_files(folder), compose, settings, folder)


def load_state(path: str | None) -> State:
    """Read a JSON state export; no path means a new province with no mailbox yet."""
    if not path:
        return State()
    with open(path, encoding="utf-8") as handle:
        return State.loads(handle.read(), path)


def plan_roster_path(folder: str, state: State, settings: Settings, today: dt.date, override: bool = False) -> Plan:
    """Load + validate the roster folder and plan it; a roster that fails gives a plan of errors only."""
    try:
        roster = load_roster(folder, settings)
    except RosterInvalid as exc:
        return invalid_plan(exc, state, settings, today, folder, override)
    return make_plan(roster, state, today, override)
