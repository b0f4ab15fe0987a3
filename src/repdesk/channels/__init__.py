"""Channels: WhatsApp Cloud API and the web widget, behind one small sending interface."""
