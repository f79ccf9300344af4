#!/usr/bin/env python3
"""Benchmark: throughput of the mail path and of IMAP on the whole stack in a container.

    python3 bench/bench_mail.py [--messages 2000] [--sessions 10] [--load distinct|repeat] [--seed 1]
                                [--attachment-mb 20] [--recipients 10] [--dns both|testbed|stub]
                                [--imap-clients 20] [--imap-seconds 30] [--logins 500]
                                [--container bench-mail] [--converge] [--json FILE] [--remove]

Target (the "Capacity" restatement of the mail path): the full path (Postfix + rspamd + ClamAV + LMTP into
Dovecot) delivers at least 50 % of the messages per second of Postfix delivering by LMTP into the same
Dovecot with no filter, in the same run, every message distinct in body and attachments; and N concurrent
IMAP clients fetching, with operations per second and no error. Prints the figures, the ratios, the CPU
per message of every program, and the house ratio target/value (below 1 is within the target, PASS;
above 1 OVER); results are recorded in docs/benchmarks.md, "Mail path", and feed docs/capacity.md.

How it measures (docs/benchmarks.md says more)
- The test bed: a container of local/bookworm-systemd (`--container`, default bench-mail; started if
  missing, with SYS_ADMIN and NET_ADMIN like the demo host) with playbooks/site.yml converged into it
  (the all-in-one host of the demo, in groups mail, directory, mx, imap, webmail; inventory under
  bench/out/mail/ansible/, group_vars linked to inventories/demo/group_vars), then the demo roster
  (inventories/demo/roster) applied with playbooks/roster.yml. Both are skipped when the container
  already has the benchmark's marker of an earlier success; --converge runs them again.
- Ready accounts: the first --recipients active people get a password only the benchmark knows
  (`ldappasswd` bound as each of them with the initial password, as tools/demo_accounts.py does).
  Their INBOX is emptied (doveadm expunge) before every path that delivers, so every path measures the same.
- The load (--load distinct, the default): --sessions sender processes in the container (mail_child.py,
  smtplib), one message per SMTP connection, message i to recipient i mod R. Every message is made
  before the clock starts from a seed and a fresh nonce per path (Python's email package): its structure
  (text, HTML, PDF scans, Word documents, their sizes: the seeded mix of mail_child.py, log-normal as
  the demo's usage history plus 1 % of scans of 2 MiB up to the attachment limit) is the same in every
  path and run, its bytes never repeat, so no verdict rspamd keeps by digest answers for a message.
  --load repeat: Postfix's `smtp-source` with one body of --size bytes, as the runs before the mix.
- (a) bare, for reference: an extra smtpd listener on <container IP>:2525, added to master.cf for the
  path only (`postconf -M` / `-P`; master.cf is copied before and restored byte for byte after, then
  `postfix reload`): the same smtpd restrictions and LDAP recipient lookups as port 25, no postscreen,
  no milter (`smtpd_milters=`, `receive_override_options=no_milters`), every accepted message delivered
  by Postfix's SMTP client to Postfix's own `smtp-sink` on 127.0.0.1:2526
  (`content_filter=smtp:[127.0.0.1]:2526`). Done when Postfix's queue is empty.
- (l) LMTP, no filters, the baseline judged against: the same listener without the content filter, so
  Postfix delivers through its normal virtual transport (LMTP into Dovecot). Done when the N messages
  are files in the recipients' maildirs.
- (b) full: the real port 25 of the container's address (postscreen, smtpd, the rspamd milter with
  ClamAV, cleanup, LMTP into Dovecot), unauthenticated like mail from another server (the inbound
  path; the container's own address is not in mynetworks). Done as (l).
- (b') full, DNS stub (--dns stub or both): the same, with rspamd asking a local DNS stub that answers
  NXDOMAIN at once (mail_child.py dnsstub; /etc/rspamd/local.d/options.inc for the run only). The
  test bed has no Internet and its resolver lets rspamd's list queries time out (4-5 s a message),
  which says nothing of the path itself. With --dns both the verdict is on (b).
  Every path: one warm-up message first (not counted: it passes postscreen's pregreet test, whose
  result is cached, and wakes rspamd and clamd). Messages per second = N / wall time from the start of
  the senders to the last message disposed of or delivered, taken inside the container.
- Storage: the container's /var/vmail and /var/spool/postfix are volumes on the host's file system,
  as on a real server, not the container's overlayfs (docs/benchmarks.md, runs 5-6).
- CPU: each path reports the CPU time every program in the container used during it (from /proc, per
  message; the senders are not counted), so the cost of each part of the path is visible; the full
  path's CPU minus the LMTP path's is what the filters cost.
- (c) IMAP: --imap-clients processes in the container, over 993 (TLS checked against the local CA) as
  the ready accounts (round robin), LOGIN + SELECT INBOX, then FETCH (FLAGS BODY.PEEK[]) of a random
  message in a loop for --imap-seconds; operations per second, errors (must be 0), CPU per FETCH.
- (d) logins: --logins sessions of TLS, LOGIN, SELECT INBOX, LOGOUT, --login-clients at a time; CPU per
  login of every program (the capacity model's cost of a person opening their mail).
- `imaptest` (Dovecot's load tester) is used for nothing: Debian 12 does not package it; the benchmark
  asks apt in the container and prints the answer.
- Not measured here: the replication cost (the same load with a dsync replica on, against off), which
  bench/bench_replication.py measures on the mail pair of the molecule scenario `pair`.

Exit status: 0 when the ratio full/LMTP is at least 50 % and IMAP and the logins had no error, 1 when not,
2 when the run itself went wrong (a message refused, lost or late, a service down, an error of the set-up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time

from benchlib import (
    BenchError,
    Container,
    ansible_env,
    check_container_name,
    link_demo_group_vars,
    machine,
    run,
    stderr_log,
)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "out", "mail")
IMAGE = "local/bookworm-systemd"
HOSTNAME = "mail.quangbinh.gov.vn"
BASE = "dc=quangbinh,dc=gov,dc=vn"
IN = "/opt/bench"  # the benchmark's folder inside the container
MARK_SITE = f"{IN}/converged-site"
MARK_ROSTER = f"{IN}/converged-roster"
SINK_PORT = 2525
SMTP_SINK_PORT = 2526  # Postfix's smtp-sink, on the container's loopback
# The mail store and Postfix's queue on the host's file system (anonymous volumes), as on a real server,
# not on the container's overlayfs: there every file Dovecot or Postfix creates and renames costs about
# twice the kernel time (Dovecot's LMTP: 6.6 ms of CPU per delivery on overlayfs, 3.2 on tmpfs).
STORAGE_VOLUMES = ["--mount", "type=volume,dst=/var/vmail", "--mount", "type=volume,dst=/var/spool/postfix"]
SERVICES = ("slapd", "postfix@-", "dovecot", "rspamd", "clamav-daemon", "redis-server")

# The targets: the full path >= 50 % of bare Postfix; IMAP without error.
TARGET_RATIO = 0.5
TARGET_IMAP_ERRORS = 0

HOSTS_YML = """# Written by bench/bench_mail.py: the all-in-one benchmark host (container {container}).
mail:
  children:
    directory:
      hosts:
        {host}:
    mx:
      hosts:
        {host}:
    imap:
      hosts:
        {host}:
    webmail:
      hosts:
        {host}:
  vars:
    ansible_connection: community.docker.docker
    ansible_host: {container}
    ansible_python_interpreter: /usr/bin/python3
    # as the demo: the controller reaches the container from docker's gateway (the admin network)
    hardening__admin_networks: ["{{{{ ansible_facts['default_ipv4']['gateway'] }}}}/32"]
