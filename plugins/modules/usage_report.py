#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter over congvu.usage_report: summary.json + working-day calendar -> report.json."""

DOCUMENTATION = r"""
module: usage_report
short_description: Build the usage report (Art. 12, 14.6, 16.9) of a period from the usage summary
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Reads the summary of a period that the reports host gave (C(congvu-reports summary),
    docs/reports-data.md section 1), checks it, computes the working days of the period (Vietnamese
    public holidays, lunar ones included, plus the day swaps the government announces) and the Art. 12
    compliance, and writes report.json (section 2). Runs on the controller.
  - Fails, naming the field, when the summary is not what the contract says; writes nothing then.
options:
  summary_path: {description: The summary.json of the period., type: path, required: true}
  report_path: {description: Where to write report.json., type: path, required: true}
  province: {description: The province's name on the report., type: str, required: true}
  domain: {description: The mail domain., type: str, required: true}
  title: {description: The report's title; the Vietnamese default when omitted., type: str}
  periods:
    description: >-
      Art. 12 checking periods, items with key, label, start and end (HH:MM); the defaults of
      docs/reports.md when omitted.
    type: list
    elements: dict
  threshold_pct: {description: Art. 12 compliance under which an agency mailbox is listed., type: float, default: 80}
  day_swaps:
    description: Days the government swaps, items with date (YYYY-MM-DD), kind (work or off) and note.
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
    details: Computes the report and reports whether the file would change.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment: [ansible.builtin.action_common_attributes]
"""

EXAMPLES = r"""
- name: Build report.json of the first half of 2026
  congvu.mail.usage_report:
    summary_path: reports/2026-01-01_2026-06-30/summary.json
    report_path: reports/2026-01-01_2026-06-30/report.json
    province: Quảng Trị
    domain: quangtri.gov.vn
    day_swaps:
      - {date: "2026-01-03", kind: work, note: "làm bù ngày 2/1"}
"""

RETURN = r"""
report_path: {description: Path of report.json., type: str, returned: always}
working_days: {description: Working days in the period., type: int, returned: always}
totals: {description: The province totals of the report., type: dict, returned: always}
below_threshold: {description: "(month, agency) pairs under the Art. 12 threshold.", type: list, returned: always}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.congvu.mail.plugins.module_utils.congvu import art12, usage_report
from ansible_collections.congvu.mail.plugins.module_utils.congvu_files import same_bytes, write_atomically
from ansible_collections.congvu.mail.plugins.module_utils.congvu_holidays import work_calendar


def main():
    module = AnsibleModule(
        argument_spec=dict(
            summary_path=dict(type="path", required=True),
            report_path=dict(type="path", required=True),
            province=dict(type="str", required=True),
            domain=dict(type="str", required=True),
            title=dict(type="str"),
            periods=dict(type="list", elements="dict"),
            threshold_pct=dict(type="float", default=80.0),
            day_swaps=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        with open(params["summary_path"], encoding="utf-8") as handle:
            summary = json.load(handle)
        calendar = work_calendar(params["day_swaps"])
        periods = params["periods"] or art12.DEFAULT_PERIODS
        report = usage_report.build_report(summary, calendar, periods, params["threshold_pct"],
                                           params["province"], params["domain"], params["title"])
    except ImportError as exc:
        module.fail_json(msg=f"a library the report needs is missing on the controller: {exc}")
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"{params['summary_path']}: {exc}")
    data = (json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    path = params["report_path"]
    changed = not same_bytes(path, data)
    if changed and not module.check_mode:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        write_atomically(path, data)
    module.exit_json(changed=changed, report_path=path, working_days=report["period"]["working_days"],
                     totals=report["totals"], below_threshold=report["below_threshold"])


if __name__ == "__main__":
    main()
