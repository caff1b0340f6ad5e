"""Live reminder streams: how a fired reminder reaches the patient's open streams.

- `hub.py`: this process's subscriptions (one bounded queue per open stream), the fan-out
  of announced reminders to them, and the signals (shutdown, revocation, resync).
- `relay.py`: Redis pub/sub between processes (workers announce, every server relays).
- `reads.py`: the stream's database reads as coroutines (cursor, replay, session check).
- `follow.py`: one stream's protocol, replay -> live -> catch-up with the session
  re-checked, as the async generator that StepsService.StreamReminders iterates.
"""
