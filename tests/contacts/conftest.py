"""Fixtures for the contacts tests."""

from tests.fakes.graph import graph  # noqa: F401
