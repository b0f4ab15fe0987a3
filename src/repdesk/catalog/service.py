"""The catalog: products with variants, the only writer of ``products`` and
``product_variants``. Every change replaces the product's entry in the retrieval index."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from repdesk.catalog.models import Product, ProductVariant
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.money import check_minor_units, format_money
from repdesk.kit.time import utcnow
from repdesk.knowledge import index, retrieval

MAX_PRODUCTS = 5000
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class VariantData:
    name: str
    price: int | None = None
    available: bool = True


@dataclass(frozen=True)
class ProductMatch:
    product: Product
    score: float


def variant_price(product: Product, variant: ProductVariant) -> int:
    return product.price if variant.price is None else variant.price


def _clean_currency(value: str) -> str:
    cur = (value or "").strip().upper()
    if not _CURRENCY.match(cur):
        raise ValidationError("currency: must be a three-letter ISO 4217 code such as NGN or USD")
    return cur


def _clean_image(url: str) -> str:
    url = url.strip()
    if not (
        url.startswith(("https://", "http://")) or re.fullmatch(r"/api/files/[A-Za-z0-9]+", url)
    ):
        raise ValidationError("images: each image must be an http(s) URL or an uploaded file")
    return url[:1000]


def _validate(name: str, price: int, variants: Sequence[VariantData]) -> None:
    if not name.strip():
        raise ValidationError("name: must not be empty")
    check_minor_units(price, "price")
    for v in variants:
        if v.price is not None:
            check_minor_units(v.price, f"variant {v.name.strip()}")
    names = [v.name.strip().lower() for v in variants]
    if any(not n for n in names):
        raise ValidationError("variants: every variant needs a name")
    if len(set(names)) != len(names):
        raise ValidationError("variants: variant names must be unique within a product")


def index_chunks(product: Product) -> list[index.ChunkInput]:
    """What retrieval sees of a product: name, description, variants and prices."""
    lines = [product.name]
    if product.description:
        lines.append(product.description)
    price = format_money(product.price, product.currency)
    lines.append(f"Price: {price}." + ("" if product.available else " Currently out of stock."))
    variants = []
    for v in product.variants:
        vp = format_money(variant_price(product, v), product.currency)
        variants.append(f"{v.name} ({vp}{'' if v.available else ', out of stock'})")
    if variants:
        lines.append("Options: " + "; ".join(variants) + ".")
    meta = {
        "price": product.price,
        "currency": product.currency,
        "available": product.available,
        "variants": [
            {
                "id": v.id,
                "name": v.name,
                "price": variant_price(product, v),
                "available": v.available,
            }
            for v in product.variants
        ],
    }
    return [index.ChunkInput(title=product.name, text="\n".join(lines), meta=meta)]


async def _reindex(session: AsyncSession, product: Product) -> None:
    await index.replace_source(
        session,
        assistant_id=product.assistant_id,
        kind="product",
        source_id=product.id,
        chunks=index_chunks(product),
    )


def _select() -> Any:
    return select(Product).options(selectinload(Product.variants))


async def count_products(session: AsyncSession, *, assistant_id: str) -> int:
    stmt = select(func.count()).select_from(Product).where(Product.assistant_id == assistant_id)
    return int(await session.scalar(stmt) or 0)


async def create_product(
    session: AsyncSession,
    *,
    assistant_id: str,
    name: str,
    price: int,
    currency: str = "NGN",
    description: str = "",
    available: bool = True,
    images: Sequence[str] = (),
    variants: Sequence[VariantData] = (),
) -> Product:
    _validate(name, price, variants)
    if await count_products(session, assistant_id=assistant_id) >= MAX_PRODUCTS:
        raise ValidationError(f"An assistant can have up to {MAX_PRODUCTS} products.")
    product = Product(
        assistant_id=assistant_id,
        name=name.strip(),
        description=description.strip(),
        price=price,
        currency=_clean_currency(currency),
        available=available,
        images=[_clean_image(u) for u in images],
        updated_at=utcnow(),
    )
    product.variants = [
        ProductVariant(name=v.name.strip(), price=v.price, available=v.available, position=i)
        for i, v in enumerate(variants)
    ]
    session.add(product)
    await session.flush()
    await _reindex(session, product)
    return product


async def get_product(
    session: AsyncSession, *, assistant_id: str, product_id: str
) -> Product | None:
    return (
        await session.scalars(
            _select().where(Product.id == product_id, Product.assistant_id == assistant_id)
        )
    ).first()


async def get_product_or_404(
    session: AsyncSession, *, assistant_id: str, product_id: str
) -> Product:
    product = await get_product(session, assistant_id=assistant_id, product_id=product_id)
    if product is None:
        raise NotFound("Product not found.")
    return product


async def list_products(
    session: AsyncSession,
    *,
    assistant_id: str,
    query: str | None = None,
    limit: int | None = None,
    available_only: bool = False,
) -> list[Product]:
    """Products, newest first; ``query`` filters by name or description (substring)."""
    stmt = _select().where(Product.assistant_id == assistant_id)
    if query and query.strip():
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            func.lower(Product.name).like(like) | func.lower(Product.description).like(like)
        )
    if available_only:
        stmt = stmt.where(Product.available.is_(True))
    stmt = stmt.order_by(Product.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


async def find_product_matches(
    session: AsyncSession, *, assistant_id: str, query: str, k: int = 5
) -> list[ProductMatch]:
    """Products that best match a customer's words (retrieval), with their scores."""
    hits = await retrieval.search(
        session, assistant_id=assistant_id, query=query, k=k, kinds={"product"}
    )
    if not hits:
        return []
    ids = [h.source_id for h in hits]
    rows = (await session.scalars(_select().where(Product.id.in_(ids)))).all()
    by_id = {p.id: p for p in rows}
    return [ProductMatch(by_id[h.source_id], h.score) for h in hits if h.source_id in by_id]


