"""Jinja filter of congvu-mail: a message of the roster flow in the reader's language (docs/translations.md).

    "{{ 'plan: %(summary)s' | congvu.mail.congvu_tr(congvu__language | default('vi'), summary=result.summary_text) }}"

The message id is the English text, as in the code; the translations are the roster catalogs
(plugins/module_utils/congvu/locale/<lang>/LC_MESSAGES/roster.po, through the generated catalog_roster.py),
so what a playbook prints reads like what the modules print. Runs on the controller.
"""

from ansible_collections.congvu.mail.plugins.module_utils.congvu import messages


def congvu_tr(msgid, language=messages.DEFAULT_LANGUAGE, **values):
    """`msgid` in `language` (vi or en), its %(name)s placeholders filled with `values`."""
    return messages.render(str(msgid), values, messages.check_language(str(language)))


class FilterModule:
    def filters(self):
        return {"congvu_tr": congvu_tr}
