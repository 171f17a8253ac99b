"""exchange capability: the catalogue, providers, grants and every read of a city's registries."""

from smartgov.exchange import entries as entries  # declares its ledger entry kinds
