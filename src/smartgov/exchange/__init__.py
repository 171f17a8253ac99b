"""exchange capability: departments' registries and the demo city that fills them."""

from smartgov.exchange import entries as entries  # declares its ledger entry kinds
