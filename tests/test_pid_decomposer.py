"""Behaviour of PIDDecomposer: shapes, names, errors, determinism and what it learns."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.helper import SliceDict

from skpid.decomposition import PIDDecomposer
from skpid.decomposition._readout import LinearMap, lattice_blocks
from skpid.decomposition._training import GroupBatchSampler
from skpid.nn import cross_products

FAST = {"max_epochs": 2, "hidden_size": 16, "n_tokens": 4, "random_state": 0}


def _series(n=24, seed=0):
    rng = np.random.RandomState(seed)
    return SliceDict(
        eeg=(1e-5 * rng.randn(n, 4, 64)).astype(np.float32),
        fnirs=(1e-6 * rng.randn(n, 3, 16)).astype(np.float32),
    )


def _bits(n, seed=0, n_features=12, noise=0.2):
    """Two modalities embedding fair bits: r in both, u_m in one, s_m in one, S = s0 ^ s1.

    Each modality is ``tanh`` of a fixed random mixing of its +-1 coded bits, plus noise,
    so the redundant (r), unique (u0, u1) and synergistic (s0 XOR s1) atoms are known.
    """
    rng = np.random.RandomState(0)
    mixing = [rng.randn(3, n_features) for _ in range(2)]
    rng = np.random.RandomState(seed + 1)
    bits = rng.randint(0, 2, size=(n, 5))  # r, u0, u1, s0, s1
    coded = 2.0 * bits - 1
    X = SliceDict(
        **{
            f"m{m}": (
                np.tanh(coded[:, [0, 1 + m, 3 + m]] @ mixing[m] / 1.5)
                + noise * rng.randn(n, n_features)
            ).astype(np.float32)
            for m in range(2)
        }
    )
    factors = {
        "R": bits[:, 0],
        "U_m0": bits[:, 1],
        "U_m1": bits[:, 2],
        "S": bits[:, 3] ^ bits[:, 4],
    }
    return X, factors


def recovery_matrix(dec, X_train, f_train, X_test, f_test):
    """Held-out accuracy of a logistic-regression probe, blocks (rows) x factors (columns)."""
    train, test = dec.decompose(X_train), dec.decompose(X_test)
    rows = {}
    for block in train:
        rows[block] = {
            name: make_pipeline(StandardScaler(), LogisticRegression())
            .fit(train[block], f_train[name])
            .score(test[block], f_test[name])
            for name in f_train
        }
    return pd.DataFrame(rows).T


def test_fit_transform_shapes_names_and_blocks():
    X = _series()
    dec = PIDDecomposer(n_components={"R": 3, "U": 2, "U_fnirs": 4}, **FAST).fit(X)
    Z = dec.transform(X)
    assert Z.shape == (24, 3 + 2 + 4 + 2 * 4) and Z.dtype == np.float64
    names = dec.get_feature_names_out()
    assert names.tolist() == (
        ["R0", "R1", "R2", "U_eeg0", "U_eeg1"]
        + [f"U_fnirs{i}" for i in range(4)]
        + [f"S{i}" for i in range(8)]
    )
    assert dec.component_slices_ == {
        "R": slice(0, 3),
        "U_eeg": slice(3, 5),
        "U_fnirs": slice(5, 9),
        "S": slice(9, 17),
    }
    assert dec.n_components_ == {"R": 3, "U_eeg": 2, "U_fnirs": 4, "S": 8}
    with pytest.raises(ValueError, match="size follows from theirs"):
        PIDDecomposer(n_components={"S": 4}, **FAST).fit(X)
    blocks = dec.decompose(X)
    assert list(blocks) == ["R", "U_eeg", "U_fnirs", "S"]
    for name, sl in dec.component_slices_.items():
        np.testing.assert_array_equal(blocks[name], Z[:, sl])
    assert dec.modalities_ == ["eeg", "fnirs"]
    assert dec.signature_ == {"eeg": (4, 64), "fnirs": (3, 16)}
    assert 1 <= dec.n_epochs_ <= 2
    assert not hasattr(dec, "n_features_in_")


def test_standardisation_is_fitted_per_channel():
    X = _series()
    dec = PIDDecomposer(**FAST).fit(X)
    mean, scale = dec.scaling_["eeg"]
    assert mean.shape == scale.shape == (1, 4, 1)
    assert 5e-6 < scale.mean() < 2e-5  # volts, as given
    # the same data in other units gives the same components: scaling is inside. Powers
    # of two rescale exactly in floating point, so the components must be identical (with
    # 1e6, rounding of the inputs grows through training to ~1e-3)
    rescaled = SliceDict(eeg=X["eeg"] * 2.0**20, fnirs=X["fnirs"] * 2.0**10)
    Z = PIDDecomposer(**FAST).fit(rescaled).transform(rescaled)
    np.testing.assert_array_equal(Z, dec.transform(X))


def test_set_output_pandas_and_fit_transform():
    X = _series()
    dec = PIDDecomposer(n_components=2, **FAST).set_output(transform="pandas")
    out = dec.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == (
        ["R0", "R1", "U_eeg0", "U_eeg1", "U_fnirs0", "U_fnirs1"] + [f"S{i}" for i in range(4)]
    )
    np.testing.assert_allclose(out.to_numpy(), dec.transform(X).to_numpy())


def test_global_torch_rng_is_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    PIDDecomposer(**FAST).fit(_series())
    torch.testing.assert_close(torch.rand(3), expected)


def test_array_input_with_modalities_and_default_halves():
    rng = np.random.RandomState(0)
    X = rng.randn(20, 6)
    dec = PIDDecomposer(n_components=2, **FAST).fit(X)
    assert dec.modalities_ == ["m0", "m1"] and dec.n_features_in_ == 6
    assert dec.signature_ == {"m0": (3,), "m1": (3,)}
    dec = PIDDecomposer(n_components=2, modalities={"a": [0, 1], "b": [2, 3, 4, 5]}, **FAST)
    assert dec.fit_transform(X).shape == (20, 2 + 2 + 2 + 4)
    assert dec.get_feature_names_out().tolist()[2:6] == ["U_a0", "U_a1", "U_b0", "U_b1"]
    series = rng.randn(20, 5, 32)
    dec = PIDDecomposer(n_components=2, modalities=[2, 3], **FAST).fit(series)
    assert dec.signature_ == {"m0": (2, 32), "m1": (3, 32)}
    with pytest.raises(ValueError, match="X has 5 features"):
        PIDDecomposer(n_components=2, **FAST).fit(X).transform(X[:, :5])


def test_three_modalities_and_mixed_kinds():
    X = _series()
    X = {"eeg": X["eeg"], "fnirs": X["fnirs"], "bandpower": np.random.RandomState(0).randn(24, 5)}
    dec = PIDDecomposer(n_components=2, **FAST).fit(X)
    assert list(dec.decompose(X)) == ["R", "U_eeg", "U_fnirs", "U_bandpower", "S"]
    assert dec.transform(X).shape == (24, 2 + 3 * 2 + 3 * 4)  # S: products of 3 pairs


def test_supervised_mode_needs_labels_and_records_the_term():
    X = _series()
    y = np.array(["rest", "task"] * 12)
    with pytest.raises(ValueError, match="needs labels"):
        PIDDecomposer(supervised=True, **FAST).fit(X)
    dec = PIDDecomposer(supervised=True, **FAST).fit(X, y)
    assert dec.classes_.tolist() == ["rest", "task"]
    assert "train_supervised" in dec.net_.history[-1]
    assert "train_supervised" not in PIDDecomposer(**FAST).fit(X, y).net_.history[-1]
    with pytest.raises(ValueError, match="2 classes"):
        PIDDecomposer(supervised=True, **FAST).fit(X, np.zeros(24))


def test_verbose_prints_per_epoch_losses(capsys):
    PIDDecomposer(**{**FAST, "verbose": 1}).fit(_series())
    out = capsys.readouterr().out
    for term in ["train_loss", "train_redundant", "train_reconstruction", "train_critic", "dur"]:
        assert term in out
    PIDDecomposer(**FAST).fit(_series())
    assert capsys.readouterr().out == ""


def test_early_stopping_keeps_history_and_can_be_turned_off():
    X = _series(40)
    params = {**FAST, "max_epochs": 3, "n_iter_no_change": 1, "validation_fraction": 0.2}
    dec = PIDDecomposer(**params).fit(X)
    assert "valid_loss" in dec.net_.history[-1] and "valid_reconstruction" in dec.net_.history[-1]
    dec = PIDDecomposer(**FAST).fit(X)  # no held-out trials by default
    assert "valid_loss" not in dec.net_.history[-1] and dec.n_epochs_ == 2


def test_errors_name_problem_and_fix():
    X = _series()
    with pytest.raises(NotFittedError):
        PIDDecomposer(**FAST).transform(X)
    dec = PIDDecomposer(**FAST).fit(X)
    with pytest.raises(ValueError, match="Modalities differ from those seen in fit"):
        dec.transform({"eeg": X["eeg"], "nirs": X["fnirs"]})
    with pytest.raises(ValueError, match="trailing shape"):
        dec.transform({"eeg": X["eeg"][:, :, :32], "fnirs": X["fnirs"]})
    bad = {"eeg": X["eeg"].copy(), "fnirs": X["fnirs"]}
    bad["eeg"][3, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        PIDDecomposer(**FAST).fit(bad)
    with pytest.raises(ValueError, match="at least 2 are"):
        PIDDecomposer(**FAST).fit({"eeg": X["eeg"]})
    with pytest.raises(ValueError, match="batch_size=64 is larger than the 24 training"):
        PIDDecomposer(batch_size=64, **FAST).fit(X)
    with pytest.raises(ValueError, match=r"22 training trials \(after holding out"):
        PIDDecomposer(batch_size=64, validation_fraction=0.1, **FAST).fit(X)
    with pytest.raises(ValueError, match="too few to hold out"):
        PIDDecomposer(validation_fraction=0.7, **FAST).fit({m: x[:5] for m, x in X.items()})
    with pytest.raises(ValueError, match="unknown keys"):
        PIDDecomposer(n_components={"T": 2}, **FAST).fit(X)
    with pytest.raises(ValueError, match="unknown terms"):
        PIDDecomposer(loss_weights={"synergy_bonus": 1.0}, **FAST).fit(X)
    with pytest.raises(ValueError, match="modalities is only used"):
        PIDDecomposer(modalities=2, **FAST).fit(X)
    with pytest.raises(ValueError, match="'temperature' parameter"):
        PIDDecomposer(temperature=0.0, **FAST).fit(X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            PIDDecomposer(device="cuda", **FAST).fit(X)
        assert PIDDecomposer(device="auto", **FAST).fit(X).net_.device == "cpu"


def test_diverged_loss_raises_with_epoch_and_value():
    def poison(x, *, generator):
        return x * float("nan")

    dec = PIDDecomposer(augmentations={"eeg": [poison]}, **FAST)
    with pytest.raises(FloatingPointError, match=r"diverged at epoch 1 .*loss is nan"):
        dec.fit(_series())


@pytest.fixture(scope="module")
def bits_recovery():
    """Recovery matrix of a default PIDDecomposer on 900 + 300 samples of known bits."""
    X, f = _bits(1200)
    X_train, X_test = X[:900], X[900:]
    f_train = {k: v[:900] for k, v in f.items()}
    f_test = {k: v[900:] for k, v in f.items()}
    dec = PIDDecomposer(n_components=4, max_epochs=20, random_state=0).fit(X_train)
    return recovery_matrix(dec, X_train, f_train, X_test, f_test)


def test_learns_redundant_and_unique_atoms(bits_recovery):
    """R finds r; each U_m finds u_m and not the other modality's unique bit."""
    acc = bits_recovery
    assert acc.loc["R", "R"] >= 0.8, acc
    assert acc.loc["U_m0", "U_m0"] >= 0.9 and acc.loc["U_m1", "U_m1"] >= 0.9, acc
    assert acc.loc["U_m0", "U_m1"] <= 0.6 and acc.loc["U_m1", "U_m0"] <= 0.6, acc
    assert acc.loc["R", "S"] <= 0.6 and acc.loc["U_m0", "S"] <= 0.6, acc


