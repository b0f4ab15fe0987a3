"""Scheduled messages: one message to one recipient at a chosen time, sent through
``conversations.send`` by a durable job due at that time (ADR 15)."""
