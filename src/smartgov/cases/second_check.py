"""The second, independent check: a scorecard per service, trained with scikit-learn on
the decisions people made on the service's past cases (reviews and appeals, never the
cases decided without a person, whose outcome is the rules' own), that scores each new
case. Where it disagrees with the rules, or is unsure, a person looks.

The model is a logistic regression over binned features, one-hot: each feature's bin
adds a number of points for or against eligibility. The cut points of each feature are
learnt from the past decisions (a small decision tree on that feature alone, as credit
scorecards bin), so a linear model can follow the thresholds and intervals the past
reflects ("under 1,100 yuan", "operating one to three years") without reading the
rules. The points are what a reviewer sees as the main contributing features. A
trained model is kept as its numbers (means for missing values, cut points, points) in
JSON, not as a pickle: loading it runs no code, and scoring one case is a few NumPy
operations. The features are the service's inputs: numbers as they are, yes/no as 1/0,
dates as years before the day the case's rules ran (for past cases too), codes one-hot."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartgov.cases.models import Case, CheckModel
from smartgov.core.errors import FieldError, Invalid
from smartgov.core.i18n import N_
from smartgov.ledger import service as ledger
from smartgov.rules import service as rules

Array = np.ndarray[Any, Any]
MIN_CASES = 40  # fewer decided cases than this cannot train a model worth asking
LEAVES = 8  # at most this many bins per feature
MIN_LEAF = 5  # past cases a bin must hold
C_GRID = [0.1, 1.0, 10.0, 100.0]  # inverse regularisation strengths tried


def feature_names(service: rules.Service) -> list[str]:
    names = []
    for name in service.inputs:
        kind = service.symbols[name].type
        if kind == "text":
            names += [f"{name}={code}" for code in service.codes.get(name, ())]
        else:
            names.append(name)
    return names


def features(service: rules.Service, facts: Mapping[str, Any], on: date) -> list[float]:
    """One row of features; NaN where a fact is missing (imputed at scoring)."""
    row: list[float] = []
    for name in service.inputs:
        kind = service.symbols[name].type
        value = facts.get(name)
        if kind == "text":
            row += [float(value == code) for code in service.codes.get(name, ())]
        elif value is None:
            row.append(math.nan)
        elif kind == "date":
            day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
            row.append((on - day).days / 365.25)
        else:
            row.append(float(value))
    return row


@dataclass(frozen=True)
class Score:
    eligible: float  # the model's probability that the case is eligible
    confidence: float  # max(p, 1 - p)
    contributions: list[tuple[str, float]]  # features pushing the score, strongest first

    @property
    def outcome(self) -> str:
        return "eligible" if self.eligible >= 0.5 else "ineligible"


def points(parameters: Mapping[str, Any], x: Array) -> Array:
    """Each feature's points for one row: the coefficient of the bin its value falls in
    (a value equal to a cut belongs below it, as in the tree that found the cut)."""
    x = np.where(np.isnan(x), np.asarray(parameters["impute"]), x)
    coef = np.asarray(parameters["coef"])
    parts = np.empty(len(x))
    offset = 0
    for index, cuts in enumerate(parameters["cuts"]):
        parts[index] = coef[offset + int(np.searchsorted(cuts, x[index], side="left"))]
        offset += len(cuts) + 1
    return parts


def score(model: CheckModel, service: rules.Service, facts: Mapping[str, Any], on: date) -> Score:
    p = model.parameters
    parts = points(p, np.array(features(service, facts, on), dtype=float))
    logit = float(parts.sum() + p["intercept"])
    eligible = 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))
    order = np.argsort(-np.abs(parts))[:3]
    names = p["features"]
    return Score(
        eligible=eligible,
        confidence=max(eligible, 1 - eligible),
        contributions=[(names[i], round(float(parts[i]), 3)) for i in order if parts[i] != 0],
    )


def latest(session: Session, service_id: str) -> CheckModel | None:
    return session.scalars(
        select(CheckModel)
        .where(CheckModel.service_id == service_id)
        .order_by(CheckModel.version.desc())
        .limit(1)
    ).first()


def _training_rows(session: Session, service_id: str) -> Sequence[tuple[Any, ...]]:
    """Each past case a person decided (a review or an appeal): its facts, the day its
    rules ran, the outcome. Cases decided alone are left out, or the model would learn
    from its own agreement with the rules and come to copy them."""
    return session.execute(
        select(Case.facts, Case.decision, Case.submitted_at, Case.outcome)
        .where(
            Case.service_id == service_id,
            Case.state == "decided",
            Case.reviewer_id.is_not(None),
            Case.outcome.in_(("eligible", "ineligible")),
            Case.facts.is_not(None),
        )
        .order_by(Case.id)  # the same past gives the same model on any database
    ).all()


def decided_on(decision: Mapping[str, Any] | None, submitted_at: datetime) -> date:
    """The day a case's rules ran (its facts' ages are counted to it), as the check
    recorded it; the day it was submitted for a case without one."""
    found = (decision or {}).get("on")
    return date.fromisoformat(found) if found else submitted_at.date()


def _bins() -> Any:
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.tree import DecisionTreeClassifier

    class TreeBins(TransformerMixin, BaseEstimator):  # type: ignore[misc]
        """One-hot bins whose cuts a depth-limited tree finds on each feature alone."""

        def __init__(self, leaves: int = LEAVES, min_leaf: int = MIN_LEAF) -> None:
            self.leaves, self.min_leaf = leaves, min_leaf

        def fit(self, x: Array, y: Array) -> Any:
            self.cuts_ = []
            for column in x.T:
                tree = DecisionTreeClassifier(
                    max_leaf_nodes=self.leaves, min_samples_leaf=self.min_leaf, random_state=0
                )
                tree.fit(column.reshape(-1, 1), y)
                inner = tree.tree_.feature >= 0  # split nodes; leaves have feature -2
                self.cuts_.append(np.unique(tree.tree_.threshold[inner]))
            return self

        def transform(self, x: Array) -> Array:
            blocks = []
            for column, cuts in zip(x.T, self.cuts_, strict=True):
                block = np.zeros((len(column), len(cuts) + 1))
                block[np.arange(len(column)), np.searchsorted(cuts, column, side="left")] = 1
                blocks.append(block)
            return np.hstack(blocks)

    return TreeBins()


def pipeline(c: float = 1.0) -> Any:
    """The scorecard as scikit-learn fits it: fill in missing values with the mean,
    cut each feature into bins learnt from the labels (one-hot), and a logistic
    regression over the bins."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        SimpleImputer(strategy="mean"), _bins(), LogisticRegression(C=c, max_iter=5000)
    )


