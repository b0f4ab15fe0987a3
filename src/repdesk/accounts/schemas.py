from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field

from repdesk.jobs.registry import JobPayload
from repdesk.kit.schemas import CamelModel, StrictCamelModel

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+$")


def _check_email(value: str) -> str:
    value = value.strip()
    if len(value) > 320 or not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value.lower()


Email = Annotated[str, AfterValidator(_check_email)]


class RegisterRequest(StrictCamelModel):
    email: Email
    password: str = Field(min_length=8, max_length=200)
    business_name: str = Field(min_length=1, max_length=200)


class RegisterResponse(CamelModel):
    """The same for a new and a taken address (whose owner is emailed instead): no ids."""

    email: str
    email_verified: bool


class VerifyRequest(StrictCamelModel):
    token: str = Field(min_length=10, max_length=200)


class LoginRequest(StrictCamelModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(CamelModel):
    user_id: str
    workspace_id: str
    email: str
    csrf_token: str


class WorkspaceRead(CamelModel):
    id: str
    business_name: str
    credits: int
    created_at: datetime
    assistant_count: int = 0
    role: str = "owner"
    timezone: str = Field(default="UTC", description="IANA time zone name (Africa/Lagos)")


class WorkspaceUpdate(StrictCamelModel):
    """The fields to change; those left out stay as they are."""

    business_name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone name (Africa/Lagos): the default of scheduled messages.",
    )


class OkResponse(CamelModel):
    ok: bool = True


class SendEmailJob(JobPayload):
    """Send one email (``email.send``)."""

    kind: ClassVar[str] = "email.send"
    to: str
    subject: str
    body: str
