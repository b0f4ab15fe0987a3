"""The widget fixtures (widget assistant, fake speech-to-text server) are shared here."""

from tests.widget.conftest import fake_stt, no_stt, widget_setup  # noqa: F401
