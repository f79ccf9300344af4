"""A browser-less Roundcube user, run INSIDE the web front container by the tests (python3 urllib only).

It does what the login page makes a browser do: keep the session cookie, read the CSRF token
(`_token`) of the page, post the form. The tests send this file plus a few lines to `python3 -`,
and read back what the script prints (JSON).
"""

import http.client
import http.cookiejar
import json
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

BASE = "https://mail.quangbinh.gov.vn"
# Where the province's public address sends port 443 of the mail host name: the web front, this host. The
# name itself is the mail services' here (webmail_hosts.py); it stays in SNI, Host and the certificate check.
FRONT_ADDRESS = "127.0.0.1"


class FrontConnection(http.client.HTTPSConnection):
    def __init__(self, host, **kwargs):
        super().__init__(host, **kwargs)
        self._create_connection = lambda address, *args: socket.create_connection((FRONT_ADDRESS, address[1]), *args)


class FrontHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(FrontConnection, req, context=self._context)


class Roundcube:
    def __init__(self, language="vi"):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), FrontHandler(context=ssl.create_default_context()))
        self.opener.addheaders = [("Accept-Language", language)]
        self.page = ""

    def _open(self, path, data=None, headers=None):
        request = urllib.request.Request(BASE + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request) as r:
                status, url, body = r.status, r.geturl(), r.read().decode()
        except urllib.error.HTTPError as e:
            status, url, body = e.code, e.geturl(), e.read().decode()
        self.page = body
        return {"status": status, "url": url, "body": body}

    def get(self, path, headers=None):
        return self._open(path, headers=headers)

    def post(self, path, fields):
        return self._open(path, urllib.parse.urlencode(fields).encode())

    def token(self):
        found = re.search(r'name="_token" value="([^"]+)"', self.page) or re.search(
            r'"request_token":"([^"]+)"', self.page)
        return found.group(1)

    def login(self, user, password):
        self.get("/")
        return self.post("/?_task=login", {
            "_token": self.token(), "_task": "login", "_action": "login", "_timezone": "Asia/Ho_Chi_Minh",
            "_url": "", "_user": user, "_pass": password})

    def change_at_login(self, new, confirm=None):
        return self.post("/?_task=login", {
            "_token": self.token(), "_task": "login", "_action": "congvu-pwchange",
            "_newpasswd": new, "_confpasswd": new if confirm is None else confirm})

    def change_in_settings(self, current, new):
        self.get("/?_task=settings&_action=plugin.password")
        return self.post("/?_task=settings&_action=plugin.password-save", {
            "_token": self.token(), "_curpasswd": current, "_newpasswd": new, "_confpasswd": new})


    def send(self, to, subject, message):
        """Compose > Send, as the compose form posts it: the compose session's id, the user's identity as the
        sender (Roundcube made it at the first login), a plain text body, a copy saved in Sent."""
        page = self.get("/?_task=mail&_action=compose")
        compose_id = env(page["body"]).get("compose_id") or re.search(r"[?&]_id=(\w+)", page["url"]).group(1)
        senders = re.search(r'<select[^>]*name="_from"[^>]*>(.*?)</select>', page["body"], re.S)
        identity = re.search(r'<option value="(\d+)"', senders.group(1)).group(1)
        return self.post("/?_task=mail&_framed=1", {
            "_token": self.token(), "_task": "mail", "_action": "send", "_id": compose_id, "_from": identity,
            "_to": to, "_cc": "", "_bcc": "", "_replyto": "", "_followupto": "", "_subject": subject,
            "_message": message, "_is_html": "0", "_priority": "0", "_store_target": "Sent", "_draft_saveid": "",
            "_draft": "", "_mdn": "", "_dsn": ""})

    def ajax(self, path):
        """An AJAX request of the mail view (the page's request token in its header); the JSON answer."""
        token = env(self.page)["request_token"]
        r = self.get(path, headers={"X-Roundcube-Request": token, "X-Requested-With": "XMLHttpRequest"})
        return json.loads(r["body"])


def texts(body):
    """What the user reads: the plugin's paragraphs and Roundcube's pop-up messages."""
    shown = re.findall(r'id="congvu-[a-z]+"[^>]*>([^<]*)', body)
    shown += [json.loads(m) for m in re.findall(r'display_message\(("(?:[^"\\]|\\.)*")', body)]
    return shown


def env(body):
    found = re.search(r"rcmail\.set_env\((\{.*?\})\);", body)
    return json.loads(found.group(1)) if found else {}


def messages(body):
    """Roundcube's pop-up messages of a page, with their kind: [[text, "error" | "confirmation" | ...]]."""
    return [[json.loads(text), kind] for text, kind in
            re.findall(r'display_message\(("(?:[^"\\]|\\.)*"),\s*"(\w+)"', body)]


def redirect_domains(body):
    """The domains a filter form's "redirect to" offers (the select beside the name before @), or None."""
    select = re.search(r'<select[^>]*name="_action_target_domain[^"]*"[^>]*>(.*?)</select>', body, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1)) if select else None
