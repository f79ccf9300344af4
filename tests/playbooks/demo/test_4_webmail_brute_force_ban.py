"""Art. 16.3: wrong passwords typed into the webmail in a real browser get the source banned, and the
ban lifts after its time (docs/hardening.md, "fail2ban"; jail roundcube-auth on Roundcube's log).

Debian's chromium, driven by selenium inside the container (as in webmail_journey.py), reaches the
webmail at the container's own network address (not loopback): that address is the attacker. fail2ban
would ignore the host's own addresses (`ignoreself`): the tests' variables turn that off
(hardening__fail2ban_ignoreself) and give bans of 60 s (demo_test_vars.yml). While the ban
holds, HTTPS from that address times out and from loopback still answers; then the browser gets the
login page again. Runs after the IMAP ban test: the controller's ban there has lifted by then.
"""

import json
import shlex
import time
import uuid

from demo_host import container_network, install_browser_journey

BANTIME = 60   # demo_test_vars.yml: long enough to look at a ban, short enough to wait for its end
RUN = uuid.uuid4().hex[:8]

BROWSER = r'''
import json, socket, sys, time
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from webmail_journey import URL, chromium, trust_demo_ca

ip, user, tries = sys.argv[1], sys.argv[2], int(sys.argv[3])
trust_demo_ca()
driver = chromium(f"--host-resolver-rules=MAP mail.quangbinh.gov.vn {ip}")   # from the network address
driver.set_page_load_timeout(30)
wait = WebDriverWait(driver, 40)

def say(step, **values):
    print(json.dumps({"step": step, **values}, ensure_ascii=False), flush=True)

def login_page():
    try:
        driver.delete_all_cookies()
        driver.get(URL)
        return wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#rcmloginuser")))
    except (TimeoutException, WebDriverException):
        return None

def reachable():
    """A page that does not come back is a ban only when the address gets no TCP connection at all;
    otherwise the host was just slow (a busy CI machine), and the login is tried again."""
    try:
        socket.create_connection((ip, 443), timeout=4).close()
        return True
    except OSError:
        return False

try:
    if tries == 0:
        say("login-page" if login_page() is not None else "no-login-page")
    refusals = 0
    for _ in range(3 * tries):
        if refusals >= tries:
            break
        field = login_page()
        if field is None:
            if reachable():
                say("slow", after=refusals)
                continue
            say("banned", after=refusals)
            break
        try:
            field.send_keys(user)
            driver.find_element(By.CSS_SELECTOR, "#rcmloginpwd").send_keys(f"sai-mat-khau-{refusals}")
            driver.find_element(By.CSS_SELECTOR, "#rcmloginsubmit").click()
            # the refusal (not the "loading" notice before it); Dovecot answers a repeated failure late
            shown = wait.until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, "#messagestack > div:not(.loading)"))).text
        except (TimeoutException, WebDriverException):
            if reachable():
                say("slow", after=refusals)
                continue
            say("banned", after=refusals)   # the ban landed during this login: the page never came back
            break
        say("refused", attempt=refusals, shown=shown)
        refusals += 1
        time.sleep(1)   # fail2ban reads Roundcube's log line
finally:
    driver.quit()
'''


def https_from(host, ip):
    """Whether HTTPS on `ip` answers a connection made from inside the container."""
    code = (f"import socket\ntry:\n    socket.create_connection(({ip!r}, 443), timeout=4).close()\n"
            "    print('open')\nexcept OSError:\n    print('closed')\n")
    return host.run("python3 -c " + shlex.quote(code)).stdout.strip() == "open"


def browser(host, ip, user, tries):
    run = host.run(f"timeout 600 python3 /root/webmail_brute_force.py {ip} {user} {tries}")
    assert run.rc == 0, run.stdout + run.stderr
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def test_art16_wrong_passwords_in_the_webmail_ban_the_browser_until_the_ban_time_ends(host):
    ip = container_network("IPAddress")
    maxretry = int(host.check_output("fail2ban-client get roundcube-auth maxretry"))
    install_browser_journey(host)   # beside it: the script imports its chromium() and trust_demo_ca()
    host.run("cat > /root/webmail_brute_force.py <<'PYEOF'\n" + BROWSER + "\nPYEOF")
    steps = browser(host, ip, f"khongco.{RUN}@quangbinh.gov.vn", maxretry + 3)
    refused = [s for s in steps if s["step"] == "refused"]
    # each wrong password was refused with the webmail's message, in Vietnamese ("Không đăng nhập được")
    assert refused and all("đăng nhập" in s["shown"].lower() for s in refused), steps
    banned = [s for s in steps if s["step"] == "banned"]
    assert banned and banned[0]["after"] <= maxretry + 1, steps
    # banned: the browser's address gets no HTTPS at all, the host's loopback still does
    assert ip in host.check_output("fail2ban-client status roundcube-auth")
    assert not https_from(host, ip)
    assert https_from(host, "127.0.0.1")
    # the ban lifts after its time: the same browser gets the login page again
    deadline = time.time() + BANTIME + 60
    while not https_from(host, ip) and time.time() < deadline:
        time.sleep(2)
    assert https_from(host, ip)
    assert ip not in host.check_output("fail2ban-client status roundcube-auth")
    assert browser(host, ip, "-", 0) == [{"step": "login-page"}]
