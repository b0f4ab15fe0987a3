"""Users, workspaces, memberships, login sessions and email verification."""
