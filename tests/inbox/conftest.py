"""Fixtures for the inbox tests."""

from tests.fakes.graph import graph  # noqa: F401
