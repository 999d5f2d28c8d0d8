"""Linear SVM (the paper's protocol), its variants, and a k-NN probe on frozen features."""

from __future__ import annotations

import time

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def _linear_svc(c: float, standardize: bool):
    svc = SVC(kernel="linear", C=c)
    return make_pipeline(StandardScaler(), svc) if standardize else svc


def svm_accuracy(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    c: float = 1.0,
    standardize: bool = False,
    cv_c: bool = False,
    c_grid: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0),
) -> dict:
    """Fit ``SVC(kernel="linear")`` on train features and score test features.

    ``standardize`` uses the training features' mean and standard deviation only. ``cv_c`` picks
    C by stratified cross-validation on the training features only. Returns accuracy (a
    fraction), the C used and the fit time.
    """
    start = time.perf_counter()
    if cv_c:
        folds = max(2, min(5, int(np.bincount(y_train).min())))
        search = GridSearchCV(
            _linear_svc(1.0, standardize),
            {("svc__C" if standardize else "C"): list(c_grid)},
            cv=StratifiedKFold(folds, shuffle=True, random_state=0),
        )
        search.fit(x_train, y_train)
        model, c = search.best_estimator_, float(list(search.best_params_.values())[0])
    else:
        model = _linear_svc(c, standardize).fit(x_train, y_train)
    fit_s = time.perf_counter() - start
    acc = float(model.score(x_test, y_test))
    return {"accuracy": acc, "C": c, "standardize": standardize, "cv_c": cv_c, "fit_seconds": fit_s}


def label_subset(labels: np.ndarray, per_class: int | None = None, seed: int = 0,
                 fraction: float | None = None) -> np.ndarray:
    """Sorted indices of a seeded subset of each class of ``labels`` ``(N,)``: ``per_class`` samples
    (all of a class if it has fewer), or ``ceil(fraction * n_c)`` of the ``n_c`` samples of class c
    (at least one). Give exactly one of ``per_class`` and ``fraction``."""
    if (per_class is None) == (fraction is None):
        raise ValueError("give exactly one of per_class and fraction")
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        count = per_class if per_class is not None else max(1, int(np.ceil(fraction * len(members))))
        picks.append(members[:count])
    return np.sort(np.concatenate(picks))


def few_label_svm_accuracy(x_train, y_train, x_test, y_test, per_class: int = 5, draws: int = 5, seed: int = 0, standardize: bool = True) -> dict:
    """Mean and spread of the linear-SVM accuracy with ``per_class`` labelled shapes, over seeded draws.

    Standardisation statistics come from all training features (they need no labels)."""
    if standardize:
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    accs = []
    for d in range(draws):
        idx = label_subset(y_train, per_class, seed + d)
        accs.append(svm_accuracy(x_train[idx], y_train[idx], x_test, y_test)["accuracy"])
    return {"accuracy": float(np.mean(accs)), "std": float(np.std(accs)), "per_class": per_class, "draws": draws}


def knn_accuracy(x_train, y_train, x_test, y_test, k: int = 20) -> float:
    """Accuracy of a cosine k-NN classifier on standardised features (a quick probe)."""
    scaler = StandardScaler().fit(x_train)
    model = KNeighborsClassifier(n_neighbors=min(k, len(x_train)), metric="cosine", weights="distance")
    model.fit(scaler.transform(x_train), y_train)
    return float(model.score(scaler.transform(x_test), y_test))
