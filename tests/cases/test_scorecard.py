"""The second-check scorecard: its stored numbers score exactly as scikit-learn's
fitted pipeline, and it learns the thresholds and intervals the past decisions follow."""

from __future__ import annotations

import numpy as np

from smartgov.cases import second_check


def test_the_stored_numbers_score_like_the_fitted_pipeline() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4)) * [1, 10, 100, 0.1]
    x[rng.random(400) < 0.1, 2] = np.nan  # missing values are imputed alike
    labels = ((x[:, 0] > 0.3) & (np.nan_to_num(x[:, 1]) < 5)).astype(int)
    parameters, accuracy = second_check.fit(x, labels)
    logits = np.array([second_check.points(parameters, row).sum() for row in x])
    logits += parameters["intercept"]
    # scikit-learn's own answer for the same rows, from the pipeline fitted the same way
    fitted = second_check.pipeline(parameters["c"]).fit(x, labels)
    assert parameters["c"] in second_check.C_GRID
    assert np.allclose(logits, fitted.decision_function(x))
    assert accuracy is not None and accuracy > 0.9  # the interval rule is learnt


def test_it_learns_an_interval_from_past_decisions() -> None:
    """Like the startup subsidy (operating one to three years): the cuts are found
    where the past decisions change, and cases well inside or outside are confident."""
    rng = np.random.default_rng(5)
    years = rng.uniform(0, 10, size=600)
    noise = rng.normal(size=600)  # a feature that has nothing to do with it
    x = np.column_stack([years, noise])
    labels = ((years > 1) & (years <= 3)).astype(int)
    parameters, accuracy = second_check.fit(x, labels)
    cuts = np.asarray(parameters["cuts"][0])
    assert np.min(np.abs(cuts - 1)) < 0.1 and np.min(np.abs(cuts - 3)) < 0.1

    def probability(value: float) -> float:
        logit = second_check.points(parameters, np.array([value, 0.0])).sum()
        return float(1 / (1 + np.exp(-(logit + parameters["intercept"]))))

    assert probability(2.0) > 0.9 and probability(5.0) < 0.1 and probability(0.5) < 0.1
    assert accuracy is not None and accuracy > 0.97
