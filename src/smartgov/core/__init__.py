"""core: settings, database, users and roles, errors, translations."""
