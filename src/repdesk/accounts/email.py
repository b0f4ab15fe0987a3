"""Outgoing email: real SMTP when configured, otherwise a file outbox under the data directory.

Mail is sent by the ``email.send`` job, never inside a request, so a slow or failing mail server
neither blocks a page nor loses a message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import ssl
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.schemas import SendEmailJob
from repdesk.config import Settings, get_settings
from repdesk.jobs.service import enqueue
from repdesk.kit.ids import new_id
from repdesk.kit.time import isoformat, utcnow

log = logging.getLogger("repdesk.email")


async def queue_email(session: AsyncSession, *, to: str, subject: str, body: str) -> None:
    await enqueue(session, SendEmailJob(to=to, subject=subject, body=body))


def _build(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.email_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def _send_smtp(settings: Settings, msg: EmailMessage) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    context = ssl.create_default_context()
    if settings.smtp_tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=20, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=20)
    with server:
        if settings.smtp_tls == "starttls":
            server.starttls(context=context)
        if settings.smtp_username:
            server.login(settings.smtp_username, settings.smtp_password)
        server.send_message(msg)


def _write_outbox(settings: Settings, to: str, subject: str, body: str) -> None:
    outbox = settings.data_dir / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    record = {"to": to, "subject": subject, "body": body, "createdAt": isoformat(utcnow())}
    name = f"{new_id()}.json"
    (outbox / name).write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")
    log.info("email to %s written to outbox/%s: %s\n%s", to, name, subject, body)


async def deliver(to: str, subject: str, body: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    if settings.smtp_host:
        await asyncio.to_thread(_send_smtp, settings, _build(settings, to, subject, body))
        log.info("email sent via SMTP to %s: %s", to, subject)
    else:
        await asyncio.to_thread(_write_outbox, settings, to, subject, body)