"""




# ---------------------------------------------------------------------------------------------------
# Running things
# ---------------------------------------------------------------------------------------------------




class Box(Container):
    """The container, and mail_child.py in it."""

    def child(self, *args: str, timeout: float | None = None) -> dict:
        return self.result_of(f"cd {IN} && python3 mail_child.py " + " ".join(shlex.quote(a) for a in args), timeout)


def playbook(args: list[str], log_name: str, timeout: float = 7200) -> float:
    """ansible-playbook from the benchmark's inventory; the whole output goes to bench/out/mail/<log_name>."""
    start = time.perf_counter()
    proc = run(["ansible-playbook", "-i", os.path.join(WORK, "ansible", "hosts.yml"), *args],
               timeout=timeout, env=ansible_env(), cwd=os.path.join(WORK, "ansible"), check=False)
    with open(os.path.join(WORK, log_name), "w", encoding="utf-8") as handle:
        handle.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise BenchError(f"ansible-playbook {' '.join(args)} failed ({proc.returncode}), see "
                         f"{os.path.join(WORK, log_name)}:\n{proc.stdout[-2000:]}")
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------
# Setting up
# ---------------------------------------------------------------------------------------------------


def write_ansible_files(container: str) -> None:
    folder = os.path.join(WORK, "ansible")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write(HOSTS_YML.format(container=container, host=HOSTNAME))
    link_demo_group_vars(folder)


