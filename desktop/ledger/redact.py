"""What a public notice may say: the masking rules for anything posted on the village board.

Notices never print ID numbers, phone numbers, bank accounts or health details. Fields that hold
them are simply not printed; free text that does get printed (a project name, what was promised)
passes through ``scrub`` so a number typed into a note cannot leak either. Causes and measures
that would reveal an illness or a disability are replaced by a neutral wording.
"""

from __future__ import annotations

import re

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules.idnumber import mask_id
from desktop.core.rules.validators import mask_bank_account, mask_phone

# 15–20 digit runs (ID numbers, disability cards, bank accounts), optionally ending in X.
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9][0-9 ]{13,22}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}[- ]?[2-9][0-9]{6,7}(?![0-9])")
# A local number without area code looks like an amount; mask it only after a phone word.
_LOCAL_NUMBER = re.compile(
    r"((?:电话|手机|联系|座机|tel|phone)[^0-9]{0,4})([2-9][0-9]{6,7})(?![0-9])", re.I
)

#: Causes and risks whose label would disclose a health condition.
SENSITIVE_CAUSES = frozenset({"illness", "disability"})
#: Assistance measures that disclose an illness or a disability (beyond the health category).
SENSITIVE_MEASURES = frozenset({"disability_allowances"})
SENSITIVE_CATEGORIES = frozenset({"health"})


def _mask_long(match: re.Match[str]) -> str:
    digits = match.group(0).replace(" ", "")
    if len(digits) in (15, 18) or digits[-1] in "Xx":
        return mask_id(digits)
    return mask_bank_account(digits)


def scrub(text: str | None) -> str:
    """Free text with ID numbers, bank accounts and phone numbers masked."""
    if not text:
        return ""
    text = _LONG_NUMBER.sub(_mask_long, text)
    text = _MOBILE.sub(lambda m: mask_phone(re.sub(r"[^0-9]", "", m.group(0))[-11:]), text)
    text = _LANDLINE.sub(lambda m: mask_phone(m.group(0)), text)
    return _LOCAL_NUMBER.sub(
        lambda m: m.group(1) + "*" * (len(m.group(2)) - 4) + m.group(2)[-4:], text
    )


def cause_label(code: str | None, kind: str = "cause") -> str:
    """A cause (or monitoring risk) as a notice may show it."""
    if code is None:
        return ""
    if code in SENSITIVE_CAUSES:
        return _("健康原因")
    return codes.label(kind, code)


def is_sensitive_commitment(category: str | None, measure: str | None) -> bool:
    return category in SENSITIVE_CATEGORIES or measure in SENSITIVE_MEASURES


def withheld() -> str:
    return _("（涉及个人健康信息，明细不公示）")
