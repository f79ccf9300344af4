"""Role monitoring's textfile collector as the multi-host scenarios' tests read it: run it once, then read
the file it wrote in the folder its configuration names (/etc/congvu/monitoring.json: node-exporter's
textfile folder where role monitoring installed it, /run where a scenario installs the collector alone,
molecule/shared/textfile_collector.yml)."""

import json


def collector_metrics(host):
    """The text of congvu_host.prom after a fresh run of the collector on `host` (a testinfra host)."""
    r = host.run("/usr/local/sbin/congvu-textfile-metrics")
    assert r.rc == 0, r.stderr
    folder = json.loads(host.file("/etc/congvu/monitoring.json").content_string)["textfile_dir"]
    return host.file(f"{folder}/congvu_host.prom").content_string
