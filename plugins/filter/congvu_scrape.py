"""Jinja filter of congvu-mail: what Prometheus on the monitoring host scrapes (role alerting, docs/monitoring.md).

    "{{ alerting__scrape_hosts | congvu.mail.congvu_scrape_targets(hostvars, inventory_hostname) }}"

Each host publishes its exporters as the fact monitoring__exporters of role monitoring ({name, url}). An exporter
that listens on a loopback address (127.0.0.0/8, ::1, localhost) can be scraped only from its own host: from the
monitoring host such a URL reaches the monitoring host's own exporter, whose figures would be shown under the
other host's name. Those are left out of the targets and listed under `unreachable`, so that the role can say so;
the operator opens them by setting their listen address to the admin network (monitoring__listen_address,
imap__metrics_address). Runs on the controller.
"""

import ipaddress
from urllib.parse import urlsplit


def loopback(hostname):
    if (hostname or "").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def congvu_scrape_targets(hosts, hostvars, here):
    """{targets: [{job, host, address, scheme, path}], unreachable: ["<host> <name> <url>"]}, in the order of
    `hosts` and of each host's exporters."""
    targets, unreachable = [], []
    for host in hosts or []:
        for exporter in hostvars[host]["monitoring__exporters"]:
            url = urlsplit(exporter["url"])
            if host != here and loopback(url.hostname):
                unreachable.append(f"{host} {exporter['name']} {exporter['url']}")
                continue
            targets.append({"job": f"congvu-{exporter['name']}", "host": host, "address": url.netloc,
                            "scheme": url.scheme, "path": url.path or "/metrics"})
    return {"targets": targets, "unreachable": unreachable}


class FilterModule:
    def filters(self):
        return {"congvu_scrape_targets": congvu_scrape_targets}
