"""What a reminder stream reads from the database, as coroutines: the cursor, the replay
of reminders sent after it, and whether the stream's session still stands.

The queries themselves stay synchronous (`services/reminders/replay.py`,
`AccountsService.live_session_users`): the workers and the tests call them too. This is
where the stream crosses onto the database pool, so that neither the follow protocol
nor the servicer holds a `Database`.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from carenotes_server.db.database import Database
from carenotes_server.services.caller import Caller
from carenotes_server.services.reminders.replay import ReminderReplay
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.streaming.batching import Gathered


class SessionChecks(Protocol):
    def cached_session_is_live(self, caller: Caller) -> bool | None: ...

    def live_session_users(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]: ...


class StreamReads:
    def __init__(
        self, db: Database, replay: ReminderReplay, sessions: SessionChecks | None = None
    ) -> None:
        self._db = db
        self._replay = replay
        self._sessions = sessions
        # One database read for every session asked about within a few milliseconds,
        # however many streams are waiting (and one per session at a time).
        self._users: Gathered[uuid.UUID, uuid.UUID | None] = Gathered(self._users_of, None)

    async def cursor_seq(self, patient_id: uuid.UUID, after_id: str) -> int:
        """The delivery number of the patient's reminder after_id (0 when empty);
        InvalidArgument for a malformed id, NotFound for an unknown or foreign one."""
        return await self._db.run(self._replay.cursor_seq, patient_id, after_id)

    async def sent_after(
        self, patient_id: uuid.UUID, after_seq: int, upto_seq: int | None = None
    ) -> list[ReminderView]:
        """The patient's SENT reminders numbered after_seq < n <= upto_seq, in order."""
        return await self._db.run(self._replay.sent_after, patient_id, after_seq, upto_seq)

    async def session_is_live(self, caller: Caller) -> bool:
        """From the session cache when it knows; else one read shared by every waiter."""
        if self._sessions is None:
            return True
        cached = self._sessions.cached_session_is_live(caller)
        if cached is not None:
            return cached
        return await self._users.get(caller.session_id) == caller.user_id

    async def _users_of(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
        assert self._sessions is not None
        found = await self._db.run(self._sessions.live_session_users, session_ids)
        return dict(found)
