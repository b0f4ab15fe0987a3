"""What a message to send says, in the Developer API's send body shape (``{"type": "text",
"text": {"body": ...}}``, ``image``/``document``/``audio``/``video`` with ``link`` or ``id``,
``template``, ``interactive``): the ``content`` of :func:`repdesk.conversations.service.send`,
for every caller (the API parses it from the request; the inbox, the AI, broadcasts build it).

The length limits are the Developer API's request rules. Callers inside repdesk build content
with :meth:`MessageContent.of_text` / :meth:`MessageContent.of` without them: the channel's
sender validates what it can send (a WhatsApp text over 4,096 characters is split).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from repdesk.channels.base import OutboundMedia, OutboundMessage, OutboundTemplate
from repdesk.kit.errors import ValidationError

SendType = Literal["text", "image", "document", "audio", "video", "template", "interactive"]
MEDIA = ("image", "document", "audio", "video")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TextContent(_Strict):
    body: str = Field(min_length=1, max_length=4096)
    preview_url: bool | None = Field(default=None, alias="previewUrl")


class MediaContent(_Strict):
    link: str | None = Field(default=None, max_length=2000)
    id: str | None = Field(default=None, max_length=128)
    caption: str | None = Field(default=None, max_length=1024)
    filename: str | None = Field(default=None, max_length=240)

    @model_validator(mode="after")
    def _one_source(self) -> MediaContent:
        if not self.link and not self.id:
            raise ValueError("media needs a link or an id")
        if self.link and not self.link.startswith(("https://", "http://")):
            raise ValueError("link must be an http(s) URL")
        return self


class TemplateLanguage(_Strict):
    code: str = Field(min_length=2, max_length=15)
    policy: str | None = None


class TemplateVariable(_Strict):
    """One template variable: a fixed ``value``, or a contact ``field`` with a ``fallback`` for
    contacts that lack it (``repdesk.conversations.variables`` lists the fields)."""

    value: str | None = Field(default=None, min_length=1, max_length=1024)
    field: str | None = Field(default=None, min_length=1, max_length=80)
    fallback: str | None = Field(default=None, min_length=1, max_length=1024)

    @model_validator(mode="after")
    def _value_or_field(self) -> TemplateVariable:
        if (self.value is None) == (self.field is None):
            raise ValueError("a variable is either a value or a field (with a fallback)")
        if self.value is not None and self.fallback is not None:
            raise ValueError("a fallback goes with a field, not with a value")
        return self


_VARIABLE_KEY = re.compile(r"^(header|[1-9][0-9]?)$")


class TemplateContent(_Strict):
    name: str = Field(min_length=1, max_length=512)
    language: str | TemplateLanguage = "en_US"
    components: list[dict[str, Any]] = Field(default_factory=list)
    # {"1": {"field": "name", "fallback": "there"}, "2": {"value": "20%"}}: filled in for each
    # recipient by the send path (repdesk.conversations.variables).
    variables: dict[str, TemplateVariable] | None = None

    @model_validator(mode="after")
    def _variables_shape(self) -> TemplateContent:
        if not self.variables:
            return self
        for key in self.variables:
            if not _VARIABLE_KEY.match(key):
                raise ValueError(f"variables: {key!r} is not a variable number (1, 2, …) or header")
        numbers = sorted(int(k) for k in self.variables if k != "header")
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError("variables: numbered from 1 with none missing ({{1}}, {{2}}, …)")
        kinds = {str(c.get("type", "")).lower() for c in self.components}
        if numbers and "body" in kinds:
            raise ValueError("give the body's values as variables or as components, not both")
        if "header" in self.variables and "header" in kinds:
            raise ValueError("give the header's value as a variable or as a component, not both")
        return self

    @property
    def language_code(self) -> str:
        return self.language if isinstance(self.language, str) else self.language.code


class MessageContent(_Strict):
    """The message of a send or a broadcast: ``type`` and the matching content object."""

    type: SendType
    text: TextContent | None = None
    image: MediaContent | None = None
    document: MediaContent | None = None
    audio: MediaContent | None = None
    video: MediaContent | None = None
    template: TemplateContent | None = None
    interactive: dict[str, Any] | None = None
    # Sent instead of a free-form message when the recipient's 24-hour window is closed.
    fallback_template: TemplateContent | None = Field(default=None, alias="fallbackTemplate")

    @model_validator(mode="after")
    def _content_matches_type(self) -> MessageContent:
        if self.fallback_template is not None and self.type == "template":
            raise ValueError("fallbackTemplate is for free-form messages; this is a template")
        if getattr(self, self.type) is None:
            raise ValueError(f"type is {self.type!r} but the {self.type!r} object is missing")
        for other in ("text", "image", "document", "audio", "video", "template", "interactive"):
            if other != self.type and getattr(self, other) is not None:
                raise ValueError(f"{other!r} given but type is {self.type!r}")
        if self.type == "interactive":
            inter = self.interactive or {}
            body = inter.get("body")
            if (
                not isinstance(inter.get("type"), str)
                or not isinstance(body, dict)
                or not body.get("text")
            ):
                raise ValueError("interactive needs a type and a body with text")
        return self

    def outbound(self) -> OutboundMessage:
        if self.type == "text":
            assert self.text is not None
            return OutboundMessage(type="text", text=self.text.body)
        if self.type in MEDIA:
            media: MediaContent = getattr(self, self.type)
            return OutboundMessage(
                type=self.type,
                media=OutboundMedia(
                    link=media.link, id=media.id, caption=media.caption, filename=media.filename
                ),
            )
        if self.type == "template":
            assert self.template is not None
            return OutboundMessage(
                type="template",
                template=OutboundTemplate(
                    name=self.template.name,
                    language=self.template.language_code,
                    components=self.template.components,
                ),
            )
        return OutboundMessage(type="interactive", interactive=self.interactive)

    def with_variable_values(self, values: Mapping[str, str]) -> MessageContent:
        """This content with fixed values for some variables (a broadcast's per-row CSV
        columns), in the template and in the fallback template; other variables are kept."""

        def filled(template: TemplateContent | None) -> TemplateContent | None:
            if template is None or not values:
                return template
            merged = dict(template.variables or {})
            merged.update({k: TemplateVariable(value=v) for k, v in values.items() if v})
            return template.model_copy(update={"variables": merged})

        return self.model_copy(
            update={
                "template": filled(self.template),
                "fallback_template": filled(self.fallback_template),
            }
        )

    @classmethod
    def of_text(cls, body: str) -> MessageContent:
        """A text message written inside repdesk (an agent's reply, the AI's)."""
        return cls.model_construct(type="text", text=TextContent.model_construct(body=body))

    @classmethod
    def of(cls, outbound: OutboundMessage) -> MessageContent:
        """The content of a message described as the channels describe it (a broadcast's
        stored message, an inbox template). Not validated here: the channel's sender is."""
        if outbound.type == "text":
            return cls.of_text(outbound.text or "")
        if outbound.type == "template" and outbound.template is not None:
            tpl = outbound.template
            return cls.model_construct(
                type="template",
                template=TemplateContent.model_construct(
                    name=tpl.name, language=tpl.language, components=tpl.components
                ),
            )
        if outbound.type == "interactive":
            return cls.model_construct(type="interactive", interactive=outbound.interactive)
        if outbound.type not in MEDIA:
            raise ValidationError(f"{outbound.type} messages cannot be sent.")
        media = outbound.media or OutboundMedia()
        fields: dict[str, Any] = {
            "type": outbound.type,
            outbound.type: MediaContent.model_construct(
                link=media.link, id=media.id, caption=media.caption, filename=media.filename
            ),
        }
        return cls.model_construct(**fields)