def setup(box: Box, args, log) -> dict:
    info: dict = {}
    write_ansible_files(box.name)
    # NET_ADMIN for the hardening role's nftables, as the demo host
    if box.start(IMAGE, HOSTNAME, ["--cap-add", "NET_ADMIN", *STORAGE_VOLUMES], log):
        info["container_started"] = True
    box.sh(f"mkdir -p {IN} && chmod 0700 {IN}")
    if args.converge or box.sh(f"test -e {MARK_SITE} && echo yes || echo no").strip() != "yes":
        log("converging playbooks/site.yml (ansible-playbook; 15-40 min on the shared machine)")
        info["converge_s"] = playbook([os.path.join(REPO, "playbooks", "site.yml")], "converge-site.log")
        box.sh(f"touch {MARK_SITE}")
    if args.converge or box.sh(f"test -e {MARK_ROSTER} && echo yes || echo no").strip() != "yes":
        log("applying the demo roster (playbooks/roster.yml)")
        info["roster_s"] = playbook([os.path.join(REPO, "playbooks", "roster.yml"), "-e",
                                     f"roster_path={os.path.join(REPO, 'inventories', 'demo', 'roster')}"],
                                    "roster.log")
        box.sh(f"touch {MARK_ROSTER}")
    box.put(os.path.join(HERE, "mail_child.py"), f"{IN}/mail_child.py")
    versions = box.sh("dpkg-query -W -f '${Package} ${Version}\\n' postfix dovecot-core rspamd clamav-daemon "
                      "redis-server slapd python3; nproc")
    info["container_versions"] = versions.strip().splitlines()
    # Dovecot's load tester, if Debian packaged it (it does not in bookworm): the answer is printed.
    policy = box.sh("apt-cache policy imaptest 2>&1; apt-cache search --names-only '^imaptest' 2>&1", check=False)
    info["imaptest"] = "packaged" if "Candidate:" in policy and "(none)" not in policy else "not packaged"
    down = [s for s in SERVICES if box.sh(f"systemctl is-active {s} || true", check=False).strip() != "active"]
    if down:
        raise BenchError(f"services not active in {box.name}: {', '.join(down)}")
    info["ip"] = box.sh("hostname -I").split()[0]
    return info


def ready_accounts(box: Box, count: int) -> list[dict]:
    """The ready accounts, each with its maildir, their INBOX emptied."""
    got = box.child("accounts", "--base", BASE, "--count", str(count), timeout=600)
    out = []
    for address in got["accounts"]:
        home = box.sh(f"doveadm user -f home {shlex.quote(address)}").strip()
        if not home.startswith("/"):
            raise BenchError(f"doveadm user {address}: no home ({home!r})")
        box.sh(f"doveadm expunge -u {shlex.quote(address)} mailbox INBOX all")
        out.append({"address": address, "maildir": f"{home}/Maildir"})
    return out


# ---------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------


# An extra smtpd listener for one path of the run: the same smtpd as port 25 without postscreen, with the
# service's own `-P` overrides (no milter; a content filter or not).
LISTENER_ON = """set -e
cp -p /etc/postfix/master.cf {IN}/master.cf.orig
postconf -M '{svc}/inet={svc} inet n - n - - smtpd'
postconf -P {overrides}
postfix check
postfix reload
"""


def listener_overrides(svc: str, name: str, content_filter: str | None) -> str:
    """The -P arguments: the listener's log name, no milter in smtpd nor in cleanup, and for the bare
    path a content filter that sends every message on to the sink; without one, mail takes the normal
    virtual transport (LMTP into Dovecot)."""
    pairs = [("syslog_name", f"postfix/{name}"), ("smtpd_milters", ""), ("receive_override_options", "no_milters")]
    if content_filter:
        pairs.append(("content_filter", content_filter))
    return " ".join(shlex.quote(f"{svc}/inet/{k}={v}") for k, v in pairs)


