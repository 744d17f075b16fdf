"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division (6),
organisation code (9, itself ending in a GB 11714 check character) and a check character.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def check_character(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "")


def validate_uscc(code: str) -> str:
    """Return the normalised code, or raise a ValidationError saying exactly what is wrong."""
    code = normalise(code)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)},
            code="length",
        )
    for position, char in enumerate(code, start=1):
        if char not in CHARSET:
            raise ValidationError(
                _(
                    "Character %(position)d (“%(char)s”) is not allowed; a code uses digits and capital letters except I, O, S, V and Z."
                )
                % {"position": position, "char": char},
                code="character",
            )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 are the administrative division code and must be digits."), code="division"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character is wrong: the last character should be “%(expected)s”, not “%(got)s”. Check the code for a typing mistake."
            )
            % {"expected": expected, "got": code[17]},
            code="check",
        )
    return code
