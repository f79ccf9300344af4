#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter over congvu.plan + congvu_directory: reconcile the roster into the live directory."""

DOCUMENTATION = r"""
module: roster
short_description: Reconcile the roster of agencies and staff into the mail directory
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Reads and validates every agency file of the roster folder, reads the current mailboxes from the
    directory with paged searches, plans (the same planner as C(roster_plan)) and applies the plan, one
    entry per LDAP operation, people first, then agency mailboxes, answers read in plan order. Nothing
    outside the plan is written; nothing is deleted.
  - >-
    In check mode it shows the plan (and with C(--diff) the before/after of each mailbox) and writes
    nothing. A run with nothing to do reports C(changed=false).
  - >-
    Stops before any write when the roster is invalid, or when the guard trips (more suspensions and
    terminations than 50 or 5% of the roster) unless I(override_guard) is set for this run.
  - >-
    New mailboxes get a random initial password that satisfies Art. 8 and must be changed at the first
    login (pwdReset). The passwords are never returned: they are appended to one CSV file per agency in
    I(initial_passwords_dir) (0600, in a 0700 folder) before the entry is created.
  - >-
    Runs where the roster files are and reaches the directory over ldapi:// (on the directory host) or
    ldaps:// (anywhere, with I(ca_file)).
options:
  roster_path: {description: Folder with one <code>.yml per agency., type: path, required: true}
  override_guard: {description: "Apply a plan over the guard limit, for this run only.", type: bool, default: false}
  revision:
    description:
      - >-
        Roster revision recorded with every change: the git commit of the roster, with C(+dirty) when it
        has uncommitted changes. C(playbooks/roster.yml) computes it on the controller, where the git
        repository is (the copy shipped to the directory host has no C(.git)).
    type: str
    required: true
  actor: {description: "Who runs the reconcile, for the audit log.", type: str}
  audit_log: {description: "JSON-lines audit log, one line per applied change.", type: path}
  initial_passwords_dir: {description: Folder for the per-agency initial password files., type: path}
  plan_dir: {description: Also write plan.json and plan.md here., type: path}
  date:
    description: Planning date (YYYY-MM-DD); today by default; the saved plan's own date with I(plan_file).
    type: str
  plan_file:
    description:
      - >-
        A plan.json reviewed before (a pull request's plan, or a C(--check) run's): apply exactly that plan.
        The plan is made again from the live directory and this roster on the saved plan's date, and
        the run stops, changing nothing, when the roster's files differ from those the saved plan was made
        from, when the directory changed since (its state fingerprint differs), or when the plan made
        again differs from the saved one (module_utils/congvu/saved_plan.py).
    type: path
  state_export:
    description:
      - >-
        Write the live state (the documented JSON export, no secret) here after the run: what the next
        offline plan, in a pull request, is made against. Rewritten only when it changed.
    type: path
  page_size: {description: Entries per page when reading the directory., type: int, default: 1000}
  write_window:
    description:
      - >-
        Write operations sent before the oldest answer is read (1 = one at a time). Several in flight
        let slapd work while the module prepares the next entry (docs/benchmarks.md, run 6).
    type: int
    default: 8
  language:
    description:
      - >-
        Language of what people read: the errors, the notices, plan.md, the guard's message, the failure
        messages and the summary (docs/translations.md). plan.json is the same in every language. The
        catalogs travel with the module as plain Python (module_utils/congvu/catalog_roster.py).
    type: str
    choices: [vi, en]
    default: vi
requirements: [python-ldap, PyYAML]
attributes:
  check_mode:
    support: full
    details: Plans against the live directory and shows the plan; writes nothing, not even the state export.
  diff_mode:
    support: full
    details: The before and after of each mailbox the plan changes (the first 1000; all of them in plan.json).
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - congvu.mail.congvu_connection
  - congvu.mail.congvu_settings
"""

EXAMPLES = r"""
- name: Apply the roster on the directory host (ldapi://, the reconcile account)
  congvu.mail.roster:
    roster_path: /var/lib/congvu/roster
    revision: 3f2c1a7
    bind_dn: cn=reconcile,ou=system,dc=quangbinh,dc=gov,dc=vn
    bind_password_file: /etc/ldap/congvu/reconcile.secret
    actor: "{{ lookup('ansible.builtin.env', 'USER') }}"
    audit_log: /var/log/congvu/roster-audit.jsonl
    initial_passwords_dir: /var/lib/congvu/initial-passwords
    state_export: /var/lib/congvu/state.json
    domain: quangbinh.gov.vn
  register: roster__result

- name: Apply exactly the plan a pull request reviewed, in English
  congvu.mail.roster:
    roster_path: /var/lib/congvu/roster
    revision: 3f2c1a7
    plan_file: /var/lib/congvu/plan.json
    language: en
"""

