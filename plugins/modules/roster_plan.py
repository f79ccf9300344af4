#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter over congvu.plan: plan the roster offline and write plan.json + plan.md."""

DOCUMENTATION = r"""
module: roster_plan
short_description: Plan the roster against a state export, with no directory server
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Loads and validates every agency file of the roster folder (docs/roster-format.md), compares it with
    the current state (a JSON export, or nothing for a new province) and writes the plan.
  - >-
    Used by pull-request checks and by C(playbooks/roster_plan.yml). Changes no mailbox.
  - >-
    Fails with every located error (file, line, staff id, field) when the roster is invalid, and when the
    guard trips unless I(override_guard) is set.
options:
  roster_path: {description: Folder with one <code>.yml per agency., type: path, required: true}
  state_path: {description: JSON state export; omitted means no mailbox exists yet., type: path}
  plan_dir: {description: Folder to write plan.json and plan.md into (created)., type: path, required: true}
  date: {description: Planning date (YYYY-MM-DD) for alias expiry; today by default., type: str}
  override_guard: {description: Let a plan over the guard limit pass., type: bool, default: false}
  revision:
    description:
      - >-
        The roster's git revision, recorded in plan.json beside the fingerprints of the roster's files and of
        the state, so that C(playbooks/roster.yml -e plan_file=plan.json) can apply exactly this plan.
    type: str
    default: unknown
  language:
    description:
      - >-
        Language of what people read: the errors, the notices, plan.md, the guard's message and the summary
        (docs/translations.md). plan.json is the same in every language: each error and notice keeps its
        message id (C(code)), its values (C(params)) and the English text.
    type: str
    choices: [vi, en]
    default: vi
requirements: [PyYAML]
attributes:
  check_mode:
    support: full
    details: Plans and returns the summary, the guard, the errors and the notices; writes no file.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - congvu.mail.congvu_settings
"""

EXAMPLES = r"""
- name: Plan the demo roster against last month's state export (no directory needed)
  congvu.mail.roster_plan:
    roster_path: inventories/demo/roster
    state_path: inventories/demo/state.json
    plan_dir: .plan
    revision: "{{ lookup('ansible.builtin.pipe', 'git rev-parse --short HEAD') }}"
    domain: quangbinh.gov.vn
  register: roster_plan__result

- name: Plan a new province's first roster, in English
  congvu.mail.roster_plan:
    roster_path: inventories/quangtri/roster
    plan_dir: /tmp/plan
    domain: quangtri.gov.vn
    language: en
"""

RETURN = r"""
summary: {description: Mailboxes per action., type: dict, returned: always}
summary_text: {description: "The same in one line, e.g. C(1 transfer, 648 keep)", type: str, returned: always}
guard: {description: "count, limit, tripped, override.", type: dict, returned: always}
errors: {description: "Located validation errors, as text.", type: list, returned: always}
notices: {description: "Notices and warnings, as text.", type: list, returned: always}
plan_json: {description: Path of plan.json., type: str, returned: always}
plan_md: {description: Path of plan.md., type: str, returned: always}
"""

import datetime as dt
import filecmp
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.congvu.mail.plugins.module_utils.congvu import (  # noqa: F401  (bundled)
    catalog_roster,
    messages,
    naming,
    plan,
    roster,
    saved_plan,
    settings,
    state,
)
from ansible_collections.congvu.mail.plugins.module_utils.congvu.messages import tr
from ansible_collections.congvu.mail.plugins.module_utils.congvu_args import SETTINGS_ARGS, settings_from_params
from ansible_collections.congvu.mail.plugins.module_utils.congvu_files import read_files
from ansible_collections.congvu.mail.plugins.module_utils.congvu_planner_files import (
    load_state,
    plan_roster_path,
    roster_files,
)


def _write(path, fill):
    """Write through `fill(handle)` atomically; report whether the content changed."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        fill(handle)
    if os.path.exists(path) and filecmp.cmp(tmp, path, shallow=False):
        os.unlink(tmp)
        return False
    os.replace(tmp, path)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            roster_path=dict(type="path", required=True),
            state_path=dict(type="path"),
            plan_dir=dict(type="path", required=True),
            date=dict(type="str"),
            override_guard=dict(type="bool", default=False),
            revision=dict(type="str", default="unknown"),
            language=dict(type="str", default=messages.DEFAULT_LANGUAGE, choices=list(messages.LANGUAGES)),
            **SETTINGS_ARGS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    language = params["language"]
    try:
        conf = settings_from_params(params)
        current = load_state(params["state_path"])
        today = dt.date.fromisoformat(params["date"]) if params["date"] else dt.date.today()
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    result = plan_roster_path(params["roster_path"], current, conf, today, params["override_guard"])
    if not result.errors:  # an invalid roster's plan is never applied: no basis to record
        result.basis = saved_plan.basis(
            current.digest(),
            saved_plan.files_digest(read_files(params["roster_path"], roster_files(params["roster_path"]))),
            params["revision"])

    plan_json = os.path.join(params["plan_dir"], "plan.json")
    plan_md = os.path.join(params["plan_dir"], "plan.md")
    changed = False
    if not module.check_mode:
        os.makedirs(params["plan_dir"], exist_ok=True)
        changed = _write(plan_json, result.dump)
        markdown = plan.render_markdown(result, language=language)
        changed = _write(plan_md, lambda handle: handle.write(markdown)) or changed
    output = dict(
        changed=changed,
        summary=result.summary(),
        summary_text=plan.summary_text(result, language),
        guard=result.guard_summary(),
        errors=[p.text(language) for p in result.errors],
        notices=[p.text(language) for p in result.notices],
        plan_json=plan_json,
        plan_md=plan_md,
    )
    if result.errors:
        module.fail_json(msg=tr("the roster is invalid: %(count)s error(s); nothing will be changed:", language,
                                count=len(result.errors)) + "\n" + "\n".join(output["errors"]), **output)
    if result.blocked:
        module.fail_json(msg=result.guard_message(language), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
