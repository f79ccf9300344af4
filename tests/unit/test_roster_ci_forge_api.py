"""The plan comment through a forge's API: created once, then found again and updated in place.

No forge can run here (no network; Debian 12 ships no Gitea or Forgejo), so a small HTTP server on
127.0.0.1 answers the endpoints the job uses, as the forges document them: GitHub's (which Gitea and
Forgejo also serve) issue comments, GitLab's merge request notes, both paged with an RFC 8288 Link
header. The client is the real one (tools/roster_ci.py), over a real socket.
"""

import http.server
import json
import re
import threading
import urllib.parse

import pytest

import scripts

roster_ci = scripts.load("roster_ci", "tools", "roster_ci.py")

PER_PAGE = 100


class Forge(http.server.ThreadingHTTPServer):
    """Comments of one pull request, and what the client asked for."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.comments: list[dict] = []
        self.requests: list[tuple[str, str, str]] = []
        self.refuse_writes = False
        self.next_id = 1

    def add(self, body: str) -> dict:
        comment = {"id": self.next_id, "body": body}
        self.next_id += 1
        self.comments.append(comment)
        return comment

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Forge

    # GitHub: /repos/o/r/issues/7/comments and /repos/o/r/issues/comments/<id>
    # GitLab: /api/v4/projects/42/merge_requests/7/notes[/<id>]
    LIST = re.compile(r"^(/repos/o/r/issues/7/comments|/api/v4/projects/42/merge_requests/7/notes)$")
    ONE = re.compile(r"^(/repos/o/r/issues/comments|/api/v4/projects/42/merge_requests/7/notes)/(\d+)$")

    def log_message(self, *args):
        pass

    def _auth(self) -> str:
        return self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""

    def _answer(self, status: int, payload=None, link: str = ""):
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if link:
            self.send_header("Link", link)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.requests.append(("GET", url.path, self._auth()))
        if not self.LIST.match(url.path):
            return self._answer(404, {"message": "Not Found"})
        query = urllib.parse.parse_qs(url.query)
        per_page, page = int(query.get("per_page", ["30"])[0]), int(query.get("page", ["1"])[0])
        items = self.server.comments[(page - 1) * per_page: page * per_page]
        link = ""
        if page * per_page < len(self.server.comments):
            link = f'<{self.server.url}{url.path}?per_page={per_page}&page={page + 1}>; rel="next"'
        self._answer(200, items, link)

    def _write(self, method: str):
        path = urllib.parse.urlsplit(self.path).path
        self.server.requests.append((method, path, self._auth()))
        if self.server.refuse_writes:
            return self._answer(403, {"message": "Resource not accessible by integration"})
        body = self._body()["body"]
        one = self.ONE.match(path)
        if method == "POST" and self.LIST.match(path):
            return self._answer(201, self.server.add(body))
        if method in ("PATCH", "PUT") and one:
            for comment in self.server.comments:
                if comment["id"] == int(one.group(2)):
                    comment["body"] = body
                    return self._answer(200, comment)
        return self._answer(404, {"message": "Not Found"})

    def do_POST(self):
        self._write("POST")

    def do_PATCH(self):
        self._write("PATCH")

    def do_PUT(self):
        self._write("PUT")


@pytest.fixture
def forge():
    server = Forge()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["github", "gitlab"])
def job(request, forge, tmp_path, monkeypatch):
    """The environment each forge's job gives the tool."""
    if request.param == "github":
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}))
        monkeypatch.setenv("GITHUB_API_URL", forge.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
        monkeypatch.setenv("GITHUB_TOKEN", "s3cret")
    else:
        monkeypatch.setenv("CI_API_V4_URL", forge.url + "/api/v4")
        monkeypatch.setenv("CI_PROJECT_ID", "42")
        monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
        monkeypatch.setenv("ROSTER_PLAN_TOKEN", "s3cret")

    def run(markdown: str, key: str = "demo") -> int:
        plan_md = tmp_path / "comment.md"
        plan_md.write_text(markdown, encoding="utf-8")
        return roster_ci.main(["comment", "--forge", request.param, "--key", key, str(plan_md)])

    run.forge = request.param
    return run


def plans(forge: Forge) -> list[dict]:
    return [c for c in forge.comments if "congvu-roster-plan" in c["body"]]


def test_each_push_updates_the_one_plan_comment_per_environment(job, forge, capsys):
    forge.add("Cảm ơn, tôi sẽ xem.")
    assert job("# Kế hoạch\n- tạo 3 hộp thư") == 0
    assert job("# Kế hoạch\n- tạo 4 hộp thư") == 0
    assert job("# Kế hoạch (example)", key="example") == 0

    assert "plan comment created" in capsys.readouterr().out
    mine = plans(forge)
    assert len(mine) == 2, mine
    assert mine[0]["body"].endswith("- tạo 4 hộp thư")
    assert "<!-- congvu-roster-plan:demo -->" in mine[0]["body"]
    assert "<!-- congvu-roster-plan:example -->" in mine[1]["body"]
    assert forge.comments[0]["body"] == "Cảm ơn, tôi sẽ xem."
    edit = "PUT" if job.forge == "gitlab" else "PATCH"
    assert [m for m, _, _ in forge.requests if m != "GET"] == ["POST", edit, "POST"]
    token = "s3cret" if job.forge == "gitlab" else "token s3cret"
    assert {auth for _, _, auth in forge.requests} == {token}


def test_the_plan_comment_is_found_beyond_the_first_page(job, forge):
    assert job("# Kế hoạch cũ") == 0
    for n in range(PER_PAGE + 30):
        forge.add(f"bình luận {n}")
    forge.comments.append(forge.comments.pop(0))   # the plan comment is now on the second page
    assert job("# Kế hoạch mới") == 0
    mine = plans(forge)
    assert len(mine) == 1 and mine[0]["body"].endswith("# Kế hoạch mới")
    assert sum(1 for m, _, _ in forge.requests if m == "GET") >= 3   # two pages on the second run


def test_a_read_only_token_is_reported_and_does_not_fail_the_job(job, forge, capsys):
    forge.refuse_writes = True
    assert job("# Kế hoạch") == 0
    assert "the plan comment could not be written" in capsys.readouterr().err
    assert plans(forge) == []
