"""A deterministic synthetic city, generated column-wise with NumPy.

Nothing here touches the database: each generator yields chunks as dicts of equal
length arrays, so a caller can stream them into any store. The same people,
enterprises and seed always give the same city (the chunk size is part of the plan
and fixed by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

Columns = dict[str, NDArray[np.generic]]

AS_OF = date(2026, 1, 1)  # ages are computed against a fixed day: the city must not drift

# Fictional admin-division codes (the 99 prefix is not assigned by GB/T 2260).
DISTRICTS: list[tuple[str, str, str, float]] = [
    ("990101", "东湖区", "Donghu District", 0.19),
    ("990102", "西城区", "Xicheng District", 0.16),
    ("990103", "南江区", "Nanjiang District", 0.15),
    ("990104", "北山区", "Beishan District", 0.12),
    ("990105", "新港区", "Xingang District", 0.13),
    ("990106", "高新区", "Hi-tech Zone", 0.10),
    ("990107", "临河县", "Linhe County", 0.09),
    ("990108", "青石县", "Qingshi County", 0.06),
]

DEPARTMENTS: list[tuple[str, str, str]] = [
    ("public_security", "公安局（户籍管理）", "Public Security Bureau (household registration)"),
    ("civil_affairs", "民政局", "Civil Affairs Bureau"),
    ("hrss", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("taxation", "税务局", "Taxation Bureau"),
    ("market_regulation", "市场监督管理局", "Market Regulation Administration"),
    ("housing", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("health_insurance", "医疗保障局", "Healthcare Security Administration"),
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹")
# Rough frequency of the surnames above (they cover ~60% of China's population).
SURNAME_WEIGHTS = np.array(
    [7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.3, 2.2, 2.0, 1.7, 1.3, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9]
    + [0.9, 0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4]
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉宇浩欣怡晨阳佳琪子涵梓轩雨"
)

# Why unemployed people left their last job (HRSS unemployment registration).
SEPARATION = np.array(["dismissed", "contract_ended", "bankruptcy", "resigned"])
SEPARATION_P = [0.35, 0.30, 0.10, 0.25]
HOUSING = np.array(["owned", "rented", "public_rental", "other"])
HOUSING_P = [0.70, 0.20, 0.07, 0.03]

INDUSTRIES = np.array(
    [
        "manufacturing", "wholesale_retail", "information_technology", "construction",
        "catering", "logistics", "business_services", "agriculture", "healthcare", "education",
    ]
)  # fmt: skip
INDUSTRY_P = [0.18, 0.26, 0.10, 0.08, 0.10, 0.06, 0.12, 0.04, 0.03, 0.03]
INDUSTRY_WORD = np.array(
    ["制造", "商贸", "科技", "建设", "餐饮", "物流", "咨询", "农业", "医疗", "教育"]
)
TRADE_NAMES = list("鹏程华远宏达恒信永兴瑞丰锦泰博安嘉和启明天成盛元新禾")

#: Local minimum living line, yuan per person per month (used to seed existing benefits).
MIN_LIVING_LINE = 1100

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
CREDIT_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])
ID_CHECK = np.array(list("10X98765432"))


def resident_id_check(body: NDArray[np.int64]) -> NDArray[np.str_]:
    """GB 11643 check character for rows of 17 digits."""
    checks: NDArray[np.str_] = ID_CHECK[(body @ ID_WEIGHTS) % 11]
    return checks


def credit_code_check(values: NDArray[np.int64]) -> NDArray[np.str_]:
    """GB 32100 check character for rows of 17 character values (indexes in the charset)."""
    charset = np.array(list(CREDIT_CHARSET))
    checks: NDArray[np.str_] = charset[(31 - (values @ CREDIT_WEIGHTS) % 31) % 31]
    return checks


def _digits(numbers: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers) % 10


def _join(parts: list[NDArray[np.str_]]) -> NDArray[np.str_]:
    out = parts[0]
    for part in parts[1:]:
        out = np.char.add(out, part)
    return out


@dataclass(frozen=True)
class CityPlan:
    people: int
    enterprises: int
    seed: int
    chunk: int = 100_000


def district_weights(districts: list[str]) -> NDArray[np.float64]:
    """Population shares of the given districts, normalised to sum to one."""
    share = {code: weight for code, _zh, _en, weight in DISTRICTS}
    weights = np.array([share[code] for code in districts], dtype=np.float64)
    normalised: NDArray[np.float64] = weights / weights.sum()
    return normalised


def household_sizes(people: int, seed: int) -> NDArray[np.int64]:
    """Sizes of all households, summing exactly to ``people``."""
    rng = np.random.default_rng([seed, 0])
    sizes = rng.choice(
        [1, 2, 3, 4, 5, 6], p=[0.25, 0.30, 0.25, 0.12, 0.06, 0.02], size=people // 2 + 8
    )
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, people)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(ends[count - 1]) - people
    return sizes[sizes > 0]


def _ages(
    rng: np.random.Generator, hh_size: NDArray[np.int64], slot: NDArray[np.int64],
    relation: NDArray[np.str_], hh_of: NDArray[np.int64],
) -> NDArray[np.float64]:  # fmt: skip
    """Heads first; spouses, children and parents follow from the head's age."""
    n_hh = len(hh_size)
    single = hh_size == 1
    young_single = rng.random(n_hh) < 0.45
    head_age = np.where(
        single,
        np.where(young_single, rng.uniform(20, 38, n_hh), rng.uniform(60, 92, n_hh)),
        np.clip(rng.normal(48, 13, n_hh), 24, 90),
    )
    head = head_age[hh_of]
    n = len(slot)
    age = head.copy()
    spouse = relation == "spouse"
    age[spouse] = np.clip(head[spouse] + rng.normal(-2, 3, int(spouse.sum())), 20, 99)
    child = relation == "child"
    child_age = head - rng.uniform(23, 34, n) - (slot - 1) * rng.uniform(1.5, 4, n)
    age[child] = np.abs(child_age[child])  # a negative draw becomes a young child
    parent = relation == "parent"
    age[parent] = np.clip(head[parent] + rng.uniform(24, 32, int(parent.sum())), 60, 102)
    return age


