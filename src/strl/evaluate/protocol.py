"""The evaluation protocols on one encoder: features once, then every classifier on them."""

from __future__ import annotations

import numpy as np
import torch

from strl.evaluate.classifiers import few_label_svm_accuracy, knn_accuracy, svm_accuracy
from strl.evaluate.features import extract_features
from strl.formats.base import CloudSet


def encoder_features(encoder, train: CloudSet, test: CloudSet, num_points: int, batch_size: int = 32, device="cpu", progress=True):
    """``(x_train, y_train, x_test, y_test)`` for an encoder on an evaluation set."""
    x_tr = extract_features(encoder, train, num_points, batch_size, device, progress, desc="train features")
    x_te = extract_features(encoder, test, num_points, batch_size, device, progress, desc="test features")
    return x_tr, np.asarray(train.labels), x_te, np.asarray(test.labels)


def linear_protocols(x_tr, y_tr, x_te, y_te, shots: int = 5, draws: int = 5, seed: int = 0) -> dict:
    """The fair (standardised), paper (raw, C=1) and few-label linear-SVM accuracies."""
    return {
        "fair": svm_accuracy(x_tr, y_tr, x_te, y_te, standardize=True),
        "paper": svm_accuracy(x_tr, y_tr, x_te, y_te, standardize=False),
        "few": few_label_svm_accuracy(x_tr, y_tr, x_te, y_te, per_class=shots, draws=draws, seed=seed),
    }


def probe_accuracy(encoder, train: CloudSet, test: CloudSet, num_points: int, kind: str = "knn", device="cpu") -> float:
    """A quick accuracy for monitoring training: cosine k-NN or the standardised linear SVM."""
    x_tr, y_tr, x_te, y_te = encoder_features(encoder, train, test, num_points, device=device, progress=False)
    if kind == "knn":
        return knn_accuracy(x_tr, y_tr, x_te, y_te)
    return svm_accuracy(x_tr, y_tr, x_te, y_te, standardize=True)["accuracy"]


def module_device(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device
