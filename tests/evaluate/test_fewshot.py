import numpy as np
import pytest

from strl.errors import ConfigError
from strl.evaluate.fewshot import few_shot_svm, sample_episode


def clusters(classes=8, per_class=30, dims=16, spread=0.1, seed=0):
    """Well-separated Gaussian clusters: ``(classes * per_class, dims)`` features and labels."""
    rng = np.random.default_rng(seed)
    centres = 10 * rng.standard_normal((classes, dims))
    labels = np.repeat(np.arange(classes), per_class)
    return centres[labels] + spread * rng.standard_normal((len(labels), dims)), labels


def test_episodes_are_disjoint_and_have_the_asked_sizes():
    _, labels = clusters()
    for seed in range(5):
        support, query = sample_episode(labels, ways=5, shots=3, queries=20, rng=np.random.default_rng(seed))
        assert len(support) == 15 and len(query) == 100
        assert not set(support) & set(query) and len(set(support)) == 15 and len(set(query)) == 100
        classes = np.unique(labels[support])
        assert len(classes) == 5 and set(labels[query]) == set(classes)
        assert all((labels[support] == c).sum() == 3 and (labels[query] == c).sum() == 20 for c in classes)


def test_each_seed_gives_the_same_episodes_and_another_seed_others():
    x, labels = clusters(spread=8.0)  # overlapping: accuracies vary between episodes
    a = few_shot_svm(x, labels, ways=5, shots=2, episodes=4, seed=3)
    assert a == few_shot_svm(x, labels, ways=5, shots=2, episodes=4, seed=3)
    assert a["accuracies"] != few_shot_svm(x, labels, ways=5, shots=2, episodes=4, seed=4)["accuracies"]
    assert a["accuracies"][:2] == few_shot_svm(x, labels, ways=5, shots=2, episodes=2, seed=3)["accuracies"]
    assert a["mean"] == pytest.approx(np.mean(a["accuracies"])) and a["std"] == pytest.approx(np.std(a["accuracies"]))


def test_perfectly_separable_features_give_accuracy_one():
    x, labels = clusters()
    result = few_shot_svm(x, labels, ways=5, shots=1, episodes=3)
    assert result["accuracies"] == [1.0, 1.0, 1.0] and result["mean"] == 1.0 and result["std"] == 0.0


def test_too_few_samples_or_classes_are_refused():
    x, labels = clusters(classes=4, per_class=10)
    with pytest.raises(ConfigError, match="needs 5 classes with at least 21 samples; the features have 0"):
        few_shot_svm(x, labels, ways=5, shots=1)
    with pytest.raises(ConfigError, match="ways >= 2"):
        few_shot_svm(x, labels, ways=1, shots=1, queries=5)
