"""The one WhatsApp sender: everything that sends (AI, inbox, Developer API, broadcasts,
workflows) goes through ``conversations.send`` -> delivery (a ``channel.send`` job, or the
API's request) -> ``prepare`` / ``post`` here.

``validate`` refuses what Meta would refuse, before anything is charged: empty text, more than
3 reply buttons or titles over 20 characters, a template that is unknown or not approved
(``TEMPLATE_NOT_APPROVED``), a number that is not connected. ``send`` formats the text for
WhatsApp, splits bodies over 4096 characters, uploads stored files, and maps Meta's errors:
network / 5xx / 130429 -> retryable; 131047 -> ``SERVICE_WINDOW_CLOSED``; 190 -> the
connection is marked disconnected (``CHANNEL_DISCONNECTED``); anything else ->
``META_API_ERROR`` with Meta's code kept as ``provider_code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.channels.base import (
    ChannelError,
    OutboundMessage,
    SendResult,
    register_sender,
)
from repdesk.channels.whatsapp import service, templates
from repdesk.channels.whatsapp.client import GraphClient, GraphError, message_body, split_text
from repdesk.channels.whatsapp.formatter import to_whatsapp
from repdesk.channels.whatsapp.models import ConnectionStatus, TemplateStatus, WhatsAppConnection
from repdesk.contacts import service as contacts
from repdesk.contacts.models import Contact
from repdesk.conversations.models import Conversation, Message
from repdesk.files import service as files
from repdesk.kit.errors import AppError, ValidationError

MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
INTERACTIVE_BODY_MAX = 1024
LIST_ROWS_MAX = 10
LIST_ROW_TITLE_MAX = 24
CAPTION_MAX = 1024


@dataclass
class Outgoing:
    """A message ready for the Graph API: what :meth:`WhatsAppSender.post` needs."""

    token: str
    phone_number_id: str
    connection_id: str
    to: str
    outbound: OutboundMessage
    upload: tuple[bytes, str, str] | None  # (data, mime type, filename) of a stored file
    assistant_text: bool


class TemplateNotApprovedError(AppError):
    status = 400
    code = "TEMPLATE_NOT_APPROVED"


def validate_interactive(interactive: dict[str, Any]) -> None:
    kind = interactive.get("type")
    body = interactive.get("body") or {}
    if not isinstance(body, dict) or not str(body.get("text") or "").strip():
        raise ValidationError("interactive.body.text is required.")
    if len(str(body["text"])) > INTERACTIVE_BODY_MAX and kind == "button":
        raise ValidationError(
            f"interactive.body.text must be at most {INTERACTIVE_BODY_MAX} characters."
        )
    action = interactive.get("action") or {}
    if kind == "button":
        buttons = action.get("buttons") if isinstance(action, dict) else None
        if not isinstance(buttons, list) or not buttons:
            raise ValidationError("Reply buttons need at least one button.")
        if len(buttons) > MAX_BUTTONS:
            raise ValidationError(f"WhatsApp allows at most {MAX_BUTTONS} reply buttons.")
        titles: list[str] = []
        for b in buttons:
            reply = b.get("reply") if isinstance(b, dict) else None
            if not isinstance(reply, dict) or not str(reply.get("id") or ""):
                raise ValidationError("Every button needs reply.id and reply.title.")
            title = str(reply.get("title") or "")
            if not title.strip():
                raise ValidationError("Every button needs a title.")
            if len(title) > BUTTON_TITLE_MAX:
                raise ValidationError(
                    f"Button title {title[:30]!r} is longer than {BUTTON_TITLE_MAX} characters."
                )
            if len(str(reply["id"])) > BUTTON_ID_MAX:
                raise ValidationError(f"Button ids must be at most {BUTTON_ID_MAX} characters.")
            titles.append(title)
        if len(set(titles)) != len(titles):
            raise ValidationError("Button titles must be unique.")
    elif kind == "list":
        sections = action.get("sections") if isinstance(action, dict) else None
        if (
            not isinstance(action, dict)
            or not action.get("button")
            or len(str(action["button"])) > BUTTON_TITLE_MAX
        ):
            raise ValidationError(
                f"A list needs action.button of at most {BUTTON_TITLE_MAX} characters."
            )
        rows = [r for s in sections or [] if isinstance(s, dict) for r in s.get("rows") or []]
        if not rows or len(rows) > LIST_ROWS_MAX:
            raise ValidationError(f"A list needs between 1 and {LIST_ROWS_MAX} rows.")
        for r in rows:
            if (
                not isinstance(r, dict)
                or not r.get("id")
                or not r.get("title")
                or len(str(r["title"])) > LIST_ROW_TITLE_MAX
            ):
                raise ValidationError(
                    f"List rows need an id and a title of at most {LIST_ROW_TITLE_MAX} characters."
                )
    elif kind not in ("cta_url", "product", "product_list", "flow"):
        raise ValidationError("interactive.type must be button or list.")


class WhatsAppSender:
    channel = "whatsapp"
    requires_service_window = True

    async def validate(
        self, session: AsyncSession, conversation: Conversation, outbound: OutboundMessage
    ) -> None:
        conn = await service.get_connection_for_send(session, conversation.assistant_id)
        if conn is None:
            raise service.NotConnectedError("This assistant has no WhatsApp number connected.")
        if conn.status != ConnectionStatus.CONNECTED:
            raise service.NotConnectedError(
                "The WhatsApp connection is disconnected (the access token was rejected): "
                "reconnect it in Settings."
            )
        if outbound.type == "text":
            if not (outbound.text or "").strip():
                raise ValidationError("text must not be empty.")
        elif outbound.type == "interactive":
            if not outbound.interactive:
                raise ValidationError("interactive is required for interactive messages.")
            validate_interactive(outbound.interactive)
        elif outbound.type == "template":
            if outbound.template is None:
                raise ValidationError("template is required for template messages.")
            tpl = await templates.get_template(
                session,
                conversation.assistant_id,
                outbound.template.name,
                outbound.template.language,
            )
            if tpl is None:
                raise TemplateNotApprovedError(
                    f"Template {outbound.template.name!r} ({outbound.template.language}) is not "
                    "known for this number: create it in WhatsApp Manager or sync templates."
                )
            if tpl.status != TemplateStatus.APPROVED:
                raise TemplateNotApprovedError(
                    f"Template {tpl.name!r} ({tpl.language}) is {tpl.status.lower()}, not approved."
                )
            marketing = (tpl.category or "").upper() == "MARKETING"
            if marketing and await contacts.is_opted_out(
                session, contact_id=conversation.contact_id or None
            ):
                raise contacts.OptedOutError(
                    "The contact opted out of marketing messages (they wrote STOP)."
                )
        else:
            media = outbound.media
            if media is None or not (media.link or media.id):
                raise ValidationError(f"A {outbound.type} message needs media.link or media.id.")
            if media.link and not media.link.startswith(("https://", "http://")):
                raise ValidationError("media.link must be an http(s) URL.")
            if media.caption and len(media.caption) > CAPTION_MAX:
                raise ValidationError(f"Captions must be at most {CAPTION_MAX} characters.")

    async def prepare(self, session: AsyncSession, message: Message) -> Outgoing:
        conn = await service.get_connection_for_send(session, message.assistant_id)
        conv = await session.get(Conversation, message.conversation_id)
        contact = await session.get(Contact, conv.contact_id) if conv else None
        return await self.outgoing(
            session,
            conn,
            contact.phone if contact is not None else None,
            OutboundMessage.model_validate(message.content),
            # People (inbox agents, API callers) write what they want sent; the AI writes
            # markdown, turned into WhatsApp's dialect.
            assistant_text=message.sender == "ai",
        )

    async def outgoing(
        self,
        session: AsyncSession,
        conn: WhatsAppConnection | None,
        to: str | None,
        outbound: OutboundMessage,
        *,
        assistant_text: bool,
    ) -> Outgoing:
        """Everything a send needs from the database, read before its transaction ends."""
        if conn is None or conn.status != ConnectionStatus.CONNECTED:
            raise ChannelError("The WhatsApp number is not connected.", code="CHANNEL_DISCONNECTED")
        if not to:
            raise ChannelError(
                "The conversation has no WhatsApp number to send to.", code="VALIDATION_ERROR"
            )
        upload: tuple[bytes, str, str] | None = None
        if outbound.media is not None and outbound.media.id and not outbound.media.link:
            stored = await files.get(session, outbound.media.id)
            if stored is not None and stored.workspace_id == conn.workspace_id:
                upload = (await files.read(stored), stored.mime_type, stored.filename)
        return Outgoing(
            token=service.access_token(conn),
            phone_number_id=conn.phone_number_id,
            connection_id=conn.id,
            to=to,
            outbound=outbound,
            upload=upload,
            assistant_text=assistant_text,
        )

    async def post(self, session: AsyncSession, out: Outgoing) -> SendResult:
        """Send what :meth:`prepare` read; a failure's effect on our state is recorded
        (:meth:`record_error`) in the session's next transaction."""
        try:
            return await self.call(out)
        except ChannelError as exc:
            await self.record_error(session, out, exc)
            raise

    async def call(self, out: Outgoing) -> SendResult:
        """Call the Graph API with what :meth:`prepare` read (no transaction may be open on
        SQLite: this takes a while). Meta's errors become :class:`ChannelError`; what they
        change in our state is :meth:`record_error`'s."""
        client = GraphClient(out.token)
        outbound = out.outbound
        try:
            if out.upload is not None and outbound.media is not None:
                data, mime_type, filename = out.upload
                outbound.media.id = await client.upload_media(
                    out.phone_number_id, data=data, mime_type=mime_type, filename=filename
                )
            bodies = bodies_for(out.to, outbound, assistant_text=out.assistant_text)
            wamids = [await client.send(out.phone_number_id, body) for body in bodies]
        except GraphError as exc:
            raise channel_error(exc) from exc
        return SendResult(wamids[0], {"wamids": wamids})

    async def record_error(self, session: AsyncSession, out: Outgoing, exc: ChannelError) -> None:
        """What a failed :meth:`post` changes: a rejected token disconnects the number."""
        if exc.code == "CHANNEL_DISCONNECTED":
            conn = await session.get(WhatsAppConnection, out.connection_id)
            if conn is not None:
                await service.mark_disconnected(
                    session, conn, "Meta rejected the access token (code 190)."
                )


