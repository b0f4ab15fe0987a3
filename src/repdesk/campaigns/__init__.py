"""Broadcasts: one message to many recipients, sent one at a time."""
