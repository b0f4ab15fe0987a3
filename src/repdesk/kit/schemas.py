"""Base schemas: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, extra="ignore"
    )


class StrictCamelModel(CamelModel):
    """For request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, extra="forbid"
    )


# Documented in the API's schemas (the services' own checks give the errors: a number that
# does not parse is INVALID_PHONE_NUMBER, not a generic validation error).
E164: JsonDict = {"pattern": r"^\+[1-9][0-9]{6,14}$", "examples": ["+2348012345678"]}