# Postfix's smtp-sink as the bare path's destination, run as user postfix until killed.
SMTP_SINK_ON = """set -e
pkill -x smtp-sink || true
setsid smtp-sink -u postfix 127.0.0.1:{port} 256 </dev/null >/dev/null 2>&1 &
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && exit 0; sleep 0.1; done
echo "smtp-sink did not start" >&2
exit 1
"""

# rspamd asks the stub (mail_child.py dnsstub) instead of the test bed's resolver; local.d/options.inc is
# not the role's (it writes override.d/options.inc) and merges into rspamd's `dns` section.
DNS_ON = """set -e
test ! -e /etc/rspamd/local.d/options.inc || {{ echo "local.d/options.inc exists: not the benchmark's" >&2; exit 1; }}
echo 'dns {{ nameserver = ["127.0.0.1"]; }}  # bench/bench_mail.py, removed after the run' \
  > /etc/rspamd/local.d/options.inc
for i in $(seq 50); do test -s {IN}/dnsstub.pid && break; sleep 0.1; done
test -s {IN}/dnsstub.pid || {{ echo "the DNS stub did not start" >&2; exit 1; }}
rspamadm configtest >/dev/null
systemctl restart rspamd
for i in $(seq 150); do
  (exec 3<>/dev/tcp/127.0.0.1/11332) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/11333) 2>/dev/null && exit 0
  sleep 0.2
done
echo "rspamd did not come back" >&2
exit 1
"""

DNS_OFF = """
if grep -qs bench_mail.py /etc/rspamd/local.d/options.inc; then
  rm /etc/rspamd/local.d/options.inc
  systemctl restart rspamd
fi
test -s {IN}/dnsstub.pid && kill "$(cat {IN}/dnsstub.pid)" 2>/dev/null
rm -f {IN}/dnsstub.pid
for i in $(seq 150); do
  (exec 3<>/dev/tcp/127.0.0.1/11332) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/11333) 2>/dev/null && exit 0
  sleep 0.2
done
exit 1
"""

SINK_OFF = """set -e
if [ -e {IN}/master.cf.orig ]; then
  cp -p {IN}/master.cf.orig /etc/postfix/master.cf && rm {IN}/master.cf.orig
  postfix check && postfix reload
fi
"""


def smtp_args(mode: str, target: str, accounts: list[dict], args, count: int, sessions: int) -> list[str]:
    out = ["smtp", "--mode", mode, "--target", target, "--count", str(count), "--sessions", str(sessions),
           "--load", args.load, "--seed", str(args.seed), "--attachment-mb", str(args.attachment_mb),
           "--size", str(args.size), "--sender", args.sender, "--subject", f"congvu bench {mode}"]
    for a in accounts:
        out += ["--rcpt", f"{a['address']}={a['maildir']}" if mode != "bare" else a["address"]]
    return out


def empty_inboxes(box: Box, accounts: list[dict]) -> None:
    for a in accounts:
        box.sh(f"doveadm expunge -u {shlex.quote(a['address'])} mailbox INBOX all")


def measure_path(box: Box, mode: str, target: str, accounts: list[dict], args, log) -> dict:
    """One path: a warm-up message, then --messages. Every call makes its messages anew (a new nonce):
    no message of one path is seen again by another, or by the filters of a later run."""
    log(f"{mode}: warm-up message to {target}")
    warm = box.child(*smtp_args(mode, target, accounts[:1], args, 1, 1), timeout=600)
    if not warm["complete"]:
        raise BenchError(f"{mode}: the warm-up message did not go through: {json.dumps(warm)[:2000]}")
    if mode != "bare":
        empty_inboxes(box, accounts)
    load = (f"the seeded mix (seed {args.seed})" if args.load == "distinct"
            else f"smtp-source, {args.size} bytes each")
    log(f"{mode}: {args.messages} messages, {load}, {args.sessions} sessions, {len(accounts)} recipients -> {target}")
    r = box.child(*smtp_args(mode, target, accounts, args, args.messages, args.sessions), timeout=7200)
    r["warmup_s"] = warm["wall_s"]
    if not r["complete"]:
        raise BenchError(f"{mode}: run incomplete (delivered {r['delivered']} of {r['count']}): "
                         f"{json.dumps(r['failures'])[:2000]}")
    log(f"{mode}: {r['msgs_per_s']:.1f} msg/s ({r['wall_s']:.1f} s)")
    return r


