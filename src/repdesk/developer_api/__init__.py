"""The public Developer API (/v1), API keys, and signed outbound webhooks."""
