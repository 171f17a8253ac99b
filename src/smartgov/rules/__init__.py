"""rules capability: services as code and their evaluation (issue 3)."""
