"""Validate answers of the fake GitHub server against GitHub's OpenAPI description.

``OpenApiChecker.check(record)`` takes a ``RecordedRequest`` and checks its answer against the
response that ``tests/fixtures/github-openapi/github-ci-endpoints.openapi.json`` documents for
the record's operation and status:

* a documented JSON response: the body must validate against its schema (``application/json``
  media type; OpenAPI 3.0 ``nullable`` is rewritten to ``anyOf [..., {"type": "null"}]`` and the
  document is validated as JSON Schema draft 4, with ``date-time`` and ``uri`` formats checked).
  ``oneOf`` is read as ``anyOf``: GitHub's description uses it where branches overlap (its 409
  for contents is ``oneOf`` two error shapes whose fields are all optional, so every body
  matches both);
* a documented response without content (204, 302): no body; a documented ``Location`` header
  must be present;
* any other error status (401, 403 permission/rate limit, injected 5xx): the body must be a
  GitHub ``basic-error``.

Every JSON answer must carry ``content-type: application/json; charset=utf-8`` and the
``x-ratelimit-*`` headers.  ``validated`` collects the operation ids checked with a documented
success status, so a test can assert that all 33 were covered.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from healing_guard.simulator import RecordedRequest

SPEC_PATH = Path(__file__).parent / "fixtures" / "github-openapi" / "github-ci-endpoints.openapi.json"
SPEC_URI = "urn:github-openapi"
RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-used",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
)
_DATA_KEYS = frozenset({"example", "examples", "default", "enum"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "schemas"})

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def to_json_schema(node: Any) -> Any:
    """The OpenAPI 3.0 document with ``nullable: true`` rewritten as JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            converted[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _DATA_KEYS:
            converted[key] = value
        elif key == "oneOf":  # GitHub's branches overlap (e.g. two all-optional error shapes)
            converted["anyOf"] = to_json_schema(value)
        else:
            converted[key] = to_json_schema(value)
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


class OpenApiChecker:
    """Checks recorded answers against the OpenAPI document (see the module docstring)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.document = to_json_schema(spec)
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.operations: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, tuple[str, str]] = {}
        for template, item in spec["paths"].items():
            for method, operation in item.items():
                if method == "parameters":
                    continue
                self.operations[operation["operationId"]] = operation
                self.templates[operation["operationId"]] = (method.upper(), template)
        self.validated: set[str] = set()

    # ----------------------------------------------------------------- lookups

    def _follow(self, pointer: str) -> tuple[str, dict[str, Any]]:
        """The node at ``pointer`` (``/a/b``) after following ``$ref``s, and where it really is."""
        node: Any = self.spec
        for part in pointer.removeprefix("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        while "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            return self._follow(pointer)
        return pointer, node

    def response_location(self, operation_id: str, status: int) -> tuple[str, dict[str, Any]] | None:
        """Where the documented response of ``operation_id`` for ``status`` lives, and the
        response itself (``None``: that status is not documented)."""
        method, template = self.templates[operation_id]
        if str(status) not in self.operations[operation_id]["responses"]:
            return None
        return self._follow(f"/paths/{_escape(template)}/{method.lower()}/responses/{status}")

    def validate_schema(self, schema_ref: str, instance: Any) -> None:
        """Validate ``instance`` against the schema at ``schema_ref`` (raises on failure)."""
        validator = Draft4Validator({"$ref": schema_ref}, registry=self.registry, format_checker=FORMATS)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            details = "\n".join(
                f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}" for e in errors[:10]
            )
            raise AssertionError(f"{schema_ref.removeprefix(SPEC_URI)}: {len(errors)} schema error(s)\n{details}")

    # ----------------------------------------------------------------- checking

    def check(self, record: RecordedRequest) -> None:
        """Check one recorded answer (records of unknown routes and downloads are skipped)."""
        if record.operation is None:
            return
        where = f"{record.method} {record.path} -> {record.status} ({record.operation})"
        try:
            self._check(record)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from None

    def _check(self, record: RecordedRequest) -> None:
        operation_id = record.operation
        assert operation_id is not None
        headers = {k.lower(): v for k, v in record.response_headers.items()}
        missing = [h for h in RATE_HEADERS if h not in headers]
        assert not missing, f"missing headers {missing}"
        assert headers.get("content-type") == "application/json; charset=utf-8", headers.get("content-type")
        located = self.response_location(operation_id, record.status)
        if located is None:
            assert record.status >= 400, "undocumented success status"
            self.validate_schema(f"{SPEC_URI}#/components/schemas/basic-error", record.response)
            return
        pointer, documented = located
        content = documented.get("content")
        if not content:
            assert record.response is None, "a body where none is documented"
            for name in documented.get("headers", {}):
                assert name.lower() in headers, f"missing documented header {name}"
        else:
            media = "application/json" if "application/json" in content else next(iter(content))
            self.validate_schema(f"{SPEC_URI}#{pointer}/content/{_escape(media)}/schema", record.response)
        if record.status < 400:
            self.validated.add(operation_id)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@cache
def load_spec() -> dict[str, Any]:
    """The OpenAPI document (parsed once per test session)."""
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data