async def find_products(
    session: AsyncSession, *, assistant_id: str, query: str, k: int = 5
) -> list[Product]:
    """Products that best match ``query``, best first, variants loaded."""
    matches = await find_product_matches(session, assistant_id=assistant_id, query=query, k=k)
    return [m.product for m in matches]


async def update_product(
    session: AsyncSession,
    product: Product,
    *,
    name: str | None = None,
    description: str | None = None,
    price: int | None = None,
    currency: str | None = None,
    available: bool | None = None,
    images: Sequence[str] | None = None,
    variants: Sequence[VariantData] | None = None,
) -> Product:
    new_name = product.name if name is None else name
    new_price = product.price if price is None else price
    _validate(new_name, new_price, variants or [])
    product.name = new_name.strip()
    product.price = new_price
    if description is not None:
        product.description = description.strip()
    if currency is not None:
        product.currency = _clean_currency(currency)
    if available is not None:
        product.available = available
    if images is not None:
        product.images = [_clean_image(u) for u in images]
    if variants is not None:
        existing = {v.name.strip().lower(): v for v in product.variants}
        kept: list[ProductVariant] = []
        for i, data in enumerate(variants):
            row = existing.get(data.name.strip().lower()) or ProductVariant(name=data.name.strip())
            row.name, row.price, row.available, row.position = (
                data.name.strip(),
                data.price,
                data.available,
                i,
            )
            kept.append(row)
        product.variants = kept  # orphans are deleted (delete-orphan); kept ids stay stable
    product.updated_at = utcnow()
    await session.flush()
    await _reindex(session, product)
    return product


async def add_image(session: AsyncSession, product: Product, url: str) -> Product:
    if len(product.images) >= 20:
        raise ValidationError("A product can have up to 20 images.")
    product.images = [*product.images, _clean_image(url)]
    product.updated_at = utcnow()
    await session.flush()
    return product


