#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible adapter over congvu.published_directory: the published directory of Art. 11.1 and 14.4."""

DOCUMENTATION = r"""
module: directory_publish
short_description: Write the published directory of active mailboxes (Art. 11.1, 14.4)
author: congvu-mail maintainers !UNKNOWN
description:
  - >-
    Reads the mailboxes from the directory with paged searches (as the C(roster) module does), keeps the
    active mailboxes of active agencies, and writes, per agency, C(<code>.html) (Vietnamese, printable),
    C(<code>.csv) (UTF-8 with a byte order mark) and C(<code>.vcf) (vCard 4.0), plus the province's
    C(index.html), into I(output_dir). Order: the agency mailbox, the leaders by the rank of their title,
    the staff in Vietnamese name order (docs/published-directory.md).
  - >-
    Each agency's choices come from the roster folder (C(published: {omit: [title]}) in its file); the
    roster is loaded and validated as the reconcile loads it, and an invalid roster changes nothing.
  - >-
    Only files whose bytes change are written, each atomically (a temporary file in the same folder,
    then a rename); files of agencies no longer published are removed; no other file of the folder is
    touched. A list whose content did not change keeps its former publication date, so a run with
    nothing new reports C(changed=false).
  - In check mode it reports what would be written and removed, and writes nothing.
options:
  roster_path:
    description: Folder with one <code>.yml per agency (for each agency's C(published) choices).
    type: path
    required: true
  output_dir: {description: Folder of the published files., type: path, default: /var/lib/congvu/danh-ba}
  archive:
    description:
      - >-
        Also keep a gzip-compressed tar of the published files here (rewritten only when a file
        changed: the same files give the same bytes), so that the playbook copies them to the web
        servers in one transfer.
    type: path
  date: {description: Publication date of a list that changed (YYYY-MM-DD); today by default., type: str}
  title: {description: Title of the pages., type: str, default: Danh bạ thư điện tử công vụ}
  page_size: {description: Entries per page when reading the directory., type: int, default: 1000}
  language:
    description: Language of the failure messages (an invalid roster's errors included), docs/translations.md.
    type: str
    choices: [vi, en]
    default: vi
  domain: {description: Mail domain (Art. 5)., type: str, default: quangbinh.gov.vn}
  default_quota: {description: "Default quota (Art. 9), as the roster is validated with it.", type: str, default: 2G}
  guard_max_count:
    description: Unused here; accepted so that the settings of the roster module can be passed as they are.
    type: int
    default: 50
  guard_max_ratio: {description: Unused here (see I(guard_max_count))., type: float, default: 0.05}
  transfer_alias_days: {description: Unused here (see I(guard_max_count))., type: int, default: 90}
  profile: {description: Unused here (see I(guard_max_count))., type: str, default: ""}
  former_addresses_until: {description: Unused here (see I(guard_max_count))., type: str, default: ""}
  former_domains: {description: Unused here (see I(guard_max_count))., type: list, elements: str, default: []}
  base_dn:
    description: The directory's base DN; empty for the one derived from I(domain) (it stays when the domain changes).
    type: str
    default: ""
  sub_units:
    description: >-
      The profile's address formats allow sub-units (C(addresses.sub_units)), as the roster is validated with
      it: a file C(<unit>.<parent>.yml) is an agency of its own.
    type: bool
    default: false
requirements: [python-ldap, PyYAML]
attributes:
  check_mode:
    support: full
    details: Reports which files would be written and removed; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - congvu.mail.congvu_connection
"""

EXAMPLES = r"""
- name: Publish the directory after the roster was applied
  congvu.mail.directory_publish:
    roster_path: /tmp/congvu-roster.abc/roster
    output_dir: /var/lib/congvu/danh-ba
    archive: /var/lib/congvu/danh-ba.tar.gz
    bind_dn: cn=reconcile,ou=system,dc=quangbinh,dc=gov,dc=vn
    bind_password_file: /etc/ldap/congvu/reconcile.secret
    domain: quangbinh.gov.vn
  register: published
"""

RETURN = r"""
files: {description: "Every published file name, sorted.", type: list, elements: str, returned: always}
written:
  description: Files written (in check mode, that would be written).
  type: list
  elements: str
  returned: always
removed: {description: Files removed (agencies no longer published)., type: list, elements: str, returned: always}
archive_written: {description: Whether the archive was (or would be) rewritten., type: bool, returned: always}
agencies: {description: Number of agencies published., type: int, returned: always}
mailboxes: {description: Number of mailboxes published (agency mailboxes included)., type: int, returned: always}
omitted: {description: Agency code -> fields it leaves out., type: dict, returned: always}
output_dir: {description: The folder of the files., type: str, returned: always}
"""

