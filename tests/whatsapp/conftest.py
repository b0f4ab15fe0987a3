"""Fixtures for the WhatsApp tests."""

from tests.fakes.graph import graph  # noqa: F401
