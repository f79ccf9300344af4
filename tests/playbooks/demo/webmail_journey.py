"""A person's first day with the webmail, in Debian's chromium driven by selenium.

Runs INSIDE the container (python3-selenium, chromium, chromium-driver from Debian: no browser
download). test_3_webmail_browser.py copies it in and runs it with the accounts as arguments (JSON);
it prints one JSON line per step ({"step": ..., "ok": ..., "detail": ...}) and saves a screenshot of
each step in the folder given, which the test copies out as an artifact.

The browser trusts the demo CA the way a person would: imported into its own certificate store
(NSS), not by switching verification off.
"""

import json
import os
import subprocess
import sys

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

URL = "https://mail.quangbinh.gov.vn/"


def trust_demo_ca():
    nssdb = os.path.expanduser("~/.pki/nssdb")
    os.makedirs(nssdb, exist_ok=True)
    if not os.path.exists(os.path.join(nssdb, "cert9.db")):
        subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-t", "C,,", "-n", "congvu-demo-ca",
                    "-i", "/etc/congvu/tls/ca.crt"], check=True)


def chromium(*args):
    """Debian's chromium under its chromedriver: headless, in Vietnamese, with `args` besides. The webmail
    brute-force test (test_4_webmail_brute_force_ban.py) starts its browser with it too."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi-VN", *args):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Journey:
    def __init__(self, shots):
        self.driver = chromium("--window-size=1366,900")
        self.wait = WebDriverWait(self.driver, 60)
        self.shots, self.n = shots, 0

    def step(self, name, ok, detail=""):
        self.n += 1
        self.driver.save_screenshot(os.path.join(self.shots, f"{self.n:02d}-{name}.png"))
        print(json.dumps({"step": name, "ok": bool(ok), "detail": detail}, ensure_ascii=False), flush=True)
        if not ok:
            raise SystemExit(1)

    def visible(self, css):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def login(self, address, password):
        self.driver.delete_all_cookies()
        self.driver.get(URL)
        self.visible("#rcmloginuser").send_keys(address)
        self.driver.find_element(By.CSS_SELECTOR, "#rcmloginpwd").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "#rcmloginsubmit").click()

    def logout(self):
        self.driver.get(URL + "?_task=logout&_token=" + (self.driver.execute_script(
            "return window.rcmail ? rcmail.env.request_token : ''") or ""))

    def read_message(self, subject, body):
        """Open the message with this subject from the list and find its text in the preview."""
        row = self.wait.until(EC.element_to_be_clickable(
            (By.XPATH, f"//table[@id='messagelist']//*[contains(text(), '{subject}')]")))
        row.click()
        self.wait.until(EC.frame_to_be_available_and_switch_to_it((By.ID, "messagecontframe")))
        try:
            self.wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "body"), body))
            return True
        finally:
            self.driver.switch_to.default_content()

    def compose_and_send(self, to, subject, body, attachment):
        self.driver.get(URL + "?_task=mail&_action=compose")
        recipient = self.visible("#compose_to ul.recipient-input input, ul.recipient-input input")
        recipient.send_keys(to + ",")
        self.driver.find_element(By.CSS_SELECTOR, "#compose-subject").send_keys(subject)
        self.driver.find_element(By.CSS_SELECTOR, "#composebody").send_keys(body)
        upload = self.driver.find_element(By.CSS_SELECTOR, "input[type=file][name='_attachments[]']")
        upload.send_keys(attachment)
        # the attachment is listed once uploaded (no 'uploading' mark left)
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#attachment-list li:not(.uploading)"))
        self.driver.find_element(By.CSS_SELECTOR, "button.send, input.send, a.send").click()
        # Roundcube leaves the compose screen once the message is sent
        self.wait.until(lambda d: "_action=compose" not in d.current_url)


def main():
    args = json.loads(sys.argv[1])
    shots = args["shots"]
    os.makedirs(shots, exist_ok=True)
    trust_demo_ca()
    j = Journey(shots)
    try:
        reader, peer, fresh = args["reader"], args["peer"], args["must_change"]

        j.login(reader["address"], reader["password"])
        j.visible("#messagelist")
        j.step("login", True, reader["address"])
        j.step("read-message-delivered-by-smtp", j.read_message(args["inbox_subject"], args["inbox_body"]))

        with open("/root/bao-cao.txt", "w", encoding="utf-8") as handle:
            handle.write("Báo cáo tuần: tệp đính kèm gửi qua webmail.\n")
        j.compose_and_send(peer["address"], args["sent_subject"], "Gửi anh báo cáo tuần.", "/root/bao-cao.txt")
        j.step("compose-and-send-with-attachment", True, peer["address"])
        j.logout()

        # Art. 4.3: the first login of a new mailbox goes to the change form, not the inbox
        j.login(fresh["address"], fresh["password"])
        j.visible("#congvu-mustchange")
        j.step("forced-change-at-first-login", True, fresh["address"])
        for field in ("#congvunewpasswd", "#congvuconfpasswd"):
            j.driver.find_element(By.CSS_SELECTOR, field).send_keys("yeu1234")   # 7 chars, 2 classes
        j.driver.find_element(By.CSS_SELECTOR, "#congvusubmit").click()
        refusal = j.visible("#congvu-error").text
        j.step("weak-password-refused-with-the-policy", "Điều 8" in refusal or "Art. 8" in refusal, refusal)
        for field in ("#congvunewpasswd", "#congvuconfpasswd"):
            element = j.driver.find_element(By.CSS_SELECTOR, field)
            element.clear()
            element.send_keys(args["new_password"])
        j.driver.find_element(By.CSS_SELECTOR, "#congvusubmit").send_keys(Keys.ENTER)
        j.visible("#messagelist")
        j.step("strong-password-accepted-then-inbox", True)
    except TimeoutException as exc:
        j.step("timeout", False, f"{exc.__class__.__name__} at {j.driver.current_url}")
    finally:
        j.driver.quit()


if __name__ == "__main__":
    main()
