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


# How each typed pick reads its value, and which JSON types it accepts, per dialect.
_PG_TYPED: dict[type[_JsonPick], tuple[str, str]] = {
    json_number: ("'number'", "CAST({col} ->> {key} AS DOUBLE PRECISION)"),
    json_text: ("'string'", "{col} ->> {key}"),
    json_bool: ("'boolean'", "{col} ->> {key}"),
}
_SQLITE_TYPED: dict[type[_JsonPick], tuple[str, str]] = {
    json_number: ("'integer', 'real'", "json_extract({col}, {path})"),
    json_text: ("'text'", "json_extract({col}, {path})"),
    json_bool: ("'true', 'false'", "json_type({col}, {path})"),
}


def _typed(table: dict[type[_JsonPick], tuple[str, str]], element: _JsonPick) -> tuple[str, str]:
    """The entry of ``element``'s class (or of the class an annotated copy derives from)."""
    return next(table[cls] for cls in type(element).__mro__ if cls in table)


def _pg_typed(element: _JsonPick, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    types, value = _typed(_PG_TYPED, element)
    read = value.format(col=col, key=key)
    return f"(CASE WHEN jsonb_typeof({col} -> {key}) IN ({types}) THEN {read} END)"


def _sqlite_typed(element: _JsonPick, compiler: SQLCompiler, **kw: Any) -> str:
    col, key = _args(element, compiler, **kw)
    path = _sqlite_path(key)
    types, value = _typed(_SQLITE_TYPED, element)
    read = value.format(col=col, path=path)
    return f"(CASE WHEN json_type({col}, {path}) IN ({types}) THEN {read} END)"


for _pick in _PG_TYPED:
    compiles(_pick, "postgresql")(_pg_typed)
    compiles(_pick, "sqlite")(_sqlite_typed)


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
