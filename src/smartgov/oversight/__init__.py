"""oversight capability: algorithm register, fairness and audits."""
