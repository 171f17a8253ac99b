"""exchange capability: departments' registries and the demo city that fills them."""
