"""repdesk: a self-hostable AI customer-communication platform."""

__version__ = "0.1.0"
