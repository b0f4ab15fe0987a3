"""JSON reads that work the same on SQLite and PostgreSQL (JSONB), for segment filters.

Each construct yields the JSON value only when it has the expected JSON type, else NULL: a
custom attribute holding ``"abc"`` never breaks a numeric comparison (PostgreSQL would raise on
``CAST('abc' AS FLOAT)``), it simply does not match. The key travels as a bound parameter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class _JsonPick(FunctionElement[Any]):
    """``(json_column, key)``: a top-level key of a JSON object column."""

    inherit_cache = True


class json_number(_JsonPick):  # noqa: N801 (SQL function style)
    type = Float()
    inherit_cache = True


class json_text(_JsonPick):  # noqa: N801
    type = String()
    inherit_cache = True


class json_bool(_JsonPick):  # noqa: N801
    """``'true'`` or ``'false'`` when the value is a JSON boolean."""

    type = String()
    inherit_cache = True


class json_present(_JsonPick):  # noqa: N801
    """True when the key exists and is not JSON ``null``."""

    type = Boolean()
    inherit_cache = True


class items_have_product(FunctionElement[bool]):  # noqa: N801
    """``(items_column, product_id)``: an order's ``items`` list has a line of this product."""

    type = Boolean()
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column, key = element.clauses.clauses
    return compiler.process(column, **kw), compiler.process(key, **kw)


def _sqlite_path(key: str) -> str:
    return f"('$.\"' || {key} || '\"')"


@compiles(json_number, "postgresql")
def _pg_number(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    return (
        f"(CASE WHEN jsonb_typeof({col} -> {key}) = 'number' "
        f"THEN CAST({col} ->> {key} AS DOUBLE PRECISION) END)"
    )


@compiles(json_number, "sqlite")
def _sqlite_number(element: json_number, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    path = _sqlite_path(key)
    return (
        f"(CASE WHEN json_type({col}, {path}) IN ('integer', 'real') "
        f"THEN json_extract({col}, {path}) END)"
    )


@compiles(json_text, "postgresql")
def _pg_text(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({col} -> {key}) = 'string' THEN {col} ->> {key} END)"


@compiles(json_text, "sqlite")
def _sqlite_text(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    path = _sqlite_path(key)
    return f"(CASE WHEN json_type({col}, {path}) = 'text' THEN json_extract({col}, {path}) END)"


@compiles(json_bool, "postgresql")
def _pg_bool(element: json_bool, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    return f"(CASE WHEN jsonb_typeof({col} -> {key}) = 'boolean' THEN {col} ->> {key} END)"


@compiles(json_bool, "sqlite")
def _sqlite_bool(element: json_bool, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    path = _sqlite_path(key)
    return (
        f"(CASE WHEN json_type({col}, {path}) IN ('true', 'false') "
        f"THEN json_type({col}, {path}) END)"
    )


@compiles(json_present, "postgresql")
def _pg_present(element: json_present, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    return f"(coalesce(jsonb_typeof({col} -> {key}), 'null') <> 'null')"


@compiles(json_present, "sqlite")
def _sqlite_present(element: json_present, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    return f"(coalesce(json_type({col}, {_sqlite_path(key)}), 'null') <> 'null')"


@compiles(items_have_product, "postgresql")
def _pg_items(element: items_have_product, compiler: SQLCompiler, **kw: Any) -> str:
    col, product = _args(element, compiler, **kw)
    # Containment, so a GIN index on orders.items (jsonb_path_ops) can answer it.
    return f"({col} @> jsonb_build_array(jsonb_build_object('productId', CAST({product} AS TEXT))))"


@compiles(items_have_product, "sqlite")
def _sqlite_items(element: items_have_product, compiler: SQLCompiler, **kw: Any) -> str:
    col, product = _args(element, compiler, **kw)
    return (
        f"EXISTS (SELECT 1 FROM json_each({col}) AS line "
        f"WHERE json_extract(line.value, '$.productId') = {product})"
    )
