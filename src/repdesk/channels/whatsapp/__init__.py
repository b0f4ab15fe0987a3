"""WhatsApp Cloud API channel: connection (BYOK and Embedded Signup), webhooks, sending."""
