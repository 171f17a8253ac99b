"""Words for the groups a simulation compares (``simulate.DIMENSIONS``), which are
codes in its SQL: English msgids, translated by the catalogue."""

from smartgov.core.i18n import N_

LABELS = {
    "none": N_("No disability"),
    "moderate": N_("Moderate disability"),
    "severe": N_("Severe disability"),
    # The units of the services' amounts and limits.
    "yuan": N_("yuan"),
    "yuan/month": N_("yuan a month"),
    "yuan/month per person": N_("yuan a month per person"),
    "yuan/year": N_("yuan a year"),
    "months": N_("months"),
    "years": N_("years"),
    "share": N_("share"),
}
