from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from repdesk.kit.schemas import CamelModel, StrictCamelModel

Platform = Literal["whatsapp", "widget"]
Purpose = Literal["sales", "support", "leads"]


class AssistantCreate(StrictCamelModel):
    name: str = Field(min_length=1, max_length=120)
    platform: Platform
    purpose: Purpose | None = None


class AssistantUpdate(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    purpose: Purpose | None = None


class AssistantRead(CamelModel):
    id: str
    workspace_id: str
    name: str
    platform: Platform
    purpose: Purpose | None
    created_at: datetime
    settings: dict[str, Any] = Field(default_factory=dict)