def fit(x: Array, labels: Array) -> tuple[dict[str, Any], float | None]:
    """Train the scorecard; its numbers and its cross-validated accuracy.

    How strongly the points are shrunk (C) is chosen per service by cross-validated
    log-loss, so that the probabilities, and the confidence the review policy compares
    with the service's threshold, are as honest as the data allows."""
    from sklearn.model_selection import GridSearchCV, cross_val_score

    x = x.copy()
    # A feature with no value in any case carries nothing; SimpleImputer would drop it
    # and shift the columns, so it is filled with 0 first.
    x[:, np.isnan(x).all(axis=0)] = 0.0
    folds = int(min(5, np.bincount(labels).min()))
    c, accuracy = 1.0, None
    if folds >= 2:
        search = GridSearchCV(
            pipeline(), {"logisticregression__C": C_GRID}, scoring="neg_log_loss", cv=folds
        ).fit(x, labels)
        c = float(search.best_params_["logisticregression__C"])
        scores = cross_val_score(pipeline(c), x, labels, cv=folds, scoring="accuracy")
        accuracy = float(scores.mean())
    fitted = pipeline(c).fit(x, labels)
    imputer, bins, regression = (step for _, step in fitted.steps)
    parameters = {
        "impute": imputer.statistics_.tolist(),
        "cuts": [cuts.tolist() for cuts in bins.cuts_],
        "coef": regression.coef_[0].tolist(),
        "intercept": float(regression.intercept_[0]),
        "c": c,
    }
    return parameters, accuracy


def training_set(session: Session, service: rules.Service) -> tuple[Array, Array]:
    """The features and labels a model learns from: the cases people decided, each as
    its check saw it (a birth date is an age on the day the case's rules ran)."""
    rows = _training_rows(session, service.id)
    labels = np.array([outcome == "eligible" for *_, outcome in rows], dtype=int)
    x = np.array(
        [features(service, facts, decided_on(decision, at)) for facts, decision, at, _ in rows],
        dtype=float,
    ).reshape(len(rows), len(feature_names(service)))
    return x, labels


def train(session: Session, service: rules.Service, *, actor: str) -> CheckModel:
    """Train, register and log a new version of the service's check model."""
    x, labels = training_set(session, service)
    if len(labels) < MIN_CASES or labels.min(initial=1) == labels.max(initial=0):
        raise Invalid(
            N_("Too few past decisions to train a check model."),
            [FieldError("service", N_("Needs {need} cases decided by a person, with both "
                                      "outcomes; {have} found."),
                        {"need": MIN_CASES, "have": len(labels)})],
        )  # fmt: skip
    parameters, accuracy = fit(x, labels)
    parameters |= {"features": feature_names(service), "rule_version": service.definition.version}
    version = (
        session.scalar(
            select(func.max(CheckModel.version)).where(CheckModel.service_id == service.id)
        )
        or 0
    ) + 1
    metrics = {"cross_validated_accuracy": accuracy, "eligible_share": float(labels.mean())}
    model = CheckModel(
        service_id=service.id, version=version, trained_on=len(labels), parameters=parameters,
        metrics=metrics,
    )  # fmt: skip
    session.add(model)
    model.ledger_seq = ledger.record(
        session, "model",
        {"service": service.id, "version": version, "trained_on": len(labels),
         "metrics": metrics, "parameters": parameters, "by": actor},
    )  # fmt: skip
    session.flush()
    return model
