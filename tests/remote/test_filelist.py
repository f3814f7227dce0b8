"""filelist.parse_filelist: the documented columns, every plausible spelling, and the rows it must skip."""

from __future__ import annotations

import pytest

from exofop_cli.errors import AuthRequiredError, InvalidResponseError
from exofop_cli.models import ExoFopFileRow
from exofop_cli.remote.filelist import parse_filelist

TIC = 294395926
HEADER = "Type,File Name,File ID,TIC,TOI,Date,User,Group,Tag,Description"
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html><head><title>ExoFOP Login</title></head><body><form action="password_check.php">'
    b'<input type="password" name="password"></form></body></html>'
)


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_documented_columns_map_by_name() -> None:
    body = _csv(
        "Image,TOI678I-ef20201228-832_sensitivity.dat,9612,294395926,678.01,2021-01-05,ef,tfopwg,7711,"
        "Zorro 832 nm contrast curve",
        "Light_Curve,TIC294395926-01_20200101_LCO_ip_measurements.tbl,1007,294395926,TOI 678.01,2020-01-02,"
        "kc,sg1,,",
    )
    rows, warnings = parse_filelist(body, tic_id=TIC)
    assert warnings == []
    assert rows == [
        ExoFopFileRow(
            file_id=1007,
            tic_id=TIC,
            filename="TIC294395926-01_20200101_LCO_ip_measurements.tbl",
            type="Light_Curve",
            toi="678.01",
            date_utc="2020-01-02",
            tag=None,
            description="",
            user="kc",
            group="sg1",
        ),
        ExoFopFileRow(
            file_id=9612,
            tic_id=TIC,
            filename="TOI678I-ef20201228-832_sensitivity.dat",
            type="Image",
            toi="678.01",
            date_utc="2021-01-05",
            tag=7711,
            description="Zorro 832 nm contrast curve",
            user="ef",
            group="tfopwg",
        ),
    ]  # sorted by file id, not by listing order


def test_row_to_dict_shape() -> None:
    (row,), _ = parse_filelist(_csv("Spectrum,a b.fits,5,,1262.01,2024-02-03,u,g,12,d"), tic_id=TIC)
    assert row.to_dict() == {
        "file_id": 5,
        "tic_id": TIC,
        "toi": "1262.01",
        "filename": "a b.fits",
        "type": "Spectrum",
        "date_utc": "2024-02-03",
        "tag": 12,
        "description": "d",
        "user": "u",
        "group": "g",
    }


def test_pipe_output_gives_the_same_rows_as_csv() -> None:
    csv_rows = parse_filelist(
        _csv("Image,x.png,3,294395926,678.01,2021-01-05,ef,tfopwg,7711,a; b"), tic_id=TIC
    )
    pipe = HEADER.replace(",", "|") + "\nImage|x.png|3|294395926|678.01|2021-01-05|ef|tfopwg|7711|a; b\n\n\n"
    assert parse_filelist(pipe.encode(), tic_id=TIC) == csv_rows


def test_missing_tic_column_uses_the_requested_tic() -> None:
    header = "Type,File Name,File ID,TOI,Date,User,Group,Tag,Description"
    rows, warnings = parse_filelist(_csv("Image,a.png,1,678.01,2021-01-05,u,g,1,", header=header), tic_id=TIC)
    assert warnings == []
    assert [(r.file_id, r.tic_id) for r in rows] == [(1, TIC)]


def test_empty_tic_cell_uses_the_requested_tic() -> None:
    (row,), warnings = parse_filelist(_csv("Image,a.png,1,,,,,,,"), tic_id=TIC)
    assert (row.tic_id, warnings) == (TIC, [])


def test_row_for_another_tic_is_kept_with_a_warning() -> None:
    rows, warnings = parse_filelist(_csv("Image,a.png,1,12345,,,,,,"), tic_id=TIC)
    assert [(r.file_id, r.tic_id) for r in rows] == [(1, 12345)]
    assert warnings == [f"file list row 1: file 1 is listed for TIC 12345, not {TIC}"]


@pytest.mark.parametrize("bad_id", ["abc", "", "12a", "-3", "1.5", "N/A"])
def test_non_numeric_file_ids_are_skipped_with_a_warning(bad_id: str) -> None:
    rows, warnings = parse_filelist(_csv("Image,a.png,1,,,,,,,", f"Image,b.png,{bad_id},,,,,,,"), tic_id=TIC)
    assert [r.file_id for r in rows] == [1]
    assert warnings == ["file list row 2: no usable File ID / File Name; row skipped"]


def test_row_without_file_name_is_skipped() -> None:
    rows, warnings = parse_filelist(_csv("Image,,7,,,,,,,", "Image,ok.png,8,,,,,,,"), tic_id=TIC)
    assert [r.file_id for r in rows] == [8]
    assert warnings == ["file list row 1: no usable File ID / File Name; row skipped"]


