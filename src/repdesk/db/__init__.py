"""Database: engine and sessions, declarative base, Alembic migrations shipped in the package."""
