#!/usr/bin/env python3
"""Bring another system's accounts into the roster: one run per source system (docs/import.md).

    python tools/import_accounts.py --export quangtri.csv --agency-map departments.yml \\
        --roster inventories/prod/roster --state state.json --id-prefix QT- \\
        --map id=employeeNumber,name=displayName,mail=mail,agency=department,title=title \\
        --migration migrate-quangtri.yml [--merge-into-existing] [--language en]

Reads the export (CSV or LDIF, UTF-8 with or without a BOM), maps each account to a person of an agency
through the department map, checks every collision against the roster and the state export, and only
when there is no error writes the agency files (one per agency, stable bytes) and the migration list
(old address -> new mailbox). The written roster is loaded with the project's own load_roster and
planned against the state before anything is written. Exit 0: done (or nothing to change); 2: an error,
nothing written. What it prints is in Vietnamese unless --language en.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils"))

from congvu import account_import as ai  # noqa: E402
from congvu.messages import DEFAULT_LANGUAGE, N_, check_language, tr  # noqa: E402
from congvu.plan import make_plan  # noqa: E402
from congvu.roster import Problem, RosterInvalid  # noqa: E402
from congvu.settings import Settings  # noqa: E402
from congvu.state import State  # noqa: E402
from congvu_planner_files import IMPORT_YAML, load_roster, load_state, roster_files  # noqa: E402


def _read(path: str, errors: list[Problem]) -> str | None:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        errors.append(Problem(path, 0, "cannot read the file: %(reason)s", params={"reason": exc.strerror}))
        return None
    text, problems = ai.decode(raw, path)
    errors.extend(problems)
    return text


def _show(problems: list[Problem], language: str, stream=None) -> None:
    for problem in problems:
        print(problem.text(language), file=stream or sys.stdout)


def _fail(errors: list[Problem], notices: list[Problem], language: str) -> int:
    _show(notices, language)
    print(tr(N_("the import has %(count)s error(s); nothing was written:"), language, count=len(errors)),
          file=sys.stderr)
    _show(errors, language, sys.stderr)
    return 2


def _write(path: str, text: str) -> None:
    """Write through a temporary file beside it, so that a file is never left half written."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".import-", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--export", required=True, help="the other system's directory export (.csv or .ldif)")
    parser.add_argument("--format", choices=("csv", "ldif"), help="default: from the file name's extension")
    parser.add_argument("--map", default="", help="key=column,... keys: " + ", ".join(ai.KEYS))
    parser.add_argument("--delimiter", help="CSV delimiter (default: guessed from the header: , ; tab |)")
    parser.add_argument("--agency-map", required=True, help="source department -> agency code (.yml or .csv)")
    parser.add_argument("--roster", required=True, help="this province's roster folder; the files are written there")
    state_group = parser.add_mutually_exclusive_group(required=True)
    state_group.add_argument("--state", help="the state export JSON (every address ever used, every id)")
    state_group.add_argument("--no-state", action="store_true",
                             help="a province with no mailbox yet (no address history is checked)")
    parser.add_argument("--id-prefix", default="", help="prefixed to every source id, e.g. QT-")
    parser.add_argument("--label", help="names this source in the files (default: the export's file name)")
    parser.add_argument("--domain", default=Settings().domain, help="the mail domain (congvu__domain)")
    parser.add_argument("--former-domain", action="append", default=[], dest="former_domains",
                        help="a domain this system receives for (congvu__former_domains), e.g. the other system's: "
                             "the old addresses in it are written as the people's former_addresses, aliases of "
                             "their new mailboxes (repeat for several)")
    parser.add_argument("--migration", help="the migration list to write (default: migrate-<label>.yml here)")
    parser.add_argument("--merge-into-existing", action="store_true",
                        help="add the imported staff at the end of existing agency files")
    parser.add_argument("--language", default=DEFAULT_LANGUAGE, help="vi (default) or en")
    args = parser.parse_args(argv)
    language = check_language(args.language)
    settings = Settings(domain=args.domain, former_domains=tuple(d.strip().lower() for d in args.former_domains))
    label = args.label or os.path.basename(args.export)
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in os.path.splitext(label)[0])
    migration = args.migration or f"migrate-{stem}.yml"
    roster_dir = os.path.abspath(args.roster)
    if os.path.abspath(os.path.dirname(os.path.abspath(migration))) == roster_dir:
        print(tr(N_("the migration list must not be written into the roster folder (it would be read as an "
                    "agency file): %(file)s"), language, file=migration), file=sys.stderr)
        return 2

    errors: list[Problem] = []
    fmt = args.format or ("ldif" if args.export.lower().endswith(".ldif") else "csv")
    defaults = ai.LDIF_DEFAULTS if fmt == "ldif" else ai.CSV_DEFAULTS
    columns, problems = ai.parse_map_option(args.map, defaults)
    errors += problems
    given = frozenset(part.partition("=")[0].strip() for part in args.map.split(",") if "=" in part)
    text = _read(args.export, errors)
    accounts, skipped, export_errors = [], 0, []
    if text is not None and not problems:
        if fmt == "ldif":
            accounts, export_errors, skipped = ai.parse_ldif(text, args.export, columns, given)
        else:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(args.delimiter or "", args.delimiter)
            accounts, export_errors = ai.parse_csv(text, args.export, columns, given, delimiter)
        if not accounts:  # the export could not be read at all (a missing column): nothing to check further
            errors += export_errors
            export_errors = []
    map_text = _read(args.agency_map, errors)
    agency_map = ai.AgencyMap(args.agency_map)
    if map_text is not None:
        if args.agency_map.lower().endswith((".yml", ".yaml")):
            agency_map, problems = ai.parse_agency_map_yaml(map_text, args.agency_map, IMPORT_YAML)
        else:
            agency_map, problems = ai.parse_agency_map_csv(map_text, args.agency_map)
        errors += problems
    try:
        roster = load_roster(roster_dir, settings)
    except RosterInvalid as exc:
        print(tr(N_("this province's roster has errors; correct them first:"), language), file=sys.stderr)
        _show([p for p in exc.problems if p.severity == "error"], language, sys.stderr)
        return 2
    try:
        state = load_state(args.state) if args.state else State()
    except (OSError, ValueError) as exc:
        errors.append(Problem(args.state, 0, "cannot read the state export: %(reason)s",
                              params={"reason": getattr(exc, "strerror", None) or str(exc)}))
        state = State()
    if errors:
        return _fail(errors, [], language)

    existing = {}
    for name in roster_files(roster_dir):
        with open(os.path.join(roster_dir, name), encoding="utf-8", newline="") as handle:  # bytes kept
            existing[name] = handle.read()
    result = ai.prepare(accounts, agency_map, roster, state, settings, label, IMPORT_YAML, args.id_prefix, existing,
                        args.merge_into_existing, skipped)
    if result.errors or export_errors:  # the export's bad lines and every collision, in one round
        result.errors = sorted(export_errors + result.errors, key=lambda p: (p.file, p.line))
        print(tr(N_("accounts read: %(count)s from %(file)s (entries that are not accounts, skipped: %(skipped)s)"),
                 language, count=result.accounts, file=args.export, skipped=result.skipped))
        return _fail(result.errors, result.notices, language)

    # The roster as it would be, checked by the project's own loader and planned against the state, in a
    # copy: the real folder is touched only when all of it passes.
    with tempfile.TemporaryDirectory(prefix="congvu-import-") as scratch:
        copy = os.path.join(scratch, "roster")
        shutil.copytree(roster_dir, copy)
        for name, content in result.files.items():
            with open(os.path.join(copy, name), "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
        try:
            new_roster = load_roster(copy, settings)
        except RosterInvalid as exc:
            return _fail([p for p in exc.problems if p.severity == "error"], result.notices, language)
        plan = make_plan(new_roster, state, dt.date.today())
        if plan.errors:
            return _fail(plan.errors, result.notices, language)
    imported = {p.id for group in result.people.values() for p in group}
    addresses = {item.id: item.address for item in plan.items if item.kind == "person" and item.id in imported}
    migration_text = ai.migration_text(result.people, addresses, label, bool(args.state), IMPORT_YAML)

    for name in sorted(result.files):
        _write(os.path.join(roster_dir, name), result.files[name])
    _write(migration, migration_text)

    _show(result.notices, language)
    print(tr(N_("accounts read: %(count)s from %(file)s (entries that are not accounts, skipped: %(skipped)s)"),
             language, count=result.accounts, file=args.export, skipped=result.skipped))
    for code in sorted(result.people):
        agency = new_roster.agency(code)
        print(tr(N_("agency %(code)s (%(name)s): %(count)s accounts imported, %(pinned)s keep their address"),
                 language, code=code, name=agency.name if agency else "", count=len(result.people[code]),
                 pinned=sum(1 for p in result.people[code] if p.address)))
    print(tr(N_("collisions: none; same address bases: %(count)s (numbered by the planner)"), language,
             count=sum(1 for p in result.notices if "give the address base" in p.code)))
    for name in result.new_files:
        print(tr(N_("new agency file: %(file)s"), language, file=os.path.join(args.roster, name)))
    for name in result.merged_files:
        print(tr(N_("staff added to the agency file: %(file)s"), language, file=os.path.join(args.roster, name)))
    for name in result.unchanged:
        print(tr(N_("already imported, unchanged: %(file)s"), language, file=os.path.join(args.roster, name)))
    print(tr(N_("migration list and former addresses: %(file)s (%(count)s mailboxes)"), language,
             file=migration, count=migration_text.count("source_user:")))
    if not args.state:
        print(tr(N_("no state export: the new addresses are predicted from the roster alone; with the live "
                    "province, run again with --state"), language))
    return 0


if __name__ == "__main__":
    sys.exit(main())
