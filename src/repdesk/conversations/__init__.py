"""Conversations and messages: the message pipeline, the service window, the inbox."""
