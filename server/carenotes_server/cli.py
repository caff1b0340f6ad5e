"""`carenotes-server`: serve, migrate, worker, scheduler, extract, rotate-master-key,
invite-doctor, audit."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
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
from carenotes_server.logging_setup import configure_logging, configure_logging_from_env
from carenotes_server.settings_help import epilog
from carenotes_server.version import version

log = logging.getLogger("carenotes_server.cli")

EXIT_REFUSED, EXIT_CONFIG = 1, 2


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _service_settings() -> Settings:
    """Settings of the long-running processes, whose every line is a JSON log line,
    refusals included (log collectors parse them like any other)."""
    configure_logging_from_env()
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.critical(f"configuration error: {exc}")
        raise SystemExit(EXIT_CONFIG) from None
    configure_logging(settings.log_level)
    return settings


def _refused(exc: Exception) -> int:
    log.critical(f"refusing to start: {exc}")
    return EXIT_REFUSED


def cmd_serve(args: argparse.Namespace) -> int:
    from carenotes_server.app import serve
    from carenotes_server.db.migrate import SchemaError
    from carenotes_server.startup import StartupError

    settings = _service_settings()
    try:
        asyncio.run(serve(settings))
    except (SchemaError, StartupError) as exc:
        return _refused(exc)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from carenotes_server.db.migrate import SchemaError, upgrade_to_head
    from carenotes_server.startup import database_address

    settings = _service_settings()
    try:
        report = upgrade_to_head(settings.database_url)
    except SchemaError as exc:
        return _refused(exc)
    log.info(
        report.summary(),
        extra={
            "database": database_address(settings.database_url),
            "from_revision": report.before.described,
            "to_revision": report.after.described,
            "applied": report.applied,
        },
    )
    return 0


def _run_until_signal(role: str, settings: Settings, *, worker: bool, scheduler: bool) -> int:
    from carenotes_server.components import build
    from carenotes_server.db.migrate import SchemaError
    from carenotes_server.startup import summary

    try:
        components = build(settings, role=role)
    except SchemaError as exc:
        return _refused(exc)
    components.start_background(worker=worker, scheduler=scheduler)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info(f"{role} running; Ctrl-C to stop", extra=summary(settings, role=role))
    stop.wait()
    log.info(f"{role} stopping")
    components.stop_background()
    return 0


def _needs_redis(settings: Settings, role: str, embedded_home: str) -> bool:
    if settings.redis_url:
        return True
    log.critical(f"the {role} needs CARENOTES_REDIS_URL (embedded mode {embedded_home} in `serve`)")
    return False


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _service_settings()
    if not _needs_redis(settings, "worker", "runs workers"):
        return EXIT_CONFIG
    return _run_until_signal("worker", settings, worker=True, scheduler=False)


def cmd_scheduler(args: argparse.Namespace) -> int:
    settings = _service_settings()
    if not _needs_redis(settings, "scheduler", "schedules"):
        return EXIT_CONFIG
    return _run_until_signal("scheduler", settings, worker=False, scheduler=True)


def cmd_extract(args: argparse.Namespace) -> int:
    """Offline: no server, no database. Prints ActionableSteps as protobuf JSON."""
    from carenotes_server.extraction.base import ExtractionError
    from carenotes_server.extraction.factory import make_extractor
    from carenotes_server.grpc_api import convert

    source = args.input or args.file
    if source is None or (args.input and args.file):
        print("give the note file once: --input FILE, or FILE (- for stdin)", file=sys.stderr)
        return EXIT_CONFIG
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read the note: {exc.strerror} ({source})", file=sys.stderr)
        return 1
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
    # The same JSON as grpcurl and `carenotes --json`: proto field names, zeros included.
    print(
        json_format.MessageToJson(
            convert.extracted(steps, extractor.name),
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        )
    )
    return 0


def cmd_rotate_master_key(args: argparse.Namespace) -> int:
    """Re-wraps every pair data key under a new master key (notes are not re-encrypted).

    Keys given in the environment (production): the new key must already be in
    CARENOTES_MASTER_KEYS and is named with --new-key-id; nothing is generated, because
    a key written anywhere else would be unknown to the running servers. Embedded mode
    (keys kept in the data directory's 0600 secrets file): a new key is generated and
    stored there unless --new-key-id names one already in the file.
    """
    from carenotes_server.db.database import Database
    from carenotes_server.domain.crypto import KEY_BYTES, MasterKeyring
    from carenotes_server.services.keys import rotate_master_key

    settings = _settings()
    keys_from_env = bool(os.environ.get("CARENOTES_MASTER_KEYS"))
    stored: dict[str, str] | None = None
    if keys_from_env or settings.production:
        if not args.new_key_id:
            print(
                "pass --new-key-id KID naming a key already in CARENOTES_MASTER_KEYS "
                "(keys from the environment are never generated by this command)",
                file=sys.stderr,
            )
            return 2
        if args.new_key_id not in settings.keyring.keys:
            print(
                f"master key {args.new_key_id!r} is not in CARENOTES_MASTER_KEYS; add it first",
                file=sys.stderr,
            )
            return 2
        old = settings.keyring
        new = MasterKeyring(old.keys, args.new_key_id)
    else:
        stored = embedded_secrets(settings.data_dir)
        keys = dict(parse_master_keys(stored["CARENOTES_MASTER_KEYS"]))
        kid = args.new_key_id or "k" + secrets.token_hex(4)
        if args.new_key_id and kid not in keys:
            print(f"master key {kid!r} is not in the embedded secrets file", file=sys.stderr)
            return 2
        keys.setdefault(kid, secrets.token_bytes(KEY_BYTES))
        old = MasterKeyring(keys, settings.keyring.active_id)
        new = MasterKeyring(keys, kid)
        stored["CARENOTES_MASTER_KEYS"] = ",".join(
            f"{k}:{encode_secret(v)}" for k, v in keys.items()
        )
        stored["CARENOTES_MASTER_KEY_ID"] = kid
    db = Database(settings.database_url, threads=2)
    try:
        with db.write() as session:
            count = rotate_master_key(session, old, new)
    finally:
        db.dispose()
    if stored is not None:
        # Only after the re-wrap committed: the file always matches what the rows need.
        save_embedded_secrets(settings.data_dir, stored)
    print(f"re-wrapped {count} data keys under master key {new.active_id}")
    if keys_from_env or settings.production:
        print(f"now set CARENOTES_MASTER_KEY_ID={new.active_id} on every process", file=sys.stderr)
    return 0


def cmd_invite_doctor(args: argparse.Namespace) -> int:
    """Issues a one-time invitation code; the code is the last line of stdout."""
    from datetime import timedelta

    from carenotes_server.clock import SystemClock
    from carenotes_server.db.database import Database
    from carenotes_server.db.migrate import upgrade_to_head
    from carenotes_server.domain.errors import InvalidArgument
    from carenotes_server.services.invitations import Invitations

    settings = _settings()
    if settings.is_sqlite:
        upgrade_to_head(settings.database_url)  # the embedded default may not have run yet
    db = Database(settings.database_url, threads=2)
    try:
        issued = Invitations(db, SystemClock()).issue(
            email=args.email,
            name=args.name,
            registration=args.registration,
            valid_for=timedelta(days=args.valid_days),
        )
    except InvalidArgument as exc:
        for v in exc.violations:
            print(f"error: {v.field}: {v.description}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    who = issued.name or issued.email
    if issued.registration:
        who += f" ({issued.registration})"
    print(
        f"Invitation for {who} <{issued.email}>, "
        f"valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC."
    )
    print("Give this code to the doctor; they sign up with --invitation-code. It works once.")
    print(issued.code)
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def service(name: str, help_text: str) -> argparse.ArgumentParser:
        # The long-running processes are configured by environment variables alone:
        # their help lists every one.
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    service("serve", "run the gRPC server").set_defaults(fn=cmd_serve)
    service("migrate", "apply database migrations").set_defaults(fn=cmd_migrate)
    service("worker", "run Dramatiq workers (needs Redis)").set_defaults(fn=cmd_worker)
    service("scheduler", "run the reminder scheduler (needs Redis)").set_defaults(fn=cmd_scheduler)
    ex = sub.add_parser(
        "extract",
        help="run an extractor offline on a note file",
        description="Runs an extractor on one note (no server, no database) and prints "
        "ActionableSteps as protobuf JSON (proto field names).",
    )
    ex.add_argument("--provider", choices=["rules", "gemini", "openai"], default="rules")
    ex.add_argument("--input", "-i", metavar="FILE", help="the note text file, or - for stdin")
    ex.add_argument("file", nargs="?", metavar="FILE", help="same as --input FILE")
    # Output is always protobuf JSON; --json stays accepted for scripts that said so.
    ex.add_argument("--json", action="store_true", help="print protobuf JSON (the default)")
    ex.set_defaults(fn=cmd_extract)
    rot = sub.add_parser("rotate-master-key", help="re-wrap data keys under a new master key")
    rot.add_argument("--new-key-id", help="a key id already present in CARENOTES_MASTER_KEYS")
    rot.set_defaults(fn=cmd_rotate_master_key)
    inv = sub.add_parser(
        "invite-doctor", help="issue a one-time doctor invitation code (printed last)"
    )
    inv.add_argument("--email", required=True, help="the doctor's email; only it may redeem")
    inv.add_argument("--name", help="the doctor's name as the clinic knows it")
    inv.add_argument("--registration", help="registration number shown beside the name")
    inv.add_argument("--valid-days", type=float, default=7.0, help="validity (default 7 days)")
    inv.set_defaults(fn=cmd_invite_doctor)
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
