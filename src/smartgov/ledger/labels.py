"""What the ledger's pages call its entry kinds and fields, in words (English msgids,
translated by the catalogue); a kind or field without a label shows its name."""

from __future__ import annotations

from smartgov.core.i18n import N_

KINDS = {
    "access": N_("Registry data read for a person or enterprise"),
    "population": N_("A whole population read for statistics"),
    "check": N_("Application sent to a person"),
    "decision": N_("Application decided automatically"),
    "review": N_("Decision by a reviewer"),
    "appeal": N_("Appeal decided"),
    "appeal_lodged": N_("Appeal lodged"),
    "alert": N_("Service alert"),
    "sweep": N_("Search for people who may be eligible"),
    "model": N_("Second-check model trained"),
    "statistic": N_("Statistic released with privacy protection"),
    "allowance": N_("Privacy budget given"),
    "dataset": N_("Dataset registered"),
    "source": N_("Registry source declared"),
    "grant": N_("Access to data granted or revoked"),
    "grant_request": N_("Request for access to data"),
    "account": N_("Account changed by an administrator"),
}

FIELDS = {
    "account": N_("Account"), "action": N_("Action"), "alert": N_("Alert"),
    "alert_kind": N_("Kind of alert"), "amount": N_("Amount"),
    "appeal_result": N_("Result of the appeal"), "automated": N_("Decided automatically"),
    "automated_outcome": N_("Outcome of the automated check"), "bounds": N_("Bounds"),
    "budget_left": N_("Privacy budget left"), "by": N_("By"), "case": N_("Application"),
    "consumer": N_("Who used the data"), "dataset": N_("Dataset"),
    "department": N_("Department"), "eligible": N_("Found eligible"),
    "epsilon": N_("Privacy cost (epsilon)"), "expires_at": N_("Expires"),
    "field": N_("Field"), "fields": N_("Fields read"), "grant": N_("Grant"),
    "hold_until": N_("Kept until"), "identified": N_("Identified"),
    "input_hash": N_("Fingerprint of the facts"), "invited": N_("Invited"),
    "justification_hash": N_("Fingerprint of the written reasons"), "kind": N_("Kind"),
    "legal_basis": N_("Legal basis"), "may_hold": N_("May keep the data"),
    "metrics": N_("Measures"), "model_score": N_("Model score"),
    "model_version": N_("Model version"), "name": N_("Name"),
    "on_behalf_of": N_("On behalf of"), "outcome": N_("Outcome"),
    "override": N_("Changed the automated outcome"), "parameters": N_("Parameters"),
    "population": N_("Population"), "privacy_budget": N_("Privacy budget"),
    "provider": N_("Provider"), "purpose": N_("Purpose"), "reason": N_("Reason"),
    "reason_hash": N_("Fingerprint of the reason"), "remote": N_("Another city's node"),
    "request": N_("Request"), "reveal": N_("Revealed"), "review_on": N_("Review date"),
    "review_reasons": N_("Why a person decides"), "reviewer": N_("Reviewer"),
    "role": N_("Role"), "rows": N_("Rows"), "rule_version": N_("Version of the rules"),
    "service": N_("Service"), "source": N_("Source"), "source_kind": N_("Kind of source"),
    "statistic": N_("Statistic"), "subject": N_("Person or enterprise (pseudonym)"),
    "time": N_("Time"), "trained_on": N_("Trained on"), "unit": N_("Unit"),
    "value": N_("Value"), "version": N_("Version"),
}  # fmt: skip
