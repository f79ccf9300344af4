"""Jinja filter of congvu-mail: the mail pair as the inventory declares it (Art. 16.2, docs/cluster.md).

    "{{ (groups | congvu.mail.congvu_mail_pair(congvu__mail_virtual_ipv4 | default(''), inventory_hostname)).member }}"

Returns {nodes, replicated, virtual_ipv4, member, node_virtual_ipv4} (plugins/module_utils/congvu/mail_pair.py): the one
definition roles imap, mta, webmail, monitoring and hardening read. Runs on the controller.
"""

from ansible_collections.congvu.mail.plugins.module_utils.congvu import mail_pair


def congvu_mail_pair(groups, virtual_ipv4="", host=""):
    return mail_pair.mail_pair((groups or {}).get("imap") or [], virtual_ipv4, host)


class FilterModule:
    def filters(self):
        return {"congvu_mail_pair": congvu_mail_pair}
