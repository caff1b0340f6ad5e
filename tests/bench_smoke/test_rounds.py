"""Scenario 1's alternating rounds: each ratio against the echo rounds either side of it,
stated with its spread, and the goals read from them."""

from __future__ import annotations

import pytest

from bench.cli import build_parser, config_of
from bench.loadgen import LoadResult
from bench.report import find, goals
from bench.rounds import ECHO, Rounds, closed_records


def _result(rps: float, seconds: float = 2.0) -> LoadResult:
    out = LoadResult("closed", concurrency=32, elapsed_s=seconds)
    out.latencies_s = [0.01] * int(rps * seconds)
    return out


def _rounds(echo: list[float], whoami: list[float], steps: list[float]) -> Rounds:
    out = Rounds()
    for i, e in enumerate(echo):
        out.add(ECHO, _result(e), 1.0, 1.0)
        if i < len(whoami):
            out.add("WhoAmI", _result(whoami[i]), 1.0, 1.0)
            out.add("GetActionableSteps", _result(steps[i]), 1.0, 1.0)
    return out


def test_each_round_is_divided_by_the_echo_rounds_either_side_of_it() -> None:
    rounds = _rounds([1000, 3000, 1000, 3000], [1500, 1500, 1800], [400, 200, 600])
    assert rounds.ratios("WhoAmI") == [0.75, 0.75, 0.9]
    assert rounds.ratios("GetActionableSteps") == [0.2, 0.1, 0.3]


def test_records_state_the_median_ratio_with_its_spread_and_the_goals_use_it() -> None:
    rounds = _rounds([1000, 3000, 1000, 3000], [1500, 1500, 1800], [400, 200, 600])
    records = closed_records(rounds, "sqlite")
    steps = find(records, "1-rpc", "sqlite", "GetActionableSteps closed")
    assert steps is not None
    assert (steps["ratio"], steps["ratio_min"], steps["ratio_max"]) == (0.2, 0.1, 0.3)
    assert steps["ratio_rounds"] == [0.2, 0.1, 0.3]
    assert steps["rounds"] == 3
    assert steps["server_cpu_ms_per_call"] is not None
    echo = find(records, "1-rpc", "echo", "Echo closed (sqlite)")
    assert echo is not None
    assert echo["rounds"] == 4
    by_goal = {g["goal"].split(" RPS")[0]: g for g in goals(records) if "bare echo" in g["goal"]}
    assert by_goal["WhoAmI"]["measured"] == 0.75
    assert by_goal["WhoAmI"]["met"]
    assert by_goal["WhoAmI"]["met_every_round"]
    assert by_goal["GetActionableSteps"]["measured"] == 0.2
    assert not by_goal["GetActionableSteps"]["met"]
    assert by_goal["GetActionableSteps"]["ratio_spread"] == 0.2


@pytest.mark.parametrize("value", ["2", "0", "x", "-3"])
def test_fewer_than_three_rounds_are_refused(value: str) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--rounds", value])


def test_rounds_and_their_length_are_options() -> None:
    cfg = config_of(build_parser().parse_args(["--rounds", "5", "--round-seconds", "2.5"]))
    assert (cfg.rounds, cfg.round_s) == (5, 2.5)
    assert config_of(build_parser().parse_args([])).rounds == 3
