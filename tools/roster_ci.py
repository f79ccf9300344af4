#!/usr/bin/env python3
"""What the pull-request job shows of a roster plan, on GitHub, Gitea/Forgejo or GitLab.

    python tools/roster_ci.py annotations --forge github|gitlab --roster DIR PLAN_DIR/plan.json
    python tools/roster_ci.py comment --forge github|gitlab [--key ENV] PLAN_DIR/plan.md

`annotations` turns every error and notice of plan.json into an annotation on its file and line:
GitHub's (and Gitea's and Forgejo's) workflow commands on stdout, or GitLab's Code Quality report
(`gl-code-quality-report.json`, written beside plan.json). Paths are relative to the repository.

`comment` puts plan.md on the pull request as one comment, found again by a hidden marker (one per
`--key`: an environment of the job's matrix) and updated in place on each push, instead of a new
comment each time. It talks to the forge's API with the job's
own token; a pull request from a fork gets a read-only token, so a refused comment is reported and does
not fail the job (the plan is in the job's summary and artifact anyway).

The logic of the check stays in `make plan` (playbooks/roster_plan.yml); this only presents its result,
so a self-hosted forge runs the same check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plugins", "module_utils"))

MARKER = "<!-- congvu-roster-plan{key} -->"
SEVERITY = {"error": ("error", "major"), "warning": ("warning", "minor"), "notice": ("notice", "info")}


def problem_text(problem: dict, language: str) -> str:
    """The problem in the reader's language: from its message id when plan.json has one."""
    if problem.get("code"):
        from congvu.messages import render  # the catalogs of the roster flow

        return render(problem["code"], problem.get("params"), language)
    return problem.get("message", "")


def repo_path(roster_dir: str, file: str) -> str:
    """The file of a problem as a path from the repository's root (where the job runs)."""
    if not file:
        return roster_dir
    path = file if os.path.isabs(file) else os.path.join(roster_dir, file)
    return os.path.relpath(path) if os.path.isabs(path) else os.path.normpath(path)


def problems(plan: dict):
    for problem in plan.get("errors") or []:
        yield dict(problem, severity="error")
    for problem in plan.get("notices") or []:
        yield dict(problem, severity=problem.get("severity") or "notice")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(plan: dict, roster_dir: str, language: str) -> list[str]:
    """GitHub's workflow commands (also read by Gitea and Forgejo Actions), one per problem."""
    lines = []
    for problem in problems(plan):
        level = SEVERITY.get(problem["severity"], SEVERITY["notice"])[0]
        where = f"file={_escape_property(repo_path(roster_dir, problem.get('file', '')))}"
        if problem.get("line"):
            where += f",line={problem['line']}"
        title = " ".join(p for p in (problem.get("entry"), problem.get("field")) if p)
        if title:
            where += f",title={_escape_property(title)}"
        lines.append(f"::{level} {where}::{_escape_data(problem_text(problem, language))}")
    return lines


def gitlab_code_quality(plan: dict, roster_dir: str, language: str) -> list[dict]:
    """GitLab's Code Quality report: the merge request shows each problem on its line."""
    report = []
    for problem in problems(plan):
        path = repo_path(roster_dir, problem.get("file", ""))
        text = problem_text(problem, language)
        line = problem.get("line") or 1
        fingerprint = hashlib.sha256(f"{path}:{line}:{problem.get('entry')}:{problem.get('field')}:{text}"
                                     .encode()).hexdigest()
        report.append({"description": text, "check_name": problem.get("code") or "roster",
                       "fingerprint": fingerprint,
                       "severity": SEVERITY.get(problem["severity"], SEVERITY["notice"])[1],
                       "location": {"path": path, "lines": {"begin": line}}})
    return report


def marker(key: str = "") -> str:
    return MARKER.format(key=f":{key}" if key else "")


def comment_body(markdown: str, key: str = "") -> str:
    return f"{marker(key)}\n{markdown}"


def find_comment(comments: list[dict], key: str = "") -> dict | None:
    """The job's own earlier comment (the first one with its marker), to update in place."""
    wanted = marker(key)
    return next((c for c in comments if wanted in (c.get("body") or "")), None)


