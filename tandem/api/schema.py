"""OpenAPI: error responses on every operation, and the schema turned into a page people can read."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: e.g. `invalid`, `duplicate_tax_id`.")
    message = serializers.CharField(help_text="For people; may be translated.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the JSON key; DRF pops declared fields
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (nested items dotted: `phones.1.number`); `{}` if none.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    "400": "Invalid input, query parameters or JSON.",
    "401": "No, revoked or malformed credentials.",
    "403": "Your role, the record, or a read-only token does not allow this.",
    "404": "No such record, or one you may not see.",
    "413": "The body is larger than the server accepts.",
    "415": "The body is not `application/json`.",
    "429": "Too many requests with this token: wait `Retry-After` seconds.",
}


class TandemAutoSchema(AutoSchema):
    """Documents the error responses each operation can give, in the one error format."""

    def _error_statuses(self) -> list[str]:
        statuses = ["401", "429"]
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        if writes or self._is_list_view():
            statuses.append("400")
        if writes:
            statuses.append("403")
        if "{" in self.path:
            statuses.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += ["413", "415"]
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status, direction=direction)
                response["description"] = _ERROR_DESCRIPTIONS[status]
                responses[status] = response
        return responses


def describe_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error format belongs in the API's description."""
    from tandem.api.errors import ERROR_FORMAT_DESCRIPTION

    info = result.setdefault("info", {})
    info["description"] = f"{info.get('description', '').rstrip()}\n\n## Errors\n{ERROR_FORMAT_DESCRIPTION}"
    return result


# --- the docs page ------------------------------------------------------------------------------

METHODS = ["get", "post", "put", "patch", "delete"]


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 10:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    if "allOf" in schema and len(schema["allOf"]) == 1:
        merged = {
            **_resolve(schema["allOf"][0], components),
            **{k: v for k, v in schema.items() if k != "allOf"},
        }
        return merged
    return schema


def _type_label(schema: dict[str, Any], components: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = components.get(name, {})
        if "enum" in target:
            return "one of: " + ", ".join(str(value) for value in target["enum"] if value not in ("", None))
        return name
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            labels = [_type_label(option, components) for option in schema[combinator]]
            return " | ".join(label for label in labels if label and label != "NullEnum")
    if "allOf" in schema:
        return _type_label(schema["allOf"][0], components)
    if "enum" in schema:
        return "one of: " + ", ".join(str(value) for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_label(schema.get('items', {}), components)}"
    if kind == "object" and "additionalProperties" in schema and not schema.get("properties"):
        additional = schema["additionalProperties"]
        value = _type_label(additional, components) if isinstance(additional, dict) else "any"
        return f"map of {value}"
    label = f"{kind} ({schema['format']})" if "format" in schema else str(kind)
    return f"{label} or null" if schema.get("nullable") else label


def _fields(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> list[dict[str, Any]]:
    """Rows of a body's fields, nested objects (also inside lists) one level down."""
    schema = _resolve(schema, components)
    if schema.get("type") == "array":
        schema = _resolve(schema.get("items", {}), components)
    required = set(schema.get("required", []))
    rows: list[dict[str, Any]] = []
    for name, field in schema.get("properties", {}).items():
        resolved = _resolve(field, components)
        inner = (
            _resolve(resolved.get("items", {}), components) if resolved.get("type") == "array" else resolved
        )
        children = _fields(inner, components, depth + 1) if depth < 2 and inner.get("properties") else []
        rows.append(
            {
                "name": name,
                "type": _type_label(field, components),
                "required": name in required,
                "read_only": bool(resolved.get("readOnly")),
                "description": resolved.get("description", ""),
                "max_length": resolved.get("maxLength"),
                "is_list": resolved.get("type") == "array",
                "children": children,
            }
        )
    return rows


def _body(content: dict[str, Any] | None, components: dict[str, Any]) -> dict[str, Any] | None:
    if not content:
        return None
    media_type, media = next(iter(content.items()))
    schema = media.get("schema", {})
    return {
        "media_type": media_type,
        "type": _type_label(schema, components),
        "fields": _fields(schema, components),
    }


def docs_context(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as plain rows for the server-rendered docs template."""
    components = schema.get("components", {}).get("schemas", {})
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            request_body = operation.get("requestBody", {})
            responses = [
                {
                    "status": status,
                    "description": response.get("description", ""),
                    "body": _body(response.get("content"), components),
                }
                for status, response in sorted(operation.get("responses", {}).items())
            ]
            parameters = [
                {
                    "name": parameter["name"],
                    "location": parameter["in"],
                    "required": parameter.get("required", False),
                    "type": _type_label(parameter.get("schema", {}), components),
                    "description": parameter.get("description", ""),
                }
                for parameter in operation.get("parameters", [])
            ]
            tag = (operation.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "anchor": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "request": _body(request_body.get("content"), components),
                    "request_required": request_body.get("required", False),
                    "responses": responses,
                    "security": [
                        name for requirement in operation.get("security", []) for name in requirement
                    ],
                }
            )
    info = schema.get("info", {})
    return {
        "title": info.get("title", "API"),
        "version": info.get("version", ""),
        "description": info.get("description", ""),
        "groups": sorted(groups.items()),
    }
