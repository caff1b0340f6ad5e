"""`python -m bench` options: a name it does not know is a usage error, never a run."""

from __future__ import annotations

import pytest

from bench.cli import build_parser, config_of


@pytest.mark.parametrize(
    ("option", "value"),
    [("--backends", "both"), ("--backends", "postgres,mysql"), ("--scenarios", "1,10")],
)
def test_unknown_names_are_refused(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown" in err
    assert "choose from" in err


def test_known_names_are_kept_in_order_without_duplicates() -> None:
    args = build_parser().parse_args(
        ["--backends", "sqlite, postgres,sqlite", "--scenarios", "5,1"]
    )
    assert args.backends == ["sqlite", "postgres"]
    assert config_of(args).scenarios == frozenset({"1", "5"})


def test_defaults_are_every_backend_and_scenario() -> None:
    args = build_parser().parse_args([])
    assert args.backends == ["postgres", "sqlite"]
    assert config_of(args).scenarios == frozenset("123456789")


def test_delivery_goals_are_judged_from_the_records() -> None:
    from bench.report import goals

    chaos = {
        "scenario": "8-faults",
        "backend": "postgres",
        "reminders": 1120,
        "streams": 40,
        "lost": 0,
        "duplicated": 1,
        "out_of_order": 0,
        "p99_ms": 2900.0,
    }
    peak = {
        "scenario": "9-peak",
        "backend": "postgres",
        "patients": 20_000,
        "lost": 0,
        "duplicated": 0,
        "p99_ms": 6100.0,
        "drain_per_s": 3000.0,
    }
    judged = [(g["goal"], g["met"]) for g in goals([chaos, peak])]
    assert [met for _, met in judged] == [False, True, True, False], judged
