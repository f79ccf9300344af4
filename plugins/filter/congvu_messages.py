"""Jinja filter of congvu-mail: a message of the roster flow in the reader's language (docs/translations.md).

    "{{ 'plan: %(summary)s' | congvu_tr(congvu__language | default('vi'), summary=result.summary_text) }}"

The message id is the English text, as in the code; the translations are the roster catalogs
(plugins/module_utils/congvu/locale/<lang>/LC_MESSAGES/roster.po, through the generated catalog_roster.py),
so what a playbook prints reads like what the modules print. Runs on the controller.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "module_utils"))
from congvu import messages  # noqa: E402


def congvu_tr(msgid, language=messages.DEFAULT_LANGUAGE, **values):
    """`msgid` in `language` (vi or en), its %(name)s placeholders filled with `values`."""
    return messages.render(str(msgid), values, messages.check_language(str(language)))


class FilterModule:
    def filters(self):
        return {"congvu_tr": congvu_tr}
