"""Unified social credit codes: real valid ones pass, corrupted ones are refused with a clear reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from luoshi.service.uscc import CHARSET, check_character, validate_uscc

REAL = [
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000802100433B",
]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_are_valid(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(f" {code.lower()} ") == code  # spaces and lower case are forgiven


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("91440300192203821", "length"),
        ("9144030019220382161", "length"),
        ("914403001922038217", "check"),  # last character changed
        ("914403001922083216", "check"),  # two digits swapped
        ("9144O3001922038216", "character"),  # letter O for zero
        ("9144030019220382I6", "character"),
        ("91A403001922038216", "division"),
    ],
)
def test_corrupted_codes_are_refused_with_the_reason(code: str, kind: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)
    assert excinfo.value.code == kind
    assert excinfo.value.messages[0]


def test_the_message_names_the_expected_check_character() -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("914403001922038217")
    assert "“6”" in excinfo.value.messages[0]


@given(st.text(alphabet=CHARSET, min_size=17, max_size=17), st.integers(0, 16), st.sampled_from(CHARSET))
def test_any_single_character_change_is_caught(body: str, position: int, replacement: str) -> None:
    body = body[:2] + "".join(c if c.isdigit() else "1" for c in body[2:8]) + body[8:]
    code = body + check_character(body)
    assert validate_uscc(code) == code
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        with pytest.raises(ValidationError):
            validate_uscc(changed)