def people_chunks(plan: CityPlan, districts: list[str]) -> Iterator[Columns]:
    """Households and their people, ``plan.chunk`` people at a time."""
    sizes = household_sizes(plan.people, plan.seed)
    hh_start = np.concatenate([[0], np.cumsum(sizes)])
    dist_p = district_weights(districts)
    # Sequence numbers of resident IDs must be unique per (area, birth day, sex):
    # counters carried across chunks keep them so.
    n_days = 110 * 366
    seq_used = np.zeros((len(districts), n_days, 2), dtype=np.int32)
    as_of = np.datetime64(AS_OF, "D")
    # Households per chunk, chosen so that a chunk holds about plan.chunk people.
    bounds = np.searchsorted(hh_start, np.arange(0, plan.people, plan.chunk))
    bounds = np.unique(np.append(bounds, len(sizes)))
    for index, (h0, h1) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        rng = np.random.default_rng([plan.seed, 1, index])
        yield _people_chunk(
            rng, sizes[h0:h1], int(h0), int(hh_start[h0]), districts, dist_p, seq_used, as_of
        )


def _people_chunk(
    rng: np.random.Generator, size: NDArray[np.int64], first_hh: int, first_person: int,
    districts: list[str], dist_p: NDArray[np.float64], seq_used: NDArray[np.int32],
    as_of: np.datetime64,
) -> Columns:  # fmt: skip
    n_hh = len(size)
    hh_of = np.repeat(np.arange(n_hh), size)
    n = len(hh_of)
    slot = np.arange(n) - np.repeat(np.cumsum(size) - size, size)
    has_spouse = rng.random(n_hh) < 0.85
    rel = np.full(n, "child", dtype="<U6")
    rel[slot == 0] = "head"
    rel[(slot == 1) & has_spouse[hh_of]] = "spouse"
    rel[(size[hh_of] >= 5) & (slot == size[hh_of] - 1)] = "parent"
    age = _ages(rng, size, slot, rel, hh_of)

    head_male = rng.random(n_hh) < 0.62
    male = rng.random(n) < 0.512
    male[rel == "head"] = head_male
    male = np.where(rel == "spouse", ~head_male[hh_of], male)

    # Jitter within the year so that clipped ages do not pile onto one birthday.
    days_old = (age * 365.25 + rng.uniform(0, 365, n)).astype(np.int64)
    birth = as_of - days_old.astype("timedelta64[D]")
    hh_district = rng.choice(len(districts), size=n_hh, p=dist_p)
    district = hh_district[hh_of]

    # Disability: about 6% overall, rising with age; grade 1 is the most severe.
    p_dis = 0.025 + 0.10 * (age >= 65) + 0.08 * (age >= 80)
    disabled = rng.random(n) < p_dis
    grade = np.where(disabled, rng.choice([1, 2, 3, 4], size=n, p=[0.1, 0.2, 0.3, 0.4]), 0)

    retire_age = np.where(male, 60, 55)
    u = rng.random(n)
    employment = np.select(
        [
            age < 6,
            age < 16,
            (age < 22) & (u < 0.70),
            age >= retire_age,
            u < 0.76,
            u < 0.86,
            u < 0.92,
        ],
        ["preschool", "student", "student", "retired", "employed", "self_employed", "unemployed"],
        default="not_working",
    )
    employment = np.where((grade == 1) & (employment == "employed"), "not_working", employment)
    income = (
        np.select(
            [employment == "employed", employment == "self_employed", employment == "retired"],
            [
                rng.lognormal(np.log(6500), 0.55, n),
                rng.lognormal(np.log(6000), 0.9, n),
                rng.lognormal(np.log(3200), 0.45, n),
            ],
            default=0.0,
        )
        .round(-1)
        .astype(np.int64)
    )
    working_years = np.clip(age - 22, 0, 38)
    insured = np.isin(employment, ["employed", "unemployed", "retired"])
    months = np.where(insured, working_years * 12 * rng.uniform(0.4, 1.0, n), 0).astype(np.int64)

    hh_income = np.bincount(hh_of, weights=income, minlength=n_hh)
    per_head = hh_income / size
    savings = rng.lognormal(np.log(60000), 1.3, n_hh).round(-2).astype(np.int64)
    savings = np.where(per_head < MIN_LIVING_LINE, savings // 20, savings)
    low = (per_head < MIN_LIVING_LINE) & (savings < 30000)
    on_min_living = low & (rng.random(n_hh) < 0.8)
    old_age = (age >= 80) & (rng.random(n) < 0.92)
    dis_sub = (grade > 0) & (grade <= 2) & (per_head[hh_of] < 2 * MIN_LIVING_LINE)
    dis_sub &= rng.random(n) < 0.85

    surname_hh = rng.choice(len(SURNAMES), size=n_hh, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    surname = np.where(
        np.isin(rel, ["spouse", "parent"]),
        rng.choice(len(SURNAMES), size=n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()),
        surname_hh[hh_of],
    )
    given = np.array(GIVEN)
    name = _join([np.array(SURNAMES)[surname], given[rng.integers(0, len(given), n)]])
    two = rng.random(n) < 0.7
    name = np.where(two, np.char.add(name, given[rng.integers(0, len(given), n)]), name)

    # Drawn last so that adding it left every earlier column of a seeded city unchanged.
    separation = np.where(
        employment == "unemployed",
        rng.choice(SEPARATION, size=n, p=SEPARATION_P),
        "none",
    )
    resident_id = _resident_ids(district, days_old, birth, male, districts, seq_used)
    hh_ids = np.arange(first_hh, first_hh + n_hh) + 1
    return {
        "household.id": hh_ids,
        "household.district_code": np.array(districts)[hh_district],
        "household.size": size,
        "household.housing": rng.choice(HOUSING, size=n_hh, p=HOUSING_P),
        "household.savings": savings,
        "household.receives_min_living": on_min_living,
        "id": np.arange(first_person, first_person + n) + 1,
        "resident_id": resident_id,
        "name": name,
        "gender": np.where(male, "M", "F"),
        "birth_date": birth,
        "household_id": hh_ids[hh_of],
        "relation": rel,
        "district_code": np.array(districts)[district],
        "disability_grade": grade,
        "employment": employment,
        "separation_reason": separation,
        "monthly_income": income,
        "insurance_months": months,
        "receives_old_age_allowance": old_age,
        "receives_disability_subsidy": dis_sub,
    }


def _resident_ids(
    district: NDArray[np.int64], days_old: NDArray[np.int64], birth: NDArray[np.datetime64],
    male: NDArray[np.bool_], districts: list[str], seq_used: NDArray[np.int32],
) -> NDArray[np.str_]:  # fmt: skip
    day = np.clip(days_old, 0, seq_used.shape[1] - 1)
    sex = male.astype(np.int64)
    key = (district * seq_used.shape[1] + day) * 2 + sex
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - group_start
    flat = seq_used.reshape(-1)
    rank += flat[key]
    np.add.at(flat, key, 1)
    if rank.max(initial=0) >= 499:
        raise ValueError("too many people born on one day in one district for resident IDs")
    seq = 2 * rank + np.where(male, 1, 2)  # odd for men, even for women
    ymd = birth.astype("datetime64[D]").astype(str)
    ymd_digits = np.char.replace(ymd, "-", "").astype(np.int64)
    area = np.array([int(code) for code in districts], dtype=np.int64)[district]
    body = np.hstack([_digits(area, 6), _digits(ymd_digits, 8), _digits(seq, 3)])
    text = _join(
        [
            area.astype(str),
            ymd_digits.astype(str),
            np.char.zfill(seq.astype(str), 3),
        ]
    )
    return np.char.add(text, resident_id_check(body))


def enterprise_chunks(plan: CityPlan, districts: list[str]) -> Iterator[Columns]:
    dist_p = district_weights(districts)
    for index, start in enumerate(range(0, plan.enterprises, plan.chunk)):
        rng = np.random.default_rng([plan.seed, 2, index])
        n = min(plan.chunk, plan.enterprises - start)
        ids = np.arange(start, start + n, dtype=np.int64) + 1
        yield _enterprise_chunk(rng, ids, districts, dist_p)


def _enterprise_chunk(
    rng: np.random.Generator, ids: NDArray[np.int64], districts: list[str],
    dist_p: NDArray[np.float64],
) -> Columns:  # fmt: skip
    n = len(ids)
    district = rng.choice(len(districts), size=n, p=dist_p)
    area = np.array([int(code) for code in districts], dtype=np.int64)[district]
    # Organisation code body: a bijection of the id onto 8 digits keeps codes unique.
    body = (ids * 7_919_731 + 12_345_678) % 100_000_000
    org_digits = _digits(body, 8)
    org_check_value = (11 - (org_digits @ ORG_WEIGHTS) % 11) % 11
    org_check = np.where(org_check_value == 10, "X", org_check_value.astype(str))
    charset_index = {c: i for i, c in enumerate(CREDIT_CHARSET)}
    org_check_index = np.where(org_check_value == 10, charset_index["X"], org_check_value)
    values = np.hstack(
        [
            np.tile([9, 1], (n, 1)),  # 9: market regulation registers it; 1: an enterprise
            _digits(area, 6),
            org_digits,
            org_check_index[:, None],
        ]
    )
    code = _join(
        [np.full(n, "91"), area.astype(str), np.char.zfill(body.astype(str), 8), org_check]
    )
    code = np.char.add(code, credit_code_check(values))

    industry = rng.choice(len(INDUSTRIES), size=n, p=INDUSTRY_P)
    employees = np.maximum(1, rng.lognormal(np.log(8), 1.4, n)).astype(np.int64)
    size = np.select(
        [employees < 10, employees < 100, employees < 1000], ["micro", "small", "medium"], "large"
    )
    age_days = (rng.exponential(7.5, n).clip(0, 30) * 365.25).astype(np.int64)
    founded = np.datetime64(AS_OF, "D") - age_days.astype("timedelta64[D]")
    trade = np.array(TRADE_NAMES)
    name = _join(
        [
            trade[rng.integers(0, len(trade), n)],
            trade[rng.integers(0, len(trade), n)],
            INDUSTRY_WORD[industry],
            np.full(n, "有限公司"),
        ]
    )
    capital = (rng.lognormal(np.log(500_000), 1.5, n).round(-3) * np.sqrt(employees)).astype(
        np.int64
    )
    return {
        "id": ids,
        "credit_code": code,
        "name": name,
        "industry": INDUSTRIES[industry],
        "size": size,
        "employees": employees,
        "founded_on": founded,
        "district_code": np.array(districts)[district],
        "registered_capital": capital,
        "status": np.where(rng.random(n) < 0.08, "deregistered", "active"),
    }