def measure(box: Box, info: dict, args, log) -> dict:
    res: dict = {}
    every = ready_accounts(box, max(args.recipients, args.login_accounts))
    accounts = every[:args.recipients]
    res["accounts"] = [a["address"] for a in accounts]
    ip = info["ip"]
    svc = f"{ip}:{SINK_PORT}"
    box.sh(SINK_OFF.format(IN=IN))  # a listener left by an interrupted run
    try:
        sink = f"smtp:[127.0.0.1]:{SMTP_SINK_PORT}"
        log(f"bare: extra smtpd on {svc} (no milter, content_filter={sink}: Postfix's smtp-sink)")
        box.sh(SMTP_SINK_ON.format(port=SMTP_SINK_PORT))
        box.sh(LISTENER_ON.format(IN=IN, svc=svc, overrides=listener_overrides(svc, "bench-sink", sink)))
        res["bare"] = measure_path(box, "bare", svc, accounts, args, log)
        box.sh(SINK_OFF.format(IN=IN))
        log("lmtp: the same listener without the content filter: LMTP into Dovecot, no milter")
        box.sh(LISTENER_ON.format(IN=IN, svc=svc, overrides=listener_overrides(svc, "bench-lmtp", None)))
        res["lmtp"] = measure_path(box, "lmtp", svc, accounts, args, log)
    finally:
        box.sh(SINK_OFF.format(IN=IN))
        box.sh("pkill -x smtp-sink || true", check=False)
    if args.dns in ("testbed", "both"):
        res["full"] = measure_path(box, "full", f"{ip}:25", accounts, args, log)
    if args.dns in ("stub", "both"):
        box.sh(DNS_OFF.format(IN=IN), check=False)  # left by an interrupted run
        try:
            log("full, DNS stub: rspamd asks a local server that answers NXDOMAIN at once")
            run(["docker", "exec", "-d", box.name, "python3", f"{IN}/mail_child.py", "dnsstub",
                 "--pid-file", f"{IN}/dnsstub.pid"])
            box.sh(DNS_ON.format(IN=IN))
            res["full_stub"] = measure_path(box, "full", f"{ip}:25", accounts, args, log)
            res["full_stub"]["dns_answered"] = box.sh(f"cat {IN}/dnsstub.count 2>/dev/null || echo 0").strip()
        finally:
            box.sh(DNS_OFF.format(IN=IN), check=False)
    # what the milter did: rspamd's headers on a delivered message (inbound mail gets them, docs/antispam.md)
    res["full_sample_headers"] = box.sh(
        f"f=$(ls -1 {shlex.quote(accounts[0]['maildir'])}/new/* {shlex.quote(accounts[0]['maildir'])}/cur/* "
        "2>/dev/null | head -1); test -n \"$f\" && sed '/^$/q' \"$f\" | "
        "grep -iE '^(X-Spamd-Bar|X-Spam-Status|X-Spam|Authentication-Results|X-Virus)' || true", check=False)
    log(f"imap: {args.imap_clients} clients, {args.imap_seconds:g} s of FETCH")
    res["imap"] = box.child("imap", "--clients", str(args.imap_clients), "--accounts", str(args.recipients),
                            "--seconds", str(args.imap_seconds), timeout=args.imap_seconds + 600)
    log(f"imap: {res['imap']['ops_per_s']:.1f} ops/s, {res['imap']['errors']} errors")
    if args.logins:
        log(f"logins, cold: the auth cache flushed, {len(every)} accounts once each (a bind to slapd each)")
        res["logins_cold"] = box.child("logins", "--cold", "--clients", str(args.login_clients),
                                       "--accounts", str(len(every)), timeout=1800)
        log(f"logins, warm: {args.logins} x (TLS, LOGIN, SELECT INBOX, LOGOUT), {args.login_clients} at a time")
        res["logins"] = box.child("logins", "--count", str(args.logins), "--clients", str(args.login_clients),
                                  "--accounts", str(len(every)), timeout=1800)
        for key in ("logins_cold", "logins"):
            log(f"{key}: {res[key]['logins_per_s']:.1f} per second, {res[key]['errors']} errors")
    return res


# ---------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------




