"""assistant capability: answers with citations and hotline routing."""
