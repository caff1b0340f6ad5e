"""Logs are JSON lines and never carry an exception's message (it may quote PHI)."""

from __future__ import annotations

import json
import logging

from carenotes_server.logging_setup import JsonFormatter


def test_exception_messages_stay_out_of_the_log() -> None:
    phi = " ".join(["patient", "Jane", "Doe", "takes", "warfarin"])
    try:
        raise ValueError(phi)
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "failed",
            (),
            exc_info=__import__("sys").exc_info(),
            extra={"note_id": "n1"},
        )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["exc_type"] == "ValueError"
    assert entry["note_id"] == "n1"
    assert "warfarin" not in line
    assert "Jane" not in line
