"""The published directory (Art. 11.1, 14.4) as a reader gets it: https://<mail host>/danh-ba/.

The converge applied a small roster (molecule/webmail/roster) with the project's reconcile
(playbooks/roster.yml), which publishes the directory on the directory host (the mail container), brings it
to the controller and installs it on the web front. Here curl fetches the files from the front's nginx over a
real TLS connection in the front container (webmail_hosts.py), without any login, and the controller parses
them with parsers the project did not write: vobject for the vCards, Python's csv module (utf-8-sig, which
removes the byte order mark) for the CSV files. The last test runs the reconcile again with one more suspension, as an
operator would, and then puts the roster back, so verify may run again.
"""

import base64
import csv
import hashlib
import io
import os
import shlex
import shutil
import subprocess
import sys

import pytest
import vobject
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from webmail_hosts import CURL, FRONT, MAIL, MAIL_HOST  # noqa: E402

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
ROSTER = os.path.join(os.path.dirname(__file__), "..", "roster")
CONTROLLER_COPY = os.path.join(INVENTORY, ".published", "danh-ba")
DOMAIN = "quangbinh.gov.vn"
URL = f"https://{MAIL_HOST}/danh-ba/"
ON_DIRECTORY_HOST = "/var/lib/congvu/danh-ba"
WEB_ROOT = "/var/www/congvu/danh-ba"


def mail(local):
    return f"{local}@{DOMAIN}"


# The agency mailbox, the Giám đốc, the two Phó Giám đốc by given name (Dung before Dũng: the tone
# decides), the Trưởng phòng, then the staff by given name (Ánh, Dịu, Đông: D before Đ).
SNV_ORDER = [mail("snv"), mail("ductv.snv"), mail("dunglt.snv"), mail("dungdv.snv"), mail("datpq.snv"),
             mail("anhnt.snv"), mail("diunt.snv"), mail("donghv.snv")]
SUSPENDED = mail("yenvt.snv")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def get(path):
    """GET over HTTPS with curl in the web front (the request reaches its nginx, the certificate is verified
    for the name); the exact bytes come back base64-encoded."""
    curl = " ".join(shlex.quote(a) for a in CURL)
    script = (
        'b=$(mktemp); h=$(mktemp); '
        f'code=$({curl} -D "$h" -o "$b" -w "%{{http_code}}" {shlex.quote(URL + path)}); '
        'rc=$?; echo "$code"; base64 -w0 "$h"; echo; base64 -w0 "$b"; echo; rm -f "$b" "$h"; exit $rc')
    r = FRONT.run(script)
    assert r.rc == 0, r.stderr
    code, head, body = r.stdout.split("\n")[:3]
    headers = {}
    for line in base64.b64decode(head).decode("latin-1").splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Response(int(code), {k: ", ".join(v) for k, v in headers.items()}, base64.b64decode(body))


def cards(data):
    return list(vobject.readComponents(data.decode("utf-8")))


def csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- what a reader gets ---------------------------------------------------------------------------

def test_art14_index_is_public_vietnamese_html():
    r = get("")
    assert r.status == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.body.decode("utf-8")
    assert '<html lang="vi">' in page
    for code in ("snv", "lethuy"):
        assert f'href="{code}.html"' in page and f'href="{code}.csv"' in page and f'href="{code}.vcf"' in page
    assert "Sở Nội vụ" in page and "Ủy ban nhân dân huyện Lệ Thủy" in page
    # served with the server's hardening, and allowed nothing but its own inline style
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "set-cookie" not in r.headers  # no session: nobody has to log in
    # a portal that fetches the files on a schedule asks whether they changed (docs, "An agency's portal")
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["etag"] and r.headers["last-modified"]


def test_art14_vcard_over_https_parses_with_vobject():
    r = get("snv.vcf")
    assert r.status == 200
    assert r.headers["content-type"] == "text/vcard; charset=utf-8"
    parsed = cards(r.body)
    assert [c.email.value for c in parsed] == SNV_ORDER
    agency = parsed[0]
    assert (agency.version.value, agency.kind.value, agency.fn.value) == ("4.0", "org", "Sở Nội vụ")
    head = parsed[1]
    assert (head.fn.value, head.title.value, head.org.value) == ("Trần Văn Đức", "Giám đốc", ["Sở Nội vụ"])
    assert (head.n.value.family, head.n.value.given, head.n.value.additional) == ("Trần", "Đức", "Văn")
    division = parsed[4]
    assert division.title.value == "Trưởng phòng Tổ chức, Biên chế & Tổ chức phi chính phủ"
    assert SUSPENDED.encode() not in r.body and "Võ Thị Yến".encode() not in r.body


def test_art14_csv_over_https_has_a_bom_and_the_publication_order():
    r = get("snv.csv")
    assert r.status == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.body.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(r.body)
    assert rows[0] == ["Họ và tên", "Chức vụ", "Đơn vị", "Địa chỉ thư điện tử"]
    assert rows[1] == ["Sở Nội vụ", "", "Sở Nội vụ", mail("snv")]
    assert [row[3] for row in rows[1:]] == SNV_ORDER
    assert rows[2] == ["Trần Văn Đức", "Giám đốc", "Sở Nội vụ", mail("ductv.snv")]
    assert SUSPENDED not in r.body.decode("utf-8-sig")


