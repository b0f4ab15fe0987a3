"""Real local servers that speak the protocols of the systems repdesk talks to."""
