"""cases capability: applications, decisions and reviews (issue 5)."""

from smartgov.cases import entries as entries  # declares its ledger entry kinds
