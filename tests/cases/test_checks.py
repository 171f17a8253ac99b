"""The second-check scorecard: its stored numbers score exactly as scikit-learn's
fitted pipeline, and it follows a threshold rule a plain linear model would blur."""

from __future__ import annotations

import numpy as np

from smartgov.cases import checks


def test_the_stored_numbers_score_like_the_fitted_pipeline() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4)) * [1, 10, 100, 0.1]
    x[rng.random(400) < 0.1, 2] = np.nan  # missing values are imputed alike
    labels = ((x[:, 0] > 0.3) & (np.nan_to_num(x[:, 1]) < 5)).astype(int)
    parameters, accuracy = checks.fit(x, labels)
    logits = np.array([checks.points(parameters, row).sum() for row in x])
    logits += parameters["intercept"]
    # scikit-learn's own answer for the same rows, from the pipeline fitted the same way
    fitted = checks.pipeline(parameters["c"]).fit(x, labels)
    assert parameters["c"] in checks.C_GRID
    assert np.allclose(logits, fitted.decision_function(x))
    assert accuracy is not None and accuracy > 0.9  # the interval rule is learnt
