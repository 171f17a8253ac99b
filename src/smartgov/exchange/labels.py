"""Readable labels for registry codes; English msgids translated by the catalogue."""

from smartgov.core.i18n import N_

LABELS = {
    "M": N_("Male"),
    "F": N_("Female"),
    "head": N_("Head of household"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "parent": N_("Parent"),
    "preschool": N_("Pre-school"),
    "student": N_("Student"),
    "employed": N_("Employed"),
    "self_employed": N_("Self-employed"),
    "unemployed": N_("Unemployed"),
    "retired": N_("Retired"),
    "not_working": N_("Not working"),
    "dismissed": N_("Dismissed by the employer"),
    "contract_ended": N_("Contract ended"),
    "bankruptcy": N_("Employer closed"),
    "resigned": N_("Resigned"),
    "none": N_("None"),
    "owned": N_("Owned home"),
    "rented": N_("Rented home"),
    "public_rental": N_("Public rental housing"),
    "other": N_("Other housing"),
    "micro": N_("Micro enterprise"),
    "small": N_("Small enterprise"),
    "medium": N_("Medium enterprise"),
    "large": N_("Large enterprise"),
    "active": N_("Active"),
    "deregistered": N_("Deregistered"),
    "manufacturing": N_("Manufacturing"),
    "wholesale_retail": N_("Wholesale and retail"),
    "information_technology": N_("Information technology"),
    "construction": N_("Construction"),
    "catering": N_("Catering"),
    "logistics": N_("Logistics"),
    "business_services": N_("Business services"),
    "agriculture": N_("Agriculture"),
    "healthcare": N_("Healthcare"),
    "education": N_("Education"),
    "people": N_("Population registry"),
    "households": N_("Household registry"),
    "enterprises": N_("Enterprise registry"),
}

LEVEL_LABELS = {
    "public": N_("Public"),
    "internal": N_("Internal"),
    "sensitive": N_("Sensitive"),
    "secret": N_("Secret"),
}
LEVEL_HELP = {
    "public": N_("Published anyway; anyone may know it."),
    "internal": N_("For staff with a grant; shown to them as it is."),
    "sensitive": N_("Masked on pages unless the grant says the reader needs it."),
    "secret": N_("Never shown on a page; only a service deciding cases may read it."),
}
FREQUENCY_LABELS = {
    "continuous": N_("updated continuously"),
    "daily": N_("updated daily"),
    "weekly": N_("updated weekly"),
    "monthly": N_("updated monthly"),
    "quarterly": N_("updated quarterly"),
    "annual": N_("updated yearly"),
    "irregular": N_("updated irregularly"),
}
