"""The spec's contract as runnable checks: its API, its manifest schema, its CLI lines and its user stories.

The draft spec "ExoFOP Fetch + Cache" is what report and MCP tools are written against. This module runs its
examples verbatim against the bundled fake ExoFOP, so a downstream project can check in its own CI that the
exofop it installs still honours it::

    from exofop_cli.testing.contract import run_contract

    report = run_contract(workdir=tmp_path)
    assert report.ok, report

``api`` (a module exporting the spec's names, default ``exofop_cli``), ``make_client`` (how to build a client
for a cache folder, a cookie jar and the fake's base URL) and ``cli`` (the command that runs ``fetch``, default
``python -m exofop_cli``, or None to skip the CLI checks) let the same checks run against another
implementation of the spec. Each check is independent: it makes its own cache folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

from .scenarios import DEMO_TIC, DEMO_TOI, demo_targets
from .server import FakeExoFop

SPEC_FIELDS: dict[str, tuple[str, ...]] = {
    "ExoFopTarget": ("tic_id", "toi", "aliases"),
    "ExoFopFileRow": ("file_id", "tic_id", "toi", "filename", "type", "date_utc", "tag", "description"),
    "ExoFopFetchResult": (
        "target",
        "cache_root",
        "manifest_path",
        "files_downloaded",
        "files_skipped",
        "warnings",
    ),
    "ExoFopSelectors": ("types", "filename_regex", "tag_ids", "max_files"),
}
# The spec's CLI example (§10): the regex is one argument (a shell needs it quoted).
SPEC_REGEX = r"sensitivity\.(dat|pdf)$"
MANIFEST_KEYS = ("schema_version", "generated_at", "target", "auth", "sources", "filelist", "summaries")
FILE_KEYS = ("file_id", "filename", "type", "path", "sha256", "bytes")
TRICERATOPS_FILTERS = ("TESS", "Vis", "J", "H", "K")

ClientFactory = Callable[[Path, "Path | None", str], Any]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class ContractReport:
    """Every check's outcome; ``ok`` when all passed."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        """The checks that failed."""
        return [r for r in self.results if not r.ok]

    def __str__(self) -> str:
        lines = [
            f"{'PASS' if r.ok else 'FAIL'} {r.name}" + (f": {r.detail}" if r.detail else "")
            for r in self.results
        ]
        return "\n".join(lines)


