from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field
from pydantic.config import JsonDict

from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import E164, CamelModel, StrictCamelModel

TAGS: JsonDict = {"items": {"type": "string", "minLength": 1, "maxLength": 50}}


class ContactCreate(StrictCamelModel):
    phone: str = Field(max_length=40, description="E.164", json_schema_extra=E164)
    name: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list, json_schema_extra=TAGS)
    attributes: dict[str, Any] = Field(default_factory=dict)


class ContactUpdate(StrictCamelModel):
    phone: str | None = Field(
        default=None, max_length=40, description="E.164", json_schema_extra=E164
    )
    name: str | None = Field(default=None, max_length=200)
    tags: list[str] | None = Field(default=None, json_schema_extra=TAGS)
    attributes: dict[str, Any] | None = None


class ContactRead(CamelModel):
    """A contact: the seed's fields, then the customer book's (read-only except ``tags`` and
    ``attributes``). Money in the assistant's currency's minor units."""

    id: str
    phone: str | None
    name: str | None
    tags: list[str]
    attributes: dict[str, Any]
    message_count: int = Field(description="Inbound messages (interaction count).")
    last_message_at: datetime | None = Field(description="Last inbound message.")
    created_at: datetime = Field(description="First seen.")
    email: str | None = None
    language: str | None = None
    opted_out: bool = False
    opted_out_at: datetime | None = None
    outbound_count: int = 0
    last_contacted_at: datetime | None = Field(default=None, description="Last outbound.")
    conversations_count: int = 0
    orders_count: int = Field(default=0, description="Orders not cancelled.")
    total_spent: int = 0
    total_paid: int = 0
    last_order_at: datetime | None = None
    budget_range: Literal["low", "mid", "high"] | None = None
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    sentiment_score: float | None = None
    engagement_score: int | None = None


class ContactDetail(ContactRead):
    """The management API's contact: also the query-time attributes."""

    visitor_id: str | None = None
    average_order_value: int | None = None
    purchase_behaviour: Literal["never", "one_time", "repeat", "lapsed"]


class ContactPatch(StrictCamelModel):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    tags: list[str] | None = Field(default=None, json_schema_extra=TAGS)
    attributes: dict[str, Any] | None = None
    opted_out: bool | None = None


class BulkTag(StrictCamelModel):
    contact_ids: list[str] = Field(min_length=1, max_length=1000)
    tag: str = Field(min_length=1, max_length=50)
    remove: bool = False


class AttributeCreate(StrictCamelModel):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=120)
    type: Literal["text", "number", "date", "boolean", "choice"]
    choices: list[str] = Field(default_factory=list, max_length=100)


class AttributeRead(CamelModel):
    id: str
    key: str
    label: str
    type: str
    choices: list[str]


class ImportRowError(CamelModel):
    row: int = Field(description="Line number in the file (the header is line 1).")
    message: str


class ImportRead(CamelModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    filename: str
    total: int
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError]
    created_at: datetime
    finished_at: datetime | None


class ImportCreated(CamelModel):
    import_id: str


class ImportPreview(CamelModel):
    columns: list[str]
    rows: list[list[str]]
    mapping: dict[str, str] = Field(
        description="Suggested target of each column: phone, name, email, tags, "
        "attribute:<key> or skip."
    )


class ContactSettings(StrictCamelModel):
    stop_keywords: list[str] = Field(min_length=1, max_length=20)
    start_keywords: list[str] = Field(min_length=1, max_length=20)
    opt_out_reply: str = Field(min_length=1, max_length=1000)
    opt_in_reply: str = Field(min_length=1, max_length=1000)
    lapsed_days: int = Field(ge=1, le=3650)


class ImportContactsJob(JobPayload):
    """Import the next chunk of rows of a contacts CSV (``contacts.import``)."""

    kind: ClassVar[str] = "contacts.import"
    import_id: str


class RefreshEngagementJob(JobPayload):
    """Periodic: recompute engagement scores as recency decays (``contacts.refresh_engagement``)."""

    kind: ClassVar[str] = "contacts.refresh_engagement"