def test_isolates_synergy_and_stops_leaks(bits_recovery):
    acc = bits_recovery
    assert acc.loc["S", "S"] >= 0.75, acc
    off = acc.to_numpy()[~np.eye(4, dtype=bool)]
    assert off.max() <= 0.6, acc


def test_learns_without_priors_by_default():
    dec = PIDDecomposer(**FAST).fit(_series())
    assert dec.priors_ == {}
    assert "train_auxiliary" not in dec.net_.history[-1]
    assert dec.net_.module_.targets == {} and dec.net_.module_.coupling is None
    with pytest.raises(ValueError, match="unknown terms"):
        PIDDecomposer(loss_weights={"aux": 1.0}, **FAST).fit(_series())


def test_group_batch_sampler_keeps_batches_within_groups():
    groups = np.repeat(["a", "b", "c"], [10, 25, 3])
    sampler = GroupBatchSampler(groups, batch_size=8, seed=0)
    epoch = list(sampler)
    assert len(epoch) == len(sampler) == 2 + 4 + 1
    for batch in epoch:
        assert len(set(groups[batch])) == 1
        assert 2 <= len(batch) <= 8
    assert sorted(i for batch in epoch for i in batch) == list(range(len(groups)))
    # reshuffled every epoch, the same sequence for the same seed
    assert list(sampler) != epoch
    assert list(GroupBatchSampler(groups, batch_size=8, seed=0)) == epoch


