"""Dashboard page: the Catalog. Prices are typed in major units (₦25,000.50) and stored in
minor units; variants are typed as ``Small; Large=27000; Red!`` (``!`` = out of stock)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.catalog import service
from repdesk.catalog.models import Product
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.files import service as files
from repdesk.kit.errors import ValidationError
from repdesk.kit.money import parse_money, to_major
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.knowledge.routes import index_status

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Catalog", "/catalog", 22)


def parse_variants(text: str, currency: str) -> list[service.VariantData]:
    out = []
    for part in (text or "").replace("\n", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        available = not part.endswith("!")
        name, _, price = part.rstrip("!").partition("=")
        minor = parse_money(price, currency, f"variant {name.strip()}") if price.strip() else None
        out.append(service.VariantData(name.strip(), minor, available))
    return out


def format_variants(product: Product) -> str:
    return "; ".join(
        v.name
        + ("" if v.price is None else "=" + to_major(v.price, product.currency))
        + ("" if v.available else "!")
        for v in product.variants
    )


@pages.get("/assistants/{assistant_id}/catalog")
async def catalog_page(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    q: str = "",
    edit: str = "",
) -> Response:
    products = await service.list_products(session, assistant_id=assistant.id, query=q[:200])
    editing = None
    if edit:
        editing = await service.get_product(session, assistant_id=assistant.id, product_id=edit)
    ctx = {
        "assistant": assistant,
        "products": products,
        "q": q,
        "editing": editing,
        "status": await index_status(session, assistant.id),
        "variant_price": service.variant_price,
        "format_variants": format_variants,
        "to_major": to_major,
    }
    return render(request, "catalog/catalog.html", ctx)


@pages.post("/assistants/{assistant_id}/catalog/save")
async def catalog_save(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    product_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    price: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "NGN",
    available: Annotated[str, Form()] = "",
    variants: Annotated[str, Form()] = "",
    image_url: Annotated[str, Form()] = "",
) -> Response:
    here = f"/assistants/{assistant.id}/catalog"
    back_on_error(request, f"{here}?edit={product_id}" if product_id else here)
    minor = parse_money(price, currency)
    parsed = parse_variants(variants, currency)
    if product_id:
        product = await service.get_product_or_404(
            session, assistant_id=assistant.id, product_id=product_id
        )
        await service.update_product(
            session,
            product,
            name=name,
            description=description,
            price=minor,
            currency=currency,
            available=bool(available),
            variants=parsed,
        )
        if image_url.strip():
            await service.add_image(session, product, image_url)
        flash = f"Saved {product.name}."
    else:
        product = await service.create_product(
            session,
            assistant_id=assistant.id,
            name=name,
            description=description,
            price=minor,
            currency=currency,
            available=bool(available),
            variants=parsed,
            images=[image_url] if image_url.strip() else [],
        )
        flash = f"Added {product.name}."
    return redirect(here, flash=flash)


@pages.post("/assistants/{assistant_id}/catalog/{product_id}/delete")
async def catalog_delete(
    assistant: PageAssistantDep,
    product_id: str,
    request: Request,
    session: SessionDep,
) -> Response:
    product = await service.get_product_or_404(
        session, assistant_id=assistant.id, product_id=product_id
    )
    await service.delete_product(session, product)
    return redirect(f"/assistants/{assistant.id}/catalog", flash=f"Deleted {product.name}.")


@pages.post("/assistants/{assistant_id}/catalog/{product_id}/image")
async def catalog_image(
    assistant: PageAssistantDep,
    product_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    from repdesk.catalog.routes import IMAGE_TYPES, MAX_IMAGE_BYTES

    product = await service.get_product_or_404(
        session, assistant_id=assistant.id, product_id=product_id
    )
    back = f"/assistants/{assistant.id}/catalog?edit={product.id}"
    if file is None or not file.filename:
        return redirect(back, error="Choose an image to upload.")
    data = await file.read(MAX_IMAGE_BYTES + 1)
    mime = next((m for sig, m in IMAGE_TYPES.items() if data.startswith(sig)), None)
    if len(data) > MAX_IMAGE_BYTES or mime is None:
        return redirect(back, error="Upload a PNG, JPEG, GIF or WebP image up to 5 MB.")
    stored = await files.save(
        session,
        workspace_id=principal.workspace.id,
        data=data,
        mime_type=mime,
        filename=file.filename,
        assistant_id=assistant.id,
        purpose="product_image",
    )
    back_on_error(request, back)
    await service.add_image(session, product, f"/api/files/{stored.id}")
    return redirect(back, flash="Image added.")


@pages.post("/assistants/{assistant_id}/catalog/import")
async def catalog_import(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    here = f"/assistants/{assistant.id}/catalog"
    if file is None or not file.filename:
        return redirect(here, error="Choose a CSV file to import.")
    data = await file.read(5 * 1024 * 1024 + 1)
    # Nothing from the file is kept on an error: the request's transaction is rolled back.
    back_on_error(request, here, prefix="Import failed, nothing changed. ")
    if len(data) > 5 * 1024 * 1024:
        raise ValidationError("The CSV file is larger than 5 MB.")
    created, updated = await service.import_csv(session, assistant_id=assistant.id, data=data)
    return redirect(here, flash=f"Imported: {created} added, {updated} updated.")
