"""Orders the assistant takes in conversations (seed "How orders work")."""
