"""Art. 7.2: mailboxes with no successful login for 90 days are suspended, and the owner is told.

Pure policy, no I/O: which accounts to suspend on a given day, the guard, the marker the job leaves on
a suspended entry, and the Vietnamese notice. The live job (roles/inactivity, `congvu-inactivity`)
reads the directory, calls `select`, writes the suspensions and hands the notices to sendmail.

The clock of an account (`last_login`): slapd's `pwdLastSuccess` (lastbind) when present. A password
change deletes it (ppolicy), so then `pwdChangedTime` (the account has not logged in since), then
`createTimestamp` (never logged in, never changed). A reactivation after an inactivity suspension
restarts the clock too (its date is in the marker), or the next run would suspend again at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from .settings import Settings

DEFAULT_THRESHOLD_DAYS = 90
KINDS = ("person", "agency", "admin")
# The job's own mark on an entry, so that the reconcile can tell its suspension from the roster's
# (docs/inactivity.md). Kept in `description`, which the reconcile never writes on personal mailboxes.
MARKER_ATTRIBUTE = "description"
MARKER_PREFIX = "congvu-inactivity "
SOURCE = "inactivity"


@dataclass(frozen=True)
class Record:
    """One account as the directory has it. Times are aware datetimes (UTC) or None."""

    id: str
    address: str
    agency: str
    state: str = "active"
    kind: str = "person"
    name: str = ""
    last_success: dt.datetime | None = None   # pwdLastSuccess
    changed: dt.datetime | None = None        # pwdChangedTime
    created: dt.datetime | None = None        # createTimestamp
    reactivated: dt.date | None = None        # from the marker

    def last_login(self) -> tuple[dt.datetime | None, str]:
        """(time, which attribute gave it): the fallback chain of the module docstring."""
        found, source = None, "none"
        for value, name in ((self.last_success, "pwdLastSuccess"), (self.changed, "pwdChangedTime"),
                            (self.created, "createTimestamp")):
            if value is not None:
                found, source = value, name
                break
        if self.reactivated is not None:
            again = dt.datetime.combine(self.reactivated, dt.time(), dt.UTC)
            if found is None or again > found:
                found, source = again, "reactivated"
        return found, source


@dataclass(frozen=True)
class Options:
    threshold_days: int = DEFAULT_THRESHOLD_DAYS
    include_agency: bool = False   # agency mailboxes are opened by delegates' own logins (Art. 10)
    include_admins: bool = False   # administrators' accounts: their own rotation (Art. 8) applies
    override_guard: bool = False

    def check(self) -> None:
        if self.threshold_days < 1:
            raise ValueError("the inactivity threshold must be at least 1 day")


@dataclass(frozen=True)
class Candidate:
    record: Record
    last_login: dt.datetime | None
    source: str
    days: int | None  # None: no time at all (treated as inactive: nothing shows it was ever used)


@dataclass
class Decision:
    today: dt.date
    options: Options
    suspend: list[Candidate] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> ids
    population: int = 0
    guard_limit: int = 0

    @property
    def guard_count(self) -> int:
        return len(self.suspend)

    @property
    def guard_tripped(self) -> bool:
        return self.guard_count > self.guard_limit

    @property
    def blocked(self) -> bool:
        return self.guard_tripped and not self.options.override_guard

    def guard_message(self) -> str:
        return (f"the guard stops this inactivity run: it would suspend {self.guard_count} mailboxes, more "
                f"than the limit of {self.guard_limit} (POLICY.md: 50 or 5% of the mailboxes, whichever is "
                "smaller). Nothing was changed. Check why so many show no login (a directory restored "
                "without pwdLastSuccess? Dovecot not binding as the user?); if this is intended, run "
                "`congvu-inactivity --override-guard` once by hand.")

    def summary(self) -> dict:
        return {"today": self.today.isoformat(), "threshold_days": self.options.threshold_days,
                "to_suspend": self.guard_count, "population": self.population,
                "guard": {"count": self.guard_count, "limit": self.guard_limit,
                          "tripped": self.guard_tripped, "override": self.options.override_guard},
                "blocked": self.blocked,
                "skipped": {reason: len(ids) for reason, ids in sorted(self.skipped.items())}}


def select(records: list[Record], today: dt.date, settings: Settings, options: Options | None = None) -> Decision:
    """Who the job suspends today (Art. 7.2), and whether the guard lets it."""
    options = options or Options()
    options.check()
    decision = Decision(today, options)
    cutoff = dt.datetime.combine(today, dt.time(), dt.UTC) - dt.timedelta(days=options.threshold_days)

    def skip(reason: str, record: Record) -> None:
        decision.skipped.setdefault(reason, []).append(record.id)

    for record in sorted(records, key=lambda r: (r.kind, r.id)):
        if record.kind not in KINDS:
            raise ValueError(f"account {record.id}: unknown kind {record.kind!r}")
        if record.kind == "person" and record.state != "terminated":
            decision.population += 1
        if record.state != "active":
            skip(f"already {record.state}", record)  # never touch suspended or terminated accounts
            continue
        if record.kind == "agency" and not options.include_agency:
            skip("agency mailbox", record)
            continue
        if record.kind == "admin" and not options.include_admins:
            skip("administrator", record)
            continue
        last, source = record.last_login()
        if last is not None and last > cutoff:
            skip("recent login", record)
            continue
        days = None if last is None else (today - last.date()).days
        decision.suspend.append(Candidate(record, last, source, days))
    decision.guard_limit = settings.guard_limit(decision.population)
    return decision


# --- the marker --------------------------------------------------------------------------------

def suspended_marker(today: dt.date) -> str:
    return f"{MARKER_PREFIX}suspended {today.isoformat()}"


def reactivated_marker(today: dt.date) -> str:
    return f"{MARKER_PREFIX}reactivated {today.isoformat()}"


def parse_marker(values: list[str]) -> tuple[dt.date | None, dt.date | None]:
    """(suspended on, reactivated on) from the values of MARKER_ATTRIBUTE; other values are ignored."""
    suspended = reactivated = None
    for value in values:
        if not value.startswith(MARKER_PREFIX):
            continue
        what, _, day = value[len(MARKER_PREFIX):].partition(" ")
        try:
            date = dt.date.fromisoformat(day.strip())
        except ValueError:
            continue
        if what == "suspended":
            suspended = max(filter(None, (suspended, date)))
        elif what == "reactivated":
            reactivated = max(filter(None, (reactivated, date)))
    return suspended, reactivated


def held_by_inactivity(values: list[str]) -> bool:
    """True when the entry's current suspension is the job's (suspended after any reactivation).

    For the reconcile: such a mailbox stays suspended when the roster says `active`, until an explicit
    reactivation (docs/inactivity.md, "The job and the roster")."""
    suspended, reactivated = parse_marker(values)
    return suspended is not None and (reactivated is None or suspended > reactivated)


def generalized_time(text: str | None) -> dt.datetime | None:
    """LDAP generalized time (`20261128093000Z`, `20261128093000.123456Z`) -> aware UTC datetime."""
    if not text:
        return None
    text = text.strip()
    if not text.endswith("Z"):
        raise ValueError(f"not a UTC generalized time: {text!r}")
    main = text[:-1].split(".", 1)[0].split(",", 1)[0]
    formats = {14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M", 10: "%Y%m%d%H"}
    if len(main) not in formats:
        raise ValueError(f"not a generalized time: {text!r}")
    return dt.datetime.strptime(main, formats[len(main)]).replace(tzinfo=dt.UTC)


# --- the notice (Vietnamese) -------------------------------------------------------------------

def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "chưa từng đăng nhập"
    return value.strftime("%d/%m/%Y")


def notice(candidate: Candidate, today: dt.date, threshold_days: int, domain: str, sender: str,
           operator_contact: str) -> EmailMessage:
    """The message to the owner, copied to the agency mailbox (Art. 7.2: notify the owner).

    The owner reads it once reactivated (a suspended mailbox still receives mail); the agency mailbox,
    opened by the head and delegates, reads it at once and is the one who asks for the reactivation.
    """
    record = candidate.record
    agency_box = f"{record.agency}@{domain}"
    who = record.name or record.address
    msg = EmailMessage()
    msg["From"] = f"Hệ thống thư điện tử công vụ <{sender}>"
    msg["To"] = record.address
    if record.kind != "agency":
        msg["Cc"] = agency_box
    msg["Subject"] = f"Hộp thư {record.address} đã bị tạm khóa do không sử dụng quá {threshold_days} ngày"
    msg["Date"] = format_datetime(dt.datetime.combine(today, dt.time(7, 0), dt.UTC))
    msg["Message-ID"] = make_msgid("inactivity", domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    msg["X-Congvu-Inactivity"] = record.id
    body = f"""Kính gửi {who},
