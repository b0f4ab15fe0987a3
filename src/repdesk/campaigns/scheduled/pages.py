"""Dashboard: the "Schedule" page of an assistant (schedule a message, the upcoming, sent,
failed and cancelled ones, edit or cancel). It calls ``campaigns.scheduled.service``; it writes
no table itself."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import pydantic
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from repdesk.accounts import service as accounts
from repdesk.assistants.deps import PageAssistantDep
from repdesk.campaigns.scheduled import service
from repdesk.campaigns.scheduled.models import ScheduledMessage, ScheduleState
from repdesk.campaigns.scheduled.schemas import ScheduleTo
from repdesk.channels.whatsapp import templates as wa_templates
from repdesk.contacts import service as contacts
from repdesk.conversations.content import MessageContent
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit import timezones
from repdesk.kit.errors import ValidationError
from repdesk.kit.web import PagePrincipalDep, SessionDep

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Schedule", "/schedule", 42)

SECTIONS = (
    (ScheduleState.SCHEDULED, "Upcoming"),
    (ScheduleState.SENT, "Sent"),
    (ScheduleState.FAILED, "Failed"),
    (ScheduleState.CANCELLED, "Cancelled"),
)


def _local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def _summary(content: dict[str, Any]) -> str:
    kind = str(content.get("type", ""))
    if kind == "text":
        body = str((content.get("text") or {}).get("body", ""))
        fallback = (content.get("fallbackTemplate") or {}).get("name")
        return body[:120] + (f" (closed window: template {fallback})" if fallback else "")
    if kind == "template":
        return f"Template {(content.get('template') or {}).get('name', '')}"
    return kind.capitalize()


def _item(row: ScheduledMessage, names: dict[str, str], status: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "to": names.get(row.contact_id or "", "a contact") if row.contact_id else row.phone,
        "when": f"{_local(row.send_at, row.time_zone):%Y-%m-%d %H:%M} ({row.time_zone})",
        "summary": _summary(row.content),
        "state": row.state,
        "error": f"{row.error_code}: {row.error_message}" if row.error_code else "",
        "late": row.late,
        "message_status": status,
    }


def _values_text(template: dict[str, Any] | None) -> str:
    """A template's variables as the form's lines: a value, or ``field:name|fallback``."""
    variables = (template or {}).get("variables") or {}
    lines = []
    for key in sorted((k for k in variables if k != "header"), key=int):
        v = variables[key]
        if "field" in v:
            lines.append(f"field:{v['field']}" + (f"|{v['fallback']}" if v.get("fallback") else ""))
        else:
            lines.append(str(v.get("value", "")))
    return "\n".join(lines)


def _form_of(row: ScheduledMessage | None, default_zone: str) -> dict[str, Any]:
    if row is None:
        return {"kind": "text", "time_zone": default_zone, "language": "en_US"}
    content = row.content
    template = content.get("template") or content.get("fallbackTemplate") or {}
    local = _local(row.send_at, row.time_zone)
    language = template.get("language", "en_US")
    return {
        "id": row.id,
        "contact_id": row.contact_id or "",
        "phone": row.phone or "",
        "kind": "template" if content.get("type") == "template" else "text",
        "text": (content.get("text") or {}).get("body", ""),
        "template_name": template.get("name", "") if content.get("type") == "template" else "",
        "fallback_name": (content.get("fallbackTemplate") or {}).get("name", ""),
        "language": language if isinstance(language, str) else language.get("code", "en_US"),
        "values": _values_text(template),
        "date": f"{local:%Y-%m-%d}",
        "time": f"{local:%H:%M}",
        "time_zone": row.time_zone,
    }


@pages.get("/assistants/{assistant_id}/schedule")
async def schedule_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    workspace = await accounts.get_workspace_or_404(session, assistant.workspace_id)
    people, _more, _next = await contacts.list_page(
        session, assistant_id=assistant.id, limit=100, cursor=None
    )
    names = {c.id: c.name or c.phone or "Contact" for c in people}
    sections = []
    for state, label in SECTIONS:
        rows = await service.list_for_assistant(
            session, assistant_id=assistant.id, state=state, limit=100
        )
        missing = [r.contact_id for r in rows if r.contact_id and r.contact_id not in names]
        for cid in dict.fromkeys(missing):
            c = await contacts.get(session, assistant_id=assistant.id, contact_id=cid)
            if c is not None:
                names[c.id] = c.name or c.phone or "Contact"
        reads = await service.reads(session, rows)
        statuses = {r.id: r.message_status for r in reads}
        sections.append((state, label, [_item(r, names, statuses.get(r.id)) for r in rows]))
    editing = None
    edit_id = request.query_params.get("edit", "")
    if edit_id:
        row = await service.get_or_404(session, assistant_id=assistant.id, schedule_id=edit_id)
        editing = row if row.state == ScheduleState.SCHEDULED else None
    templates = [
        t
        for t in await wa_templates.list_templates(session, assistant.id)
        if t.status == "APPROVED"
    ]
    return render(
        request,
        "campaigns/schedule.html",
        {
            "assistant": assistant,
            "sections": sections,
            "contacts": people,
            "templates": templates,
            "zones": timezones.names(),
            "form": _form_of(editing, workspace.timezone),
            "workspace_zone": workspace.timezone,
        },
    )


def _variables(values: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    lines = [ln.strip() for ln in values.splitlines() if ln.strip()]
    for n, line in enumerate(lines, start=1):
        if line.startswith("field:"):
            field, _, fallback = line[len("field:") :].partition("|")
            out[str(n)] = {"field": field.strip(), **({"fallback": fallback} if fallback else {})}
        else:
            out[str(n)] = {"value": line}
    return out or None


def _content(
    kind: str, text: str, template_name: str, fallback_name: str, language: str, values: str
) -> MessageContent:
    language = language.strip() or "en_US"
    variables = _variables(values)
    body: dict[str, Any]
    if kind == "template":
        if not template_name.strip():
            raise ValidationError("Choose the template to send.")
        body = {
            "type": "template",
            "template": {"name": template_name.strip(), "language": language},
        }
        if variables:
            body["template"]["variables"] = variables
    else:
        if not text.strip():
            raise ValidationError("Write the message to send.")
        body = {"type": "text", "text": {"body": text.strip()}}
        if fallback_name.strip():
            fallback: dict[str, Any] = {"name": fallback_name.strip(), "language": language}
            if variables:
                fallback["variables"] = variables
            body["fallbackTemplate"] = fallback
    try:
        return MessageContent.model_validate(body)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationError(f"{where}: {first['msg']}" if where else first["msg"]) from None


def _send_at(day: str, at: str, zone: str) -> datetime:
    try:
        when_day, when_time = date.fromisoformat(day), time.fromisoformat(at)
    except ValueError:
        raise ValidationError("Choose the date and the time to send it.") from None
    return timezones.local_to_utc(when_day, when_time, zone)


def _to(contact_id: str, phone: str) -> ScheduleTo:
    if contact_id.strip():
        return ScheduleTo(contact_id=contact_id.strip())
    if phone.strip():
        return ScheduleTo(phone=phone.strip()[:32])
    raise ValidationError("Choose a contact or type a phone number.")


Text = Annotated[str, Form()]


@pages.post("/assistants/{assistant_id}/schedule")
async def schedule_submit(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    contact_id: Text = "",
    phone: Text = "",
    kind: Text = "text",
    text: Text = "",
    template_name: Text = "",
    fallback_name: Text = "",
    language: Text = "en_US",
    values: Text = "",
    day: Text = "",
    at: Text = "",
    time_zone: Text = "UTC",
) -> Response:
    back = f"/assistants/{assistant.id}/schedule"
    back_on_error(request, back)
    row = await service.create(
        session,
        assistant=assistant,
        to=_to(contact_id, phone),
        content=_content(kind, text, template_name, fallback_name, language, values),
        send_at=_send_at(day, at, time_zone),
        time_zone=timezones.checked(time_zone),
        created_by=principal.user.id,
    )
    return redirect(back, flash=f"Scheduled for {_item(row, {}, None)['when']}.")


@pages.post("/assistants/{assistant_id}/schedule/{schedule_id}")
async def schedule_edit(
    assistant: PageAssistantDep,
    schedule_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    contact_id: Text = "",
    phone: Text = "",
    kind: Text = "text",
    text: Text = "",
    template_name: Text = "",
    fallback_name: Text = "",
    language: Text = "en_US",
    values: Text = "",
    day: Text = "",
    at: Text = "",
    time_zone: Text = "UTC",
) -> Response:
    back = f"/assistants/{assistant.id}/schedule"
    back_on_error(request, f"{back}?edit={schedule_id}")
    row = await service.get_or_404(session, assistant_id=assistant.id, schedule_id=schedule_id)
    await service.update_schedule(
        session,
        row,
        assistant=assistant,
        to=_to(contact_id, phone),
        content=_content(kind, text, template_name, fallback_name, language, values),
        send_at=_send_at(day, at, time_zone),
        time_zone=timezones.checked(time_zone),
    )
    return redirect(back, flash=f"Saved: it goes out {_item(row, {}, None)['when']}.")


@pages.post("/assistants/{assistant_id}/schedule/{schedule_id}/cancel")
async def schedule_cancel(
    assistant: PageAssistantDep,
    schedule_id: str,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
) -> Response:
    back = f"/assistants/{assistant.id}/schedule"
    back_on_error(request, back)
    row = await service.get_or_404(session, assistant_id=assistant.id, schedule_id=schedule_id)
    await service.cancel(session, row)
    return redirect(back, flash="Cancelled: it will not be sent.")
