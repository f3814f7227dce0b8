"""Every error has a JSON ``kind`` and an exit code from the one table in ``cli/_errors.py``."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli import errors
from exofop_cli.cli import app
from exofop_cli.cli._errors import error_kind, exit_code_for, exit_code_for_kind
from exofop_cli.testing import DEMO_TIC, FakeExoFop

ERROR_CLASSES = [
    cls
    for _name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.ExoFopError) and cls is not errors.ExoFopError
]


def _instance(cls: type[errors.ExoFopError]) -> errors.ExoFopError:
    return cls("x") if cls is not errors.TargetNotFoundError else cls("TOI-0")


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_has_a_kind_that_maps_back_to_its_exit_code(cls: type[errors.ExoFopError]) -> None:
    exc = _instance(cls)
    kind = error_kind(exc)
    assert kind not in (None, "", "error", "unexpected")
    assert exit_code_for_kind(kind) == exit_code_for(exc)


def test_kinds_of_the_common_errors() -> None:
    assert error_kind(errors.TargetNotFoundError("TOI-0")) == "not_found"
    assert error_kind(errors.NotFoundError("x")) == "not_found"
    assert error_kind(errors.SessionExpiredError("x")) == "auth_required"
    assert error_kind(errors.RateLimitedError("x")) == "server"
    assert error_kind(errors.InvalidInputError("x")) == "invalid_input"
    assert error_kind(errors.OfflineError("x")) == "offline"
    assert error_kind(RuntimeError("x")) == "unexpected"
    assert error_kind(KeyboardInterrupt()) == "interrupted"


def test_fetch_json_reports_a_missing_target_as_not_found(fake: FakeExoFop, cache_dir: Path) -> None:
    base = ["--cache-dir", str(cache_dir), "--base-url", fake.base_url]
    targets = ["Kepler-99999", str(DEMO_TIC)]
    result = CliRunner().invoke(app, [*base, "fetch", *targets, "--tag", "30002", "--json"], env={})
    assert result.exit_code == 3  # one target failed, one worked
    missing, found = json.loads(result.stdout)
    assert missing["target"] == "Kepler-99999" and missing["exit_code"] == 4
    assert missing["error"]["kind"] == "not_found"
    assert "Kepler-99999" in missing["error"]["message"] and "resolve" in missing["error"]["hint"]
    assert found["tic_id"] == DEMO_TIC


def test_outcome_codes_of_a_conversion() -> None:
    from exofop_cli.cli._errors import outcome_code

    # contrast/lightcurves: a file that could not be converted is a partial result, even when none converted
    assert outcome_code([], obtained=False) == 0
    assert outcome_code(["conversion"], obtained=True) == 3
    assert outcome_code(["conversion", "conversion"], obtained=False) == 3
    # A kind the table lacks stays an unexpected failure when it is all there was.
    assert outcome_code(["no such kind"], obtained=False) == 1
