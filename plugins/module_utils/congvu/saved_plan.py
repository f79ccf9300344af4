"""Apply what was reviewed: a saved plan is applied only to the roster and the directory it was made from.

A plan reviewed in a pull request was computed against the state export of the last apply. Between
the review and the apply, the directory may change (another run, the inactivity job, an operator by
hand) or the roster may (a later commit). As Terraform refuses a stale saved plan, the apply then
refuses, changing nothing, and says which of the two moved: the reviewer approved one list of changes,
and only that list may be written.

Three things are compared:
- the roster, by content (the fingerprint of its files): a merge gives the reviewed commit another id
  while its files stay the same, so the git revisions are shown, not compared;
- the directory, by the fingerprint of its state (state.State.digest), which the live read and the
  export give alike when they hold the same records;
- the plan itself, made again from those same inputs on the saved plan's date: it differs only when the
  settings (domain, quota, guard, grace period) or the planner changed since, and then it is refused too.

Pure: the caller reads the files and the directory; this module only compares. The reasons are English
texts made from catalog messages (messages.N_), shown in the reader's language by messages.translate_text.
"""

from __future__ import annotations

import hashlib

from .messages import N_
from .plan import PLAN_FORMAT

# The parts of plan.json that say what the run will write. Left out: where the roster copy was read
# from (`roster`), the override (given at apply time, as the guard asks), and `blocked`, which follows
# from it.
COMPARED = ("date", "domain", "summary", "errors", "notices", "mailboxes")
GUARD_COMPARED = ("count", "limit")


def basis(state_digest: str, roster_digest: str, revision: str) -> dict:
    """What plan.json records of its inputs."""
    return {"state": state_digest, "roster": roster_digest, "revision": revision}


def files_digest(files) -> str:
    """Fingerprint of a roster folder from its (name, bytes) pairs, in roster order."""
    digest = hashlib.sha256()
    for name, data in files:
        encoded = name.encode("utf-8")
        # lengths first: no two different folders give the same stream of bytes
        digest.update(len(encoded).to_bytes(8, "big") + encoded + len(data).to_bytes(8, "big"))
        digest.update(data)
    return "sha256:" + digest.hexdigest()


class SavedPlanInvalid(ValueError):
    """The file given as the saved plan is not one this version can apply."""


def check_saved(saved) -> None:
    """Refuse a file that is not a plan.json of this format, with its basis."""
    if not isinstance(saved, dict) or "mailboxes" not in saved:
        raise SavedPlanInvalid(N_("the file is not a plan.json written by roster_plan.yml or roster.yml"))
    if saved.get("format") != PLAN_FORMAT:
        raise SavedPlanInvalid(N_("plan format %(found)s is not %(expected)s: make the plan again")
                               % {"found": saved.get("format"), "expected": PLAN_FORMAT})
    found = saved.get("basis") or {}
    if not all(found.get(key) for key in ("state", "roster")):
        raise SavedPlanInvalid(N_("the plan does not record the state and roster it was made from (made by an "
                                  "older version): make the plan again"))
    if saved.get("errors"):
        raise SavedPlanInvalid(N_("the plan has %(count)s error(s): it cannot be applied")
                               % {"count": len(saved["errors"])})


def comparable(plan: dict) -> dict:
    """The parts of a plan.json that say what a run writes. Its file names are relative to the roster
    folder (roster.py names them so), so a plan made from the repository and one made from the copy on
    the directory host compare equal."""
    data = {key: plan.get(key) for key in COMPARED}
    data["guard"] = {key: (plan.get("guard") or {}).get(key) for key in GUARD_COMPARED}
    return data


def stale_reasons(saved: dict, fresh: dict) -> list[str]:
    """Why `saved` must not be applied now, given `fresh`, the plan made again from the live inputs
    on the saved plan's date. Empty: the fresh plan is the reviewed one, and may be applied."""
    reasons = []
    was, now = saved.get("basis") or {}, fresh.get("basis") or {}
    if was.get("roster") != now.get("roster"):
        reasons.append(N_("the roster is not the one the plan was made from (plan: revision %(old)s; now: "
                          "revision %(new)s)") % {"old": was.get("revision") or "unknown",
                                                  "new": now.get("revision") or "unknown"})
    if was.get("state") != now.get("state"):
        reasons.append(N_("the directory changed since the plan was made (a later run, the inactivity job or a "
                          "change by hand)"))
    if not reasons:
        before, after = comparable(saved), comparable(fresh)
        differing = [key for key in (*COMPARED, "guard") if before[key] != after[key]]
        if differing:
            reasons.append(N_("the same roster and directory give another plan now (different in: %(parts)s): "
                              "the settings or the planner changed since") % {"parts": ", ".join(differing)})
    return reasons
