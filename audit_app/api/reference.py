"""The API reference page's content, read from the OpenAPI document: operations by tag, and the models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    kind: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    body: str
    responses: tuple[tuple[str, str], ...]
    anchor: str


@dataclass(frozen=True)
class Model:
    name: str
    fields: tuple[Parameter, ...]


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    tags: tuple[tuple[str, tuple[Operation, ...]], ...]
    models: tuple[Model, ...]


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1].split(".", 1)[0] if ref else ""


def _kind(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _ref_name(schema)
    if "anyOf" in schema:
        return " | ".join(_kind(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return str(schema["const"])
    if schema.get("type") == "array":
        return f"[{_kind(schema.get('items', {}))}]"
    if "format" in schema:
        return f"{schema.get('type', '')} ({schema['format']})"
    return str(schema.get("type", "any"))


def _fields(schema: dict[str, Any]) -> tuple[Parameter, ...]:
    required = set(schema.get("required", ()))
    return tuple(Parameter(name, "", _kind(prop), name in required, str(prop.get("description", "")))
                 for name, prop in schema.get("properties", {}).items())


def reference(spec: dict[str, Any]) -> Reference:
    """The document's operations grouped by their first tag, in path order, and every named model."""
    by_tag: dict[str, list[Operation]] = {}
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            params = tuple(Parameter(p["name"], p["in"], _kind(p.get("schema", {})), bool(p.get("required")),
                                     str(p.get("description", ""))) for p in op.get("parameters", ()))
            body = ""
            for content in op.get("requestBody", {}).get("content", {}).values():
                body = _ref_name(content.get("schema", {})) or body
            responses = []
            for code, answer in sorted(op["responses"].items()):
                names = [_ref_name(c.get("schema", {})) for c in answer.get("content", {}).values()]
                responses.append((code, ", ".join(n for n in names if n) or str(answer.get("description", ""))))
            summary, _, description = str(op.get("description") or op.get("summary") or "").partition("\n")
            tag = (op.get("tags") or ["API"])[0]
            by_tag.setdefault(tag, []).append(Operation(
                method.upper(), path, str(op.get("summary") or summary), description.strip(), params, body,
                tuple(responses), f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")))
    models = tuple(Model(name.split(".", 1)[0], _fields(schema))
                   for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())
                   if schema.get("properties"))
    info = spec.get("info", {})
    return Reference(str(info.get("title", "")), str(info.get("version", "")), str(info.get("description", "")),
                     tuple((tag, tuple(ops)) for tag, ops in by_tag.items()), models)
