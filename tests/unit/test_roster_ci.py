"""What the pull-request job shows: annotations on the roster's lines, one plan comment updated in place."""

import datetime as dt
import json

from congvu.settings import Settings
from congvu.state import State
from congvu_planner_files import plan_roster_path

import scripts

roster_ci = scripts.load("roster_ci", "tools", "roster_ci.py")

BAD = {
    "stttt": """\
        agency: {code: stttt, name: Sở Thông tin và Truyền thông, kind: department, head: TT0001}
        staff:
          - {id: TT0001, name: Nguyễn Văn An, leader: true}
          - {id: TT0002, name: Trần Thị Bình, quota: 5G}
        """,
}


def invalid_plan(write_roster):
    folder = write_roster(BAD)
    plan = plan_roster_path(folder, State(), Settings(), dt.date(2026, 11, 28))
    return json.loads(plan.dumps())


def test_each_error_is_an_annotation_on_its_file_and_line_from_the_repository_root(write_roster):
    plan = invalid_plan(write_roster)
    assert plan["errors"], "the sample roster must be invalid"
    lines = roster_ci.github_annotations(plan, "inventories/demo/roster", "vi")
    assert len(lines) == len(plan["errors"])
    error = plan["errors"][0]
    assert lines[0].startswith(f"::error file=inventories/demo/roster/stttt.yml,line={error['line']},")
    assert lines[0].endswith("::" + roster_ci.problem_text(error, "vi"))
    assert "quota" in lines[0]


def test_annotation_text_and_properties_are_escaped():
    plan = {"errors": [{"file": "a, b.yml", "line": 3, "entry": "staff id X:1", "field": "name",
                        "message": "100% wrong\nsecond line"}]}
    (line,) = roster_ci.github_annotations(plan, "roster", "en")
    assert line == "::error file=roster/a%2C b.yml,line=3,title=staff id X%3A1 name::100%25 wrong%0Asecond line"


def test_notices_are_notices_and_the_folder_itself_is_named_when_there_is_no_file():
    plan = {"errors": [{"file": "", "line": 0, "message": "the roster lists nobody"}],
            "notices": [{"file": "snv.yml", "line": 7, "severity": "warning", "message": "close name"}]}
    assert roster_ci.github_annotations(plan, "inventories/x/roster", "en") == [
        "::error file=inventories/x/roster::the roster lists nobody",
        "::warning file=inventories/x/roster/snv.yml,line=7::close name",
    ]


def test_gitlab_code_quality_names_path_line_and_severity(write_roster):
    plan = invalid_plan(write_roster)
    report = roster_ci.gitlab_code_quality(plan, "inventories/demo/roster", "vi")
    assert len(report) == len(plan["errors"])
    first = report[0]
    assert first["location"] == {"path": "inventories/demo/roster/stttt.yml",
                                 "lines": {"begin": plan["errors"][0]["line"]}}
    assert first["severity"] == "major" and len(first["fingerprint"]) == 64
    assert len({r["fingerprint"] for r in report}) == len(report)


def test_the_plan_comment_is_found_again_by_its_marker_per_environment():
    demo = roster_ci.comment_body("# plan", "demo")
    comments = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": roster_ci.comment_body("# old", "example")},
                {"id": 3, "body": demo}]
    assert roster_ci.find_comment(comments, "demo")["id"] == 3
    assert roster_ci.find_comment(comments, "example")["id"] == 2
    assert roster_ci.find_comment(comments[:2], "demo") is None


def test_a_missing_plan_json_is_reported_without_failing_the_job(tmp_path, capsys):
    assert roster_ci.main(["annotations", "--roster", "r", str(tmp_path / "plan.json")]) == 0
    assert "no plan was written" in capsys.readouterr().err
