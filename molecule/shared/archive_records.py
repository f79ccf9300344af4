"""What the archive job of terminated mailboxes (role imap, congvu-mail-archive, Art. 7.1) recorded on a
host: one JSON line per archive, restore, import and purge in <imap__archive_dir>/archive.log."""

import json

# imap__archive_dir's default
ARCHIVE_DIR = "/var/vmail-archive"


def archive_log(host):
    return [json.loads(line) for line in host.file(f"{ARCHIVE_DIR}/archive.log").content_string.splitlines()]


def archive_actions(host, uid):
    """The actions recorded for one mailbox, oldest first."""
    return [record["action"] for record in archive_log(host) if record.get("uid") == uid]
