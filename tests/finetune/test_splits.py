import numpy as np

from strl.finetune.splits import labelled_split, stratified_holdout


def test_holdout_is_stratified_seeded_and_keeps_singletons_for_training():
    groups = np.array([0] * 10 + [1] * 5 + [2])
    train, val = stratified_holdout(groups, 0.2, seed=0)
    assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == len(groups)
    assert np.bincount(groups[val], minlength=3).tolist() == [2, 1, 0]  # round(0.2 * n), at least 1; class 2 has one
    again, _ = stratified_holdout(groups, 0.2, seed=0)
    other, _ = stratified_holdout(groups, 0.2, seed=1)
    assert np.array_equal(train, again) and not np.array_equal(train, other)


def test_labelled_split_takes_val_out_of_the_label_fraction():
    groups = np.repeat(np.arange(4), 25)
    train, val = labelled_split(groups, 0.2, 0.2, seed=3)
    assert len(train) + len(val) == 20  # 5 labelled per class, never more
    assert np.bincount(groups[val], minlength=4).tolist() == [1, 1, 1, 1]
    assert np.bincount(groups[train], minlength=4).tolist() == [4, 4, 4, 4]
    tiny_train, tiny_val = labelled_split(groups, 0.01, 0.5, seed=0)  # one label per class: all for training
    assert np.bincount(groups[tiny_train], minlength=4).tolist() == [1, 1, 1, 1] and tiny_val.size == 0
    full_train, full_val = labelled_split(groups, 1.0, 0.1, seed=0)
    assert len(full_train) + len(full_val) == 100
