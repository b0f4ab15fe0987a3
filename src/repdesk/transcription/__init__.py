"""Speech to text for voice messages (widget voice input, WhatsApp voice notes)."""
