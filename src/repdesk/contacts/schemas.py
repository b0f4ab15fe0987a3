from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from repdesk.kit.schemas import CamelModel, StrictCamelModel


class ContactCreate(StrictCamelModel):
    phone: str = Field(max_length=40)
    name: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)


class ContactUpdate(StrictCamelModel):
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    tags: list[str] | None = None
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
