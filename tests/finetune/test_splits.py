import numpy as np

from strl.finetune.splits import group_holdout, labelled_split, stratified_holdout


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


def test_group_holdout_moves_whole_groups_until_the_share_is_reached():
    groups = np.array(["a"] * 6 + ["b"] * 2 + ["c"] * 3 + ["d"] * 9)
    for seed in range(5):
        train, val = group_holdout(groups, 0.25, seed)
        assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == len(groups)
        assert not set(groups[train]) & set(groups[val])  # no group on both sides
        assert len(val) >= 5 and set(groups[train])  # round(0.25 * 20) frames at least, a group left to train on
        assert any(len(val) - np.sum(groups == g) < 5 for g in set(groups[val]))  # no more groups than needed
        assert np.array_equal(val, np.sort(val))
    assert np.array_equal(group_holdout(groups, 0.25, 3)[1], group_holdout(groups, 0.25, 3)[1])
    assert len({tuple(group_holdout(groups, 0.25, s)[1]) for s in range(8)}) > 1
    train, val = group_holdout(groups, 0.99, 0)
    assert len(set(groups[train])) == 1  # one group always stays for training


def test_group_holdout_with_one_group_holds_out_single_samples():
    train, val = group_holdout(np.zeros(10, int), 0.2, 0)
    assert len(val) == 2 and len(train) == 8
    assert group_holdout(np.arange(10), 0.2, 0)[1].size == 2  # groups of one: samples
    train, val = group_holdout(np.zeros(1, int), 0.5, 0)
    assert train.tolist() == [0] and val.size == 0
