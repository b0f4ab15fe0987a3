from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class StyleProfile(IdMixin, TimestampMixin, Base):
    """How one assistant's business writes: the profile the engines follow.

    ``profile`` is the readable, editable style (greetings, sign-offs, phrases, emoji, length,
    formality, language mix); ``questionnaire`` the owner's answers; ``examples`` real
    customer->business pairs from imported chats; ``sources`` what was imported.
    """

    __tablename__ = "style_profiles"

    assistant_id: Mapped[str] = mapped_column(
        ForeignKey("assistants.id", ondelete="CASCADE"), unique=True
    )
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    questionnaire: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    edited_by_owner: Mapped[str | None] = mapped_column(String(32))  # user id of last edit
