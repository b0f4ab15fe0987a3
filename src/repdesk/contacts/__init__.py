"""Contacts (customers), their tags and attributes."""
