#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter over congvu_render: report.json -> bao-cao.pdf, index.html, bao-cao.xlsx and the CSV files."""

DOCUMENTATION = r"""
module: usage_report_render
short_description: Render the usage report (Art. 14.6, 16.9) of a period as PDF, web page, workbook and CSV
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Reads report.json (docs/reports-data.md section 2) and writes into I(out_dir) the formal report
    C(bao-cao.pdf), the same as a self-contained web page C(index.html) (charts inline, nothing fetched),
    the workbook C(bao-cao.xlsx) (summary, agencies, mailboxes, Art. 12), C(agencies.csv) and
    C(mailboxes.csv) (UTF-8 with a BOM), and C(report.json) itself. docs/reports-render.md.
  - >-
    Runs on the controller (C(delegate_to: localhost)) with the Python of the project's venv, which has
    Jinja2, Babel, matplotlib, WeasyPrint and openpyxl.
  - >-
    Every file is written atomically (a temporary file renamed over the old one) and only when its
    content changes; the same report.json gives the same files, byte for byte.
  - Fails, naming the missing field, when report.json is not what the contract says; writes nothing then.
options:
  report_path: {description: The report.json to render., type: path, required: true}
  out_dir: {description: Folder to write the files into (created)., type: path, required: true}
  language:
    description: Language of what people read (the message catalogs); the figures are the same.
    type: str
    choices: [vi, en]
    default: vi
  assets_dir:
    description: >-
      The folder with report.html.j2, report.css and locale/ (plugins/module_utils/congvu_render/assets);
      an AnsiballZ payload carries Python files only, so the playbook passes its path.
    type: path
    required: true
attributes:
  check_mode:
    support: full
    details: Renders in memory and tells which files would change; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment: [ansible.builtin.action_common_attributes]
"""

EXAMPLES = r"""
- name: Render the report of the first half of 2026, in Vietnamese
  congvu.mail.usage_report_render:
    report_path: "{{ playbook_dir }}/../reports/2026-01-01_2026-06-30/report.json"
    out_dir: "{{ playbook_dir }}/../reports/2026-01-01_2026-06-30"
    assets_dir: "{{ playbook_dir }}/../plugins/module_utils/congvu_render/assets"
  delegate_to: localhost

- name: The same in English
  congvu.mail.usage_report_render:
    report_path: reports/2026-01-01_2026-06-30/report.json
    out_dir: reports/2026-01-01_2026-06-30/en
    language: en
    assets_dir: plugins/module_utils/congvu_render/assets
"""

RETURN = r"""
out_dir: {description: The folder written., type: str, returned: always}
files:
  description: Every file of the report, in a fixed order, with its size in bytes and whether it changed.
  type: list
  elements: dict
  returned: always
  sample: [{name: bao-cao.pdf, path: /srv/reports/2026-01-01_2026-06-30/bao-cao.pdf, size: 168827, changed: true}]
changed_files:
  description: Names of the files written (or that would be, in check mode).
  type: list
  elements: str
  returned: always
language: {description: The language rendered., type: str, returned: always}
demo_data: {description: Whether the report is marked as demo data., type: bool, returned: always}
"""

import json
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.congvu.mail.plugins.module_utils.congvu_files import same_bytes, write_atomically

# matplotlib, WeasyPrint, openpyxl and Babel: controller requirements (requirements.txt); without them
# the module says which is missing instead of failing at import
try:
    from ansible_collections.congvu.mail.plugins.module_utils.congvu_render import FILES, ReportError, render_all
except ImportError:
    RENDER_IMPORT_ERROR = traceback.format_exc()
    FILES, ReportError, render_all = (), ValueError, None
else:
    RENDER_IMPORT_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            report_path=dict(type="path", required=True),
            out_dir=dict(type="path", required=True),
            language=dict(type="str", choices=["vi", "en"], default="vi"),
            assets_dir=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if RENDER_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("matplotlib, weasyprint, openpyxl and babel (requirements.txt)"),
                         exception=RENDER_IMPORT_ERROR)
    if not os.path.isdir(params["assets_dir"]):
        module.fail_json(msg=f"assets_dir {params['assets_dir']}: no such folder")
    try:
        with open(params["report_path"], "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        module.fail_json(msg=f"report_path: {exc}")
    try:
        rendered = render_all(raw, params["assets_dir"], params["language"])
    except (ReportError, OSError) as exc:
        module.fail_json(msg=str(exc))

    out_dir = params["out_dir"]
    files, changed_files = [], []
    for name in FILES:
        path = os.path.join(out_dir, name)
        content = rendered[name]
        changed = not same_bytes(path, content)
        if changed:
            changed_files.append(name)
            if not module.check_mode:
                os.makedirs(out_dir, exist_ok=True)
                write_atomically(path, content)
        files.append(dict(name=name, path=path, size=len(content), changed=changed))
    module.exit_json(
        changed=bool(changed_files),
        out_dir=out_dir,
        files=files,
        changed_files=changed_files,
        language=params["language"],
        demo_data=bool(json.loads(raw).get("demo_data")),
    )


if __name__ == "__main__":
    main()
