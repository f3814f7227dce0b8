"""targets.parse_target and the TOI-cell normaliser: every spelling a user or a table may use."""

from __future__ import annotations

import pytest

from exofop_cli.errors import InvalidInputError
from exofop_cli.targets import TargetQuery, format_toi, normalize_toi_cell, parse_target, target_lines


@pytest.mark.parametrize(
    "text",
    ["TIC 365938305", "TIC365938305", "tic_365938305", "365938305", "tic-365938305", "  TIC   365938305  "],
)
def test_tic_spellings(text: str) -> None:
    query = parse_target(text)
    assert query == TargetQuery(kind="tic", text=text, tic_id=365938305)
    assert query.key == "tic:365938305"
    assert query.exofop_target_param == "365938305"
    assert query.toi_number is None


def test_tab_between_prefix_and_digits_is_whitespace_not_a_control_character() -> None:
    assert parse_target("TIC\t365938305").tic_id == 365938305


@pytest.mark.parametrize(
    ("text", "toi"),
    [
        ("TOI-1262", "1262"),
        ("TOI 1262", "1262"),
        ("TOI1262", "1262"),
        ("toi_1262", "1262"),
        ("TOI-1262.01", "1262.01"),
        ("TOI 1262.01", "1262.01"),
        ("1262.01", "1262.01"),
        ("TOI-0125.02", "125.02"),
    ],
)
def test_toi_spellings(text: str, toi: str) -> None:
    query = parse_target(text)
    assert (query.kind, query.toi, query.tic_id, query.name) == ("toi", toi, None, None)
    assert query.key == f"toi:{toi}"
    assert query.exofop_target_param == f"TOI{toi}"
    assert query.toi_number == int(toi.split(".", maxsplit=1)[0])


def test_exofop_target_param_for_toi_has_no_space_or_hyphen() -> None:
    assert parse_target("TOI-1262.01").exofop_target_param == "TOI1262.01"
    assert parse_target("TOI 1262").exofop_target_param == "TOI1262"


@pytest.mark.parametrize(("text", "name"), [("HD 104654", "HD 104654"), ("Kepler-633", "Kepler-633")])
def test_star_names(text: str, name: str) -> None:
    query = parse_target(text)
    assert (query.kind, query.name, query.tic_id, query.toi) == ("name", name, None, None)
    assert query.exofop_target_param == name


def test_name_key_folds_case_and_whitespace() -> None:
    assert parse_target("  HD   104654 ").key == "name:hd 104654"
    assert parse_target("hd 104654").key == parse_target("HD 104654").key
    # The display name keeps the user's spelling (single-spaced).
    assert parse_target("  HD   104654 ").name == "HD 104654"


@pytest.mark.parametrize("text", ["", "   ", "TIC", "TOI-", "TIC 12.5", "TOI-1262.1", "TOI-1.2.3", "TIC 0"])
def test_bad_identifiers_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_target(text)
    assert info.value.hint, f"no hint for {text!r}"


def test_toi_with_one_digit_planet_suffix_names_the_two_digit_form() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_target("TOI-1262.1")
    assert "TOI-1262.01" in (info.value.hint or "")


@pytest.mark.parametrize("text", ["HD\x00104654", "TIC 36593\x07", "Kepler\x1b[31m-633"])
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="control characters"):
        parse_target(text)


def test_control_characters_error_has_a_hint() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_target("HD\x00104654")
    assert info.value.hint


def test_overlong_names_are_refused() -> None:
    assert parse_target("x" * 200).kind == "name"
    with pytest.raises(InvalidInputError, match="longer than 200"):
        parse_target("x" * 300)


def test_overlong_name_error_has_a_hint() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_target("x" * 300)
    assert info.value.hint


def test_text_keeps_the_raw_input() -> None:
    assert parse_target(" TOI-1262 ").text == " TOI-1262 "


def test_format_toi() -> None:
    assert format_toi("1262.01") == "TOI-1262.01"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("TOI 1130.02", "1130.02"),
        ("1130.02", "1130.02"),
        ("1130.2", "1130.20"),  # floats drop the trailing zero
        ("TOI-1130", "1130"),
        (" 127.01 ", "127.01"),
        ("0127.01", "127.01"),
        ("1130.020", "1130.02"),
        (None, None),
        ("", None),
        ("CTOI 1130.02", None),
        ("abc", None),
    ],
)
def test_normalize_toi_cell(cell: str | None, expected: str | None) -> None:
    assert normalize_toi_cell(cell) == expected


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("HD 104654", "hd"),
        ("WASP-12", "wasp"),
        ("HAT-P-7", "hat_p"),
        ("K2-18", "k2"),
        ("BD+20 2457", "bd"),
        ("BD-20 2457", "bd"),  # one catalogue, one key, whatever the sign of the declination zone
        ("CD-42 123", "cd"),
        ("TYC 1891-01178-1", "tyc"),
        ("2MASS J06302398-5122567", "2mass"),
        ("Gaia DR3 4676", "gaia_dr3"),
        ("pi Men", "bayer"),
        ("alf Cen A", "bayer"),
        ("nu2 Lup", "bayer"),
        ("51 Peg", "flamsteed"),
        ("V1298 Tau", "gcvs"),
        ("AU Mic", "gcvs"),
        ("L 98-59", "l"),
    ],
)
def test_alias_keys(name: str, key: str) -> None:
    from exofop_cli.models import alias_key

    assert alias_key(name) == key


@pytest.mark.parametrize("bad", ["TIC abc", "TOI foo", "toi_x", "-5", "+12", -5, 0])
def test_what_cannot_be_a_star_is_refused_before_any_request(bad: str | int) -> None:
    with pytest.raises(InvalidInputError):
        parse_target(bad)


def test_a_list_with_a_byte_order_mark_reads_its_first_line() -> None:
    """Windows editors start UTF-8 files with U+FEFF: it is not part of the first target."""
    assert target_lines("\ufeffTOI-1262\r\nHD 104654\r\n") == ["TOI-1262", "HD 104654"]
