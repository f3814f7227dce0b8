"""resolver: gototicid / TOI table / overview parsing, target assembly, the resolution cache; endpoints' URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from exofop_cli.errors import AuthRequiredError, InvalidResponseError, TargetNotFoundError
from exofop_cli.models import ExoFopTarget, target_from_parts
from exofop_cli.remote import endpoints
from exofop_cli.remote.answers import (
    ambiguous,
    parse_gototicid,
    parse_overview,
    parse_toi_table,
)
from exofop_cli.store.resolutions import ResolutionCache
from exofop_cli.targets import parse_target, sorted_tois, toi_sort_key

DATA = Path(__file__).parent.parent / "data" / "tables"
TOI_127_PIPE = (DATA / "download_toi_toi-127.pipe").read_bytes()
TOI_2025_CSV = (DATA / "download_toi_2025-10_head6.pandas.csv").read_bytes()


# -- gototicid.php?target=X&json -----------------------------------------------------------------------------
def test_gototicid_ok_documented_shape() -> None:
    assert parse_gototicid(b'{"status": "OK", "num": 1, "TIC": "138969239"}', query="HATS-71") == [138969239]


@pytest.mark.parametrize(
    ("body", "tics"),
    [
        (b'{"status": "OK", "num": 1, "TIC": 138969239}', [138969239]),
        (b'{"status": "ok", "TIC": "138969239"}', [138969239]),
        (b'{"status": "OK", "tic": "138969239"}', [138969239]),
        (b'\xef\xbb\xbf{"status": "OK", "TIC": "138969239"}', [138969239]),
        (b'{"status": "OK", "num": 2, "TIC": ["2", "1"]}', [2, 1]),
        (b'{"status": "OK", "num": 2, "TIC": "2, 1"}', [2, 1]),
        (b'{"status": "OK", "num": 3, "TIC": [5, "5", "TIC 7"]}', [5, 7]),
        (b'{"status": "OK", "TIC": ["0", "9"]}', [9]),
        (b'{"status": "OK", "TIC": "TIC 7 TIC 8"}', [7, 8]),
        (b'{"status": "OK", "TIC": "7.0"}', [7]),
        (b'{"status": "OK", "TIC": "TIC-7"}', [7]),
        (b'{"status": "OK", "num": 2, "TIC": {"0": "1", "2": "3"}}', [1, 3]),  # PHP: an array with gaps
        # Objects: only their TIC field is an id, never ra/dec.
        (
            b'{"status": "OK", "num": 2, "TIC": [{"TIC": "111", "ra": "12.5", "dec": "-3.25"}, {"tic_id": 222}]}',
            [111, 222],
        ),
    ],
)
def test_gototicid_accepts_every_plausible_shape(body: bytes, tics: list[int]) -> None:
    assert parse_gototicid(body, query="x") == tics


def test_gototicid_error_is_not_found_with_the_server_message() -> None:
    with pytest.raises(TargetNotFoundError) as info:
        parse_gototicid(b'{"status": "ERROR", "message": "No object found."}', query="Nope-1")
    assert info.value.target == "Nope-1"
    assert str(info.value) == "target not found on ExoFOP: Nope-1 (No object found.)"


def test_gototicid_without_status_is_not_found() -> None:
    with pytest.raises(TargetNotFoundError, match="no object found"):
        parse_gototicid(b"{}", query="x")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>ExoFOP-TESS</body></html>",  # the redirect target when &json is lost
        b"",
        b"[1, 2]",
        b'"138969239"',
        b'{"status": "OK"}',
        b'{"status": "OK", "TIC": null}',
        b'{"status": "OK", "TIC": "none"}',
        b'{"status": "OK", "TIC": "12.5"}',
        b'{"status": "OK", "TIC": [{"ra": "12.5"}]}',
        b'{"status": "OK", "TIC": true}',
    ],
)
def test_gototicid_garbage_is_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponseError) as info:
        parse_gototicid(body, query="x")
    assert info.value.endpoint == "gototicid.php"


def test_ambiguous_names_the_tics() -> None:
    err = ambiguous("HD 1", [3, 2, 1])
    assert str(err) == "'HD 1' matches 3 TIC ids: 3, 2, 1"
    assert err.hint == "run the command again with one TIC id"


# -- download_toi.php ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("toi", ["127", "127.01"])
def test_real_2021_toi_table(toi: str) -> None:
    assert parse_toi_table(TOI_127_PIPE, toi=toi) == (234523599, ("127.01",))


@pytest.mark.parametrize("toi", ["127.02", "128", "12", "1127"])
def test_real_2021_toi_table_other_tois_are_not_found(toi: str) -> None:
    with pytest.raises(TargetNotFoundError, match=f"TOI-{toi}"):
        parse_toi_table(TOI_127_PIPE, toi=toi)


@pytest.mark.parametrize(("toi", "tic"), [("101.01", 231663901), ("105", 144065872), ("103.01", 336732616)])
def test_real_2025_toi_csv(toi: str, tic: int) -> None:
    assert parse_toi_table(TOI_2025_CSV, toi=toi) == (tic, (toi if "." in toi else f"{toi}.01",))


def test_integer_toi_returns_every_planet_of_the_system_sorted() -> None:
    body = b"TIC ID|TOI|Comments\n1|125.03|\n1|125.01|\n1|TOI 125.10|\n1|125.2|\n2|1250.01|\n"
    assert parse_toi_table(body, toi="125") == (1, ("125.01", "125.03", "125.10", "125.20"))
    assert parse_toi_table(body, toi="125.03") == (1, ("125.01", "125.03", "125.10", "125.20"))
    assert parse_toi_table(body, toi="1250") == (2, ("1250.01",))


def test_planet_on_another_tic_is_not_listed_with_this_star() -> None:
    body = b"TIC ID|TOI\n1|500.01\n2|500.02\n"
    assert parse_toi_table(body, toi="500.02") == (2, ("500.02",))
    assert parse_toi_table(body, toi="500") == (1, ("500.01",))


def test_toi_table_uses_tic_id_not_the_empty_tic_column() -> None:
    body = b"TIC ID|TIC|TOI\n234523599||127.01\n"
    assert parse_toi_table(body, toi="127") == (234523599, ("127.01",))


@pytest.mark.parametrize("body", [b"", b"\n\n", TOI_127_PIPE.splitlines(keepends=True)[0]])
def test_empty_toi_answer_is_not_found(body: bytes) -> None:
    with pytest.raises(TargetNotFoundError):
        parse_toi_table(body, toi="127")


def test_toi_table_without_the_needed_columns_is_invalid_response() -> None:
    with pytest.raises(InvalidResponseError, match="lacks 'TIC ID'/'TOI'"):
        parse_toi_table(b"Planet Name|Comments\nHATS-71 b|x\n", toi="127")


def test_toi_table_login_page_is_auth_required() -> None:
    page = b'<html><body><form action="password_check.php"><input type="password"></form></body></html>'
    with pytest.raises(AuthRequiredError):
        parse_toi_table(page, toi="127")


def test_toi_sorting_is_numeric() -> None:
    assert toi_sort_key("125.02") == (125, 2)
    assert sorted_tois(["125.10", None, "99.01", "125.02", "125.10", ""]) == ("99.01", "125.02", "125.10")


# -- target.php?id=TIC&json ----------------------------------------------------------------------------------
def test_overview() -> None:
    body = json.dumps(
        {
            "basic_info": {"tic_id": "365938305", "star_names": "HD 104654, TOI-1262,  Gaia DR2 1,HD 104654"},
            "tois": [{"toi": "1262.02"}, {"toi": "TOI 1262.01"}, {"TOI": "1262.1"}, {"toi": None}, "junk"],
            "files": [],
        }
    ).encode()
    overview = parse_overview(body, tic_id=365938305)
    assert overview.tois == ("1262.01", "1262.02", "1262.10")
    assert overview.aliases == ("HD 104654", "TOI-1262", "Gaia DR2 1")


@pytest.mark.parametrize(
    ("tois", "expected"),
    [
        (["1262.01", 1262.02, "TOI-1262.03", True], ("1262.01", "1262.02", "1262.03")),
        ("1262.01", ("1262.01",)),
        ([1262.1], ("1262.10",)),
    ],
)
def test_overview_tois_as_plain_values(tois: object, expected: tuple[str, ...]) -> None:
    body = {"basic_info": {}, "tois": tois}
    assert parse_overview(json.dumps(body).encode(), tic_id=1).tois == expected


def test_overview_names_as_a_list_and_bom() -> None:
    body = b"\xef\xbb\xbf" + json.dumps({"basic_info": {"names": ["A  1", "B", "A 1"]}}).encode()
    assert parse_overview(body, tic_id=1) == ((), ("A 1", "B"))


def test_overview_without_optional_parts() -> None:
    assert parse_overview(b'{"basic_info": {}}', tic_id=1) == ((), ())
    assert parse_overview(b'{"basic_info": {"star_names": null}, "tois": null}', tic_id=1) == ((), ())


@pytest.mark.parametrize(
    "body", [b"<html><body>No TIC object found</body></html>", b'{"error": "No TIC object found"}']
)
def test_overview_unknown_tic_is_not_found(body: bytes) -> None:
    with pytest.raises(TargetNotFoundError, match="TIC 42"):
        parse_overview(body, tic_id=42)


@pytest.mark.parametrize(
    "body",
    # Without its basic_info object an answer is not the overview: an empty star read from it would be cached.
    [b"<html><body>Maintenance</body></html>", b"[]", b"", b"{}", b'{"basic_info": 5, "tois": []}'],
)
def test_overview_garbage_is_invalid_response(body: bytes) -> None:
    with pytest.raises(InvalidResponseError) as info:
        parse_overview(body, tic_id=1)
    assert info.value.endpoint == "target.php"


# -- target_from_parts -----------------------------------------------------------------------------------
def test_target_from_parts_puts_the_queried_name_first() -> None:
    target = target_from_parts(
        138969239,
        ["127.02", "127.01", None, "127.01"],
        ["HATS-71", "", "TIC 138969239", "HATS-71"],
        parse_target("hats 71"),
    )
    assert target == ExoFopTarget(
        tic_id=138969239,
        toi="127.01",
        aliases={"hats": "HATS-71"},  # ExoFOP's spelling keys the catalogue, the TIC is no alias
        tois=("127.01", "127.02"),
        names=("hats 71", "HATS-71", "TIC 138969239"),
    )
    assert target.to_dict() == {
        "tic_id": 138969239,
        "toi": "127.01",
        "aliases": {"hats": "HATS-71"},
        "tois": ["127.01", "127.02"],
        "names": ["hats 71", "HATS-71", "TIC 138969239"],
    }
    assert target.label == "TIC 138969239"


def test_target_from_parts_does_not_repeat_a_known_name_or_add_tic_queries() -> None:
    assert target_from_parts(1, [], ["HD 1"], parse_target("HD 1")).names == ("HD 1",)
    assert target_from_parts(1, [], ["HD 1"], parse_target("TIC 1")).names == ("HD 1",)
    assert target_from_parts(1, [], [], parse_target("TOI-5")).names == ()
    assert target_from_parts(1, [], [], parse_target("Kepler-633")).aliases == {"kepler": "Kepler-633"}


# -- ResolutionCache --------------------------------------------------------------------------------------
def test_resolution_cache_round_trip(tmp_path: Path) -> None:
    cache = ResolutionCache(tmp_path)
    assert cache.path == tmp_path / "resolutions.json"
    assert cache.get("toi:127") is None
    assert cache.keys() == []
    target = ExoFopTarget(tic_id=234523599, toi="127.01", aliases={"hats": "HATS-71"})
    cache.put(["toi:127", "tic:234523599"], target)
    assert cache.get("toi:127") == target
    assert cache.get("tic:234523599") == target
    assert cache.keys() == ["tic:234523599", "toi:127"]
    entry = {
        "tic_id": 234523599,
        "toi": "127.01",
        "aliases": {"hats": "HATS-71"},
        "tois": ["127.01"],
        "names": ["HATS-71"],
    }
    assert json.loads(cache.path.read_bytes()) == {"tic:234523599": entry, "toi:127": entry}


def test_resolutions_written_by_exofop_1_0_are_read(tmp_path: Path) -> None:
    """1.0 kept TOIs and names as lists under "toi" and "aliases"; a cache from then must still resolve."""
    (tmp_path / "resolutions.json").write_text(
        json.dumps({"toi:127": {"tic_id": 234523599, "toi": ["127.02", "127.01"], "aliases": ["HATS-71"]}})
    )
    target = ResolutionCache(tmp_path).get("toi:127")
    assert target == ExoFopTarget(
        tic_id=234523599, toi="127.01", aliases={"hats": "HATS-71"}, tois=("127.01", "127.02")
    )
    assert target is not None and target.names == ("HATS-71",)


def test_resolution_cache_merges_and_is_deterministic(tmp_path: Path) -> None:
    a, b = ResolutionCache(tmp_path / "a"), ResolutionCache(tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = ExoFopTarget(tic_id=1), ExoFopTarget(tic_id=2, toi="5.01")
    a.put(["name:x"], one)
    a.put(["toi:5"], two)
    b.put(["toi:5"], two)
    b.put(["name:x"], one)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.keys() == ["name:x", "toi:5"]


def test_resolution_cache_put_of_the_same_data_does_not_rewrite(tmp_path: Path) -> None:
    cache = ResolutionCache(tmp_path)
    cache.put(["tic:1"], ExoFopTarget(tic_id=1))
    os.utime(cache.path, ns=(1_000_000_000, 1_000_000_000))
    cache.put(["tic:1"], ExoFopTarget(tic_id=1))
    assert cache.path.stat().st_mtime_ns == 1_000_000_000


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b"[1, 2]", b'{"toi:1": "x"}', b'{"toi:1": {"tic_id": "5"}}']
)
def test_resolution_cache_tolerates_damage(tmp_path: Path, content: bytes) -> None:
    cache = ResolutionCache(tmp_path)
    cache.path.write_bytes(content)
    assert cache.get("toi:1") is None
    cache.put(["tic:9"], ExoFopTarget(tic_id=9))
    assert cache.get("tic:9") == ExoFopTarget(tic_id=9)


# -- endpoints -------------------------------------------------------------------------------------------
def test_relative_url_keeps_order_and_bare_flags() -> None:
    assert endpoints.relative_url("x.php", {"b": 1, "a": "2", "json": None}) == "x.php?b=1&a=2&json"
    assert endpoints.relative_url("x.php", {"json": None, "a": 1}) == "x.php?json&a=1"
    assert endpoints.relative_url("x.php") == "x.php"
    assert endpoints.relative_url("x.php", {}) == "x.php"


def test_relative_url_encodes_values() -> None:
    url = endpoints.relative_url(endpoints.GOTOTICID, endpoints.gototicid_params("HD 104654&x=1"))
    assert url == "gototicid.php?target=HD+104654%26x%3D1&json"


def test_endpoint_urls() -> None:
    url = endpoints.relative_url
    assert url(endpoints.TARGET, endpoints.target_params(365938305)) == "target.php?id=365938305&json"
    assert url(endpoints.DOWNLOAD_TOI, endpoints.toi_params(1262)) == "download_toi.php?toi=1262&output=pipe"
    assert url(endpoints.FILELIST, endpoints.filelist_params(5)) == "download_filelist.php?id=5&output=csv"
    assert url(endpoints.GET_FILE, endpoints.get_file_params(1007)) == "get_file.php?id=1007"
    assert url(endpoints.FILES_ZIP, endpoints.archive_params(5)) == "download_files_zip.php?id=5"
    assert url(
        endpoints.GOTOTICID, endpoints.gototicid_params(parse_target("TOI-1262.01").exofop_target_param)
    ) == ("gototicid.php?target=TOI1262.01&json")


def test_summary_urls_and_file_names() -> None:
    got = {
        kind: (endpoints.relative_url(spec.endpoint, spec.params(7)), spec.filename)
        for kind, spec in endpoints.SUMMARIES.items()
    }
    assert got == {
        "spect": ("download_spect.php?target=7&output=csv", "spect.csv"),
        "imaging": ("download_imaging.php?target=7&output=csv", "imaging.csv"),
        "tseries": ("download_tseries.php?target=7&output=csv", "tseries.csv"),
        "obsnotes": ("download_obsnotes.php?tid=7&output=csv", "obsnotes.csv"),
        "stellar": ("download_stellar.php?id=7&output=pipe", "stellar.pipe"),
        "planet": ("download_planet.php?id=7&output=pipe", "planet.pipe"),
        "uploads": ("download_uploads.php?target=7&output=csv", "uploads.csv"),
        "nearby": ("download_nearbytarget.php?id=7&output=csv", "nearby.csv"),
        "companions": ("download_stellarcomp.php?target=7&output=pipe", "companions.pipe"),
    }
    assert endpoints.SUMMARY_KINDS == (
        "spect",
        "imaging",
        "tseries",
        "obsnotes",
        "stellar",
        "planet",
        "uploads",
        "nearby",
        "companions",
    )
