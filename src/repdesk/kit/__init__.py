"""Shared plumbing: errors, ids, time, pagination and base schemas."""
