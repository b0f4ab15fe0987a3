"""The versioned evaluation set for the assistant (``repdesk eval``)."""