def test_orthogonalize_reads_the_blocks_out_in_lattice_order():
    X = _series(n=60)
    sizes = {"R": 2, "U": 2}
    plain = PIDDecomposer(n_components=sizes, orthogonalize=False, **FAST).fit(X)
    peeled = PIDDecomposer(n_components=sizes, **FAST).fit(X)
    assert not hasattr(plain, "readout_")
    readout = peeled.readout_
    assert set(readout.shared) == set(readout.unique) == {"eeg", "fnirs"}
    assert isinstance(readout.synergy, LinearMap)
    assert readout.correlation is peeled.redundancy_correlation_
    correlation = peeled.redundancy_correlation_
    assert correlation.shape == (2,) and np.all(np.diff(correlation) <= 0)
    assert np.all((correlation == 0) | ((correlation >= 0.5) & (correlation <= 1 + 1e-9)))
    # the same network (the readout does not touch training); without the readout the
    # blocks are the unit-norm heads, with it they are lattice_blocks of those heads
    raw = peeled._raw_blocks(peeled._embed(dict(X)))
    np.testing.assert_allclose(np.linalg.norm(raw["U_eeg"], axis=1), 1.0, rtol=1e-5)
    heads = plain._raw_blocks(plain._embed(dict(X)))
    np.testing.assert_allclose(
        plain.decompose(X)["S"], cross_products([heads["U_eeg"], heads["U_fnirs"]]), rtol=1e-6
    )
    expected = lattice_blocks(raw, ["eeg", "fnirs"], peeled.readout_)
    for name, block in peeled.decompose(X).items():
        np.testing.assert_allclose(block, expected[name], rtol=1e-6)
