"""The customer book: one contact per customer of an assistant (a phone number on WhatsApp, a
visitor id on the widget), their tags, and the computed attributes the pipeline keeps current.

Computed columns are written incrementally as messages and orders happen (never by rescanning a
contact's history); segments filter on them in SQL. Their formulas are documented where they are
computed (``repdesk.contacts.computed``) and in the dashboard's help.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class Contact(IdMixin, TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("assistant_id", "phone"),
        UniqueConstraint("assistant_id", "visitor_id"),
        Index("ix_contacts_assistant_last_message", "assistant_id", "last_message_at"),
    )

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164 with '+'
    visitor_id: Mapped[str | None] = mapped_column(String(64))  # web widget visitors
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Marketing opt-out (STOP / START, or set by the owner).
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    opted_out_at: Mapped[datetime | None]

    # -- computed attributes ------------------------------------------------------------
    message_count: Mapped[int] = mapped_column(Integer, default=0)  # inbound messages
    last_message_at: Mapped[datetime | None]  # last inbound
    outbound_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_contacted_at: Mapped[datetime | None]  # last outbound
    conversations_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Orders that are not cancelled, in the assistant's currency (minor units).
    orders_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_spent: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_paid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_order_at: Mapped[datetime | None]
    budget_range: Mapped[str | None] = mapped_column(String(8))  # low | mid | high
    sentiment: Mapped[str | None] = mapped_column(String(8))  # positive | neutral | negative
    sentiment_score: Mapped[float | None] = mapped_column(Float)  # -1.0 .. 1.0
    engagement_score: Mapped[int | None] = mapped_column(Integer)  # 0 .. 100
    # Reply rate's counters (repdesk.contacts.computed): a "prompt" is our first outbound
    # message since the customer last wrote; a "reply" is their first message after one.
    prompts_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replies_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    awaiting_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class ContactTag(Base):
    """One tag of one contact; indexed by (assistant, tag) for segments and filters."""

    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_assistant_tag", "assistant_id", "tag"),)

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    # Where the tag stands in the contact's list (the API returns tags in the order given).
    position: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ContactNote(IdMixin, TimestampMixin, Base):
    """A note the team wrote about a contact (shown on the contact's page, newest first)."""

    __tablename__ = "contact_notes"
    __table_args__ = (Index("ix_contact_notes_contact_id", "contact_id", "id"),)

    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    author_id: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)


class AttributeDefinition(IdMixin, TimestampMixin, Base):
    """A custom attribute of an assistant's contacts: its key in ``contacts.attributes``, its
    label and its type (text, number, date, boolean, choice), which values are checked
    against and which gives segment filters their operators."""

    __tablename__ = "contact_attribute_definitions"
    __table_args__ = (UniqueConstraint("assistant_id", "key"),)

    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(10))
    choices: Mapped[list[str]] = mapped_column(JSONType, default=list)


class ContactImport(IdMixin, TimestampMixin, Base):
    """A CSV import, run by the ``contacts.import`` job one batch of rows at a time."""

    __tablename__ = "contact_imports"
    __table_args__ = (Index("ix_contact_imports_assistant_id", "assistant_id", "id"),)

    assistant_id: Mapped[str] = mapped_column(ForeignKey("assistants.id", ondelete="CASCADE"))
    file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    default_country: Mapped[str | None] = mapped_column(String(2))
    # CSV column -> target: phone | name | email | tags | attribute:<key> | skip
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done|failed
    rows_done: Mapped[int] = mapped_column(Integer, default=0)  # data rows read so far
    total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str | None] = mapped_column(String(32))
    finished_at: Mapped[datetime | None]
