from __future__ import annotations

from datetime import date

import numpy as np

from smartgov.demo import synth

DISTRICTS = [d[0] for d in synth.DISTRICTS]


def gb11643_ok(code: str) -> bool:
    """Independent scalar check of a resident ID (ISO 7064 MOD 11-2)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(code[:17], weights, strict=True))
    return "10X98765432"[total % 11] == code[17]


def gb32100_ok(code: str) -> bool:
    """Independent scalar check of a unified social credit code, including the
    embedded GB 11714 organisation code."""
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(charset.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    if charset[(31 - total % 31) % 31] != code[17]:
        return False
    org = code[8:17]
    s = sum(int(c) * w for c, w in zip(org[:8], [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    check = 11 - s % 11
    return {10: "X", 11: "0"}.get(check, str(check)) == org[8]


def people(n: int, seed: int = 3) -> dict[str, np.ndarray]:
    chunks = list(synth.people_chunks(synth.CityPlan(n, 0, seed, chunk=500), DISTRICTS))
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def test_it_is_deterministic_for_a_seed() -> None:
    a, b = people(2000), people(2000)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["name"], people(2000, seed=4)["name"])


def test_it_makes_exactly_the_people_asked_for_in_whole_households() -> None:
    city = people(2345)
    assert len(city["id"]) == 2345
    assert city["household.size"].sum() == 2345
    counts = np.bincount(city["household_id"])[city["household.id"]]
    assert np.array_equal(counts, city["household.size"])
    assert (city["relation"][np.r_[0, np.cumsum(city["household.size"])[:-1]]] == "head").all()


def test_it_issues_unique_resident_ids_with_valid_check_digits() -> None:
    city = people(5000)
    ids = city["resident_id"].tolist()
    assert len(set(ids)) == len(ids)
    assert all(gb11643_ok(i) for i in ids)
    for rid, birth, gender in zip(
        ids[:200], city["birth_date"][:200], city["gender"][:200], strict=True
    ):
        assert rid[6:14] == str(birth).replace("-", "")
        assert (int(rid[16]) % 2 == 1) == (gender == "M")


def test_it_issues_unique_valid_credit_codes() -> None:
    plan = synth.CityPlan(0, 3000, 5, chunk=1000)
    codes = np.concatenate([c["credit_code"] for c in synth.enterprise_chunks(plan, DISTRICTS)])
    assert len(set(codes.tolist())) == 3000
    assert all(gb32100_ok(c) for c in codes.tolist())


def test_it_has_plausible_distributions() -> None:
    city = people(20_000)
    as_of = np.datetime64(synth.AS_OF)
    age = (as_of - city["birth_date"]).astype(int) / 365.25
    assert 35 < age.mean() < 45
    assert 0.10 < (age >= 65).mean() < 0.25
    assert 0.03 < (city["disability_grade"] > 0).mean() < 0.09
    adults = (age >= 25) & (age < 55)
    assert 0.6 < np.isin(city["employment"][adults], ["employed", "self_employed"]).mean() < 0.95
    assert (city["monthly_income"][city["employment"] == "student"] == 0).all()
    assert (city["birth_date"] <= np.datetime64(date(2026, 1, 1))).all()
    assert set(np.unique(city["district_code"])) <= set(DISTRICTS)
