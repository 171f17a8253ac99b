"""insight capability: process mining, forecasts, consultations."""
