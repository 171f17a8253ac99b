"""Alembic migrations: zero-padded file names, exactly one head."""
