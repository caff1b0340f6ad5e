"""`carenotes-server`: --version, the settings in `serve --help`, `extract` the way the
extraction scorer calls it, and the start-up summary without credentials."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from carenotes_server import config
from carenotes_server.cli import build_parser
from carenotes_server.cli import main as server_main
from carenotes_server.config import load_settings
from carenotes_server.settings_help import SETTINGS
from carenotes_server.startup import database_address, redis_address, summary
from carenotes_server.version import version

ROOT = Path(__file__).resolve().parents[2]
SERVER_BIN = str(Path(sys.executable).parent / "carenotes-server")
SCORER = ROOT.parent / "shared" / "eval" / "score_extraction.py"
NOTE = "Amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"carenotes-server {version()}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version())


def test_serve_help_lists_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    shown = capsys.readouterr().out
    for name, _, _ in SETTINGS:
        assert f"  {name}  (default: " in shown


def test_the_help_the_code_and_the_readme_name_the_same_settings() -> None:
    read_by_code = set(
        re.findall(r'"((?:CARENOTES_[A-Z_]+)|GEMINI_API_KEY)"', Path(config.__file__).read_text())
    )
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Settings") : readme.index("Client variables")]
    in_readme = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    in_help = {name for name, _, _ in SETTINGS}
    assert in_help == read_by_code
    assert in_readme == read_by_code


def test_addresses_never_carry_credentials() -> None:
    assert (
        database_address("postgresql+psycopg://carenotes:s3cret@db:5432/carenotes?sslmode=x")
        == "postgresql://db:5432/carenotes"
    )
    assert database_address("sqlite:////var/lib/carenotes/carenotes.db") == (
        "sqlite:////var/lib/carenotes/carenotes.db"
    )
    assert redis_address("rediss://user:s3cret@redis:6380/2") == "rediss://redis:6380/2"


def test_summary_of_an_embedded_server(tmp_path: Path) -> None:
    settings = load_settings({"CARENOTES_DATA_DIR": str(tmp_path)})
    line = summary(settings, role="serve")
    assert line == {
        "role": "serve",
        "mode": "embedded",
        "database": f"sqlite:///{tmp_path / 'carenotes.db'}",
        "broker": "in-process",
        "extractor": "rules",
        "data_dir": str(tmp_path),
        "tracing": "off",
        "listen": "127.0.0.1:50051",
        "tls": "off",
        "workers": "in-process",
        "scheduler": "in-process",
    }


def _extract(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SERVER_BIN, "extract", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _load_scorer() -> ModuleType | None:
    if not SCORER.exists():
        return None
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_extract_as_the_scorer_calls_it(tmp_path: Path) -> None:
    """score_extraction.py runs `carenotes-server extract --provider rules --json` with
    the note's path appended, and parses stdout from its first "{"."""
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    done = _extract("--provider", "rules", "--json", str(note))
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    steps = json.loads(out[out.index("{") :])
    (plan,) = steps["plan"]
    assert plan["schedule"]["times_per_day"] == 2
    assert plan["schedule"]["occurrences"] == 6
    assert plan["schedule"]["as_needed"] is False  # zero values are printed
    assert [c["text"] for c in steps["checklist"]] == ["Buy a thermometer"]
    scorer = _load_scorer()
    if scorer is not None:  # the shared scorer reads this output the same way
        checklist, scored_plan = scorer.norm_pred(steps)
        assert checklist == ["buy a thermometer"]
        assert (scored_plan[0]["tpd"], scored_plan[0]["occ"]) == (2, 6)


def test_extract_takes_its_input_by_name_or_from_stdin(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    by_option = _extract("--input", str(note))
    from_stdin = _extract("-i", "-", stdin=NOTE)
    positional = _extract(str(note))
    assert by_option.returncode == from_stdin.returncode == positional.returncode == 0
    assert json.loads(by_option.stdout) == json.loads(from_stdin.stdout)
    assert json.loads(by_option.stdout) == json.loads(positional.stdout)


def test_extract_without_input_or_with_two_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server_main(["extract"]) == 2
    assert "--input FILE" in capsys.readouterr().err
    assert server_main(["extract", "--input", "a.txt", "b.txt"]) == 2
    assert server_main(["extract", "--input", str(tmp_path / "missing.txt")]) == 1
    assert "cannot read the note" in capsys.readouterr().err
