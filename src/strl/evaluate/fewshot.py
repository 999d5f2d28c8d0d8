"""Few-shot classification on frozen features: CrossPoint's linear-SVM episodes.

This is CrossPoint's protocol (``eval_fewshot.py``), not the Point-BERT / Point-MAE "10-fold"
few-shot protocol, which fine-tunes the whole network on each of ten released folds (whose
queries come from the test split) and reports the best test accuracy over epochs: the numbers of
the two are not comparable.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from strl.errors import ConfigError


def sample_episode(labels: np.ndarray, ways: int, shots: int, queries: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One episode: ``ways`` distinct classes, and ``shots`` support and ``queries`` query samples
    of each, disjoint. ``labels`` ``(M,)`` -> support indices ``(ways * shots,)`` and query indices
    ``(ways * queries,)``, class by class. Only classes with ``shots + queries`` samples are drawn."""
    classes, counts = np.unique(labels, return_counts=True)
    eligible = classes[counts >= shots + queries]
    if len(eligible) < ways:
        raise ConfigError(f"a {ways}-way {shots}-shot episode with {queries} queries per class needs {ways} classes "
                          f"with at least {shots + queries} samples; the features have {len(eligible)}")
    support, query = [], []
    for c in rng.choice(eligible, size=ways, replace=False):
        picked = rng.choice(np.flatnonzero(labels == c), size=shots + queries, replace=False)
        support.append(picked[:shots])
        query.append(picked[shots:])
    return np.concatenate(support), np.concatenate(query)


def few_shot_svm(features: np.ndarray, labels: np.ndarray, ways: int, shots: int, episodes: int = 10,
                 queries: int = 20, seed: int = 0) -> dict:
    """CrossPoint's few-shot linear-SVM accuracy: mean and standard deviation over ``episodes``.

    ``features`` ``(M, D)`` and ``labels`` ``(M,)``: frozen-encoder features of the *train* split.
    Each episode (:func:`sample_episode`, drawn with its own generator seeded by ``(seed, episode)``,
    so an episode does not depend on how many are run) fits ``StandardScaler`` and
    ``SVC(kernel="linear")`` on its support samples and scores its queries. Returns ``mean``,
    ``std`` (population, as ``np.std``) and the per-episode ``accuracies`` (fractions).
    """
    features, labels = np.asarray(features), np.asarray(labels)
    if ways < 2 or shots < 1 or queries < 1 or episodes < 1:
        raise ConfigError(f"few-shot needs ways >= 2, shots, queries and episodes >= 1; got {ways}, {shots}, {queries}, {episodes}")
    accuracies = []
    for episode in range(episodes):
        support, query = sample_episode(labels, ways, shots, queries, np.random.default_rng((seed, episode)))
        scaler = StandardScaler().fit(features[support])
        svm = SVC(kernel="linear").fit(scaler.transform(features[support]), labels[support])
        accuracies.append(float(svm.score(scaler.transform(features[query]), labels[query])))
    return {"mean": float(np.mean(accuracies)), "std": float(np.std(accuracies)), "accuracies": accuracies,
            "ways": ways, "shots": shots, "queries": queries, "episodes": episodes, "seed": seed}
