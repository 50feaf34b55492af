"""Which schema files tools/gen_protos.py generates, trimmed of what the wire does not need.

The Temporal API files (the Cloud operations API included, stale leftovers not) and the files
their types use, dependencies first, with option extensions stripped (see
``strip_custom_options``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from google.protobuf import descriptor_pb2, message

# Which schema files we generate: the whole Temporal API (the Cloud operations API included, for
# tempyral.service.CloudService), plus whatever those files import.
OWN_PREFIX = "temporal/api/"
# Prefix -> why it is left out; tools/gen_protos.py writes the reasons into the generated package
# (tempyral.api._not_generated), where the tests that compare with the official SDK read them.
EXCLUDED_PREFIXES = {
    "temporal/api/cluster/": (
        "a leftover in the official wheel that no service uses; it imports schema files "
        "the wheel lacks (the official package fails to import too)"
    ),
    "temporal/api/interaction/": (
        "a leftover in the official wheel that no service uses; it imports schema files "
        "the wheel lacks (the official package fails to import too)"
    ),
    "temporal/api/protometa/": (
        "defines a method option only (request header routing for proxies); options are stripped"
    ),
}
# Why a schema file of the pinned source that no generated file uses is left out.
UNUSED_REASON = (
    "option annotations for code generators and the HTTP gateway only; options are stripped, "
    "they do not affect gRPC"
)
RUNTIME_PREFIX = "google/protobuf/"


def strip_custom_options(proto: descriptor_pb2.FileDescriptorProto) -> None:
    """Remove option extensions (HTTP routes, OpenAPI and Nexus annotations) from a schema file.

    They describe the HTTP gateway and code generators, not the gRPC wire. Read through a private
    pool they would not even resolve (the runtime parses options with the default pool's
    descriptor.proto), and keeping them would pull descriptor.proto itself into the private pool,
    which pure-Python protobuf (PyPy) cannot do. Standard options (map_entry, deprecated, packed,
    json_name...) are kept.
    """

    def strip(options: message.Message) -> None:
        for field, _ in options.ListFields():
            if field.is_extension:
                options.ClearExtension(field)
        options.DiscardUnknownFields()

    def walk(node: message.Message) -> None:
        for field, value in node.ListFields():
            if field.type != field.TYPE_MESSAGE:
                continue
            children = value if field.label == field.LABEL_REPEATED else [value]
            for child in children:
                if field.name == "options":
                    strip(child)
                else:
                    walk(child)

    walk(proto)


def defined_symbols(proto: descriptor_pb2.FileDescriptorProto) -> Iterator[str]:
    """Fully qualified names of the messages and enums a schema file defines."""

    def nested(prefix: str, messages: Iterable[descriptor_pb2.DescriptorProto]) -> Iterator[str]:
        for msg in messages:
            name = f"{prefix}.{msg.name}"
            yield name
            yield from (f"{name}.{enum.name}" for enum in msg.enum_type)
            yield from nested(name, msg.nested_type)

    package = f".{proto.package}" if proto.package else ""
    yield from (f"{package}.{enum.name}" for enum in proto.enum_type)
    yield from nested(package, proto.message_type)


def referenced_symbols(proto: descriptor_pb2.FileDescriptorProto) -> Iterator[str]:
    """Fully qualified type names that a schema file's fields, extensions and methods use."""

    def fields(messages: Iterable[descriptor_pb2.DescriptorProto]) -> Iterator[str]:
        for msg in messages:
            yield from (f.type_name for f in [*msg.field, *msg.extension] if f.type_name)
            yield from (f.extendee for f in msg.extension)
            yield from fields(msg.nested_type)

    yield from fields(proto.message_type)
    yield from (f.type_name for f in proto.extension if f.type_name)
    yield from (f.extendee for f in proto.extension)
    for service in proto.service:
        for method in service.method:
            yield method.input_type
            yield method.output_type


def exclusion_reason(name: str) -> str:
    """Why the schema file ``name`` of the pinned source is not generated."""
    for prefix, reason in EXCLUDED_PREFIXES.items():
        if name.startswith(prefix):
            return reason
    return UNUSED_REASON


def select_files(available: dict[str, bytes]) -> dict[str, bytes]:
    """The Temporal API files and what their types use, dependencies first, options stripped."""
    protos = {}
    for name, serialized in available.items():
        proto = descriptor_pb2.FileDescriptorProto.FromString(serialized)
        strip_custom_options(proto)
        protos[name] = proto
    owner = {symbol: name for name, proto in protos.items() for symbol in defined_symbols(proto)}
    for proto in protos.values():
        used = {owner.get(symbol) for symbol in referenced_symbols(proto)}
        kept = [dep for dep in proto.dependency if dep in used]
        del proto.dependency[:]
        proto.dependency.extend(kept)
        del proto.public_dependency[:]
        del proto.weak_dependency[:]

    roots = sorted(
        name
        for name in protos
        if name.startswith(OWN_PREFIX) and not name.startswith(tuple(EXCLUDED_PREFIXES))
    )
    ordered: dict[str, bytes] = {}
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        if name not in protos:
            raise SystemExit(f"schema file {name!r} is imported but no pinned source provides it")
        for dep in protos[name].dependency:
            visit(dep)
        ordered[name] = protos[name].SerializeToString(deterministic=True)

    for root in roots:
        visit(root)
    return ordered
