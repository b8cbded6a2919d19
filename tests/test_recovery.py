"""Tests of component_recovery: the blocks x factors probe table and its summary."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import LeaveOneGroupOut

from skpid.metrics import RecoveryReport, component_recovery, infer_blocks


def _synthetic(n=300, seed=0, noise=0.3):
    """Blocks R, U_eeg, S of 2 columns each; block k encodes factor k and nothing else."""
    rng = np.random.default_rng(seed)
    factors = pd.DataFrame(
        {
            "R": rng.integers(0, 2, n),
            "U_eeg": rng.integers(0, 3, n),
            "S": rng.normal(size=n),  # continuous: ridge probe, R^2
        }
    )
    cols = {}
    for name in factors:
        signal = factors[name].to_numpy(dtype=float)
        cols[f"{name}0"] = signal + noise * rng.normal(size=n)
        cols[f"{name}1"] = rng.normal(size=n)
    return pd.DataFrame(cols), factors


def test_diagonal_high_off_diagonal_near_zero():
    Z, factors = _synthetic()
    report = component_recovery(Z, factors)
    assert isinstance(report, RecoveryReport)
    scores = report.scores
    assert list(scores.index) == ["R", "U_eeg", "S"] and list(scores.columns) == list(factors)
    assert report.kinds == {"R": "classification", "U_eeg": "classification", "S": "regression"}
    diag = np.diag(scores.to_numpy())
    off = scores.to_numpy()[~np.eye(3, dtype=bool)]
    assert np.all(diag > 0.7)
    # chance level: |score| within ~3 fold-standard errors of 0 at n = 300
    assert np.all(np.abs(off) < 0.1)
    assert report.correspondence == {"R": "R", "U_eeg": "U_eeg", "S": "S"}
    assert report.summary == pytest.approx(diag.mean() - off.mean())
    assert report.summary > 0.7


def test_leak_lowers_summary_and_shows_off_diagonal():
    Z, factors = _synthetic()
    clean = component_recovery(Z, factors).summary
    Z["S1"] = factors["R"] + 0.3 * np.random.default_rng(5).normal(size=len(Z))  # leak R into S
    leaky = component_recovery(Z, factors)
    assert leaky.scores.loc["S", "R"] > 0.7
    assert leaky.summary < clean - 0.1


def test_chance_normalisation_of_balanced_accuracy():
    """Pure noise blocks: normalised scores near 0 for 2 and 4 classes alike."""
    rng = np.random.default_rng(1)
    n = 400
    factors = {"two": rng.integers(0, 2, n), "four": rng.integers(0, 4, n)}
    report = component_recovery(rng.normal(size=(n, 3)), factors)
    assert list(report.scores.index) == ["all"]
    assert np.all(np.abs(report.scores.to_numpy()) < 0.1)
    perfect = component_recovery(
        factors["four"][:, None] + 0.01 * rng.normal(size=(n, 1)), {"four": factors["four"]}
    )
    assert perfect.scores.loc["all", "four"] == pytest.approx(1.0)


def test_groups_use_group_k_fold_and_explicit_blocks():
    Z, factors = _synthetic(n=240, seed=2)
    groups = np.repeat(np.arange(6), 40)
    blocks = {"R": slice(0, 2), "U_eeg": [2, 3], "S": np.array([False] * 4 + [True] * 2)}
    report = component_recovery(Z.to_numpy(), factors, blocks, groups=groups, cv=3)
    assert np.all(np.diag(report.scores.to_numpy()) > 0.6)
    logo = component_recovery(Z.to_numpy(), factors, blocks, groups=groups, cv=LeaveOneGroupOut())
    assert logo.summary > 0.6


def test_group_awareness_changes_the_score_for_group_confounded_factors():
    """A factor constant within subjects and a block that identifies subjects.

    With shuffled folds the probe memorises subjects and scores high; with groups no
    subject is in both training and test folds and the score falls to chance.
    """
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(10), 30)
    label = rng.permutation(np.repeat([0, 1], 5))[groups]
    subject_code = np.eye(10)[groups] + 0.05 * rng.normal(size=(300, 10))
    naive = component_recovery(subject_code, {"y": label})
    grouped = component_recovery(subject_code, {"y": label}, groups=groups)
    assert naive.scores.iloc[0, 0] > 0.9
    assert grouped.scores.iloc[0, 0] < 0.3


def test_continuous_factor_r2():
    rng = np.random.default_rng(4)
    n = 300
    f = rng.normal(size=n)
    Z = np.column_stack([2 * f + 0.5 * rng.normal(size=n), rng.normal(size=n)])
    report = component_recovery(Z, {"f": f}, {"good": [0], "bad": [1]})
    r2 = 4 / (4 + 0.25)  # explained variance of the linear model
    assert report.scores.loc["good", "f"] == pytest.approx(r2, abs=0.05)
    assert abs(report.scores.loc["bad", "f"]) < 0.05
    # best-block matching when names differ
    assert report.correspondence == {"f": "good"}


def test_kinds_override_and_correspondence():
    Z, factors = _synthetic(seed=6)
    factors["R"] = factors["R"].astype(float)  # 0.0/1.0 floats would be read as continuous
    report = component_recovery(
        Z, factors, kinds={"R": "classification"}, correspondence={"R": "R", "S": "S"}
    )
    assert report.kinds["R"] == "classification"
    assert set(report.correspondence) == {"R", "S"}


def test_deterministic_and_printable():
    Z, factors = _synthetic(seed=7)
    a = component_recovery(Z, factors, random_state=1)
    b = component_recovery(Z, factors, random_state=1)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    text = str(a)
    assert "U_eeg" in text and "summary" in text
    assert "<table" in a._repr_html_()


def test_infer_blocks_from_feature_names():
    blocks = infer_blocks(["R0", "R1", "U_eeg0", "U_eeg1", "U_fnirs0", "S0", "S1"])
    assert list(blocks) == ["R", "U_eeg", "U_fnirs", "S"]
    np.testing.assert_array_equal(blocks["U_fnirs"], [4])
    np.testing.assert_array_equal(blocks["S"], [5, 6])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"Z": np.zeros(10)}, ValueError, "2-D"),
        ({"factors": {"a": np.zeros(5)}}, ValueError, "one value per row"),
        ({"blocks": {"R": [99]}}, ValueError, "select at least one"),
        ({"blocks": ["R"]}, TypeError, "mapping"),
        ({"kinds": {"R": "ordinal"}}, ValueError, "kinds"),
        ({"correspondence": {"R": "nope"}}, ValueError, "correspondence"),
        ({"groups": np.arange(3)}, ValueError, "groups"),
        ({"groups": np.repeat([0, 1], 30), "cv": 5}, ValueError, "only 2 groups"),
        ({"cv": 1}, ValueError, "at least 2"),
    ],
)
def test_rejects_bad_input(kwargs, error, match):
    Z, factors = _synthetic(n=60)
    args = {"Z": Z, "factors": factors} | kwargs
    with pytest.raises(error, match=match):
        component_recovery(**args)


def test_rejects_nan():
    Z, factors = _synthetic(n=60)
    Z.iloc[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        component_recovery(Z, factors)
