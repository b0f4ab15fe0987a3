from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field
from pydantic.config import JsonDict

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
    id: str
    phone: str | None
    name: str | None
    tags: list[str]
    attributes: dict[str, Any]
    message_count: int
    last_message_at: datetime | None
    created_at: datetime