class Contract:
    """What a check needs: the API module, a client factory, the fake server, a scratch folder, the CLI."""

    def __init__(
        self,
        *,
        api: ModuleType,
        server: FakeExoFop,
        workdir: Path,
        make_client: ClientFactory | None = None,
        cli: Sequence[str] | None = None,
    ) -> None:
        self.api = api
        self.server = server
        self.workdir = workdir
        self.cli = list(cli) if cli is not None else None
        self._make_client = make_client or _default_client(api)
        self._folders = 0

    def folder(self, name: str) -> Path:
        """A fresh cache folder for one check."""
        self._folders += 1
        path = self.workdir / f"{self._folders:02d}-{name}"
        path.mkdir(parents=True)
        return path

    def client(self, cache_dir: Path, cookie_jar: Path | None = None) -> Any:
        """A client of the API under test, pointed at the fake server."""
        return self._make_client(cache_dir, cookie_jar, self.server.base_url)

    def jar(self, folder: Path) -> Path:
        """A curl-style cookie jar holding a live session of the fake (the spec's ``mycookie.txt``)."""
        sid = self.server.new_session()
        path = folder / "mycookie.txt"
        path.write_text(f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{sid}\n")
        path.chmod(0o600)
        return path


def _default_client(api: ModuleType) -> ClientFactory:
    def make(cache_dir: Path, cookie_jar: Path | None, base_url: str) -> Any:
        # The spec's constructor verbatim; exofop reads the server from EXOFOP_BASE_URL (set by run_contract).
        del base_url
        return api.ExoFopClient(
            cache_dir=cache_dir,
            cookie_jar_path=cookie_jar,
            user_agent="exofop contract check",
            timeout_seconds=30.0,
        )

    return make


# -- §5 types ---------------------------------------------------------------------------------------------
def check_types_are_frozen_dataclasses_with_the_specs_fields(c: Contract) -> None:
    """§5: each type is a frozen dataclass whose first fields are the spec's, in the spec's order."""
    for name, spec_fields in SPEC_FIELDS.items():
        cls = getattr(c.api, name)
        assert dataclasses.is_dataclass(cls), f"{name} is not a dataclass"
        assert getattr(cls, "__dataclass_params__").frozen, f"{name} is not frozen"  # noqa: B009
        names = tuple(f.name for f in dataclasses.fields(cls))
        assert names[: len(spec_fields)] == spec_fields, f"{name} fields {names} do not start {spec_fields}"


def check_types_take_the_specs_values(c: Contract) -> None:
    """§5: positional rows, None defaults, sets of types, asdict/replace on every type."""
    api = c.api
    row = api.ExoFopFileRow(1, 2, "1262.01", "a.fits", "Spectrum", "2020-01-01", 7, "desc")
    assert (row.filename, row.type, row.toi, row.tag) == ("a.fits", "Spectrum", "1262.01", 7), row
    sel = api.ExoFopSelectors(types={"Spectrum"}, filename_regex=SPEC_REGEX, tag_ids=None, max_files=None)
    assert sel.types == {"Spectrum"}, sel.types
    assert api.ExoFopSelectors(types=None, tag_ids=None).types is None
    target = api.ExoFopTarget(1, "1262.01", {"hd": "HD 104654"})
    assert (target.toi, target.aliases) == ("1262.01", {"hd": "HD 104654"}), target
    for value in (row, sel, target):
        assert isinstance(dataclasses.asdict(value), dict)
        assert dataclasses.replace(value) == value
    assert dataclasses.replace(sel, max_files=2).max_files == 2


def check_errors_are_builtin_exceptions(c: Contract) -> None:
    """Code that catches ``ValueError`` for a bad or unknown target keeps working."""
    client = c.client(c.folder("errors"))
    for bad in ("TOI-", "TOI-99999.99"):
        try:
            client.resolve_target(bad)
        except ValueError:
            continue
        raise AssertionError(f"resolve_target({bad!r}) did not raise a ValueError")


# -- §5 client ----------------------------------------------------------------------------------------------
def check_resolve_target_takes_str_and_int(c: Contract) -> None:
    """§5: ``resolve_target`` of a TOI, a TIC as text and a TIC as int give the same star."""
    client = c.client(c.folder("resolve"))
    by_toi = client.resolve_target("TOI-1262")
    by_int = client.resolve_target(DEMO_TIC)
    by_text = client.resolve_target(str(DEMO_TIC))
    assert by_toi.tic_id == by_int.tic_id == by_text.tic_id == DEMO_TIC
    assert isinstance(by_toi.toi, str | None) and isinstance(by_toi.aliases, dict), by_toi
    assert by_toi.toi == DEMO_TOI, by_toi.toi


def check_file_list_rows(c: Contract) -> None:
    """§5: ``file_list(tic_id=)`` gives ``ExoFopFileRow``s of the star."""
    rows = c.client(c.folder("filelist")).file_list(tic_id=DEMO_TIC)
    assert rows and all(isinstance(r, c.api.ExoFopFileRow) for r in rows)
    assert {r.tic_id for r in rows} == {DEMO_TIC}
    assert all(isinstance(r.file_id, int) and r.filename for r in rows)


def check_download_all_files_zip(c: Contract) -> None:
    """§5: ``download_all_files_zip(tic_id=, force=)`` returns the path of the star's zip."""
    client = c.client(c.folder("zip"))
    path = client.download_all_files_zip(tic_id=DEMO_TIC, force=False)
    assert Path(path).is_file() and Path(path).read_bytes()[:2] == b"PK", path


def check_fetch_result(c: Contract) -> None:
    """§5: ``fetch(target=int, selectors=…)`` → lists of paths and names, warnings a list."""
    client = c.client(c.folder("fetch"))
    selectors = c.api.ExoFopSelectors(types={"Image", "Spectrum"}, filename_regex=SPEC_REGEX)
    result = client.fetch(target=DEMO_TIC, selectors=selectors, include_summaries=True, force_refresh=False)
    assert isinstance(result, c.api.ExoFopFetchResult)
    assert result.files_downloaded and all(
        isinstance(p, Path) and p.is_file() for p in result.files_downloaded
    )
    assert all(p.name.endswith(("sensitivity.dat", "sensitivity.pdf")) for p in result.files_downloaded)
    assert isinstance(result.files_skipped, list) and isinstance(result.warnings, list)
    result.warnings.append("callers may add their own")  # the spec types warnings as list[str]
    again = client.fetch(target=DEMO_TIC, selectors=selectors)
    assert again.files_downloaded == [] and len(again.files_skipped) == len(result.files_downloaded)


# -- §6 manifest --------------------------------------------------------------------------------------------
def check_manifest_schema(c: Contract) -> None:
    """§6: every key of the spec's example, with its type; paths relative to the manifest's folder."""
    result = c.client(c.folder("manifest")).fetch(target=f"TOI-{DEMO_TOI.split('.')[0]}")
    manifest = json.loads(Path(result.manifest_path).read_text())
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    assert not missing, f"manifest lacks {missing}"
    assert manifest["schema_version"] == 1
    target = manifest["target"]
    assert isinstance(target["tic_id"], int) and isinstance(target["toi"], str | None), target
    assert isinstance(target["aliases"], dict), target
    assert isinstance(manifest["auth"]["cookie_jar_used"], bool)
    sources = manifest["sources"]
    assert isinstance(sources["base_url"], str)
    assert isinstance(sources["endpoints"], list) and all(isinstance(e, str) for e in sources["endpoints"])
    assert "download_filelist.php" in sources["endpoints"], sources["endpoints"]
    assert set(manifest["filelist"]) >= {"path", "n_rows"}
    assert all(isinstance(v, str) for v in manifest["summaries"].values())
    root = Path(result.manifest_path).parent
    assert manifest["files"], "no files in the manifest"
    for entry in manifest["files"]:
        assert all(k in entry for k in FILE_KEYS), entry
        assert not Path(entry["path"]).is_absolute() and (root / entry["path"]).is_file(), entry["path"]
    assert isinstance(manifest["warnings"], list) and isinstance(manifest["errors"], list)


# -- §3 user stories ----------------------------------------------------------------------------------------
def check_story_1_all_files_and_a_manifest(c: Contract) -> None:
    """Story 1: given tic_id=365938305, download all ExoFOP files and produce a manifest."""
    result = c.client(c.folder("story1")).fetch(target=DEMO_TIC)
    public = [f for f in c.server.targets[DEMO_TIC].files if not f.proprietary]
    assert len(result.files_downloaded) == len(public), result.files_downloaded
    manifest = json.loads(Path(result.manifest_path).read_text())
    assert len(manifest["files"]) == len(public)
    # The proprietary file is an error of kind auth_required, not a silent gap (§8: clearly distinguish).
    assert [e["kind"] for e in manifest["errors"]] == ["auth_required"], manifest["errors"]


def check_story_2_speckle_curves_and_tres_spectra(c: Contract) -> None:
    """Story 2: given TOI-1262, only the Gemini speckle contrast curves and the TRES spectra."""
    selectors = c.api.ExoFopSelectors(
        types={"Image", "Spectrum"}, filename_regex=r"(-\d+_sensitivity\.dat$|TRES)"
    )
    result = c.client(c.folder("story2")).fetch(target="TOI-1262", selectors=selectors)
    names = sorted(p.name for p in result.files_downloaded)
    assert names and all("sensitivity.dat" in n or "TRES" in n for n in names), names
    manifest = json.loads(Path(result.manifest_path).read_text())
    assert sorted(f["filename"] for f in manifest["files"]) == sorted(n.split("_", 1)[1] for n in names)


def check_story_3_cookie_jar_unlocks_proprietary_files(c: Contract) -> None:
    """Story 3: given a TFOPWG member cookie jar, download proprietary files and cache them."""
    folder = c.folder("story3")
    secret = next(f for f in c.server.targets[DEMO_TIC].files if f.proprietary)
    selectors = c.api.ExoFopSelectors(filename_regex=secret.filename.replace(".", r"\."))
    result = c.client(folder, c.jar(folder)).fetch(target=DEMO_TIC, selectors=selectors)
    assert [p.read_bytes() for p in result.files_downloaded] == [secret.body()]
    manifest = json.loads(Path(result.manifest_path).read_text())
    assert manifest["auth"]["cookie_jar_used"] is True and manifest["errors"] == []


def check_story_4_zero_network_calls_when_cached(c: Contract) -> None:
    """Story 4: given an existing cache, run again and make zero network calls unless refresh is asked."""
    folder = c.folder("story4")
    c.client(folder).fetch(target="TOI-1262")
    c.server.reset_log()
    c.client(folder).fetch(target="TOI-1262")
    assert c.server.requests == [], [r.endpoint for r in c.server.requests]
    c.client(folder).fetch(target="TOI-1262", force_refresh=True)
    assert c.server.requests, "force_refresh=True made no request"


def check_story_5_contrast_curves_for_triceratops(c: Contract) -> None:
    """Story 5: cached contrast curves → a normalised contrast-curve object TRICERATOPS(+) can use."""
    result = c.client(c.folder("story5")).fetch(
        target="TOI-1262", selectors=c.api.ExoFopSelectors(types={"Image"})
    )
    paths = c.api.find_contrast_curves(Path(result.manifest_path))
    assert paths and all(isinstance(p, Path) for p in paths), paths
    for path in paths:
        curve = c.api.load_exofop_contrast_curve_dat(path)
        seps, dmags = list(curve.separation_arcsec), list(curve.delta_mag)
        assert len(seps) == len(dmags) >= 2
        assert all(b > a for a, b in pairwise(seps)), "separations not increasing"
        assert all(b >= a for a, b in pairwise(dmags)), "delta-mag not monotonic"
        assert curve.triceratops_filter in TRICERATOPS_FILTERS, curve.triceratops_filter


# -- §10 CLI ------------------------------------------------------------------------------------------------
def check_cli_lines(c: Contract) -> None:
    """§10: the spec's three CLI lines; stdout names the cache and the manifest; total failure is non-zero."""
    if c.cli is None:
        return
    folder = c.folder("cli")
    env = {**os.environ, "EXOFOP_BASE_URL": c.server.base_url, "EXOFOP_CACHE_DIR": str(folder)}
    base = [*c.cli, "fetch", "--tic", str(DEMO_TIC)]
    lines = [
        [*base, "--types", "Image", "Spectrum", "--regex", SPEC_REGEX],
        [*base, "--cookie-jar", str(c.jar(folder))],
        [*base, "--force-refresh"],
    ]
    for args in lines:
        run = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode in (0, 3), f"{args[len(c.cli) :]} exited {run.returncode}: {run.stderr}"
        cache_path, manifest_path = run.stdout.strip().split("\t")
        assert Path(manifest_path).is_file() and Path(manifest_path).parent == Path(cache_path), run.stdout
    unknown = subprocess.run(
        [*c.cli, "fetch", "--tic", "999999999"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unknown.returncode != 0, "a fetch that obtained nothing exited 0"


CHECKS: dict[str, Callable[[Contract], None]] = {
    f.__name__.removeprefix("check_"): f
    for f in (
        check_types_are_frozen_dataclasses_with_the_specs_fields,
        check_types_take_the_specs_values,
        check_errors_are_builtin_exceptions,
        check_resolve_target_takes_str_and_int,
        check_file_list_rows,
        check_download_all_files_zip,
        check_fetch_result,
        check_manifest_schema,
        check_story_1_all_files_and_a_manifest,
        check_story_2_speckle_curves_and_tres_spectra,
        check_story_3_cookie_jar_unlocks_proprietary_files,
        check_story_4_zero_network_calls_when_cached,
        check_story_5_contrast_curves_for_triceratops,
        check_cli_lines,
    )
}


def run_contract(
    *,
    workdir: str | os.PathLike[str],
    api: ModuleType | None = None,
    make_client: ClientFactory | None = None,
    cli: Sequence[str] | None = (sys.executable, "-m", "exofop_cli"),
    checks: Sequence[str] | None = None,
) -> ContractReport:
    """Run the spec's checks (all, or those named) against a fresh fake ExoFOP; never raises for a failure."""
    if api is None:
        import exofop_cli

        api = exofop_cli
    names = list(checks) if checks is not None else list(CHECKS)
    report = ContractReport()
    with FakeExoFop(demo_targets()) as server:
        contract = Contract(api=api, server=server, workdir=Path(workdir), make_client=make_client, cli=cli)
        saved = os.environ.get("EXOFOP_BASE_URL")
        os.environ["EXOFOP_BASE_URL"] = server.base_url
        try:
            for name in names:
                server.reset_log()
                try:
                    CHECKS[name](contract)
                except Exception as exc:  # a check's failure is a result, whatever it raised
                    report.results.append(CheckResult(name, False, f"{type(exc).__name__}: {exc}"))
                else:
                    report.results.append(CheckResult(name, True))
        finally:
            if saved is None:
                os.environ.pop("EXOFOP_BASE_URL", None)
            else:
                os.environ["EXOFOP_BASE_URL"] = saved
    return report
