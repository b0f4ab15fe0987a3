"""Credits: an append-only ledger, the price table, and top-ups."""
