"""The Contacts pages: the list (search, filters, sort, bulk tag/untag/export), one contact,
the CSV import, custom attributes and opt-out settings, and the help on computed attributes."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from repdesk.assistants import service as assistants
from repdesk.assistants.deps import PageAssistantDep
from repdesk.catalog.models import Product
from repdesk.contacts import attributes as attribute_defs
from repdesk.contacts import computed, imports, optout, query
from repdesk.contacts import export as exporter
from repdesk.contacts import service as contacts
from repdesk.contacts import tags as contact_tags
from repdesk.contacts.routes import detail
from repdesk.conversations.models import Conversation
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.errors import AppError
from repdesk.kit.time import utcnow
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.orders.models import Order

pages = APIRouter(include_in_schema=False)
nav.add_assistant("Contacts", "/contacts", 7)

PAGE_SIZE = 50
SORT_LABELS = {
    "-lastMessageAt": "Last message",
    "-createdAt": "Newest",
    "name": "Name",
    "-totalSpent": "Total spent",
    "-ordersCount": "Orders",
    "-engagementScore": "Engagement",
}


def _filter_from(params: dict[str, str]) -> query.ContactFilter:
    now = utcnow()

    def number(key: str) -> int | None:
        value = params.get(key, "").strip()
        return int(value) if value.isdigit() else None

    inactive = number("inactiveDays")
    spent = number("minSpent")  # typed in major units on the page
    return query.ContactFilter(
        q=params.get("q", "").strip()[:100] or None,
        tags=[params["tag"].strip()[:50]] if params.get("tag", "").strip() else [],
        opted_out={"yes": True, "no": False}.get(params.get("optedOut", "")),
        purchase_behaviour=params.get("purchaseBehaviour") or None,
        sentiment=params.get("sentiment") or None,
        min_spent=spent * 100 if spent is not None else None,
        min_engagement=number("minEngagement"),
        inactive_since=now - timedelta(days=inactive) if inactive else None,
    )


@pages.get("/assistants/{assistant_id}/contacts")
async def contacts_page(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    sort = params.get("sort") if params.get("sort") in SORT_LABELS else "-lastMessageAt"
    lapsed = computed.lapsed_days_of(assistant.settings)
    error = ""
    try:
        f = _filter_from(params).check()
        rows, has_more, nxt = await query.list_page(
            session,
            assistant_id=assistant.id,
            f=f,
            lapsed_days=lapsed,
            sort=sort or "-lastMessageAt",
            limit=PAGE_SIZE,
            cursor=cursor,
        )
    except AppError as exc:
        rows, has_more, nxt, error = [], False, None, exc.message
    tags = await contact_tags.tags_of(session, [c.id for c in rows])
    filters = {k: v for k, v in params.items() if v}
    return render(
        request,
        "contacts/list.html",
        {
            "assistant": assistant,
            "contacts": rows,
            "tags": tags,
            "currency": await _currency(session, assistant.id),
            "has_more": has_more,
            "next_query": urlencode({**filters, "cursor": nxt}) if nxt else "",
            "export_query": urlencode([(k, v) for k, v in _api_query(filters).items()], doseq=True),
            "f": params,
            "sort": sort,
            "sorts": SORT_LABELS,
            "all_tags": await contact_tags.assistant_tags(session, assistant.id),
            "behaviours": computed.PURCHASE_BEHAVIOURS,
            "sentiments": computed.SENTIMENTS,
            "error": error or request.query_params.get("error", ""),
        },
    )


async def _currency(session: Any, assistant_id: str) -> str:
    """The shop's currency: its catalog's (the orders are priced from it)."""
    found = await session.scalar(
        select(Product.currency).where(Product.assistant_id == assistant_id).limit(1)
    )
    return str(found or "NGN")


def _api_query(filters: dict[str, str]) -> dict[str, Any]:
    """The page's filters as the API's query parameters (for "export these")."""
    out: dict[str, Any] = {}
    for key in ("q", "tag", "optedOut", "purchaseBehaviour", "sentiment", "minEngagement"):
        if filters.get(key):
            out[key] = filters[key]
    if "optedOut" in out:
        out["optedOut"] = "true" if out["optedOut"] == "yes" else "false"
    if filters.get("minSpent", "").isdigit():
        out["minSpent"] = int(filters["minSpent"]) * 100
    if filters.get("inactiveDays", "").isdigit():
        out["inactiveDays"] = filters["inactiveDays"]
    return out


@pages.post("/assistants/{assistant_id}/contacts/bulk")
async def bulk_action(
    assistant: PageAssistantDep, request: Request, session: SessionDep
) -> Response:
    form = await request.form()
    ids = [str(v) for v in form.getlist("ids")][:1000]
    action = str(form.get("action") or "")
    tag = str(form.get("tag") or "").strip()
    back = f"/assistants/{assistant.id}/contacts"
    if not ids:
        return redirect(back, error="Select at least one contact.")
    if action == "export":
        body = await exporter.export_csv(
            session,
            assistant,
            query.ids_query(
                assistant.id,
                query.ContactFilter(ids=ids),
                lapsed_days=computed.lapsed_days_of(assistant.settings),
            ),
        )
        return Response(
            content=body.encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="contacts-selected.csv"'},
        )
    if action not in ("tag", "untag"):
        return redirect(back, error="Choose an action.")
    back_on_error(request, back)
    changed = await contact_tags.bulk_tag(
        session, assistant=assistant, contact_ids=ids, tag=tag, remove=action == "untag"
    )
    verb = "Tagged" if action == "tag" else "Untagged"
    return redirect(back, flash=f"{verb} {changed} contact{'s' if changed != 1 else ''}.")


@pages.get("/assistants/{assistant_id}/contacts/import")
async def import_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep
) -> Response:
    return render(
        request,
        "contacts/import.html",
        {"assistant": assistant, "imports": await imports.recent(session, assistant.id)},
    )


@pages.get("/assistants/{assistant_id}/contacts/help")
async def help_page(assistant: PageAssistantDep, request: Request) -> Response:
    return render(
        request,
        "contacts/help.html",
        {"assistant": assistant, "lapsed_days": computed.lapsed_days_of(assistant.settings)},
    )


@pages.get("/assistants/{assistant_id}/contacts/settings")
async def settings_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep
) -> Response:
    return render(
        request,
        "contacts/settings.html",
        {
            "assistant": assistant,
            "definitions": await attribute_defs.list_for(session, assistant.id),
            "types": attribute_defs.TYPES,
            "s": optout.settings_of(assistant),
        },
    )


@pages.post("/assistants/{assistant_id}/contacts/settings/attributes")
async def add_attribute(
    request: Request,
    assistant: PageAssistantDep,
    session: SessionDep,
    key: Annotated[str, Form(max_length=64)] = "",
    label: Annotated[str, Form(max_length=120)] = "",
    type: Annotated[str, Form(max_length=10)] = "text",
    choices: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    back = f"/assistants/{assistant.id}/contacts/settings"
    back_on_error(request, back)
    await attribute_defs.create(
        session,
        assistant_id=assistant.id,
        key=key,
        label=label,
        type=type,
        choices=[c for c in (x.strip() for x in choices.split(",")) if c],
    )
    return redirect(back, flash="Attribute added.")


@pages.post("/assistants/{assistant_id}/contacts/settings/optout")
async def save_optout(
    request: Request,
    assistant: PageAssistantDep,
    session: SessionDep,
    stop_keywords: Annotated[str, Form(max_length=2000)] = "",
    start_keywords: Annotated[str, Form(max_length=2000)] = "",
    opt_out_reply: Annotated[str, Form(max_length=1000)] = "",
    opt_in_reply: Annotated[str, Form(max_length=1000)] = "",
    lapsed_days: Annotated[str, Form(max_length=5)] = "90",
) -> Response:
    back = f"/assistants/{assistant.id}/contacts/settings"
    back_on_error(request, back)
    stop = optout.clean_keywords(stop_keywords.split(","), "STOP keywords")
    start = optout.clean_keywords(start_keywords.split(","), "START keywords")
    if set(stop) & set(start):
        raise AppError("A keyword cannot both stop and start.", code="VALIDATION_ERROR")
    days = int(lapsed_days) if lapsed_days.strip().isdigit() else 0
    if not 1 <= days <= 3650:
        raise AppError("Lapsed after: 1 to 3650 days.", code="VALIDATION_ERROR")
    if not opt_out_reply.strip() or not opt_in_reply.strip():
        raise AppError("Both confirmations need a text.", code="VALIDATION_ERROR")
    await assistants.update_settings(
        session,
        assistant,
        "contacts",
        {
            "stopKeywords": stop,
            "startKeywords": start,
            "optOutReply": opt_out_reply.strip(),
            "optInReply": opt_in_reply.strip(),
            "lapsedDays": days,
        },
    )
    return redirect(back, flash="Opt-out settings saved.")


@pages.get("/assistants/{assistant_id}/contacts/{contact_id}")
async def contact_page(
    assistant: PageAssistantDep, contact_id: str, request: Request, session: SessionDep
) -> Response:
    contact = await contacts.get_or_404(session, assistant_id=assistant.id, contact_id=contact_id)
    lapsed = computed.lapsed_days_of(assistant.settings)
    tags = await contact_tags.tag_list(session, contact)
    conversations = list(
        await session.scalars(
            select(Conversation)
            .where(Conversation.contact_id == contact.id)
            .order_by(Conversation.id.desc())
        )
    )
    orders = list(
        await session.scalars(
            select(Order)
            .where(Order.contact_id == contact.id, Order.assistant_id == assistant.id)
            .order_by(Order.id.desc())
            .limit(50)
        )
    )
    definitions = await attribute_defs.list_for(session, assistant.id)
    defined = {d.key for d in definitions}
    return render(
        request,
        "contacts/detail.html",
        {
            "assistant": assistant,
            "contact": contact,
            "c": detail(contact, tags, lapsed_days=lapsed),
            "currency": await _currency(session, assistant.id),
            "tags": tags,
            "conversations": conversations,
            "orders": orders,
            "definitions": definitions,
            "free_attributes": {
                k: v for k, v in (contact.attributes or {}).items() if k not in defined
            },
            "notes": await contacts.notes_of(session, contact),
            "lapsed_days": lapsed,
            "reply_rate": round(
                100 * computed.reply_rate(contact.prompts_count, contact.replies_count)
            ),
        },
    )


@pages.post("/assistants/{assistant_id}/contacts/{contact_id}")
async def contact_update(
    assistant: PageAssistantDep,
    contact_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
) -> Response:
    contact = await contacts.get_or_404(session, assistant_id=assistant.id, contact_id=contact_id)
    back = f"/assistants/{assistant.id}/contacts/{contact.id}"
    form = await request.form()
    section = str(form.get("section") or "")
    back_on_error(request, back)
    if section == "profile":
        await contacts.update(
            session,
            contact,
            name=str(form.get("name") or "")[:200],
            email=str(form.get("email") or "")[:320],
            tags=[t for t in (x.strip() for x in str(form.get("tags") or "").split(",")) if t],
        )
    elif section == "attributes":
        values = dict(contact.attributes or {})
        for definition in await attribute_defs.list_for(session, assistant.id):
            raw = form.get(f"attr_{definition.key}")
            if definition.type == "boolean":
                values[definition.key] = raw == "true" if raw in ("true", "false") else None
            else:
                values[definition.key] = str(raw or "").strip() or None
        await contacts.update(
            session, contact, attributes={k: v for k, v in values.items() if v is not None}
        )
    elif section == "optout":
        await contacts.update(session, contact, opted_out=form.get("optedOut") == "yes")
    elif section == "note":
        await contacts.add_note(
            session,
            contact,
            body=str(form.get("body") or ""),
            author_id=principal.user.id,
        )
    elif section == "delete":
        await contacts.delete(session, contact)
        return redirect(f"/assistants/{assistant.id}/contacts", flash="Contact deleted.")
    else:
        return redirect(back, error="Unknown form.")
    return redirect(back, flash="Saved.")
