from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import CamelModel, StrictCamelModel


class CredentialsCreate(StrictCamelModel):
    access_token: str = Field(min_length=1, max_length=1024)
    phone_number_id: str = Field(min_length=1, max_length=64)
    business_account_id: str = Field(min_length=1, max_length=64)
    phone_number: str = Field(min_length=1, max_length=32)
    # Required (checked by the service, for a clear message): without it no webhook can be
    # verified. Optional here so that seed 004's example body gets that message, not a 422.
    app_secret: str | None = Field(default=None, max_length=256)


class AppSecretUpdate(StrictCamelModel):
    app_secret: str = Field(max_length=256)


class IntegrationCredentials(CredentialsCreate):
    """Seed 004's ``POST /api/integrations/credentials`` body; ``assistantId`` may be left out
    when the workspace has exactly one WhatsApp assistant."""

    assistant_id: str | None = Field(default=None, max_length=32)


class CredentialsResult(CamelModel):
    webhook_url: str
    verify_token: str
    status: str


class EmbeddedSignup(StrictCamelModel):
    code: str = Field(min_length=1, max_length=2048)
    business_account_id: str = Field(min_length=1, max_length=64)
    phone_number_id: str = Field(min_length=1, max_length=64)


class EmbeddedSignupConfig(CamelModel):
    enabled: bool
    app_id: str
    config_id: str
    graph_api_version: str


class ConnectionRead(CamelModel):
    connected: bool
    status: str
    status_reason: str | None = None
    mode: str | None = None
    phone_number: str | None = None
    phone_number_id: str | None = None
    business_account_id: str | None = None
    display_name: str | None = None
    quality_rating: str | None = None
    messaging_tier: str | None = None
    webhook_url: str | None = None
    verify_token: str | None = None
    signature_verification: bool = False
    # False for a BYOK connection saved without an App Secret: its webhooks are refused.
    secured: bool = True
    # A webhook post was refused because the connection has no App Secret.
    unsigned_webhooks_seen: bool = False
    checked_at: datetime | None = None


class TemplateRead(CamelModel):
    id: str
    name: str
    language: str
    status: str
    category: str | None = None
    components: list[dict[str, Any]] = Field(default_factory=list)
    rejected_reason: str | None = None
    # Meta's explanation of a rejection, with its recommendation.
    rejection_detail: str | None = None
    quality: str | None = None
    meta_template_id: str | None = None
    submitted_at: datetime | None = None
    synced_at: datetime | None = None


class TemplateCreate(StrictCamelModel):
    """A template in Meta's own creation shape; the components are checked against Meta's
    rules (each refusal names its field)."""

    name: str = Field(max_length=512)
    language: str = Field(max_length=15)
    category: str = Field(max_length=30)
    components: list[dict[str, Any]] = Field(max_length=10)


class TemplateUpdate(StrictCamelModel):
    """Edit a rejected template: its category and components (Meta keeps name and language)."""

    category: str | None = Field(default=None, max_length=30)
    components: list[dict[str, Any]] | None = Field(default=None, max_length=10)


class HeaderHandle(CamelModel):
    header_handle: str


class TemplateList(CamelModel):
    data: list[TemplateRead]


class DownloadMediaJob(JobPayload):
    """Fetch an inbound media file from the Graph API into storage (``whatsapp.download_media``)."""

    kind: ClassVar[str] = "whatsapp.download_media"
    message_id: str
    media_id: str


class SyncTemplatesJob(JobPayload):
    """Read one number's message templates from Meta (``whatsapp.sync_templates``)."""

    kind: ClassVar[str] = "whatsapp.sync_templates"
    assistant_id: str


class SyncAllTemplatesJob(JobPayload):
    """Periodic: a template sync job per connected number (``whatsapp.sync_all_templates``)."""

    kind: ClassVar[str] = "whatsapp.sync_all_templates"
