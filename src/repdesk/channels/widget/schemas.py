from __future__ import annotations

from typing import Literal

from pydantic import Field

from repdesk.kit.schemas import CamelModel, StrictCamelModel


class WidgetSettingsRead(CamelModel):
    assistant_id: str
    public_id: str
    embed_code: str
    script_url: str
    color: str
    theme: str
    position: str
    welcome_message: str
    business_name: str
    font: str
    voice_enabled: bool
    files_enabled: bool
    allowed_domains: list[str]
    avatar_file_id: str | None = None
    avatar_url: str | None = None
    transcription_available: bool
    transcription_provider: str | None = None


class WidgetSettingsUpdate(StrictCamelModel):
    color: str | None = Field(default=None, max_length=7)
    theme: Literal["light", "dark", "auto"] | None = None
    position: Literal["bottom-right", "bottom-left"] | None = None
    welcome_message: str | None = Field(default=None, max_length=500)
    business_name: str | None = Field(default=None, max_length=80)
    font: str | None = Field(default=None, max_length=40)
    voice_enabled: bool | None = None
    files_enabled: bool | None = None
    allowed_domains: list[str] | None = Field(default=None, max_length=50)


class VisitorMessageCreate(StrictCamelModel):
    text: str = Field(max_length=20000)
    client_id: str | None = Field(default=None, max_length=64)


class VisitorSessionCreate(StrictCamelModel):
    token: str | None = Field(default=None, max_length=200)
