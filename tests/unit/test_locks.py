"""The lock files: every pin hashed, the runtime pins the same in the dev lock, and
every dependency pyproject.toml declares pinned to a version it accepts (a dependency
added or tightened without `make lock` fails here)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"


def pins(name: str) -> dict[str, str]:
    text = (LOCKS / name).read_text()
    found: dict[str, str] = {}
    # One entry: "name==version \" then its "--hash=sha256:..." lines.
    for entry in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = entry.strip().splitlines()[0] if entry.strip() else ""
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\;]+)", first)
        if not match:
            continue
        assert "--hash=sha256:" in entry, f"{name}: {match.group(1)} has no hash"
        found[canonicalize_name(match.group(1))] = match.group(2)
    assert found, f"{name} pins nothing"
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        requirements += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return requirements


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("runtime.txt", ("tracing",)), ("dev.txt", ("tracing", "openai", "dev"))],
)
def test_every_declared_dependency_is_pinned_to_an_accepted_version(
    lock: str, extras: tuple[str, ...]
) -> None:
    pinned = pins(lock)
    for requirement in declared(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in requirements/{lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pinned[name]}, outside {requirement}: make lock"
        )


def test_runtime_pins_are_the_dev_pins() -> None:
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    differ = {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v}
    assert not differ, f"runtime and dev locks disagree: {differ}"


def test_the_build_backend_is_locked_and_agrees_with_the_others() -> None:
    build, dev = pins("build.txt"), pins("dev.txt")
    assert "hatchling" in build
    differ = {n: (v, dev[n]) for n, v in build.items() if n in dev and dev[n] != v}
    assert not differ, f"build and dev locks disagree: {differ}"
