"""The server-rendered dashboard: pages call the same services as the API."""
