"""One intake for every provider's webhooks (ADR 11): verify, store raw, acknowledge, and
drain the store in batches through the provider's handler."""