PATHS = (("bare", "(a) bare Postfix -> smtp-sink (reference)"),
         ("lmtp", "(l) Postfix -> LMTP -> Dovecot, no filters"),
         ("full", "(b) full path -> Dovecot, test bed's DNS"),
         ("full_stub", "(b') full path -> Dovecot, DNS stub"))


def cpu_per_message_ms(r: dict) -> float:
    return sum(r["cpu_s"].values()) / r["count"] * 1000


def derive(res: dict) -> dict:
    """The ratios: the full path against Postfix delivering by LMTP into the same Dovecot (judged; the
    full path as deployed, the test bed's DNS, when it ran) and against bare Postfix (reference)."""
    out = {"imap_ops_per_s": res["imap"]["ops_per_s"], "imap_errors": res["imap"]["errors"]}
    for key, _ in PATHS:
        if key in res:
            out[f"{key}_msgs_per_s"] = res[key]["msgs_per_s"]
            out[f"{key}_cpu_ms_per_msg"] = cpu_per_message_ms(res[key])
    for key in ("full", "full_stub"):
        if key in res:
            out[f"ratio_{key}_lmtp"] = res[key]["msgs_per_s"] / res["lmtp"]["msgs_per_s"]
            out[f"ratio_{key}_bare"] = res[key]["msgs_per_s"] / res["bare"]["msgs_per_s"]
            out[f"house_ratio_{key}"] = TARGET_RATIO / out[f"ratio_{key}_lmtp"]
            out[f"filters_cpu_ms_per_msg_{key}"] = out[f"{key}_cpu_ms_per_msg"] - out["lmtp_cpu_ms_per_msg"]
    out["judged"] = "full" if "full" in res else "full_stub"
    for key in ("logins", "logins_cold"):
        if key in res and res[key]["done"]:
            out[f"{key}_cpu_ms"] = sum(res[key]["cpu_s"].values()) / res[key]["done"] * 1000
    for name in ("imap", "imap-login"):
        got = res["imap"].get("memory", {}).get(name)
        if got and got["processes"]:
            out[f"{name}_pss_mib"] = got["pss_mib"] / got["processes"]
    if res["imap"]["ops"]:
        out["fetch_cpu_ms"] = sum(res["imap"].get("cpu_s", {}).values()) / res["imap"]["ops"] * 1000
    return out


