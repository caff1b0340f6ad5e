"""`carenotes-server`: serve, migrate, worker, scheduler, extract, rotate-master-key, audit."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import sys
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format

from carenotes_server.config import (
    ConfigError,
    Settings,
    embedded_secrets,
    encode_secret,
    load_settings,
    parse_master_keys,
    save_embedded_secrets,
)
from carenotes_server.logging_setup import configure_logging


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from carenotes_server.app import serve

    settings = _settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from carenotes_server.db.migrate import upgrade_to_head

    settings = _settings()
    configure_logging(settings.log_level)
    upgrade_to_head(settings.database_url)
    print("database is at the latest schema")
    return 0


def _run_until_signal(start: str, settings: Settings, *, worker: bool, scheduler: bool) -> int:
    from carenotes_server.app import build

    configure_logging(settings.log_level)
    components = build(settings)
    components.start_background(worker=worker, scheduler=scheduler)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"{start} running; Ctrl-C to stop", file=sys.stderr)
    stop.wait()
    components.stop_background()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.redis_url:
        print(
            "the worker needs CARENOTES_REDIS_URL (embedded mode runs workers in `serve`)",
            file=sys.stderr,
        )
        return 2
    return _run_until_signal("worker", settings, worker=True, scheduler=False)


def cmd_scheduler(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.redis_url:
        print(
            "the scheduler needs CARENOTES_REDIS_URL (embedded mode schedules in `serve`)",
            file=sys.stderr,
        )
        return 2
    return _run_until_signal("scheduler", settings, worker=False, scheduler=True)


def cmd_extract(args: argparse.Namespace) -> int:
    """Offline: no server, no database. Prints ActionableSteps as protobuf JSON."""
    from carenotes_server.extraction.base import ExtractionError
    from carenotes_server.extraction.factory import make_extractor
    from carenotes_server.grpc_api import convert

    text = sys.stdin.read() if args.json == "-" else Path(args.json).read_text()
    provider = args.provider
    try:
        if provider == "rules":
            extractor = make_extractor("rules")
        else:
            s = load_settings()
            extractor = make_extractor(
                provider,
                gemini_api_key=s.gemini_api_key,
                gemini_model=s.gemini_model,
                gemini_base_url=s.gemini_base_url,
                openai_base_url=s.openai_base_url,
                openai_api_key=s.openai_api_key,
                openai_model=s.openai_model,
                timeout_seconds=s.llm_timeout_seconds,
                attempts=s.llm_attempts,
            )
        steps = extractor.extract(text)
    except (ExtractionError, ValueError, ConfigError) as exc:
        print(f"extraction failed: {exc}", file=sys.stderr)
        return 1
    print(json_format.MessageToJson(convert.extracted(steps, extractor.name)))
    return 0


def cmd_rotate_master_key(args: argparse.Namespace) -> int:
    """Re-wraps every pair data key under a new master key (notes are not re-encrypted)."""
    from carenotes_server.db.database import Database
    from carenotes_server.domain.crypto import KEY_BYTES, MasterKeyring
    from carenotes_server.services.keys import rotate_master_key

    settings = _settings()
    old = settings.keyring
    env_keys = not settings.is_sqlite or bool(args.new_key_id)
    if args.new_key_id:
        if args.new_key_id not in old.keys:
            print(
                f"master key {args.new_key_id!r} is not in CARENOTES_MASTER_KEYS; add it first",
                file=sys.stderr,
            )
            return 2
        new = MasterKeyring(old.keys, args.new_key_id)
    elif settings.production or not env_keys:
        # Embedded: generate the new key and keep it (with the old ones) in the 0600 file.
        stored = embedded_secrets(settings.data_dir)
        kid = "k" + secrets.token_hex(4)
        keys = dict(parse_master_keys(stored["CARENOTES_MASTER_KEYS"]))
        keys[kid] = secrets.token_bytes(KEY_BYTES)
        new = MasterKeyring({**old.keys, **keys}, kid)
        old = MasterKeyring({**old.keys, **keys}, old.active_id)
        stored["CARENOTES_MASTER_KEYS"] = ",".join(
            f"{k}:{encode_secret(v)}" for k, v in keys.items()
        )
        stored["CARENOTES_MASTER_KEY_ID"] = kid
    else:
        print(
            "pass --new-key-id KID naming a key already in CARENOTES_MASTER_KEYS", file=sys.stderr
        )
        return 2
    db = Database(settings.database_url, threads=2)
    try:
        with db.write() as session:
            count = rotate_master_key(session, old, new)
    finally:
        db.dispose()
    if not args.new_key_id:
        save_embedded_secrets(settings.data_dir, stored)
    print(f"re-wrapped {count} data keys under master key {new.active_id}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from carenotes_server.db.database import Database
    from carenotes_server.services.audit import list_events

    settings = _settings()
    patient = uuid.UUID(args.patient) if args.patient else None
    db = Database(settings.database_url, threads=2)
    try:
        with db.read() as session:
            events = list_events(session, patient_id=patient, limit=args.limit)
            rows = [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "actor_id": str(e.actor_id) if e.actor_id else None,
                    "actor_role": e.actor_role,
                    "action": e.action,
                    "resource_type": e.resource_type,
                    "resource_id": e.resource_id,
                    "patient_id": str(e.patient_id) if e.patient_id else None,
                    "outcome": e.outcome,
                    "reason": e.reason,
                }
                for e in events
            ]
    finally:
        db.dispose()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['id']:>6} {r['at']} {r['outcome']:<7} {r['action']:<20} "
            f"{r['resource_type']}:{r['resource_id'] or '-'} by {r['actor_role'] or 'system'}:"
            f"{r['actor_id'] or '-'} patient={r['patient_id'] or '-'}"
            + (f" ({r['reason']})" if r["reason"] else "")
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carenotes-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the gRPC server").set_defaults(fn=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=cmd_migrate)
    sub.add_parser("worker", help="run Dramatiq workers (needs Redis)").set_defaults(fn=cmd_worker)
    sub.add_parser("scheduler", help="run the reminder scheduler (needs Redis)").set_defaults(
        fn=cmd_scheduler
    )
    ex = sub.add_parser("extract", help="run an extractor offline on a note file")
    ex.add_argument("--provider", choices=["rules", "gemini", "openai"], default="rules")
    ex.add_argument("--json", required=True, metavar="FILE", help="note text file, or - for stdin")
    ex.set_defaults(fn=cmd_extract)
    rot = sub.add_parser("rotate-master-key", help="re-wrap data keys under a new master key")
    rot.add_argument("--new-key-id", help="a key id already present in CARENOTES_MASTER_KEYS")
    rot.set_defaults(fn=cmd_rotate_master_key)
    au = sub.add_parser("audit", help="print the audit trail")
    au.add_argument("--patient", help="only events about this patient id")
    au.add_argument("--limit", type=int, default=1000)
    au.add_argument("--json", action="store_true")
    au.set_defaults(fn=cmd_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.fn(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