def test_art14_agency_that_leaves_the_title_out():
    rows = csv_rows(get("lethuy.csv").body)
    assert rows[0] == ["Họ và tên", "Đơn vị", "Địa chỉ thư điện tử"]
    assert [row[0] for row in rows[1:]] == ["Ủy ban nhân dân huyện Lệ Thủy", "Mai Thị Lan", "Hồ Văn Bình",
                                             "Trương Văn Cường"]
    vcf = get("lethuy.vcf").body
    assert all(not hasattr(c, "title") for c in cards(vcf)) and b"TITLE" not in vcf
    page = get("lethuy.html").body.decode("utf-8")
    assert "Chức vụ" not in page and "Chủ tịch" not in page and mail("lanmt.lethuy") in page


def test_no_listing_no_hidden_file_and_the_folder_without_slash():
    assert get("khong-co.csv").status == 404
    FRONT.run(f"mkdir -p {WEB_ROOT}/thu-muc && touch {WEB_ROOT}/.an")
    try:
        assert get("thu-muc/").status == 403  # no listing of a folder without index.html
        assert get(".an").status == 404
    finally:
        FRONT.run(f"rm -rf {WEB_ROOT}/thu-muc {WEB_ROOT}/.an")
    r = FRONT.run(" ".join(shlex.quote(a) for a in CURL + ["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                                           f"https://{MAIL_HOST}/danh-ba"]))
    assert r.stdout == f"301 https://{MAIL_HOST}/danh-ba/"


def served_digests(host, folder):
    r = host.run(f"cd {folder} && sha256sum -- *")
    assert r.rc == 0, r.stderr
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in r.stdout.splitlines())}


def controller_digests():
    return {name: hashlib.sha256(open(os.path.join(CONTROLLER_COPY, name), "rb").read()).hexdigest()
            for name in os.listdir(CONTROLLER_COPY)}


def test_the_same_files_on_the_directory_host_the_web_root_and_the_controller():
    published = served_digests(MAIL, ON_DIRECTORY_HOST)
    assert sorted(published) == ["index.html", "lethuy.csv", "lethuy.html", "lethuy.vcf", "snv.csv", "snv.html",
                                 "snv.vcf"]
    assert served_digests(FRONT, WEB_ROOT) == published
    assert controller_digests() == published  # the files for the agencies' portals


# --- refreshed by every roster apply --------------------------------------------------------------

def apply(folder, message):
    git = ["git", "-C", folder, "-c", "user.name=IT", "-c", "user.email=it@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True)
    # The guard override is for the mailboxes test_webmail.py creates outside the roster: on a second
    # verify they exist, and a roster run would close them (they are made afresh by that file).
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "roster.yml"),
                           "-e", f"roster_path={folder}", "-e", "roster_override_guard=true"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


@pytest.fixture
def roster_copy(tmp_path):
    folder = str(tmp_path / "roster")
    shutil.copytree(ROSTER, folder)
    subprocess.run(["git", "init", "-q", folder], check=True)
    return folder


STALE = ("cu.html", "cu.csv", "cu.vcf")  # the files of an agency closed since the last publication


def test_art14_refreshed_after_a_roster_apply(roster_copy):
    lethuy_before = get("lethuy.html").body
    for host, folder in ((MAIL, ON_DIRECTORY_HOST), (FRONT, WEB_ROOT)):
        assert host.run(f"cd {folder} && touch {' '.join(STALE)}").rc == 0
    for name in STALE:
        open(os.path.join(CONTROLLER_COPY, name), "wb").close()
    path = os.path.join(roster_copy, "snv.yml")
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    next(p for p in data["staff"] if p["id"] == "NV06")["state"] = "suspended"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, allow_unicode=True, sort_keys=False)
    try:
        apply(roster_copy, "suspend NV06")
        emails = [c.email.value for c in cards(get("snv.vcf").body)]
        assert emails == [a for a in SNV_ORDER if a != mail("donghv.snv")]
        assert mail("donghv.snv") not in get("snv.csv").body.decode("utf-8-sig")
        # the other agency's list did not change: same bytes, its former publication date kept
        assert get("lethuy.html").body == lethuy_before
        assert controller_digests() == served_digests(FRONT, WEB_ROOT)
        # an agency no longer published has no files anywhere
        for host, folder in ((MAIL, ON_DIRECTORY_HOST), (FRONT, WEB_ROOT)):
            assert not set(STALE) & set(served_digests(host, folder)), folder
        assert not set(STALE) & set(os.listdir(CONTROLLER_COPY))
        assert get("cu.html").status == 404
    finally:
        shutil.copyfile(os.path.join(ROSTER, "snv.yml"), path)
        apply(roster_copy, "back to the test roster")
    assert [c.email.value for c in cards(get("snv.vcf").body)] == SNV_ORDER
