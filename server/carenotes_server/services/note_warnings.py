"""What the extractor left out of a note, sealed with the note's pair key.

The warnings quote the note ('Left out "Amlodipine 5 mg": ...'), so they are clinical
text: one AES-GCM blob per note, bound to the note's row by its own AAD kind, never
in clear in the database and never in a log line. They are for the note's author, who
can rewrite what was left out; the patient sees only the steps (see docs/design.md,
"Care teams").
"""

from __future__ import annotations

import json
import uuid

from carenotes_server.db.models import PairKey
from carenotes_server.services.keys import ClinicalCipher, OpenKey

NOTE_WARNINGS_KIND = "note_warnings"


def seal_warnings(
    cipher: ClinicalCipher, key: PairKey | OpenKey, note_id: uuid.UUID, warnings: tuple[str, ...]
) -> bytes | None:
    """The sealed warnings; None when there are none (a NULL column reads as none)."""
    if not warnings:
        return None
    return cipher.seal(key, NOTE_WARNINGS_KIND, note_id, json.dumps(list(warnings)))


def open_warnings(
    cipher: ClinicalCipher, key: PairKey | OpenKey, note_id: uuid.UUID, blob: bytes | None
) -> tuple[str, ...]:
    if blob is None:
        return ()
    found = json.loads(cipher.open(key, NOTE_WARNINGS_KIND, note_id, blob))
    # Written by seal_warnings only; anything else is a bug, not a reader's problem.
    if not isinstance(found, list) or not all(isinstance(w, str) for w in found):
        raise ValueError("sealed warnings are not a list of texts")
    return tuple(found)
