"""Errors as RFC 9457 problem details (``application/problem+json``), each naming the field at fault.

One shape for every failure (validation, authentication, scope, size, rate), so clients handle one format and the
OpenAPI document can promise it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.api.headers import as_text as security_headers

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class FieldError(BaseModel):
    """One invalid field: where it is (``body.top_k``, ``query.purpose``) and what is wrong."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raised by handlers and dependencies; turned into a problem response."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers


def problem_response(
    status: int,
    detail: str,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = Problem(
        type=f"https://tegenkracht.nl/problems/{status}",
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers={**security_headers(), **(headers or {})},
    )


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


async def on_validation(request: Request, exc: Exception) -> JSONResponse:
    """422 naming every invalid field."""
    assert isinstance(exc, RequestValidationError)
    errors = [FieldError(field=_location(e.get("loc", ())), message=str(e.get("msg", ""))) for e in exc.errors()]
    names = ", ".join(dict.fromkeys(e.field for e in errors)) or "the request"
    return problem_response(422, f"invalid {names}", request.url.path, errors)


async def on_problem(request: Request, exc: Exception) -> JSONResponse:
    """A problem raised by our own code."""
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.detail, request.url.path, exc.errors, exc.headers)


async def on_http(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown path, wrong method) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, str(exc.detail), request.url.path, headers=exc.headers)


async def on_crash(request: Request, exc: Exception) -> JSONResponse:
    """An unexpected error: a problem without internals (the log has the traceback, never request data)."""
    return problem_response(500, "the request failed inside the service; it has been logged", request.url.path)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses an operation can give."""
    return {code: {"model": Problem, "description": TITLES.get(code, "Error")} for code in codes}


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the OpenAPI document so every error answer is promised as problem+json with the Problem schema.

    FastAPI documents models under ``application/json``; errors here are ``application/problem+json``. An
    operation with a body can also answer 400 (a body that is not JSON at all), so that is documented too.
    """
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in spec.get("paths", {}).values():
        for op in operations.values():
            answers = op.setdefault("responses", {})
            if "requestBody" in op:
                answers.setdefault("400", {"description": TITLES[400]})
            for code, answer in answers.items():
                if code.isdigit() and int(code) >= 400:
                    answer["content"] = {MEDIA_TYPE: {"schema": problem}}
    spec.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for name, schema in Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items():
        spec["components"]["schemas"].setdefault(name, schema)
    return spec
