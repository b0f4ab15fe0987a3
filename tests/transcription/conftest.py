"""The widget fixtures (a widget assistant) are shared here."""

from tests.widget.conftest import widget_setup  # noqa: F401