RETURN = r"""
summary: {description: Mailboxes per action., type: dict, returned: always}
summary_text: {description: The same in one line., type: str, returned: always}
guard: {description: "count, limit, tripped, override.", type: dict, returned: always}
applied: {description: Number of entries written., type: int, returned: always}
notices: {description: "Notices and warnings, as text.", type: list, returned: always}
errors: {description: "Located validation errors, as text.", type: list, returned: always}
initial_passwords: {description: Agency -> number of new initial passwords written., type: dict, returned: always}
revision: {description: The roster revision recorded., type: str, returned: always}
basis:
  description: "What the plan was made from: the fingerprints of the state and of the roster, the revision."
  type: dict
  returned: always
stale: {description: Why a saved plan was refused (empty when it was applied)., type: list, returned: with plan_file}
state_export_changed: {description: Whether the state export was rewritten., type: bool, returned: with state_export}
"""

import datetime as dt
import json
import os

from ansible.module_utils.basic import AnsibleModule

# catalog_roster, messages, naming, passwords, settings, state: imported so that Ansible ships them with the module
from ansible_collections.congvu.mail.plugins.module_utils.congvu import (  # noqa: F401
    catalog_roster,
    directory,
    messages,
    naming,
    passwords,
    plan,
    roster,
    saved_plan,
    settings,
    state,
)
from ansible_collections.congvu.mail.plugins.module_utils.congvu.messages import tr, translate_text
from ansible_collections.congvu.mail.plugins.module_utils.congvu_args import SETTINGS_ARGS, settings_from_params
from ansible_collections.congvu.mail.plugins.module_utils.congvu_directory import (
    Applier,
    AuditLog,
    SecretSink,
    paused_gc,
    read_state,
)
from ansible_collections.congvu.mail.plugins.module_utils.congvu_files import read_files, same_bytes, write_atomically
from ansible_collections.congvu.mail.plugins.module_utils.congvu_ldap import CONNECTION_ARGS, connect_python_ldap
from ansible_collections.congvu.mail.plugins.module_utils.congvu_planner_files import load_roster, roster_files

try:
    from ldap import LDAPError
except ImportError:  # reported by connect_python_ldap()
    LDAPError = Exception

DIFF_LIMIT = 1000


def _text(record):
    if record is None:
        return ""
    return "".join(f"{key}: {record[key]}\n" for key in sorted(record))


def diff_of(result):
    changed = [item for item in result.items if item.action != "keep"]
    diffs = [{
        "before_header": f"{item.kind} {item.id} ({item.before['address'] if item.before else 'absent'})",
        "after_header": f"{item.kind} {item.id} ({item.address}) [{item.action}]",
        "before": _text(item.before), "after": _text(item.after),
    } for item in changed[:DIFF_LIMIT]]
    if len(changed) > DIFF_LIMIT:
        diffs.append({"prepared": f"... and {len(changed) - DIFF_LIMIT} more changes: see plan.json"})
    return diffs


def load_saved(module, path, language):
    """The reviewed plan.json, refused whole when it cannot be applied at all."""
    try:
        with open(path, encoding="utf-8") as handle:
            saved = json.load(handle)
        saved_plan.check_saved(saved)
    except (OSError, ValueError) as exc:  # SavedPlanInvalid and JSONDecodeError are ValueErrors
        module.fail_json(msg=tr("the saved plan %(file)s cannot be applied: %(reason)s; nothing was changed",
                                language, file=os.path.basename(path), reason=translate_text(str(exc), language)))
    return saved


