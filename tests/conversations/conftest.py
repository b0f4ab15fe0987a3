from __future__ import annotations

from collections.abc import Iterator

import pytest

from repdesk.channels import base as channels
from repdesk.channels.base import register_sender
from tests.conversations.test_send import TOY, ToyChannel


@pytest.fixture
def toy() -> Iterator[ToyChannel]:
    """A toy channel registered for the test (``test_send.ToyChannel``)."""
    channel = register_sender(ToyChannel())
    yield channel
    channels._SENDERS.pop(TOY, None)  # the registry has no other channel to restore