def _call(method: str, url: str, token: str, header: str, body: dict | None = None):
    """One API request; returns the decoded answer and the URL of the next page, if any."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={header: token, "Content-Type": "application/json",
                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null"), next_page(answer.headers.get("Link", ""))


def next_page(link: str) -> str | None:
    """The rel="next" URL of an RFC 8288 Link header, as GitHub, GitLab and Gitea page their lists."""
    for part in link.split(","):
        url, params = part.partition(";")[::2]
        if 'rel="next"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None


def _all_pages(url: str, token: str, header: str) -> list[dict]:
    """Every item of a paged list: a pull request with more comments than one page holds must still
    find the job's own comment, or each push would add a new one."""
    items: list[dict] = []
    while url:
        page, url = _call("GET", url, token, header)
        items.extend(page or [])
    return items


def post_comment(forge: str, markdown: str, key: str = "") -> str:
    """Create or update the plan comment; return what was done."""
    body = comment_body(markdown, key)
    if forge == "gitlab":
        api, token = os.environ["CI_API_V4_URL"], os.environ.get("ROSTER_PLAN_TOKEN", "")
        project, request = os.environ["CI_PROJECT_ID"], os.environ["CI_MERGE_REQUEST_IID"]
        base = f"{api}/projects/{project}/merge_requests/{request}"
        header, listing = "PRIVATE-TOKEN", f"{base}/notes?per_page=100"
        edit, one = "PUT", f"{base}/notes/{{id}}"
        create = ("POST", f"{base}/notes")
    else:  # GitHub, and Gitea/Forgejo Actions, which set the same variables
        api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
        repository = os.environ["GITHUB_REPOSITORY"]
        with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
            number = json.load(handle)["pull_request"]["number"]
        token = "token " + os.environ.get("GITHUB_TOKEN", "")
        header = "Authorization"
        listing = f"{api}/repos/{repository}/issues/{number}/comments?per_page=100"
        edit, one = "PATCH", f"{api}/repos/{repository}/issues/comments/{{id}}"
        create = ("POST", f"{api}/repos/{repository}/issues/{number}/comments")
    found = find_comment(_all_pages(listing, token, header), key)
    method, url = (edit, one.format(id=found["id"])) if found else create
    _call(method, url, token, header, {"body": body})
    return "updated" if found else "created"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ann = sub.add_parser("annotations", help="annotations of the plan's errors and notices")
    ann.add_argument("--forge", choices=("github", "gitlab"), default="github")
    ann.add_argument("--roster", required=True, help="the roster folder, from the repository's root")
    ann.add_argument("--language", default=os.environ.get("CONGVU_LANGUAGE", "vi"))
    ann.add_argument("plan_json")
    com = sub.add_parser("comment", help="plan.md as one pull-request comment, updated in place")
    com.add_argument("--forge", choices=("github", "gitlab"), default="github")
    com.add_argument("--key", default="", help="one comment per key (e.g. the environment)")
    com.add_argument("plan_md")
    args = parser.parse_args(argv)

    if args.command == "annotations":
        if not os.path.exists(args.plan_json):
            print(f"{args.plan_json}: no plan was written (see the job's log)", file=sys.stderr)
            return 0
        with open(args.plan_json, encoding="utf-8") as handle:
            plan = json.load(handle)
        if args.forge == "github":
            print("\n".join(github_annotations(plan, args.roster, args.language)))
        else:
            out = os.path.join(os.path.dirname(args.plan_json), "gl-code-quality-report.json")
            with open(out, "w", encoding="utf-8") as handle:
                json.dump(gitlab_code_quality(plan, args.roster, args.language), handle, ensure_ascii=False,
                          indent=1)
        return 0
    with open(args.plan_md, encoding="utf-8") as handle:
        markdown = handle.read()
    try:
        print(f"plan comment {post_comment(args.forge, markdown, args.key)}")
    except (urllib.error.URLError, KeyError, OSError) as exc:
        print(f"the plan comment could not be written ({exc}); the plan is in the job's summary and artifact",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
