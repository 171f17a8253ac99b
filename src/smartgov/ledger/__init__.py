"""ledger capability: the RFC 9162 transparency log (issue 4)."""
