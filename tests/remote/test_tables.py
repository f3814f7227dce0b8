"""tables.parse_table against the real ExoFOP samples and every quirk of the reference (§1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exofop_cli.errors import AuthRequiredError, InvalidResponseError
from exofop_cli.remote.tables import Table, normalize_name, parse_table, to_float, to_int

DATA = Path(__file__).parent.parent / "data" / "tables"
TOI_127_PIPE = (DATA / "download_toi_toi-127.pipe").read_bytes()
SPECT_1494_PIPE = (DATA / "download_tag_spect_tag-1494.pipe").read_bytes()
TOI_2025_CSV = (DATA / "download_toi_2025-10_head6.pandas.csv").read_bytes()

LOGIN_PAGE = b"""<!DOCTYPE html>
<html><head><title>ExoFOP Login</title></head><body>
<form action="password_check.php" method="post">
<input type="text" name="username"><input type="password" name="password">
<input type="hidden" name="ref" value="login_user"><input type="hidden" name="ref_page" value="/tess/">
</form></body></html>
"""


# -- real samples ----------------------------------------------------------------------------------------
def test_2021_toi_pipe_leading_space_header_is_stripped() -> None:
    assert b"| Stellar Metallicity err|" in TOI_127_PIPE  # the quirk really is in the bytes
    table = parse_table(TOI_127_PIPE)
    assert table.delimiter == "|"
    assert len(table.columns) == 58
    assert "Stellar Metallicity err" in table.columns
    assert not [c for c in table.columns if c != c.strip()]
    assert table.column(" Stellar Metallicity err") == "Stellar Metallicity err"
    assert table.warnings == ()


def test_2021_toi_pipe_values_by_name() -> None:
    (row,) = parse_table(TOI_127_PIPE).rows
    assert row["TIC ID"] == "234523599"
    assert row["TOI"] == "127.01"
    assert row["Previous CTOI"] is None  # empty field = null
    assert row["RA"] == "01:02:12.45"
    assert row["Dec"] == "-61:45:22.08"
    assert row["Sectors"] == "1,2,28,29"  # pipe output: commas are plain text
    assert row["Comments"] == "HATS-71 b"
    assert row["Date Modified"] == "2021-06-01 12:02:45"


def test_numbers_without_leading_zero() -> None:
    (row,) = parse_table(TOI_127_PIPE).rows
    assert row["Planet Radius (R_Earth) err"] == ".386554"
    assert to_float(row["Planet Radius (R_Earth) err"]) == 0.386554
    assert to_float(row["Stellar Radius (R_Sun)"]) == 0.445372
    assert to_float(row["Stellar Distance (pc) err"]) == 0.86
    assert to_int(row["Stellar Eff Temp (K)"]) == 3424
    assert to_float(row["Epoch (BJD)"]) == 2458325.650197


def test_renamed_column_is_found_by_name_in_both_headers() -> None:
    old = parse_table(TOI_127_PIPE)
    new = parse_table(TOI_2025_CSV)
    assert old.column("ESM", "ACWG ESM") == "ACWG ESM"
    assert new.column("ESM", "ACWG ESM") == "ESM"
    assert old.column("ESM") is None
    assert new.column("ACWG ESM") is None
    assert old.rows[0][old.column("ESM", "ACWG ESM") or ""] == "39.1"
    assert new.rows[0][new.column("ESM", "ACWG ESM") or ""] == "86.8"
    # Columns added since 2021 shift every later position: only names are stable.
    assert old.column("Predicted Mass (M_Earth)") is None
    assert new.rows[0]["Predicted Mass (M_Earth)"] == "115.19"


def test_pipe_with_trailing_blank_lines() -> None:
    assert SPECT_1494_PIPE.endswith(b"|\n\n\n\n\n\n\n")
    table = parse_table(SPECT_1494_PIPE)
    assert len(table.columns) == 15
    assert len(table.rows) == 9
    assert table.warnings == ()
    assert [r["TIC ID"] for r in table.rows][-1] == "439456714"
    assert {r["Tag"] for r in table.rows} == {"1494"}
    assert {r["Instrument"] for r in table.rows} == {"FIRE"}
    assert table.rows[0]["Telescope"] == "Magellan (Baade) (6.5 m)"
    assert table.rows[0]["Notes"] is None
    assert table.rows[5]["Notes"] == "Observed at high air mass"
    assert table.rows[3]["Wavelength coverage"] == "0.82 to 2.51 nm"


def test_csv_quoted_commas() -> None:
    table = parse_table(TOI_2025_CSV)
    assert table.delimiter == ","
    assert len(table.columns) == 68
    assert len(table.rows) == 5
    assert table.warnings == ()
    assert [r["TOI"] for r in table.rows] == ["101.01", "102.01", "103.01", "104.01", "105.01"]
    assert table.rows[0]["Sectors"] == "1,27,67"
    assert table.rows[1]["Sectors"] == (
        "1,2,3,4,6,7,8,9,10,11,12,13,27,28,29,30,31,32,33,34,36,37,38,39,61,62,64,65,68"
    )
    assert table.rows[2]["Sectors"] == "1"
    assert table.rows[4]["Comments"] == "WASP-95; epoch kept from qlp-s28-tois"
    # The columns after the quoted one are not shifted.
    assert table.rows[0]["Date TOI Alerted (UTC)"] == "2018-09-05"
    assert table.rows[0]["Lightcurve Available"] == "True"


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf" + TOI_2025_CSV, "\ufeff" + TOI_2025_CSV.decode()])
def test_bom_is_removed(body: bytes | str) -> None:
    table = parse_table(body)
    assert table.columns[0] == "TIC ID"
    assert table.rows[0]["TIC ID"] == "231663901"
    assert table.rows == parse_table(TOI_2025_CSV).rows


# -- synthetic quirks ------------------------------------------------------------------------------------
def test_ragged_csv_row_extra_fields_join_the_free_text_last_column() -> None:
    body = b"TIC ID,Tag,Notes\n1,5,seeing 1.2, clouds later, aborted\n2,6,fine\n"
    table = parse_table(body)
    assert [dict(r) for r in table.rows] == [
        {"TIC ID": "1", "Tag": "5", "Notes": "seeing 1.2, clouds later, aborted"},
        {"TIC ID": "2", "Tag": "6", "Notes": "fine"},
    ]
    assert table.warnings == ()


def test_ragged_pipe_row_extra_fields_join_the_free_text_last_column() -> None:
    table = parse_table(b"TIC ID|Tag|Description\n1|5|a|b | c\n")
    assert table.rows[0]["Description"] == "a|b | c"


@pytest.mark.parametrize(
    "body",
    [
        b"TIC ID|Tag|Notes|\n1|5|a|b|\n2|6|plain|\n",  # trailing delimiter on every line
        b"TIC ID|Tag|Notes\n1|5|a|b|\n2|6|plain|\n",  # on the rows only
        b"TIC ID|Tag|Notes|\n1|5|a|b\n2|6|plain\n",  # on the header only
        b'TIC ID,Tag,Notes,\n1,5,"a,b",\n2,6,plain,\n',
    ],
)
def test_trailing_delimiters_add_no_column_and_no_stray_text(body: bytes) -> None:
    table = parse_table(body)
    assert table.columns == ("TIC ID", "Tag", "Notes")
    assert [r["Notes"] for r in table.rows] == ["a|b" if b"|" in body else "a,b", "plain"]
    assert table.warnings == ()


def test_stray_quote_in_a_note_damages_one_row_only() -> None:
    body = b'TIC ID,Tag,Notes\n1,5,he said "hi, then left\n2,6,fine\n3,7,ok\n'
    table = parse_table(body)
    assert [r["TIC ID"] for r in table.rows] == ["1", "2", "3"]
    assert table.rows[0]["Notes"] == 'he said "hi, then left'
    assert table.rows[1]["Notes"] == "fine"


def test_two_rows_with_a_stray_quote_each_stay_two_rows() -> None:
    # Inch marks: together the two quotes balance, but the lines do not form one CSV record.
    body = b'TIC ID,Tag,Notes\n1,5,companion at 0.5" sep\n2,6,within 1.2"\n3,7,"multi\nline"\n4,8,ok\n'
    table = parse_table(body)
    assert [(r["TIC ID"], r["Notes"]) for r in table.rows] == [
        ("1", 'companion at 0.5" sep'),
        ("2", 'within 1.2"'),
        ("3", "multi\nline"),
        ("4", "ok"),
    ]
    assert table.warnings == ()


def test_quoted_line_break_inside_a_note_is_one_record() -> None:
    body = b'TIC ID,Tag,Notes\n1,5,"line one\nline two"\n2,6,x\n'
    table = parse_table(body)
    assert [(r["TIC ID"], r["Notes"]) for r in table.rows] == [("1", "line one\nline two"), ("2", "x")]


def test_extra_fields_when_last_column_is_not_free_text_are_kept_with_a_warning() -> None:
    table = parse_table(b"TIC ID|Tag\n1|5|surplus\n2|6\n")
    assert table.columns == ("TIC ID", "Tag", "column_3")
    assert [dict(r) for r in table.rows] == [
        {"TIC ID": "1", "Tag": "5", "column_3": "surplus"},
        {"TIC ID": "2", "Tag": "6", "column_3": None},
    ]
    (warning,) = table.warnings
    assert warning.startswith("a table: 1 of 2 row(s) have more fields than the header's 2 names")


def test_short_rows_are_padded_with_nulls() -> None:
    table = parse_table(b"TIC ID|Telescope|Tag|Notes\n1|LCO\n2|LCO|7|\n")
    assert dict(table.rows[0]) == {"TIC ID": "1", "Telescope": "LCO", "Tag": None, "Notes": None}
    assert dict(table.rows[1]) == {"TIC ID": "2", "Telescope": "LCO", "Tag": "7", "Notes": None}
    assert table.warnings == ()


def test_a_single_field_line_in_a_wide_table_is_skipped_with_a_warning() -> None:
    table = parse_table(b"TIC ID|Tag|Notes\n1|2|x\nThis is not a row\n")
    assert len(table.rows) == 1
    assert table.warnings == ("a table: line 3 is not a row of the table; skipped",)


def test_login_page_where_a_table_was_expected_is_auth_required() -> None:
    with pytest.raises(AuthRequiredError) as info:
        parse_table(LOGIN_PAGE, what="the TOI table", endpoint="download_toi.php")
    assert info.value.kind == "auth_required"
    assert info.value.endpoint == "download_toi.php"
    assert "the TOI table" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Error 500</body></html>",
        b"\n\n  <!DOCTYPE html><html><body>ExoFOP-TESS</body></html>",
        b"\xef\xbb\xbf<html><head><title>x</title></head></html>",
        "<html><body>str input</body></html>",
    ],
)
def test_other_html_is_invalid_response(body: bytes | str) -> None:
    with pytest.raises(InvalidResponseError) as info:
        parse_table(body, what="the spectroscopy table")
    assert not isinstance(info.value, AuthRequiredError)
    assert info.value.kind == "invalid_response"


@pytest.mark.parametrize(
    "body",
    [
        b"<b>Fatal error</b>:  Uncaught Error: Call to undefined function in /var/www/download_toi.php:12",
        b"<table><tr><td>TIC ID</td><td>TOI</td></tr></table>",
        b"<h1>Service Unavailable</h1>",
    ],
)
def test_html_fragment_where_a_table_was_expected_is_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponseError):
        parse_table(body)


def test_trusted_skips_the_html_sniff() -> None:
    table = parse_table(b"<b>bold</b>,x\n1,2\n", trusted=True)
    assert table.columns == ("<b>bold</b>", "x")


@pytest.mark.parametrize("body", [b"", b"\n\n\n", b"  \r\n \n", ""])
def test_empty_body_is_an_empty_table(body: bytes | str) -> None:
    assert parse_table(body) == Table(columns=(), rows=())


def test_header_only_has_columns_and_no_rows() -> None:
    table = parse_table(b"TIC ID|TIC|TOI|Telescope|Tag|Notes\n\n\n")
    assert table.columns == ("TIC ID", "TIC", "TOI", "Telescope", "Tag", "Notes")
    assert table.rows == ()
    assert table.delimiter == "|"


def test_pipe_and_csv_of_the_same_table_parse_alike() -> None:
    pipe = parse_table(b"TIC ID|Sectors|Notes\n1|1,27,67|a, b\n")
    csv = parse_table(b'TIC ID,Sectors,Notes\n1,"1,27,67","a, b"\n')
    tab = parse_table(b"TIC ID\tSectors\tNotes\n1\t1,27,67\ta, b\n")
    assert (pipe.delimiter, csv.delimiter, tab.delimiter) == ("|", ",", "\t")
    assert pipe.rows == csv.rows == tab.rows == ({"TIC ID": "1", "Sectors": "1,27,67", "Notes": "a, b"},)


def test_real_pipe_sample_converted_to_csv_parses_to_the_same_rows() -> None:
    import csv
    import io

    lines = [ln.split("|") for ln in SPECT_1494_PIPE.decode().splitlines() if ln]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    assert parse_table(out.getvalue()).rows == parse_table(SPECT_1494_PIPE).rows


def test_crlf_and_leading_blank_lines() -> None:
    table = parse_table(b"\r\n\r\nTIC ID,TOI\r\n1,2.01\r\n")
    assert table.rows == ({"TIC ID": "1", "TOI": "2.01"},)


def test_required_columns() -> None:
    assert parse_table(b"File ID,File Name\n1,a\n", required=("file_id", "FILE NAME")).rows
    with pytest.raises(InvalidResponseError, match="expected column\\(s\\) TIC ID not in header"):
        parse_table(b"File ID,File Name\n1,a\n", required=("TIC ID",), endpoint="x.php")


def test_duplicate_and_blank_header_names_are_made_unique() -> None:
    table = parse_table(b"TIC,TIC,,Notes\n1,2,3,4\n")
    assert table.columns == ("TIC", "TIC_2", "column_3", "Notes")
    assert table.rows[0] == {"TIC": "1", "TIC_2": "2", "column_3": "3", "Notes": "4"}


@pytest.mark.parametrize("null", ["", "  ", "--", "nan", "NaN", "null", "NULL", "None"])
def test_null_spellings(null: str) -> None:
    assert parse_table(f"A|B\n{null}|x\n").rows[0]["A"] is None


def test_cells_are_stripped() -> None:
    assert parse_table(b"A | B \n  x  | y \n").rows == ({"A": "x", "B": "y"},)


def test_bytes_that_are_not_utf8_are_read_as_windows_1252_with_a_warning() -> None:
    table = parse_table(b"A,Notes\n1,caf\xe9 \xb0 \x85 \x81\n", what="the spect table")
    assert table.rows[0]["Notes"] == "caf\u00e9 \u00b0 \u2026 \ufffd"  # 0x85 is not a line break here
    assert table.warnings == ("the spect table: lines that are not UTF-8 were read as Windows-1252",)


def test_column_lookup_is_loose() -> None:
    table = parse_table(b"File Name,TIC ID\nx,1\n")
    assert table.column("file_name") == "File Name"
    assert table.column("FileName") == "File Name"
    assert table.column("nope", "tic_id") == "TIC ID"
    assert table.column("nope") is None


def test_normalize_name() -> None:
    assert normalize_name(" File_Name ") == normalize_name("File Name") == "filename"
    assert normalize_name("Stellar log(g) (cm/s^2)") == "stellarloggcms2"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (".386554", 0.386554),
        ("-5", -5.0),
        ("+.5", 0.5),
        ("1e-3", 0.001),
        ("2.5E+2", 250.0),
        (" 3 ", 3.0),
        ("7.", 7.0),
        ("", None),
        ("nan", None),
        ("inf", None),
        ("01:02:12.45", None),
        ("1,2", None),
        (None, None),
    ],
)
def test_to_float(text: str | None, value: float | None) -> None:
    assert to_float(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1494", 1494), ("1494.0", 1494), ("1494.5", None), ("-3", -3), ("x", None), (None, None)],
)
def test_to_int(text: str | None, value: int | None) -> None:
    assert to_int(text) == value


@pytest.mark.parametrize("text", ["1e400", "9" * 400])
def test_overflowing_numbers_are_not_numbers(text: str) -> None:
    assert to_float(text) is None
    assert to_int(text) is None


def test_to_int_reads_big_integers_exactly() -> None:
    assert to_int("9007199254740993") == 9007199254740993


def test_a_windows_1252_table_full_of_accents_is_not_called_binary() -> None:
    rows = "".join(f"{i}|5|Observé à Mauna Kea, séeing 0.6°, très bien\n" for i in range(60))
    table = parse_table(("TIC ID|Tag|Notes\n" + rows).encode("cp1252"))
    assert len(table.rows) == 60 and table.rows[0]["Notes"] == "Observé à Mauna Kea, séeing 0.6°, très bien"


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 8,  # high-entropy data (a zip or gzip body)
        b"TIC ID|Tag\n" + b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 20,
        "TIC ID|Tag\n1|2\n".encode("utf-16"),
    ],
)
def test_binary_data_is_not_a_table(body: bytes) -> None:
    with pytest.raises(InvalidResponseError, match="binary data"):
        parse_table(body)


def test_one_legacy_byte_leaves_the_utf8_lines_alone() -> None:
    body = 'TIC ID|Notes\n1|\u03945.1 mag @ 0.5"\n2|'.encode() + b"seeing 0.6\xb0\n"
    table = parse_table(body, what="the imaging table")
    assert [r["Notes"] for r in table.rows] == ['\u03945.1 mag @ 0.5"', "seeing 0.6\u00b0"]
    assert table.warnings == ("the imaging table: lines that are not UTF-8 were read as Windows-1252",)


def test_a_multi_line_cell_in_rows_with_a_trailing_comma_is_one_record() -> None:
    body = b'ID,TIC ID,Username,notes,\n1,365938305,alice,"first line\nsecond line",\n2,1,bob,x,\n'
    table = parse_table(body)
    assert [(r["ID"], r["notes"]) for r in table.rows] == [("1", "first line\nsecond line"), ("2", "x")]
    assert table.warnings == ()


def test_a_multi_line_cell_in_a_row_whose_last_cell_is_empty_is_one_record() -> None:
    table = parse_table(b'TIC ID,Notes,Date\n1,"a\nb",\n2,c,2020\n')
    assert [(r["TIC ID"], r["Notes"], r["Date"]) for r in table.rows] == [
        ("1", "a\nb", None),
        ("2", "c", "2020"),
    ]
    assert table.warnings == ()