import datetime as dt
import gzip
import io
import os
import tarfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.congvu.mail.plugins.module_utils.congvu import (  # noqa: F401
    directory,
    inactivity,
    messages,
    naming,
    passwords,
    plan,
    published_directory,
    roster,
    settings,
    state,
)
from ansible_collections.congvu.mail.plugins.module_utils.congvu.messages import tr
from ansible_collections.congvu.mail.plugins.module_utils.congvu_args import SETTINGS_ARGS, settings_from_params
from ansible_collections.congvu.mail.plugins.module_utils.congvu_directory import paused_gc, read_state
from ansible_collections.congvu.mail.plugins.module_utils.congvu_files import same_bytes, write_atomically
from ansible_collections.congvu.mail.plugins.module_utils.congvu_ldap import CONNECTION_ARGS, connect_python_ldap
from ansible_collections.congvu.mail.plugins.module_utils.congvu_planner_files import load_roster

try:
    from ldap import LDAPError
except ImportError:  # reported by connect_python_ldap()
    LDAPError = Exception


def read_existing(folder):
    """The published files already in the folder (only the names this module writes)."""
    if not os.path.isdir(folder):
        return {}
    existing = {}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if published_directory.is_published_name(name) and os.path.isfile(path):
            with open(path, "rb") as handle:
                existing[name] = handle.read()
    return existing


def archive_bytes(folder, names):
    """A tar.gz of the files, the same bytes for the same files: sorted names, root owner, mode 0644,
    each file's own modification time (unchanged files keep theirs), no time in the gzip header."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                data = handle.read()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(os.stat(path).st_mtime)
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            roster_path=dict(type="path", required=True),
            output_dir=dict(type="path", default="/var/lib/congvu/danh-ba"),
            archive=dict(type="path"),
            date=dict(type="str"),
            title=dict(type="str", default=published_directory.DEFAULT_TITLE),
            page_size=dict(type="int", default=1000),
            language=dict(type="str", default=messages.DEFAULT_LANGUAGE, choices=list(messages.LANGUAGES)),
            **CONNECTION_ARGS,
            **SETTINGS_ARGS,
        ),
        supports_check_mode=True,
    )
    params = module.params
    folder = params["output_dir"]
    language = params["language"]
    try:
        conf = settings_from_params(params)
        today = dt.date.fromisoformat(params["date"]) if params["date"] else dt.date.today()
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    output = dict(changed=False, files=[], written=[], removed=[], archive_written=False, agencies=0,
                  mailboxes=0, omitted={}, output_dir=folder)

    with paused_gc():
        try:
            loaded = load_roster(params["roster_path"], conf)
        except roster.RosterInvalid as exc:
            errors = [p.text(language) for p in exc.problems if p.severity == "error"]
            module.fail_json(msg=tr("the roster is invalid: %(count)s error(s); nothing was published:", language,
                                    count=len(errors)) + "\n" + "\n".join(errors), **output)
        omit = {a.code: list(a.published_omit) for a in loaded.agencies if a.published_omit}
        try:
            conn = connect_python_ldap(module, params)
            tree = directory.Tree(conf.domain, conf.base_dn)
            current = read_state(conn, tree, params["page_size"])
        except (LDAPError, OSError) as exc:
            module.fail_json(msg=tr("cannot read the directory at %(uri)s: %(error)s", language,
                                    uri=params["server_uri"], error=str(exc)), **output)
        agencies, people = published_directory.records_from_state(current)
        existing = read_existing(folder)
        try:
            listings = published_directory.listings(agencies, people, omit)
            files = published_directory.render_listings_keeping_dates(listings, today, existing,
                                                                      params["title"])
        except ValueError as exc:
            module.fail_json(msg=tr("cannot publish the directory: %(error)s", language, error=str(exc)), **output)

    written = [name for name, data in files.items() if existing.get(name) != data]
    removed = sorted(name for name in existing if name not in files)
    output.update(files=sorted(files), written=written, removed=removed, omitted=omit,
                  agencies=len(listings), mailboxes=sum(x.people + 1 for x in listings))
    archive = params["archive"]
    if module.check_mode:
        output["archive_written"] = bool(archive) and (bool(written or removed) or not os.path.exists(archive))
        output["changed"] = bool(written or removed or output["archive_written"])
        module.exit_json(**output)

    try:
        os.makedirs(folder, mode=0o755, exist_ok=True)
        for name in written:
            write_atomically(os.path.join(folder, name), files[name])
        for name in removed:
            os.unlink(os.path.join(folder, name))
        if written or removed:
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the renames and removals survive a crash too
            finally:
                os.close(dir_fd)
        if archive:
            packed = archive_bytes(folder, files)
            if not same_bytes(archive, packed):
                os.makedirs(os.path.dirname(os.path.abspath(archive)), mode=0o755, exist_ok=True)
                write_atomically(archive, packed)
                output["archive_written"] = True
    except OSError as exc:
        module.fail_json(msg=tr("cannot write the published directory in %(folder)s: %(error)s", language,
                                folder=folder, error=str(exc)), **output)
    output["changed"] = bool(written or removed or output["archive_written"])
    module.exit_json(**output)


if __name__ == "__main__":
    main()
