"""Durable jobs: written in the caller's transaction, claimed with a lease, retried with backoff."""