def export_state(path, current):
    """Write the state export when it differs from the file there; True when it was rewritten."""
    data = current.dumps().encode("utf-8")
    if same_bytes(path, data):
        return False
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_atomically(path, data, mode=0o640)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            roster_path=dict(type="path", required=True),
            override_guard=dict(type="bool", default=False),
            revision=dict(type="str", required=True),
            actor=dict(type="str"),
            audit_log=dict(type="path"),
            initial_passwords_dir=dict(type="path"),
            plan_dir=dict(type="path"),
            date=dict(type="str"),
            plan_file=dict(type="path"),
            state_export=dict(type="path"),
            page_size=dict(type="int", default=1000),
            write_window=dict(type="int", default=8),
            language=dict(type="str", default=messages.DEFAULT_LANGUAGE, choices=list(messages.LANGUAGES)),
            **CONNECTION_ARGS,
            **SETTINGS_ARGS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    language = params["language"]
    saved = load_saved(module, params["plan_file"], language) if params["plan_file"] else None
    try:
        conf = settings_from_params(params)
        day = saved["date"] if saved else params["date"]
        today = dt.date.fromisoformat(day) if day else dt.date.today()
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    revision = params["revision"]
    actor = params["actor"] or os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown"
    output = dict(changed=False, applied=0, revision=revision, initial_passwords={}, errors=[], notices=[])

    # Load, read and plan build ~10^6 long-lived objects: without the cyclic GC (docs/benchmarks.md).
    with paused_gc():
        # Validate before touching the network: a bad roster never reaches the directory.
        try:
            loaded = load_roster(params["roster_path"], conf)
        except roster.RosterInvalid as exc:
            output["errors"] = [p.text(language) for p in exc.problems if p.severity == "error"]
            module.fail_json(msg=tr("the roster is invalid: %(count)s error(s); nothing was changed:", language,
                                    count=len(output["errors"])) + "\n" + "\n".join(output["errors"]), **output)

        tree = directory.Tree(conf.domain, conf.base_dn)
        try:
            # one bound connection reads the state and, when there is something to do, writes the plan
            conn = connect_python_ldap(module, params)
            current = read_state(conn, tree, params["page_size"])
        except (LDAPError, OSError) as exc:
            module.fail_json(msg=tr("cannot read the directory at %(uri)s: %(error)s", language,
                                    uri=params["server_uri"], error=exc), **output)

        result = plan.make_plan(loaded, current, today, params["override_guard"])
        result.basis = saved_plan.basis(
            current.digest(),
            saved_plan.files_digest(read_files(params["roster_path"], roster_files(params["roster_path"]))),
            revision)
    output["basis"] = result.basis
    output.update(summary=result.summary(), guard=result.guard_summary(),
                  summary_text=plan.summary_text(result, language),
                  notices=[p.text(language) for p in result.notices], errors=[p.text(language) for p in result.errors])
    if params["plan_dir"]:
        os.makedirs(params["plan_dir"], exist_ok=True)
        with open(os.path.join(params["plan_dir"], "plan.json"), "w", encoding="utf-8") as handle:
            result.dump(handle)
        with open(os.path.join(params["plan_dir"], "plan.md"), "w", encoding="utf-8") as handle:
            handle.write(plan.render_markdown(result, language=language))
    if module._diff:
        output["diff"] = diff_of(result)
    if saved is not None:  # plan_dir holds the plan made again: the one to review instead
        output["stale"] = saved_plan.stale_reasons(saved, result.as_dict())
        if output["stale"]:
            reasons = "\n".join(f"- {translate_text(reason, language)}" for reason in output["stale"])
            module.fail_json(msg=tr("the saved plan is out of date and was not applied; nothing was changed:",
                                    language) + "\n" + reasons
                             + "\n" + tr("Make the plan again (playbooks/roster_plan.yml against a fresh state "
                                         "export, or playbooks/roster.yml --check) and review it.", language),
                             **output)
    if result.errors:
        conflicts = "\n".join(output["errors"])
        module.fail_json(msg=tr("the roster conflicts with the directory; nothing was changed:", language)
                         + "\n" + conflicts, **output)
    if result.blocked:
        module.fail_json(msg=result.guard_message(language) + " " + tr("Nothing was changed.", language), **output)
    if module.check_mode or not result.changed:
        output["changed"] = result.changed
        if params["state_export"] and not module.check_mode:
            output["state_export_changed"] = export_state(params["state_export"], current)
        module.exit_json(**output)

    audit = AuditLog(params["audit_log"], revision, actor)
    sink = SecretSink(params["initial_passwords_dir"])
    applier = Applier(conn, tree, audit, sink, window=params["write_window"])
    try:
        done = applier.apply(result)
    except directory.DirectoryError as exc:
        sink.close()
        output.update(changed=bool(applier.done), applied=len(applier.done), initial_passwords=sink.written)
        module.fail_json(msg=str(exc), **output)
    sink.close()
    output.update(changed=bool(done), applied=len(done), initial_passwords=sink.written)
    if params["state_export"]:
        # read back, not computed: the export is what the directory holds, whatever wrote it
        try:
            with paused_gc():
                live = read_state(conn, tree, params["page_size"])
        except LDAPError as exc:
            module.fail_json(msg=tr("the plan was applied, but the state could not be read back for the export: "
                                    "%(error)s; run again to write it", language, error=exc), **output)
        output["state_export_changed"] = export_state(params["state_export"], live)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
