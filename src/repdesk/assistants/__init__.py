"""Assistants: one AI agent per platform connection (a WhatsApp number or a web widget)."""