async def remove_image(session: AsyncSession, product: Product, position: int) -> Product:
    if position < 0 or position >= len(product.images):
        raise NotFound("Image not found.")
    images = list(product.images)
    images.pop(position)
    product.images = images
    product.updated_at = utcnow()
    await session.flush()
    return product


async def delete_product(session: AsyncSession, product: Product) -> None:
    assistant_id, product_id = product.assistant_id, product.id
    await session.delete(product)
    await session.flush()
    await index.remove_source(session, assistant_id=assistant_id, source_id=product_id)


# CSV import/export ---------------------------------------------------------------------------

CSV_COLUMNS = ["id", "name", "description", "price", "currency", "available", "variants", "images"]


def _parse_bool(value: str) -> bool:
    v = (value or "").strip().lower()
    if v in ("", "1", "true", "yes", "y", "in stock", "available"):
        return True
    if v in ("0", "false", "no", "n", "out of stock", "unavailable"):
        return False
    raise ValueError(f"available: {value!r} is not yes or no")


def _parse_variants(value: str) -> list[VariantData]:
    """``Small=15000; Large=18000!`` (a trailing ``!`` marks a variant out of stock; no ``=``
    means the product's price)."""
    out = []
    for part in (value or "").split(";"):
        part = part.strip()
        if not part:
            continue
        available = not part.endswith("!")
        part = part.rstrip("!").strip()
        name, _, price = part.partition("=")
        out.append(VariantData(name.strip(), int(price) if price.strip() else None, available))
    return out


def _format_variants(product: Product) -> str:
    return "; ".join(
        f"{v.name}{'' if v.price is None else '=' + str(v.price)}{'' if v.available else '!'}"
        for v in product.variants
    )


async def export_csv(session: AsyncSession, *, assistant_id: str) -> str:
    products = await list_products(session, assistant_id=assistant_id)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for p in reversed(products):
        writer.writerow(
            [
                p.id,
                p.name,
                p.description,
                p.price,
                p.currency,
                "yes" if p.available else "no",
                _format_variants(p),
                " ".join(p.images),
            ]
        )
    return buf.getvalue()


async def import_csv(session: AsyncSession, *, assistant_id: str, data: bytes) -> tuple[int, int]:
    """Create or update products from CSV (the export's columns; ``id`` optional). All rows are
    checked first: one bad row rejects the file and nothing is changed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The CSV file must be UTF-8 text.") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "name" not in header or "price" not in header:
        raise ValidationError(
            "The CSV needs a header row with at least the columns name and price."
        )
    reader.fieldnames = header
    parsed: list[tuple[str, dict[str, Any]]] = []
    for line, row in enumerate(reader, start=2):
        try:
            name = (row.get("name") or "").strip()
            if not name:
                raise ValueError("name is empty")
            price = int((row.get("price") or "").strip())
            variants = _parse_variants(row.get("variants") or "")
            fields = {
                "name": name,
                "description": (row.get("description") or "").strip(),
                "price": price,
                "currency": _clean_currency(row.get("currency") or "NGN"),
                "available": _parse_bool(row.get("available") or ""),
                "variants": variants,
                "images": [_clean_image(u) for u in (row.get("images") or "").split()],
            }
            _validate(name, price, variants)
        except ValidationError as exc:
            raise ValidationError(f"Row {line}: {exc.message}") from exc
        except ValueError as exc:
            raise ValidationError(f"Row {line}: {exc}") from exc
        parsed.append(((row.get("id") or "").strip(), fields))
    if not parsed:
        raise ValidationError("The CSV has no product rows.")
    if len(parsed) > MAX_PRODUCTS:
        raise ValidationError(f"A CSV import can hold up to {MAX_PRODUCTS} products.")
    created = updated = 0
    for product_id, fields in parsed:
        existing = (
            await get_product(session, assistant_id=assistant_id, product_id=product_id)
            if product_id
            else None
        )
        if existing is not None:
            await update_product(session, existing, **fields)
            updated += 1
        else:
            await create_product(session, assistant_id=assistant_id, **fields)
            created += 1
    return created, updated