đồng kính gửi lãnh đạo và cán bộ phụ trách công nghệ thông tin của đơn vị ({agency_box}),

Hộp thư công vụ {record.address} đã bị TẠM KHÓA từ ngày {_day(today)} vì không có lần đăng nhập
thành công nào trong {threshold_days} ngày qua (lần đăng nhập gần nhất: {_day(candidate.last_login)}),
theo khoản 2 Điều 7 của Quy chế quản lý, sử dụng hệ thống thư điện tử công vụ của tỉnh.

Thư gửi đến hộp thư này vẫn được nhận và lưu giữ đầy đủ, không có dữ liệu nào bị xóa. Trong thời
gian tạm khóa, không thể đăng nhập hộp thư (webmail, Outlook, Thunderbird, điện thoại).

Cách mở lại hộp thư:
  1. Cán bộ phụ trách công nghệ thông tin của đơn vị gửi đề nghị mở lại hộp thư {record.address}
     đến bộ phận quản trị hệ thống thư điện tử công vụ ({operator_contact}), qua kênh đề nghị
     thay đổi danh sách hộp thư của đơn vị (roster) hoặc liên hệ trực tiếp quản trị viên.
  2. Quản trị viên mở lại hộp thư; nếu chủ hộp thư không còn nhớ mật khẩu, đơn vị đề nghị cấp lại
     mật khẩu (Điều 6) và chủ hộp thư phải đổi mật khẩu ngay khi đăng nhập.

Nếu cán bộ đã nghỉ việc hoặc chuyển công tác, đề nghị đơn vị cập nhật danh sách hộp thư
(roster) để đóng hoặc chuyển hộp thư (Điều 7, Điều 11).

Đây là thư tự động của hệ thống thư điện tử công vụ {domain}; vui lòng không trả lời thư này.
"""
    msg.set_content(body, charset="utf-8")
    return msg