def channel_error(exc: GraphError) -> ChannelError:
    """Meta's error as the message pipeline's: network / 5xx / throttling retryable, 131047
    the closed service window, 190 a rejected token, anything else ``META_API_ERROR``."""
    title = exc.message if not exc.details else f"{exc.message}: {exc.details}"
    if exc.retryable:
        return ChannelError(title, code="META_API_ERROR", provider_code=exc.code, retryable=True)
    if exc.code == 131047:
        return ChannelError(
            "More than 24 hours have passed since the customer last replied: send a template.",
            code="SERVICE_WINDOW_CLOSED",
            provider_code=131047,
        )
    if exc.code == 190:
        return ChannelError(
            "Meta rejected the access token: reconnect WhatsApp.",
            code="CHANNEL_DISCONNECTED",
            provider_code=190,
        )
    return ChannelError(title, code="META_API_ERROR", provider_code=exc.code)


def bodies_for(
    to: str, outbound: OutboundMessage, *, assistant_text: bool = True
) -> list[dict[str, Any]]:
    """Meta send bodies for one message, text split when over Meta's limit.

    ``assistant_text``: the text is the assistant's markdown and is turned into WhatsApp's
    dialect. People (inbox agents, Developer API callers) already write what they want sent,
    so their text goes out as written.
    """

    def fmt(value: str) -> str:
        return (to_whatsapp(value) or value) if assistant_text else value

    if outbound.type == "text":
        parts = split_text(fmt(outbound.text or ""))
        bodies = [message_body(to, outbound, text=part) for part in parts]
        for later in bodies[1:]:
            later.pop("context", None)  # only the first part is the reply
        return bodies
    if outbound.type == "interactive" and outbound.interactive:
        body_text = str((outbound.interactive.get("body") or {}).get("text") or "")
        return [message_body(to, outbound, text=fmt(body_text))]
    if outbound.media is not None and outbound.media.caption:
        return [message_body(to, outbound, text=fmt(outbound.media.caption))]
    return [message_body(to, outbound)]


sender = register_sender(WhatsAppSender())