def test_float_spelling_of_ids_and_tags_is_accepted() -> None:
    (row,), _ = parse_filelist(_csv("Image,a.png,1007.0,294395926.0,,,,,1494.0,"), tic_id=TIC)
    assert (row.file_id, row.tic_id, row.tag) == (1007, TIC, 1494)


def test_duplicate_identical_rows_are_merged_silently() -> None:
    line = "Image,a.png,1,,,2021-01-01,,,,"
    rows, warnings = parse_filelist(_csv(line, line), tic_id=TIC)
    assert [r.file_id for r in rows] == [1]
    assert warnings == []


def test_duplicate_file_id_with_different_rows_keeps_the_first_and_warns() -> None:
    rows, warnings = parse_filelist(_csv("Image,first.png,1,,,,,,,", "Image,second.png,1,,,,,,,"), tic_id=TIC)
    assert [(r.file_id, r.filename) for r in rows] == [(1, "first.png")]
    assert warnings == ["file list lists file id 1 twice; keeping the first row"]


@pytest.mark.parametrize(
    "header",
    [
        "Type,File_Name,File_ID,TIC ID,TOI,Date,User,Group,Tag,Description",
        "ftype,fname,fid,TICID,ftoi,fdate,fuser,fgroup,ftag,fdesc",
        "File Type,Filename,FileID,TIC_ID,TOI,Upload Date,Username,Groupname,TAG ID,Desc",
    ],
)
def test_column_aliases(header: str) -> None:
    (row,), warnings = parse_filelist(
        _csv("Image,a.png,4,294395926,678.01,2021-01-05,ef,tfopwg,9,note", header=header), tic_id=TIC
    )
    assert warnings == []
    assert row == ExoFopFileRow(4, TIC, "678.01", "a.png", "Image", "2021-01-05", 9, "note", "ef", "tfopwg")


def test_ragged_description_keeps_its_commas() -> None:
    (row,), warnings = parse_filelist(_csv("Image,a.png,1,,,,,,,seeing 1.2, clouds, aborted"), tic_id=TIC)
    assert row.description == "seeing 1.2, clouds, aborted"
    assert warnings == []


def test_two_descriptions_with_a_stray_quote_each_keep_the_listing() -> None:
    rows, warnings = parse_filelist(
        _csv('Image,a.png,1,,,,,,,companion 0.5" sep', 'Image,b.png,2,,,,,,,within 1.2"'), tic_id=TIC
    )
    assert [(r.file_id, r.description) for r in rows] == [(1, 'companion 0.5" sep'), (2, 'within 1.2"')]
    assert warnings == []


def test_bom_before_the_header() -> None:
    rows, _ = parse_filelist(b"\xef\xbb\xbf" + _csv("Image,a.png,1,,,,,,,"), tic_id=TIC)
    assert [r.file_id for r in rows] == [1]


def test_file_names_are_kept_verbatim_here() -> None:
    # Sanitising is layout's job; the index keeps what the server said (minus surrounding blanks).
    (row,), _ = parse_filelist(_csv("Image,  ../../etc/passwd ,1,,,,,,,"), tic_id=TIC)
    assert row.filename == "../../etc/passwd"


def test_header_only_is_an_empty_listing() -> None:
    assert parse_filelist(HEADER.encode() + b"\n", tic_id=TIC) == ([], [])


@pytest.mark.parametrize("body", [b"", b"\n\n", b"  \r\n"])
def test_an_empty_body_is_not_an_empty_listing(body: bytes) -> None:
    # ExoFOP throttles with empty 200s (reference §7); a cached one (older versions) must read as damaged.
    with pytest.raises(InvalidResponseError, match="file list is empty"):
        parse_filelist(body, tic_id=TIC)


def test_header_without_file_id_or_name_is_invalid_response() -> None:
    with pytest.raises(InvalidResponseError, match="no 'File ID'/'File Name' columns") as info:
        parse_filelist(b"TIC,TOI,Date\n1,2,3\n", tic_id=TIC)
    assert info.value.endpoint == "download_filelist.php"


def test_login_page_is_auth_required() -> None:
    with pytest.raises(AuthRequiredError) as info:
        parse_filelist(LOGIN_PAGE, tic_id=TIC)
    assert info.value.endpoint == "download_filelist.php"


def test_other_html_is_invalid_response() -> None:
    with pytest.raises(InvalidResponseError) as info:
        parse_filelist(b"<html><body>No TIC object found</body></html>", tic_id=TIC)
    assert not isinstance(info.value, AuthRequiredError)


def test_overflowing_file_id_is_skipped_not_a_crash() -> None:
    rows, warnings = parse_filelist(_csv("Image,a.png,1e400,,,,,,,", "Image,b.png,2,,,,,,,"), tic_id=TIC)
    assert [r.file_id for r in rows] == [2]
    assert warnings == ["file list row 1: no usable File ID / File Name; row skipped"]
