"""smartgov: AI-assisted public services that stay accountable."""

__version__ = "0.1.0"
