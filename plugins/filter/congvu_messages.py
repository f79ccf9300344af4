"""Jinja filter of congvu-mail: a message of the roster flow in the reader's language (docs/translations.md).

    "{{ 'plan: %(summary)s' | congvu.mail.congvu_tr(congvu__language | default('vi'), summary=result.summary_text) }}"

The message id is the English text, as in the code; the translations are the roster catalogs
(plugins/module_utils/congvu/locale/<lang>/LC_MESSAGES/roster.po, through the generated catalog_roster.py),
so what a playbook prints reads like what the modules print. Runs on the controller.
"""

import datetime as dt

from ansible_collections.congvu.mail.plugins.module_utils.congvu import messages
from ansible_collections.congvu.mail.plugins.module_utils.congvu.password_notice import switch_notice


def congvu_tr(msgid, language=messages.DEFAULT_LANGUAGE, **values):
    """`msgid` in `language` (vi or en), its %(name)s placeholders filled with `values`."""
    return messages.render(str(msgid), values, messages.check_language(str(language)))


def congvu_password_notice(address, name, expiry, profile, rules, domain, sender,
                           language=messages.DEFAULT_LANGUAGE):
    """The mail to `address` whose password clock a profile switch restarted now (docs/profiles.md), as the
    text of an RFC 5322 message; `expiry` is an ISO date, `rules` the profile's passwords.user or .admin."""
    message = switch_notice(str(address), str(name or ""), dt.date.fromisoformat(str(expiry)),
                            dt.datetime.now().astimezone(), str(profile), dict(rules), str(domain),
                            str(sender), messages.check_language(str(language)))
    return message.as_string()


class FilterModule:
    def filters(self):
        return {"congvu_tr": congvu_tr, "congvu_password_notice": congvu_password_notice}
