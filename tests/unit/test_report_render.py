"""The report's renderers (Art. 14.6, 16.9): report.json -> PDF, HTML, XLSX, CSV, as a reader sees them.

The report.json below is written by hand to docs/reports-data.md section 2 (three agencies: an ordinary
one with a quota exception, one under the Art. 12 threshold, one with no mailbox so that every share is
null). The PDF is read back with pdftotext, the workbook with openpyxl, the CSV files with csv. Rendering
a PDF takes about a second, so each rendering is made once per module and shared by the tests.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import importlib.util
import io
import json
import re
import subprocess
import zlib
from pathlib import Path

import openpyxl
import pytest
from ansible.module_utils.testing import patch_module_args
from congvu_render import FILES, ReportError, charts, render_all
from congvu_render.i18n import Language
from fontTools.ttLib import TTFont
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "plugins" / "module_utils" / "congvu_render" / "assets"
MODULE = ROOT / "plugins" / "modules" / "usage_report_render.py"
MARK_VI = "DỮ LIỆU MINH HỌA"
FONT_EPOCH = 2082844800  # seconds from 1904-01-01, the epoch of TrueType dates, to 1970-01-01

# Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools and says so at every import.
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")


# --- a report.json, by hand ---------------------------------------------------------------------------

GIB = 1024**3
DOMAIN = "quangbinh.gov.vn"

_PERIODS = [
    {"key": "sang_dau", "label": "Đầu giờ sáng", "start": "07:00", "end": "09:00"},
    {"key": "sang_cuoi", "label": "Cuối giờ sáng", "start": "10:30", "end": "11:30"},
    {"key": "chieu_dau", "label": "Đầu giờ chiều", "start": "13:30", "end": "14:30"},
    {"key": "chieu_cuoi", "label": "Cuối giờ chiều", "start": "16:00", "end": "17:00"},
]
MONTHS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def _agency(code, name, boxes, created, closed, logged_in, logged_in_pct, logins, sent, recipients, received,
            storage, quota, exceptions, virus, spam, inactive, resets, art12, buckets):
    return {"code": code, "name": name, "kind": "department", "mail": f"{code}@{DOMAIN}",
            "mailboxes": dict(zip(("active", "suspended", "terminated"), boxes, strict=True)),
            "created": created, "closed": closed, "logged_in": logged_in, "logged_in_pct": logged_in_pct,
            "logins": dict(zip(("imap", "pop3", "submission", "webmail"), logins, strict=True)),
            "sent": sent, "sent_recipients": recipients, "received": received,
            "storage": storage, "quota": quota, "quota_exceptions": exceptions,
            "virus_refused": virus, "spam_refused": spam, "suspended_inactivity": inactive,
            "password_resets": resets,
            "art12": dict(zip(("due", "done", "compliance_pct", "below_threshold"), art12, strict=True)),
            "last_login_buckets": dict(zip(("0-7", "8-30", "31-90", "over-90", "never"), buckets, strict=True))}


AGENCIES = [
    _agency("stttt", "Sở Thông tin và Truyền thông", (25, 1, 0), 2, 0, 24, 96.0, (1234, 56, 789, 2345),
            1517, 2103, 4321, 5 * GIB, 56 * GIB,
            [{"mail": f"binhhv.stttt@{DOMAIN}", "name": "Hoàng Văn Bình", "quota": 5 * GIB,
              "decision": "123/QĐ-UBND"}],
            2, 37, 1, 3, (512, 470, 91.8, False), (20, 3, 1, 0, 1)),
    _agency("sxd", "Sở Xây dựng", (12, 2, 1), 1, 1, 7, 58.3, (300, 0, 120, 640), 210, 260, 1987,
            3 * GIB, 28 * GIB, [], 0, 9, 2, 1, (512, 313, 61.1, True), (5, 2, 0, 4, 1)),
    _agency("ubndxa", "Ủy ban nhân dân xã Tân Ấp", (0, 0, 0), 0, 0, 0, None, (0, 0, 0, 0), 0, 0, 0,
            0, 0, [], 0, 0, 0, 0, (0, 0, None, False), (0, 0, 0, 0, 0)),
]

_STTTT_MONTHS = [(84, 80, 95.2), (92, 85, 92.4), (84, 76, 90.5), (88, 80, 90.9), (88, 79, 89.8), (76, 70, 92.1)]
_SXD_MONTHS = [(84, 40, 47.6), (92, 60, 65.2), (84, 55, 65.5), (88, 53, 60.2), (88, 60, 68.2), (76, 45, 59.2)]


def _art12(code, months):
    rows = []
    for month, (due, done, pct) in zip(MONTHS, months, strict=True):
        missed = [] if due == done else [{"day": f"{month}-03", "periods": ["sang_cuoi", "chieu_dau"]}]
        rows.append({"month": month, "due": due, "done": done, "compliance_pct": pct,
                     "below_threshold": pct < 80, "missed": missed})
    return {"agency": code, "mail": f"{code}@{DOMAIN}", "months": rows,
            "days": [{"day": "2026-06-01", "periods": {"sang_dau": [f"annv.{code}@{DOMAIN}"], "sang_cuoi": [],
                                                       "chieu_dau": [], "chieu_cuoi": []}}]}


def _mailbox(uid, mail, name, agency, state, quota, storage, storage_pct, logins, last_login, days, sent, received):
    return {"uid": uid, "mail": mail, "name": name, "agency": agency, "state": state, "quota": quota,
            "storage": storage, "storage_pct": storage_pct,
            "logins": dict(zip(("imap", "pop3", "submission", "webmail"), logins, strict=True)),
            "last_login": last_login, "days_since_login": days, "sent": sent, "received": received}


MAILBOXES = [
    _mailbox("TT0001", f"annv.stttt@{DOMAIN}", "Nguyễn Văn An", "stttt", "active", 2 * GIB, 1288490189, 60.0,
             (3, 0, 2, 1), "2026-11-28T08:01:00+07:00", 2, 4, 10),
    _mailbox("TT0002", f"binhhv.stttt@{DOMAIN}", "Hoàng Văn Bình", "stttt", "active", 5 * GIB, 123456789, 2.3,
             (40, 0, 11, 7), "2026-11-30T16:45:00+07:00", 0, 77, 301),
    _mailbox("XD0001", f"cuongtt.sxd@{DOMAIN}", "Trần Thị Cường", "sxd", "suspended", 2 * GIB, None, None,
             (0, 0, 0, 0), None, None, 0, 5),
    _mailbox("XD0002", f"dungpq.sxd@{DOMAIN}", "Phạm Quốc Dũng", "sxd", "terminated", 2 * GIB, 0, 0.0,
             (1, 0, 0, 0), "2026-06-02T09:15:00+07:00", 181, 0, 1),
]


def _totals():
    total = {key: sum(a[key] for a in AGENCIES) for key in (
        "created", "closed", "logged_in", "sent", "sent_recipients", "received", "storage", "quota",
        "virus_refused", "spam_refused", "suspended_inactivity", "password_resets")}
    total["mailboxes"] = {s: sum(a["mailboxes"][s] for a in AGENCIES) for s in ("active", "suspended", "terminated")}
    total["logins"] = {k: sum(a["logins"][k] for a in AGENCIES) for k in ("imap", "pop3", "submission", "webmail")}
    total["logged_in_pct"] = 83.8   # 31 of 37 active
    total["art12_compliance_pct"] = 76.5  # 783 of 1024
    return total


def report(demo: bool = False) -> dict:
    """report.json as a dict, a fresh copy every call so that a test may change it."""
    return copy.deepcopy({
        "schema": 1,
        "title": "Báo cáo tình hình sử dụng hệ thống thư điện tử công vụ",
        "province": "Quảng Bình",
        "domain": DOMAIN,
        "period": {"from": "2026-06-01", "to": "2026-11-30", "as_of": "2026-11-30", "working_days": 128},
        "generated_at": "2026-12-05T10:00:00+07:00",
        "demo_data": demo,
        "art12_settings": {"periods": _PERIODS, "threshold_pct": 80},
        "totals": _totals(),
        "agencies": AGENCIES,
        "art12": [_art12("stttt", _STTTT_MONTHS), _art12("sxd", _SXD_MONTHS)],
        "below_threshold": [{"month": m, "agency": "sxd", "compliance_pct": row[2]}
                            for m, row in zip(MONTHS, _SXD_MONTHS, strict=True)],
        "monthly": [{"month": m, "logins": {"imap": 250 + i, "pop3": 9, "submission": 150, "webmail": 490},
                     "users_logged_in": 27 + i, "sent": 280 + 10 * i, "received": 1000 + 50 * i}
                    for i, m in enumerate(MONTHS)],
        "mailboxes": MAILBOXES,
        "quality": {"lines": 1234567, "malformed": 3, "unknown": 12},
    })


# --- renderings, made once ----------------------------------------------------------------------------

def raw(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def load_module():
    """A fresh copy of plugins/modules/usage_report_render.py; it imports its helpers from the collection
    congvu.mail (ansible_collections.congvu.mail.plugins.module_utils, on pytest's pythonpath)."""
    spec = importlib.util.spec_from_file_location("usage_report_render", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_module(args: dict, module=None) -> dict:
    """Run the module's main() in this process; its JSON answer (exit_json or fail_json)."""
    module = module or load_module()
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    return json.loads(out.getvalue())


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def vi(tmp_path_factory):
    """The Vietnamese report of real data, written by the Ansible module: folder, module answer, PDF text."""
    folder = tmp_path_factory.mktemp("vi")
    source = folder / "report.json"
    source.write_bytes(raw(report()))
    answer = run_module({"report_path": str(source), "out_dir": str(folder), "assets_dir": str(ASSETS)})
    return folder, answer, pdf_text(folder / "bao-cao.pdf")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A report marked as demo data; one agency and no monthly chart, as its PDF is only read for the mark."""
    folder = tmp_path_factory.mktemp("demo")
    data = report(demo=True)
    data.update(agencies=data["agencies"][:1], art12=data["art12"][:1], below_threshold=[], monthly=[],
                mailboxes=data["mailboxes"][:2])
    for name, content in render_all(raw(data), str(ASSETS)).items():
        (folder / name).write_bytes(content)
    return folder, pdf_text(folder / "bao-cao.pdf")


@pytest.fixture(scope="module")
def en():
    """The English rendering, without its PDF (the PDF prints this same HTML)."""
    formats = tuple(name for name in FILES if name != "bao-cao.pdf")
    return render_all(raw(report()), str(ASSETS), "en", formats)


def csv_rows(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf"), "CSV without a BOM: Excel would misread the Vietnamese letters"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def by_code(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- the PDF ------------------------------------------------------------------------------------------

def test_pdf_has_the_formal_heading_title_and_period(vi):
    _, _, text = vi
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Quảng Bình, ngày 05 tháng 12 năm 2026" in text
    assert "BÁO CÁO TÌNH HÌNH SỬ DỤNG HỆ THỐNG THƯ ĐIỆN TỬ CÔNG VỤ" in squeeze(text)
    assert "Kỳ báo cáo: từ ngày 01/06/2026 đến ngày 30/11/2026 (128 ngày làm việc)" in text
    assert "Trang 1/" in text


def test_pdf_is_a4_with_its_metadata(vi):
    folder, _, _ = vi
    info = subprocess.run(["pdfinfo", str(folder / "bao-cao.pdf")], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert "Creator:         congvu-mail" in info


def test_pdf_province_summary_has_the_totals(vi):
    _, _, text = vi
    summary = text.split("II. BIỂU ĐỒ")[0]
    for label, value in [("Đang hoạt động", "37"), ("Tạm khóa", "3"), ("Đã đăng nhập trong kỳ", "31 (83,8%)"),
                         ("IMAP", "1.534"), ("Webmail", "2.985"), ("Thư gửi", "1.727"), ("Thư nhận", "6.308"),
                         ("Số người nhận của thư gửi", "2.363"), ("Đã dùng", "8 GiB"), ("Hạn mức", "84 GiB"),
                         ("Thư rác bị chặn", "46"), ("Cấp lại mật khẩu (Điều 6)", "4")]:
        assert re.search(re.escape(label) + r"\s+" + re.escape(value) + r"(\s|$)", summary), (label, value)
    assert re.search(r"Tỷ lệ thực hiện chung của\s+76,5%", summary)


def test_pdf_table_of_agencies_has_one_row_per_agency_with_its_figures(vi):
    _, _, text = vi
    rows = [squeeze(line.strip()) for line in text.splitlines()]
    assert "1 Sở Thông tin và Truyền thông 25 1 0 96,0% 1.517 4.321 8,9% 91,8%" in rows
    assert "2 Sở Xây dựng 12 2 1 58,3% 210 1.987 10,7% 61,1%" in rows
    # no mailbox: every share is a dash, not 0 %
    assert "3 Ủy ban nhân dân xã Tân Ấp 0 0 0 — 0 0 — —" in rows


def test_pdf_each_agency_has_its_figures_exceptions_and_art12_months(vi):
    _, _, text = vi
    details = text.split("IV. CHI TIẾT TỪNG CƠ QUAN")[1].split("V. KIỂM TRA HỘP THƯ CƠ QUAN")[0]
    stttt, sxd = details.split("2. Sở Xây dựng")[0], details.split("2. Sở Xây dựng")[1].split("3. Ủy ban")[0]
    assert "1. Sở Thông tin và Truyền thông" in stttt
    assert "Hộp thư cơ quan: stttt@quangbinh.gov.vn" in stttt
    for label, value in [("IMAP", "1.234"), ("POP3", "56"), ("SMTP (gửi thư)", "789"), ("Webmail", "2.345"),
                         ("Thư nhận", "4.321"), ("Số lượt phải kiểm tra", "512"), ("Số lượt đã kiểm tra", "470"),
                         ("Đã dùng", "5 GiB"), ("Hạn mức", "56 GiB"), ("Chưa từng đăng nhập", "1")]:
        assert re.search(re.escape(label) + r"\s+" + re.escape(value) + r"(\s|$)", stttt), (label, value)
    assert re.search(r"Tạm khóa do không sử\s+1", stttt)  # Art. 7.2, its label wraps over two lines
    assert re.search(r"Hoàng Văn Bình\s+binhhv\.stttt@quangbinh\.gov\.vn\s+5 GiB\s+123/QĐ-UBND", stttt)
    assert re.search(r"06/2026\s+84\s+80\s+95,2%\s+1", stttt)
    assert "91,8%, đạt ngưỡng" in stttt
    assert "61,1%, dưới ngưỡng" in sxd
    assert re.search(r"11/2026\s+76\s+45\s+59,2%\s+1", sxd)
    assert "Không có." in sxd  # no quota exception


def test_pdf_lists_the_art12_periods_and_the_agencies_below_the_threshold(vi):
    _, _, text = vi
    art12 = text.split("V. KIỂM TRA HỘP THƯ CƠ QUAN (ĐIỀU 12)")[1].split("VI. GHI CHÚ")[0]
    assert "Đầu giờ sáng: từ 07:00 đến 09:00" in art12
    assert "Cuối giờ chiều: từ 16:00 đến 17:00" in art12
    assert "Ngưỡng: 80% số lượt phải kiểm tra." in art12
    assert re.search(r"07/2026\s+Sở Xây dựng\s+65,2%", art12)
    assert len(re.findall(r"\d\d/2026\s+Sở Xây dựng", art12)) == 6
    assert "Số dòng nhật ký đã đọc: 1.234.567; dòng lỗi: 3; dòng không nhận dạng được: 12." in text


def test_pdf_pages_render_as_png(vi, tmp_path):
    """The first two pages as images (what a reviewer looks at); A4 portrait at 60 dpi."""
    folder, _, _ = vi
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(folder / "bao-cao.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    for page in pages:
        data = page.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert abs(width - 496) <= 1 and abs(height - 702) <= 1  # 210 x 297 mm at 60 dpi
        assert len(data) > 15_000, f"{page.name}: {len(data)} bytes, an empty page?"


# --- index.html ---------------------------------------------------------------------------------------

def test_html_has_the_charts_inline_and_fetches_nothing(vi):
    folder, _, _ = vi
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3  # monthly trend, agencies ranked, kinds of client
    assert "<script" not in html and "<link" not in html and "<img" not in html and "<iframe" not in html
    assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html, re.I)
    assert "@import" not in html
    assert "default-src 'none'" in html  # the browser is told so too
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids between the inline charts"
    for ref in set(re.findall(r'href="#([^"]+)"', html)) | set(re.findall(r"url\(#([^)]+)\)", html)):
        assert ref in ids, f"reference to a missing id {ref}"


def test_html_shows_the_same_figures_as_the_pdf(vi):
    folder, _, _ = vi
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in html
    assert "Tổng hợp toàn tỉnh" in html and "Sở Thông tin và Truyền thông" in html
    assert "1.727" in html and "83,8%" in html and "123/QĐ-UBND" in html
    assert MARK_VI not in html


# --- the workbook -------------------------------------------------------------------------------------

def test_xlsx_has_the_sheets_headers_and_figures(vi):
    folder, _, _ = vi
    book = openpyxl.load_workbook(folder / "bao-cao.xlsx")
    assert book.sheetnames == ["Tổng hợp", "Cơ quan", "Hộp thư", "Điều 12"]

    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tỉnh"] == "Quảng Bình"
    assert summary["Từ ngày"] == dt.datetime(2026, 6, 1) and summary["Đến ngày"] == dt.datetime(2026, 11, 30)
    assert summary["Số ngày làm việc"] == 128
    assert summary["Hộp thư: Đang hoạt động"] == 37
    assert summary["Đã đăng nhập (%)"] == 83.8
    assert summary["Thư gửi"] == 1727 and summary["Thư nhận"] == 6308
    assert summary["Đăng nhập: Webmail"] == 2985
    assert summary["Dung lượng đã dùng (MiB)"] == 8192 and summary["Hạn mức (MiB)"] == 86016
    assert summary["Điều 12: tỷ lệ thực hiện (%)"] == 76.5
    assert "Loại dữ liệu" not in summary

    sheet = book["Cơ quan"]
    assert sheet.freeze_panes == "C2"
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Mã", "Cơ quan", "Hộp thư cơ quan", "Đang hoạt động"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["stttt", "sxd", "ubndxa"]
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}4"
    stttt = rows["stttt"]
    assert stttt["Cơ quan"] == "Sở Thông tin và Truyền thông"
    assert stttt["Đăng nhập: IMAP"] == 1234 and stttt["Đăng nhập: SMTP (gửi thư)"] == 789
    assert stttt["Đã đăng nhập (%)"] == 96.0
    assert stttt["Thư nhận"] == 4321 and stttt["Số người nhận của thư gửi"] == 2103
    assert stttt["Dung lượng đã dùng (MiB)"] == 5120 and stttt["Hạn mức (MiB)"] == 57344
    assert stttt["Dung lượng đã dùng so với hạn mức (%)"] == 8.9
    assert stttt["Số hộp thư có hạn mức ngoài quy định"] == 1
    assert "123/QĐ-UBND" in stttt["Hạn mức ngoài quy định và quyết định"]
    assert stttt["Tạm khóa do không sử dụng (khoản 2 Điều 7)"] == 1
    assert stttt["Cấp lại mật khẩu (Điều 6)"] == 3
    assert stttt["Thư nhiễm virus bị chặn"] == 2 and stttt["Thư rác bị chặn"] == 37
    assert stttt["Điều 12: số lượt phải kiểm tra"] == 512 and stttt["Điều 12: tỷ lệ thực hiện (%)"] == 91.8
    assert rows["sxd"]["Điều 12: dưới ngưỡng"] == "có" and stttt["Điều 12: dưới ngưỡng"] == "không"
    assert stttt["Đăng nhập gần nhất: Từ 0 đến 7 ngày trước"] == 20
    assert rows["ubndxa"]["Đã đăng nhập (%)"] is None  # a null share is an empty cell, not 0
    pct_column = header.index("Đã đăng nhập (%)") + 1
    assert sheet.cell(row=2, column=pct_column).number_format == "0.0"
    assert sheet.cell(row=1, column=1).font.bold


def test_xlsx_mailboxes_and_art12_sheets(vi):
    folder, _, _ = vi
    book = openpyxl.load_workbook(folder / "bao-cao.xlsx")
    sheet = book["Hộp thư"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["TT0001", "TT0002", "XD0001", "XD0002"]
    an = rows["TT0001"]
    assert an["Họ và tên"] == "Nguyễn Văn An" and an["Cơ quan"] == "Sở Thông tin và Truyền thông"
    assert an["Trạng thái"] == "Đang hoạt động" and rows["XD0002"]["Trạng thái"] == "Đã đóng"
    assert an["Dung lượng đã dùng (MiB)"] == 1228.8 and an["Dung lượng đã dùng so với hạn mức (%)"] == 60.0
    assert an["Đăng nhập gần nhất"] == dt.datetime(2026, 11, 28, 8, 1)  # the wall clock in Vietnam
    assert an["Số ngày từ lần đăng nhập gần nhất"] == 2
    assert rows["XD0001"]["Đăng nhập gần nhất"] is None and rows["XD0001"]["Dung lượng đã dùng (MiB)"] is None
    art12 = book["Điều 12"]
    header = [cell.value for cell in art12[1]]
    months = [dict(zip(header, row, strict=True)) for row in art12.iter_rows(min_row=2, values_only=True)]
    assert len(months) == 12
    july = next(m for m in months if m["Mã"] == "sxd" and m["Tháng"] == "2026-07")
    assert (july["Số lượt phải kiểm tra"], july["Số lượt đã kiểm tra"], july["Tỷ lệ thực hiện (%)"]) == (92, 60, 65.2)
    assert july["Các lượt không kiểm tra"] == "2026-07-03: Cuối giờ sáng, Đầu giờ chiều"


def test_xlsx_properties_are_dated_by_the_report(vi):
    folder, _, _ = vi
    props = openpyxl.load_workbook(folder / "bao-cao.xlsx").properties
    # 10:00 in Vietnam is 03:00 UTC, the time zone of the workbook's properties
    assert props.created == props.modified == dt.datetime(2026, 12, 5, 3, 0)
    assert props.creator == "congvu-mail"


# --- the CSV files ------------------------------------------------------------------------------------

def test_agencies_csv_has_the_figures(vi):
    folder, _, _ = vi
    rows = by_code(csv_rows((folder / "agencies.csv").read_bytes()), "Mã")
    assert list(rows) == ["stttt", "sxd", "ubndxa"]
    stttt = rows["stttt"]
    assert stttt["Cơ quan"] == "Sở Thông tin và Truyền thông"
    assert stttt["Đang hoạt động"] == "25" and stttt["Tạm khóa"] == "1" and stttt["Đã đóng"] == "0"
    assert stttt["Tạo mới trong kỳ"] == "2" and stttt["Đã đăng nhập"] == "24"
    assert stttt["Đã đăng nhập (%)"] == "96.0"
    assert stttt["Đăng nhập: POP3"] == "56" and stttt["Đăng nhập: Webmail"] == "2345"
    assert stttt["Thư gửi"] == "1517" and stttt["Thư nhận"] == "4321"
    assert stttt["Dung lượng đã dùng (MiB)"] == "5120.0"
    assert stttt["Điều 12: tỷ lệ thực hiện (%)"] == "91.8"
    assert rows["ubndxa"]["Đã đăng nhập (%)"] == "" and rows["ubndxa"]["Điều 12: tỷ lệ thực hiện (%)"] == ""
    assert "Loại dữ liệu" not in stttt


def test_mailboxes_csv_has_the_figures(vi):
    folder, _, _ = vi
    rows = by_code(csv_rows((folder / "mailboxes.csv").read_bytes()), "Mã cán bộ")
    assert list(rows) == ["TT0001", "TT0002", "XD0001", "XD0002"]
    assert rows["TT0002"]["Địa chỉ thư"] == "binhhv.stttt@quangbinh.gov.vn"
    assert rows["TT0002"]["Họ và tên"] == "Hoàng Văn Bình"
    assert rows["TT0002"]["Đăng nhập: IMAP"] == "40" and rows["TT0002"]["Thư nhận"] == "301"
    assert rows["TT0002"]["Đăng nhập gần nhất"] == "2026-11-30 16:45"
    assert rows["XD0001"]["Trạng thái"] == "Tạm khóa" and rows["XD0001"]["Đăng nhập gần nhất"] == ""
    assert rows["XD0001"]["Số ngày từ lần đăng nhập gần nhất"] == ""


# --- demo data ----------------------------------------------------------------------------------------

def test_demo_data_is_marked_everywhere(demo):
    folder, text = demo
    assert MARK_VI in text
    pages = text.count("\f") + (not text.endswith("\f"))
    assert text.count(MARK_VI) >= pages  # the watermark and the footer of every page
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert MARK_VI in html.split("<body>")[1].split("<header")[0]  # the banner, before the heading
    assert f"<title>[{MARK_VI}]" in html
    for name in ("agencies.csv", "mailboxes.csv"):
        rows = csv_rows((folder / name).read_bytes())
        assert rows and all(row["Loại dữ liệu"] == MARK_VI for row in rows), name
    book = openpyxl.load_workbook(folder / "bao-cao.xlsx")
    first = next(book["Tổng hợp"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert first == ("Loại dữ liệu", MARK_VI)
    for name in ("Cơ quan", "Hộp thư"):
        header = [cell.value for cell in book[name][1]]
        assert header[-1] == "Loại dữ liệu"
        assert {row[-1] for row in book[name].iter_rows(min_row=2, values_only=True)} == {MARK_VI}


def test_real_data_is_not_marked(vi):
    folder, _, text = vi
    assert "MINH HỌA" not in text
    for name in ("index.html", "agencies.csv", "mailboxes.csv"):
        assert "MINH HỌA" not in (folder / name).read_text(encoding="utf-8-sig"), name
    book = openpyxl.load_workbook(folder / "bao-cao.xlsx")
    for sheet in book.worksheets:
        assert not any("MINH HỌA" in str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)


# --- English ------------------------------------------------------------------------------------------

def test_english_rendering_has_english_headings_and_number_formats(en):
    html = en["index.html"].decode("utf-8")
    assert '<html lang="en">' in html
    for heading in ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness", "Province summary",
                    "Figures by agency", "Each agency", "Agency mailbox checks (Art. 12)", "About the figures",
                    "Report on the use of the official e-mail system", "Period: 1 Jun 2026 to 30 Nov 2026"):
        assert heading in html, heading
    for vietnamese in ("Tổng hợp toàn tỉnh", "CỘNG HÒA", "Kỳ báo cáo", "Đầu giờ sáng"):
        assert vietnamese not in html, vietnamese
    assert "Start of the morning: 07:00 to 09:00" in html  # the Art. 12 period by its key
    assert "1,727" in html and "83.8%" in html and "Trang" not in html
    assert "Sở Thông tin và Truyền thông" in html  # names stay as they are
    book = openpyxl.load_workbook(io.BytesIO(en["bao-cao.xlsx"]))
    assert book.sheetnames == ["Summary", "Agencies", "Mailboxes", "Art. 12"]
    rows = by_code(csv_rows(en["agencies.csv"]), "Code")
    assert rows["sxd"]["Agency"] == "Sở Xây dựng" and rows["sxd"]["Art. 12 below the threshold"] == "yes"
    assert rows["stttt"]["Logins: SMTP submission"] == "789"


# --- the module, the contract, determinism ------------------------------------------------------------

def test_module_writes_every_file_and_reports_sizes(vi):
    folder, answer, _ = vi
    assert answer["changed"] is True and answer["language"] == "vi" and answer["demo_data"] is False
    assert [f["name"] for f in answer["files"]] == list(FILES)
    for entry in answer["files"]:
        assert Path(entry["path"]).stat().st_size == entry["size"] > 0
    # report.json was already in out_dir: it is the input, left as it was
    assert answer["changed_files"] == [name for name in FILES if name != "report.json"]
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")], "a temporary file was left"


def test_module_check_mode_writes_nothing_and_a_second_run_changes_nothing(vi, tmp_path):
    folder, _, _ = vi
    module = load_module()
    rendered = {name: (folder / name).read_bytes() for name in FILES}
    module.render_all = lambda raw_json, assets, language: rendered  # the real rendering is tested above
    source = folder / "report.json"

    empty = tmp_path / "out"
    answer = run_module({"report_path": str(source), "out_dir": str(empty), "assets_dir": str(ASSETS),
                         "_ansible_check_mode": True}, module)
    assert answer["changed"] is True and answer["changed_files"] == list(FILES)
    assert not empty.exists()

    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    answer = run_module({"report_path": str(source), "out_dir": str(folder), "assets_dir": str(ASSETS)}, module)
    assert answer["changed"] is False and answer["changed_files"] == []
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_module_fails_naming_what_report_json_lacks(tmp_path):
    data = report()
    del data["totals"]["sent"]
    del data["agencies"][1]["art12"]
    source = tmp_path / "report.json"
    source.write_bytes(raw(data))
    answer = run_module({"report_path": str(source), "out_dir": str(tmp_path / "out"), "assets_dir": str(ASSETS)})
    assert answer["failed"] is True
    assert "totals.sent" in answer["msg"] and "agencies[1].art12" in answer["msg"]
    assert not (tmp_path / "out").exists()


def test_another_schema_is_refused():
    data = report()
    data["schema"] = 2
    with pytest.raises(ReportError, match="schema 2"):
        render_all(raw(data), str(ASSETS))


def test_same_report_same_files(vi):
    """Reproducible output: the same report.json gives the same bytes."""
    folder, _, _ = vi
    again = render_all((folder / "report.json").read_bytes(), str(ASSETS),
                       formats=tuple(name for name in FILES if name != "bao-cao.pdf"))
    for name, content in again.items():
        assert content == (folder / name).read_bytes(), name


def test_pdf_carries_no_date_of_the_run(vi):
    """The PDF's dates are the report's, and so are those of the font subsets it embeds (fontTools
    stamps a subset with the clock unless told otherwise); a second PDF would then be the same bytes."""
    folder, _, _ = vi
    pdf = (folder / "bao-cao.pdf").read_bytes()
    info = subprocess.run(["pdfinfo", "-isodates", str(folder / "bao-cao.pdf")], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"CreationDate:\s+2026-12-05T10:00:00\+07", info)
    assert re.search(r"ModDate:\s+2026-12-05T10:00:00\+07", info)
    streams = re.finditer(rb"<</Length1 \d+/Filter /FlateDecode/Length (\d+)>>\s*stream\r?\n", pdf)
    fonts = [TTFont(io.BytesIO(zlib.decompress(pdf[m.end():m.end() + int(m.group(1))]))) for m in streams]
    assert len(fonts) == 2, "DejaVu Sans and DejaVu Sans Bold embedded"
    report_time = int(dt.datetime.fromisoformat("2026-12-05T10:00:00+07:00").timestamp()) + FONT_EPOCH
    original = TTFont("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")["head"].modified
    for font in fonts:
        # HarfBuzz, when installed, subsets and keeps the font's own date; fontTools takes the report's
        assert font["head"].modified in (report_time, original)


def test_a_month_not_over_yet_and_names_with_markup():
    """Any period works (here July, built on the 20th: the page says up to which day it counts); what
    comes from the data is escaped."""
    data = report()
    data["period"] = {"from": "2026-07-01", "to": "2026-07-31", "as_of": "2026-07-20", "working_days": 14}
    data["monthly"] = data["monthly"][1:2]
    data["agencies"][1]["name"] = "Sở <b>Xây</b> dựng & Đô thị"
    html = squeeze(render_all(raw(data), str(ASSETS), formats=("index.html",))["index.html"].decode())
    assert "từ ngày 01/07/2026 đến ngày 31/07/2026 (14 ngày làm việc)" in html
    assert "số liệu tính đến ngày 20/07/2026" in html
    assert "Sở &lt;b&gt;Xây&lt;/b&gt; dựng &amp; Đô thị" in html and "<b>Xây" not in html


def test_a_province_with_nothing_yet_renders():
    """No agency, no month, no login: the page says so instead of drawing empty charts."""
    data = report()
    data.update(agencies=[], art12=[], below_threshold=[], monthly=[], mailboxes=[])
    data["totals"].update(logins=dict.fromkeys(("imap", "pop3", "submission", "webmail"), 0), logged_in_pct=None)
    out = render_all(raw(data), str(ASSETS), formats=("index.html", "bao-cao.xlsx", "agencies.csv"))
    html = out["index.html"].decode()
    assert "<svg" not in html
    assert "Không có số liệu theo tháng trong kỳ." in html and "Không có lượt đăng nhập nào trong kỳ." in html
    assert csv_rows(out["agencies.csv"]) == []


def test_a_long_ranking_is_cut_into_page_sized_charts():
    agencies = [dict(AGENCIES[0], code=f"a{i:02d}", name=f"Cơ quan số {i}", logged_in_pct=float(i))
                for i in range(charts.RANKING_CHUNK + 1)]
    svgs = charts.agencies_ranked({"agencies": agencies}, Language.load(str(ASSETS), "vi"))
    assert len(svgs) == 2
    assert svgs[0].count("<svg") == svgs[1].count("<svg") == 1
    assert 'id="rank1-' in svgs[0] and 'id="rank2-' in svgs[1]  # ids stay unique on one page


def test_renders_what_the_policy_core_builds():
    """The producer's own report.json (congvu.usage_report.build_report) renders: the two sides agree."""
    from congvu.art12 import DEFAULT_PERIODS
    from congvu.usage_report import build_report
    from congvu_holidays import work_calendar

    box = {"uid": "TT1", "mail": "annv.stttt@quangbinh.gov.vn", "name": "Nguyễn Văn An", "agency": "stttt",
           "title": "", "leader": False, "state": "active", "quota": 2 * GIB, "quota_decision": None,
           "storage": None, "created": None, "closed": None,
           "logins": {"imap": 1, "pop3": 0, "submission": 0, "webmail": 2}, "last_login": None, "sent": 1,
           "sent_recipients": 1, "received": 2, "virus_refused": 0, "spam_refused": 0,
           "suspended_inactivity": 0, "password_resets": 0}
    summary = {"schema": 1, "period": {"from": "2026-07-01", "to": "2026-07-31"},
               "generated_at": "2026-08-03T09:00:00+07:00", "demo_data": True,
               "agencies": [{"code": "stttt", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                             "mail": "stttt@quangbinh.gov.vn", "state": "active", "head": "TT1"}],
               "mailboxes": [box, dict(copy.deepcopy(box), uid="TT2", mail="binhhv.stttt@quangbinh.gov.vn",
                                       quota_decision="123/QĐ-UBND", quota=5 * GIB, storage=GIB)],
               "monthly": [], "agency_checks": [], "quality": {"lines": 10, "malformed": 0, "unknown": 0}}
    built = build_report(summary, work_calendar(), DEFAULT_PERIODS, 80, "Quảng Bình", "quangbinh.gov.vn")
    out = render_all(raw(built), str(ASSETS), formats=("index.html", "bao-cao.xlsx", "agencies.csv",
                                                       "mailboxes.csv"))
    html = out["index.html"].decode()
    assert "Sở Thông tin và Truyền thông" in html and MARK_VI in html and "123/QĐ-UBND" in html
    rows = by_code(csv_rows(out["mailboxes.csv"]), "Mã cán bộ")
    assert rows["TT1"]["Dung lượng đã dùng (MiB)"] == ""  # storage unknown (null)