def cpu_rows(cpu: dict[str, float], count: int, top: int = 8) -> str:
    best = sorted(cpu.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {sec / count * 1000:.2f}" for name, sec in best)


def report(res: dict, info: dict, args) -> bool:
    over = False
    d = derive(res)

    def row(label, shown, target="-", ratio=None, note="", ok=None):
        """ratio: the house ratio target/value (PASS at most 1); ok: a verdict without a ratio."""
        nonlocal over
        verdict = ""
        if ratio is not None:
            ok = ratio <= 1
            ratio = f"{ratio:.3f}"
        if ok is not None:
            verdict = "PASS" if ok else "OVER"
            over = over or not ok
        print(f"{label:54} {shown:>16} {target:>8} {ratio or '-':>7}  {verdict}{(' ' + note) if note else ''}"
              .rstrip())

    m = info["machine"]
    load = (f"the seeded mix (seed {args.seed}, attachments up to {args.attachment_mb} MiB)"
            if args.load == "distinct" else f"smtp-source, {args.size} bytes each")
    print(f"congvu-mail bench_mail: {args.messages} messages per path, {load}, {args.sessions} sessions, "
          f"{args.recipients} recipients; IMAP {args.imap_clients} clients x {args.imap_seconds:g} s; "
          f"{args.logins} logins")
    print(f"host        {m['cpu']}, {m['cpu_count']} CPUs, {m['platform']}, {m['python']}")
    print(f"container   {args.container} ({info['ip']}): " + "; ".join(info.get("container_versions", [])))
    print(f"imaptest    {info['imaptest']} (apt-cache policy imaptest in the container)")
    print(f"others      running containers: {', '.join(m['containers_running'])}")
    print(f"load        host load average (1 min) at the start / end of the run: "
          f"{info['loadavg_start'][0]:.1f} / {info['loadavg_end'][0]:.1f}")
    print()
    print(f"{'figure':54} {'value':>16} {'target':>8} {'ratio':>7}  verdict")
    for key, label in PATHS:
        if key not in res:
            continue
        r = res[key]
        row(f"{label}: messages/s", f"{r['msgs_per_s']:.1f} msg/s")
        row("      wall (first connection -> last disposed)", f"{r['wall_s']:.2f} s")
        row("      of which sending", f"{r['send_s']:.2f} s")
        row("      disposed / delivered", f"{r['delivered']} / {r['count']}")
        z = r.get("sizes") or {}
        if z:
            row("      message size mean / p50 / p90 / max",
                f"{z['mean'] / 1e3:.0f} / {z['p50'] / 1e3:.0f} / {z['p90'] / 1e3:.0f} / {z['max'] / 1e6:.1f}M KB")
            row("      MB on the wire / above 100 KB / above 2 MB",
                f"{z['bytes'] / 1e6:.0f} / {z['over_100k']} / {z['over_2m']}")
        row("      load average (1 min) start / end", f"{r['loadavg_start']:.1f} / {r['loadavg_end']:.1f}")
        if r.get("cpu_s"):
            row("      CPU per message, all programs", f"{cpu_per_message_ms(r):.2f} ms")
            print(f"      of which (ms): {cpu_rows(r['cpu_s'], r['count'])}")
    for key in ("full", "full_stub"):
        if key not in res:
            continue
        judged = key == d["judged"]
        tag = "(b)" if key == "full" else "(b')"
        row(f"{tag} full / (l) LMTP, no filters", f"{d[f'ratio_{key}_lmtp'] * 100:.1f} %",
            f">={TARGET_RATIO * 100:.0f}%", d[f"house_ratio_{key}"] if judged else None,
            note="(ratio = target / value)" if judged else "(not judged)")
        row(f"      {tag} full / (a) bare to smtp-sink (reference)", f"{d[f'ratio_{key}_bare'] * 100:.1f} %",
            note="(not judged)")
        row("      the filters' CPU per message (full - LMTP)", f"{d[f'filters_cpu_ms_per_msg_{key}']:.2f} ms")
    i = res["imap"]
    row(f"(c) IMAP: {i['clients']} clients, FETCH ops/s", f"{i['ops_per_s']:.1f} ops/s")
    row("      operations in the window", f"{i['ops']:,} in {i['seconds']:g} s")
    row("      MB fetched", f"{i['bytes'] / 1e6:,.0f}")
    row("      errors", str(i["errors"]), str(TARGET_IMAP_ERRORS), ok=i["errors"] <= TARGET_IMAP_ERRORS,
        note="; ".join(i["error_samples"][:2]))
    row("      login + SELECT, mean", f"{(i['login_mean_s'] or 0) * 1000:.0f} ms")
    row("      per-client ops min / max", f"{min(i['per_client_ops'])} / {max(i['per_client_ops'])}")
    row("      load average (1 min) start / end", f"{i['loadavg_start']:.1f} / {i['loadavg_end']:.1f}")
    if "fetch_cpu_ms" in d:
        row("      CPU per FETCH, all programs", f"{d['fetch_cpu_ms']:.3f} ms")
        print(f"      of which (ms): {cpu_rows(i.get('cpu_s', {}), i['ops'])}")
    for name in ("imap", "imap-login"):
        if f"{name}_pss_mib" in d:
            got = i["memory"][name]
            row(f"      {name} processes, memory (Pss) each", f"{got['processes']} x {d[f'{name}_pss_mib']:.1f} MiB")
    for key, label in (("logins_cold", "(d) logins, cold (auth cache flushed)"),
                       ("logins", "(d') logins, warm (auth cache)")):
        if key not in res:
            continue
        g = res[key]
        row(f"{label}, {g['clients']} at once", f"{g['logins_per_s']:.1f} /s")
        row("      done / errors", f"{g['done']} / {g['errors']}", "0", ok=g["errors"] == 0,
            note="; ".join(g["error_samples"][:2]))
        if f"{key}_cpu_ms" in d:
            row("      CPU per login (TLS, LOGIN, SELECT, LOGOUT)", f"{d[f'{key}_cpu_ms']:.2f} ms")
            print(f"      of which (ms): {cpu_rows(g['cpu_s'], max(g['done'], 1))}")
        row("      load average (1 min) start / end", f"{g['loadavg_start']:.1f} / {g['loadavg_end']:.1f}")
    headers = res.get("full_sample_headers", "").strip().splitlines()
    print()
    print("milter headers on a delivered message: " + ("; ".join(h[:70] for h in headers) or "NONE"))
    print(f"run wall time {info['seconds']:.0f} s")
    return over


def sanity(res: dict) -> list[str]:
    """What must hold for the figures to mean anything."""
    out = []
    for key, _ in PATHS:
        r = res.get(key)
        if r is None:
            continue
        if r["queue_before"]:
            out.append(f"{key}: {r['queue_before']} messages were already in Postfix's queue")
        if r["delivered"] != r["count"]:
            out.append(f"{key}: {r['delivered']} of {r['count']} messages disposed of / delivered")
        if key != "bare" and r["queue_after"]:
            out.append(f"{key}: {r['queue_after']} messages left in the queue after the run")
    if not res.get("full_sample_headers", "").strip():
        out.append("full: no rspamd header on a delivered message (did the milter run?)")
    if res["imap"]["ops"] == 0:
        out.append("imap: no operation")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages per path (default 2000)")
    parser.add_argument("--sessions", type=int, default=10, help="smtp-source processes at once (default 10)")
    parser.add_argument("--load", choices=("distinct", "repeat"), default="distinct",
                        help="distinct (default): the seeded mix, every message different, sent with smtplib; "
                             "repeat: smtp-source's one body of --size bytes (the runs before the mix)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the mix's sizes and parts (default 1)")
    parser.add_argument("--attachment-mb", type=int, default=20,
                        help="the attachment limit the largest messages approach, MiB (default 20, Art. 9)")
    parser.add_argument("--size", type=int, default=4096, help="body bytes per message with --load repeat")
    parser.add_argument("--recipients", type=int, default=10, help="ready accounts, recipients (default 10)")
    parser.add_argument("--sender", default="bench@example.net", help="envelope sender (not of the domain)")
    parser.add_argument("--dns", choices=("testbed", "stub", "both"), default="both",
                        help="full path with the test bed's resolver, with a local NXDOMAIN stub, or both "
                             "(default both; the verdict is on testbed when it runs)")
    parser.add_argument("--imap-clients", type=int, default=20)
    parser.add_argument("--imap-seconds", type=float, default=30.0)
    parser.add_argument("--logins", type=int, default=500,
                        help="IMAP sessions opened and closed for the CPU per login (default 500; 0: none)")
    parser.add_argument("--login-clients", type=int, default=10, help="logins at a time (default 10)")
    parser.add_argument("--login-accounts", type=int, default=100,
                        help="accounts of the cold logins, each once after the auth cache is flushed (default 100)")
    parser.add_argument("--container", default="bench-mail", help="container name (default bench-mail)")
    parser.add_argument("--converge", action="store_true", help="converge site.yml and the roster again")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--remove", action="store_true", help="docker rm -f the container at the end")
    args = parser.parse_args(argv)
    check_container_name(parser, args.container, ("bench-ldap", "dev-roster"))
    if min(args.messages, args.sessions, args.recipients, args.imap_clients, args.login_clients,
           args.login_accounts) < 1:
        parser.error("--messages, --sessions, --recipients, --imap-clients, --login-clients and --login-accounts "
                     "must be at least 1")
    if args.logins < 0:
        parser.error("--logins: 0 or more")

    started = time.perf_counter()
    log = stderr_log()
    box = Box(args.container)
    os.makedirs(WORK, exist_ok=True)
    info = {"machine": machine(), "started": dt.datetime.now().isoformat(timespec="seconds"),
            "loadavg_start": os.getloadavg()}
    res: dict = {}
    try:
        info.update(setup(box, args, log))
        res = measure(box, info, args, log)
    except (BenchError, subprocess.TimeoutExpired, KeyError, ValueError, TypeError) as exc:
        print(f"bench_mail: {exc}", file=sys.stderr)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump({"error": str(exc), "info": info, "results": res, "args": vars(args)}, handle, indent=1)
        return 2
    finally:
        if args.remove:
            run(["docker", "rm", "-f", "-v", args.container], check=False)  # -v: its storage volumes too
    info["seconds"] = time.perf_counter() - started
    info["loadavg_end"] = os.getloadavg()
    over = report(res, info, args)
    problems = sanity(res)
    for problem in problems:
        print(f"bench_mail: {problem}", file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"info": info, "results": res, "derived": derive(res), "args": vars(args)}, handle, indent=1)
    return 2 if problems else 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
