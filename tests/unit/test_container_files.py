"""Dockerfile and docker-compose.yml are not run here (no Docker): these checks read
them for what a build must keep: exact base images, the hash-locked installs, and a
default command reachable from outside the container."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXACT = re.compile(r"^[\w./-]+:\d+\.\d+(\.\d+)?(-[\w.-]+)?(@sha256:[0-9a-f]{64})?$")


def test_base_images_are_pinned_to_exact_tags() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, flags=re.MULTILINE)
    assert EXACT.match(base), base
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert stages
    assert all(s == "${PYTHON_IMAGE}" for s in stages), stages
    compose = (ROOT / "docker-compose.yml").read_text()
    images = re.findall(r"^\s+image: (\S+)$", compose, flags=re.MULTILINE)
    external = [i for i in images if not i.startswith("carenotes:")]
    assert external
    assert all(EXACT.match(i) for i in external), external


def test_the_image_installs_from_the_hash_locked_files_only() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip (?:install|wheel) ([^\n&]+)", dockerfile)
    assert installs
    for args in installs:
        # Either a locked requirements file with hashes, or our own wheel without deps.
        assert "--no-deps" in args, args
        if "-r " in args:
            assert "--require-hashes" in args, args
    assert "requirements/runtime.txt" in dockerfile
    assert "requirements/build.txt" in dockerfile


def test_the_default_command_listens_on_every_interface() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"CARENOTES_LISTEN=0\.0\.0\.0:50051", dockerfile)
    assert dockerfile.rstrip().endswith('CMD ["carenotes-server", "serve"]')
