"""cases capability: applications, decisions and reviews (issue 5)."""
