#!/usr/bin/env python3
"""Writes the API reference (Markdown) of the carenotes.v1 contract from the .proto files.

The compiled `*_pb2` descriptors carry no comments, so this compiles protos/ once more
with `grpc_tools.protoc --include_source_info` into a temporary descriptor set, and reads
services, RPCs, messages, fields, enums, comments and each RPC's `(carenotes.v1.access)`
option from it. The output depends on the .proto files only (no dates, no versions).

    python scripts/gen_api_docs.py > docs/api.md        # make docs
    python scripts/gen_api_docs.py --check docs/api.md  # make docs-check (CI)
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2

from carenotes.v1 import options_pb2

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE = "carenotes.v1"

# Source-location path tags (descriptor.proto field numbers).
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED_MESSAGE, _NESTED_ENUM = 2, 3, 4
_METHOD = 2
_ENUM_VALUE = 2

_SCALARS: dict[int, str] = {
    descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE: "double",
    descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT: "float",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT64: "int64",
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT64: "uint64",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT32: "int32",
    descriptor_pb2.FieldDescriptorProto.TYPE_FIXED64: "fixed64",
    descriptor_pb2.FieldDescriptorProto.TYPE_FIXED32: "fixed32",
    descriptor_pb2.FieldDescriptorProto.TYPE_BOOL: "bool",
    descriptor_pb2.FieldDescriptorProto.TYPE_STRING: "string",
    descriptor_pb2.FieldDescriptorProto.TYPE_BYTES: "bytes",
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT32: "uint32",
    descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED32: "sfixed32",
    descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED64: "sfixed64",
    descriptor_pb2.FieldDescriptorProto.TYPE_SINT32: "sint32",
    descriptor_pb2.FieldDescriptorProto.TYPE_SINT64: "sint64",
}

ACCESS_TEXT: dict[int, str] = {
    options_pb2.ACCESS_PUBLIC: "PUBLIC",
    options_pb2.ACCESS_AUTHENTICATED: "AUTHENTICATED",
    options_pb2.ACCESS_PATIENT: "PATIENT",
    options_pb2.ACCESS_DOCTOR: "DOCTOR",
}

# Every status code a client may see, in the order of the general errors section.
STATUS_CODES: tuple[tuple[str, str], ...] = (
    (
        "INVALID_ARGUMENT",
        "A request field is malformed or out of range (bad id, page token, page size, "
        "text length, enum value, password rules...). The status carries a "
        "`google.rpc.BadRequest` detail with one `field_violations` entry per offending "
        "field (`field`, `description`). Nothing is stored. Do not retry unchanged.",
    ),
    (
        "UNAUTHENTICATED",
        "Missing, malformed, expired or revoked access token (after Logout or a password "
        "change), a wrong password, or a reused refresh token. Log in again (or refresh).",
    ),
    (
        "PERMISSION_DENIED",
        "Signed in, but the caller's role may not call this RPC (see its access policy), "
        "or the record belongs to someone the caller may not act for. Audited.",
    ),
    (
        "NOT_FOUND",
        "The record does not exist, or the caller may not learn that it does (other "
        "patients' notes, checklist items and reminders answer NOT_FOUND, never "
        "PERMISSION_DENIED).",
    ),
    ("ALREADY_EXISTS", "A unique record exists already (SignUp with a taken email)."),
    (
        "FAILED_PRECONDITION",
        "The record is not in a state that allows the operation (an item of superseded "
        "steps, a reminder that is not acknowledgeable).",
    ),
    (
        "RESOURCE_EXHAUSTED",
        "Throttled (repeated failed logins, or the password-hashing queue is full): the "
        "status carries a `google.rpc.RetryInfo` detail whose `retry_delay` says when to "
        "retry. Also sent by gRPC itself for a message over 4 MiB.",
    ),
    (
        "UNAVAILABLE",
        "A dependency (PostgreSQL) is unreachable or the server is shutting down, or "
        "stored data cannot be decrypted with the configured keys. Safe to retry with "
        "backoff; a write that answered UNAVAILABLE may or may not have been stored, so "
        "list before re-submitting a note.",
    ),
    (
        "DEADLINE_EXCEEDED",
        "The client's deadline passed (set by the client; e.g. SubmitNote with "
        "wait_for_steps on a slow extractor answers before the deadline instead).",
    ),
    ("CANCELLED", "The client cancelled the call (or closed a StreamReminders stream)."),
    (
        "INTERNAL",
        "A server bug. The message is generic and the details are in the server log; "
        "never expected, alert on it.",
    ),
)
# Answers the server gives that the proto comments do not state (kept here, next to the
# general section, until the comments say it): method -> [(code, when)].
SERVER_ERRORS: dict[str, list[tuple[str, str]]] = {
    "AuthService.SignUp": [("RESOURCE_EXHAUSTED", "password hashing is saturated (RetryInfo)")],
    "AuthService.Login": [("RESOURCE_EXHAUSTED", "password hashing is saturated (RetryInfo)")],
    "AuthService.ChangePassword": [
        ("RESOURCE_EXHAUSTED", "password hashing is saturated (RetryInfo)")
    ],
    "StepsService.PreviewActionableSteps": [
        ("RESOURCE_EXHAUSTED", "too many previews in progress (RetryInfo)")
    ],
    "StepsService.StreamReminders": [
        ("UNAVAILABLE", "the stream fell behind: reconnect with after_id to resume")
    ],
}
_CODE_NAMES = tuple(name for name, _ in STATUS_CODES)
_CODE_PATTERN = re.compile(r"\b(" + "|".join(_CODE_NAMES) + r")\b")


@dataclass(frozen=True)
class Contract:
    files: list[descriptor_pb2.FileDescriptorProto]
    comments: dict[tuple[str, tuple[int, ...]], str]

    def comment(self, file: descriptor_pb2.FileDescriptorProto, *path: int) -> str:
        return self.comments.get((file.name, tuple(path)), "")


def compile_contract(proto_root: Path = PROTO_ROOT) -> Contract:
    """Runs protoc with source info over proto_root/carenotes/v1/*.proto."""
    from grpc_tools import protoc  # type: ignore[import-untyped]

    protos = sorted((proto_root / "carenotes" / "v1").glob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files under {proto_root}/carenotes/v1")
    wkt = resources.files("grpc_tools") / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "contract.pb"
        code = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{proto_root}",
                f"-I{wkt}",
                "--include_source_info",
                f"--descriptor_set_out={out}",
                *(str(p.relative_to(proto_root)) for p in protos),
            ]
        )
        if code != 0:
            raise SystemExit(f"protoc failed with exit code {code}")
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    comments: dict[tuple[str, tuple[int, ...]], str] = {}
    for f in fds.file:
        for loc in f.source_code_info.location:
            text = loc.leading_comments or loc.trailing_comments
            if text:
                comments[(f.name, tuple(loc.path))] = _clean(text)
    files = sorted((f for f in fds.file if f.package == PACKAGE), key=lambda f: f.name)
    return Contract(files, comments)


def _clean(comment: str) -> str:
    lines = [line.strip() for line in comment.strip().splitlines()]
    return " ".join(line for line in lines if line)


def _anchor(name: str) -> str:
    return name.lower()


def _type_ref(type_name: str) -> str:
    name = type_name.lstrip(".")
    if name.startswith(PACKAGE + "."):
        short = name[len(PACKAGE) + 1 :]
        return f"[`{short}`](#{_anchor(short)})"
    return f"`{name}`"


def _field_type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type_name:
        text = _type_ref(field.type_name)
    else:
        text = f"`{_SCALARS.get(field.type, str(field.type))}`"
    if field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED:
        return f"repeated {text}"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "-"


def method_access(method: descriptor_pb2.MethodDescriptorProto) -> str:
    value = method.options.Extensions[options_pb2.access]
    return ACCESS_TEXT.get(value, "UNSPECIFIED (contract error: never served)")


def method_errors(
    service: str,
    method: descriptor_pb2.MethodDescriptorProto,
    comment: str,
    request: descriptor_pb2.DescriptorProto | None,
) -> list[tuple[str, str]]:
    """(code, when) for every status this RPC can answer besides OK."""
    errors: dict[str, list[str]] = {}

    def add(code: str, when: str, *, only_if_new: bool = False) -> None:
        if only_if_new and code in errors:
            return
        reasons = errors.setdefault(code, [])
        if when not in reasons:
            reasons.append(when)

    for code in _CODE_PATTERN.findall(comment):
        add(code, "see the description above")
    for code, when in SERVER_ERRORS.get(f"{service}.{method.name}", []):
        add(code, when)
    if request is not None and request.field:
        add(
            "INVALID_ARGUMENT",
            "a malformed request field (google.rpc.BadRequest details)",
            only_if_new=True,
        )
    access = method.options.Extensions[options_pb2.access]
    if access != options_pb2.ACCESS_PUBLIC:
        add("UNAUTHENTICATED", "missing, invalid, expired or revoked access token")
    if access in (options_pb2.ACCESS_PATIENT, options_pb2.ACCESS_DOCTOR):
        role = "patients" if access == options_pb2.ACCESS_PATIENT else "doctors"
        add("PERMISSION_DENIED", f"the caller is not one of the {role}")
    add("UNAVAILABLE", "the database is unreachable or the server is stopping")
    add("INTERNAL", "a server bug (never expected)")
    order = {name: i for i, name in enumerate(_CODE_NAMES)}
    return sorted(
        ((code, "; ".join(whens)) for code, whens in errors.items()),
        key=lambda kv: order[kv[0]],
    )


def _messages(
    contract: Contract,
) -> Iterable[
    tuple[descriptor_pb2.FileDescriptorProto, str, descriptor_pb2.DescriptorProto, tuple[int, ...]]
]:
    for f in contract.files:
        for i, msg in enumerate(f.message_type):
            yield from _walk_message(f, msg.name, msg, (_MESSAGE, i))


def _walk_message(
    f: descriptor_pb2.FileDescriptorProto,
    name: str,
    msg: descriptor_pb2.DescriptorProto,
    path: tuple[int, ...],
) -> Iterable[
    tuple[descriptor_pb2.FileDescriptorProto, str, descriptor_pb2.DescriptorProto, tuple[int, ...]]
]:
    yield f, name, msg, path
    for i, nested in enumerate(msg.nested_type):
        if not nested.options.map_entry:
            yield from _walk_message(
                f, f"{name}.{nested.name}", nested, (*path, _NESTED_MESSAGE, i)
            )


def render(contract: Contract) -> str:
    by_name = {f".{PACKAGE}.{name}": msg for _f, name, msg, _p in _messages(contract)}
    out: list[str] = []
    w = out.append
    w("# Carenotes API reference (`carenotes.v1`)")
    w("")
    w(
        "<!-- Generated by scripts/gen_api_docs.py from protos/carenotes/v1/*.proto. "
        "Do not edit: change the proto comments and run `make docs`. -->"
    )
    w("")
    w(
        "Every RPC is unary except `StreamReminders` (server streaming). Authenticated "
        "calls send `authorization: Bearer <access_token>` metadata (from `Login` or "
        "`RefreshToken`). The server also serves `grpc.health.v1.Health` and server "
        "reflection."
    )
    w("")
    w("## Contents")
    w("")
    for f in contract.files:
        for svc in f.service:
            w(f"- [{svc.name}](#{_anchor(svc.name)})")
    w("- [Messages](#messages)")
    w("- [Enums](#enums)")
    w("- [Errors](#errors)")
    w("")
    w("## Access policies")
    w("")
    w(
        "Each RPC declares who may call it with the `(carenotes.v1.access)` method option; "
        "the server builds its authorization table from these options and refuses to start "
        "if an RPC has none. Record-level rules (own record, current doctor) are checked "
        "by the service and are stated in each RPC's description."
    )
    w("")
    w("| Policy | Who |")
    w("|---|---|")
    for f in contract.files:
        for ei, enum in enumerate(f.enum_type):
            if enum.name != "Access":
                continue
            for vi, value in enumerate(enum.value):
                if value.number == 0:
                    continue
                text = contract.comment(f, _ENUM, ei, _ENUM_VALUE, vi)
                w(f"| {value.name.removeprefix('ACCESS_')} | {_cell(text)} |")
    w("")

    for f in contract.files:
        for si, svc in enumerate(f.service):
            w(f"## {svc.name}")
            w("")
            w(f"`{PACKAGE}.{svc.name}` ({f.name})")
            w("")
            text = contract.comment(f, _SERVICE, si)
            if text:
                w(text)
                w("")
            w("| RPC | Request | Response | Access |")
            w("|---|---|---|---|")
            for m in svc.method:
                stream = "stream " if m.server_streaming else ""
                w(
                    f"| [{m.name}](#{_anchor(svc.name + m.name)}) | {_type_ref(m.input_type)} "
                    f"| {stream}{_type_ref(m.output_type)} | {method_access(m)} |"
                )
            w("")
            for mi, m in enumerate(svc.method):
                w(f'<a id="{_anchor(svc.name + m.name)}"></a>')
                w("")
                w(f"### {svc.name}.{m.name}")
                w("")
                comment = contract.comment(f, _SERVICE, si, _METHOD, mi)
                w(comment or "(undocumented)")
                w("")
                w(f"- Method: `/{PACKAGE}.{svc.name}/{m.name}`")
                w(f"- Access: **{method_access(m)}**")
                w(f"- Request: {_type_ref(m.input_type)}")
                stream = "stream of " if m.server_streaming else ""
                w(f"- Response: {stream}{_type_ref(m.output_type)}")
                w("")
                w("| Error | When |")
                w("|---|---|")
                for code, when in method_errors(svc.name, m, comment, by_name.get(m.input_type)):
                    w(f"| `{code}` | {when} |")
                w("")

    w("## Messages")
    w("")
    for f, name, msg, path in sorted(_messages(contract), key=lambda t: t[1]):
        w(f"### {name}")
        w("")
        text = contract.comment(f, *path)
        if text:
            w(text)
            w("")
        if not msg.field:
            w("No fields.")
            w("")
            continue
        w("| Field | Number | Type | Description |")
        w("|---|---|---|---|")
        for fi, field in enumerate(msg.field):
            desc = contract.comment(f, *path, _FIELD, fi)
            w(f"| `{field.name}` | {field.number} | {_field_type(field)} | {_cell(desc)} |")
        w("")

    w("## Enums")
    w("")
    enums: list[
        tuple[
            str,
            descriptor_pb2.FileDescriptorProto,
            descriptor_pb2.EnumDescriptorProto,
            tuple[int, ...],
        ]
    ] = []
    for f in contract.files:
        for ei, enum in enumerate(f.enum_type):
            enums.append((enum.name, f, enum, (_ENUM, ei)))
    for f, name, msg, path in _messages(contract):
        for ei, enum in enumerate(msg.enum_type):
            enums.append((f"{name}.{enum.name}", f, enum, (*path, _NESTED_ENUM, ei)))
    for name, f, enum, path in sorted(enums, key=lambda t: t[0]):
        w(f"### {name}")
        w("")
        text = contract.comment(f, *path)
        if text:
            w(text)
            w("")
        w("| Value | Number | Description |")
        w("|---|---|---|")
        for vi, value in enumerate(enum.value):
            desc = contract.comment(f, *path, _ENUM_VALUE, vi)
            w(f"| `{value.name}` | {value.number} | {_cell(desc)} |")
        w("")

    w("## Errors")
    w("")
    w(
        "Errors are gRPC statuses with a human-readable message (never containing note "
        "text or other health data). Structured details travel in the "
        "`grpc-status-details-bin` trailer as a `google.rpc.Status`: read them with "
        "`grpc_status.rpc_status.from_call` (Python) or the equivalent in your language. "
        "Each RPC above lists the codes it can answer."
    )
    w("")
    w("| Code | Meaning and what to do |")
    w("|---|---|")
    for code, text in STATUS_CODES:
        w(f"| `{code}` | {text} |")
    w("")
    w("Details:")
    w("")
    w(
        "- `INVALID_ARGUMENT` -> `google.rpc.BadRequest { field_violations: [{ field, "
        'description }] }`, e.g. `{field: "email", description: "is not a valid '
        'address"}`.'
    )
    w(
        "- `FAILED_PRECONDITION` -> `google.rpc.PreconditionFailure { violations: [{ type: "
        '"CLINICAL_BOUND", subject, description }] }` when extracted steps are refused: '
        "`subject` is the field path of the step (e.g. `plan[0].schedule.times_per_day`)."
    )
    w(
        "- `RESOURCE_EXHAUSTED` -> `google.rpc.RetryInfo { retry_delay }`: wait at least "
        "that long before retrying."
    )
    w("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        metavar="FILE",
        type=Path,
        help="exit 1 if FILE differs from what the protos generate now",
    )
    parser.add_argument(
        "--proto-root", type=Path, default=PROTO_ROOT, help="directory holding carenotes/v1"
    )
    args = parser.parse_args(argv)
    text = render(compile_contract(args.proto_root))
    if args.check is None:
        sys.stdout.write(text)
        return 0
    try:
        current = args.check.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"{args.check} does not exist: run 'make docs' and commit it", file=sys.stderr)
        return 1
    if current == text:
        print(f"{args.check} is up to date")
        return 0
    print(
        f"{args.check} is stale: the proto files changed since it was generated. "
        "Run 'make docs' and commit the result.",
        file=sys.stderr,
    )
    diff = difflib.unified_diff(
        current.splitlines(), text.splitlines(), str(args.check), "generated", lineterm="", n=1
    )
    for i, line in enumerate(diff):
        if i >= 30:
            print("...", file=sys.stderr)
            break
        print(line, file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
