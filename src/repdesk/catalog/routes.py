"""/api/assistants/{id}/products: the catalog (prices in integer minor units)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from repdesk.assistants.deps import AssistantDep
from repdesk.catalog import service
from repdesk.catalog.models import Product
from repdesk.catalog.schemas import (
    ImageUrlIn,
    ImportResult,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    VariantIn,
    VariantRead,
)
from repdesk.files import service as files
from repdesk.kit.errors import AppError, ValidationError
from repdesk.kit.pagination import page
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/assistants/{assistant_id}/products", tags=["catalog"])

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_CSV_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
    b"RIFF": "image/webp",
}


def product_read(p: Product) -> ProductRead:
    return ProductRead(
        id=p.id,
        assistant_id=p.assistant_id,
        name=p.name,
        description=p.description,
        price=p.price,
        currency=p.currency,
        available=p.available,
        images=list(p.images),
        variants=[
            VariantRead(
                id=v.id, name=v.name, price=service.variant_price(p, v), available=v.available
            )
            for v in p.variants
        ],
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _variants(items: list[VariantIn] | None) -> list[service.VariantData] | None:
    if items is None:
        return None
    return [service.VariantData(v.name, v.price, v.available) for v in items]


@router.post("", status_code=201, response_model=ProductRead)
async def create_product(
    assistant: AssistantDep, body: ProductCreate, session: SessionDep, principal: PrincipalDep
) -> ProductRead:
    """Add a product. ``price`` (and a variant's ``price`` where it differs) in integer minor
    units; ``images`` are http(s) URLs (or upload one with ``POST …/images``)."""
    product = await service.create_product(
        session,
        assistant_id=assistant.id,
        name=body.name,
        description=body.description,
        price=body.price,
        currency=body.currency,
        available=body.available,
        images=body.images,
        variants=_variants(body.variants) or [],
    )
    return product_read(product)


@router.get("")
async def list_products(
    assistant: AssistantDep,
    session: SessionDep,
    q: str | None = Query(default=None, max_length=200, description="name or description contains"),
    available: bool | None = Query(default=None, description="true: only products in stock"),
) -> dict[str, Any]:
    """The catalog, newest first."""
    rows = await service.list_products(
        session, assistant_id=assistant.id, query=q, available_only=bool(available)
    )
    return page([product_read(p).model_dump(by_alias=True, mode="json") for p in rows], False, None)


@router.get("/search")
async def search_products(
    assistant: AssistantDep,
    session: SessionDep,
    q: str = Query(min_length=1, max_length=500),
    k: int = Query(default=5, ge=1, le=50),
) -> dict[str, Any]:
    """Products matching a customer's words, as the assistant finds them (with a 0..1 score)."""
    matches = await service.find_product_matches(session, assistant_id=assistant.id, query=q, k=k)
    data = [
        {**product_read(m.product).model_dump(by_alias=True, mode="json"), "score": m.score}
        for m in matches
    ]
    return {"data": data}


@router.get("/export")
async def export_products(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> Response:
    """The catalog as CSV (columns id, name, description, price, currency, available,
    variants as ``Small; Large=18000; Red!`` with ``!`` = out of stock, images)."""
    body = await service.export_csv(session, assistant_id=assistant.id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products.csv"'},
    )


@router.post("/import", response_model=ImportResult)
async def import_products(
    assistant: AssistantDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV with the export's columns")],
) -> ImportResult:
    """Create or update products from CSV. Rows with an ``id`` of an existing product update
    it. Every row is checked first: one bad row rejects the whole file."""
    data = await file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise AppError("The CSV file is larger than 5 MB.", code="FILE_TOO_LARGE", status=413)
    created, updated = await service.import_csv(session, assistant_id=assistant.id, data=data)
    return ImportResult(created=created, updated=updated)


@router.get("/{product_id}", response_model=ProductRead)
async def get_product(
    assistant: AssistantDep, product_id: str, session: SessionDep, principal: PrincipalDep
) -> ProductRead:
    return product_read(
        await service.get_product_or_404(session, assistant_id=assistant.id, product_id=product_id)
    )


@router.patch("/{product_id}", response_model=ProductRead)
async def update_product(
    assistant: AssistantDep,
    product_id: str,
    body: ProductUpdate,
    session: SessionDep,
) -> ProductRead:
    """Change any field; ``variants`` replaces the list (variants keep their ids by name)."""
    product = await service.get_product_or_404(
        session, assistant_id=assistant.id, product_id=product_id
    )
    await service.update_product(
        session,
        product,
        name=body.name,
        description=body.description,
        price=body.price,
        currency=body.currency,
        available=body.available,
        images=body.images,
        variants=_variants(body.variants),
    )
    return product_read(product)


@router.delete("/{product_id}", status_code=204)
async def delete_product(
    assistant: AssistantDep, product_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    product = await service.get_product_or_404(
        session, assistant_id=assistant.id, product_id=product_id
    )
    await service.delete_product(session, product)
    return Response(status_code=204)


@router.post("/{product_id}/images", status_code=201, response_model=ProductRead)
async def add_product_image(
    assistant: AssistantDep,
    product_id: str,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
) -> ProductRead:
    """Add an image: multipart ``file`` (PNG, JPEG, GIF, WebP up to 5 MB) or JSON ``{"url"}``."""
    product = await service.get_product_or_404(
        session, assistant_id=assistant.id, product_id=product_id
    )
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationError("file: upload an image as the multipart field 'file'")
        data = await upload.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise AppError("The image is larger than 5 MB.", code="FILE_TOO_LARGE", status=413)
        mime = next((m for sig, m in IMAGE_TYPES.items() if data.startswith(sig)), None)
        if mime is None:
            raise AppError(
                "Upload a PNG, JPEG, GIF or WebP image.", code="UNSUPPORTED_FILE_TYPE", status=415
            )
        stored = await files.save(
            session,
            workspace_id=principal.workspace.id,
            data=data,
            mime_type=mime,
            filename=upload.filename or "",
            assistant_id=assistant.id,
            purpose="product_image",
        )
        url = f"/api/files/{stored.id}"
    else:
        try:
            body = ImageUrlIn.model_validate(await request.json())
        except Exception as exc:
            raise ValidationError('Send JSON {"url": "https://…"} or a multipart file.') from exc
        url = body.url
    await service.add_image(session, product, url)
    return product_read(product)


@router.delete("/{product_id}/images/{position}", response_model=ProductRead)
async def delete_product_image(
    assistant: AssistantDep,
    product_id: str,
    position: int,
    session: SessionDep,
    principal: PrincipalDep,
) -> ProductRead:
    """Remove the image at ``position`` (0-based) from the product."""
    product = await service.get_product_or_404(
        session, assistant_id=assistant.id, product_id=product_id
    )
    await service.remove_image(session, product, position)
    return product_read(product)
