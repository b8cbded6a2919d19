"""CoMM: network masking, objective, sklearn citizenship, errors and determinism."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.helper import SliceDict

from skpid.decomposition import CoMM
from skpid.nn import CoMMNetwork, CoMMObjective

TINY = {"n_components": 3, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}


def _data(n=32, seed=0):
    rng = np.random.RandomState(seed)
    r = rng.randint(0, 2, n)
    X = SliceDict(
        eeg=(1e-5 * (rng.randn(n, 3, 40) + 2 * r[:, None, None])).astype(np.float32),
        fnirs=(1e-6 * (rng.randn(n, 2, 10) - r[:, None, None])).astype(np.float32),
    )
    return X, r, np.repeat(np.arange(4), n // 4)


def test_masked_pass_sees_only_its_modality():
    torch.manual_seed(0)
    net = CoMMNetwork({"eeg": (3, 40), "fnirs": (5,)}, n_components=4, d_model=8, n_tokens=2)
    X = {"eeg": torch.randn(6, 3, 40), "fnirs": torch.randn(6, 5)}
    changed = {"eeg": X["eeg"], "fnirs": torch.randn(6, 5)}
    out, out2 = net(**X), net(**changed)
    assert out["Z"].shape == (6, 4) and out["P_eeg"].shape == out["P"].shape
    torch.testing.assert_close(out["P_eeg"], out2["P_eeg"])  # fnirs is masked there
    assert not torch.allclose(out["P_fnirs"], out2["P_fnirs"])
    assert not torch.allclose(out["P"], out2["P"])
    torch.testing.assert_close(net.embed(**X), out["Z"])


def test_objective_has_one_fused_and_one_term_per_modality():
    torch.manual_seed(0)
    mods = ["a", "b", "c"]
    out_a = {k: torch.randn(8, 5) for k in ["P", "P_a", "P_b", "P_c"]}
    out_b = {k: torch.randn(8, 5) for k in ["P", "P_a", "P_b", "P_c"]}
    terms = CoMMObjective(mods)(out_a, out_b)
    assert set(terms) == {"fused", "masked_a", "masked_b", "masked_c", "loss"}
    torch.testing.assert_close(terms["loss"], sum(v for k, v in terms.items() if k != "loss"))
    # aligned views give a lower loss than random ones
    aligned = CoMMObjective(mods)(out_a, {k: v.clone() for k, v in out_a.items()})
    assert aligned["fused"] < terms["fused"]


def test_fit_transform_names_and_set_output():
    X, _, _ = _data()
    est = CoMM(**TINY).fit(X)
    Z = est.transform(X)
    assert Z.shape == (32, 3) and Z.dtype == np.float64 and np.all(np.isfinite(Z))
    assert est.get_feature_names_out().tolist() == ["CoMM0", "CoMM1", "CoMM2"]
    assert est.component_slices_ == {"CoMM": slice(0, 3)}
    assert est.n_epochs_ == 2 and "train_masked_fnirs" in est.net_.history[-1]
    df = CoMM(**TINY).set_output(transform="pandas").fit_transform(X)
    assert list(df.columns) == ["CoMM0", "CoMM1", "CoMM2"]


def test_three_modalities_mixed_kinds_and_validation():
    rng = np.random.RandomState(0)
    X = {
        "eeg": rng.randn(20, 3, 40),
        "fnirs": rng.randn(20, 2, 10),
        "behaviour": rng.randn(20, 4),
    }
    est = CoMM(**TINY, validation_fraction=0.2).fit(X)
    assert est.transform(X).shape == (20, 3)
    assert "valid_masked_behaviour" in est.net_.history[-1]


def test_errors_name_problem_and_fix():
    X, _, _ = _data()
    with pytest.raises(NotFittedError):
        CoMM(**TINY).transform(X)
    est = CoMM(**TINY).fit(X)
    with pytest.raises(ValueError, match="Modalities differ from those seen in fit"):
        est.transform({"eeg": X["eeg"], "nirs": X["fnirs"]})
    with pytest.raises(ValueError, match="trailing shape"):
        est.transform({"eeg": X["eeg"][:, :, :20], "fnirs": X["fnirs"]})
    bad = {"eeg": X["eeg"].copy(), "fnirs": X["fnirs"]}
    bad["eeg"][3, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        CoMM(**TINY).fit(bad)
    with pytest.raises(ValueError, match="at least 2 are"):
        CoMM(**TINY).fit({"eeg": X["eeg"]})
    with pytest.raises(ValueError, match="multiple of 4"):
        CoMM(**{**TINY, "hidden_size": 10}).fit(X)
    with pytest.raises(ValueError, match="batch_size=64 is larger than the 32 training"):
        CoMM(**TINY, batch_size=64).fit(X)
    with pytest.raises(ValueError, match="'temperature' parameter"):
        CoMM(**TINY, temperature=0.0).fit(X)
    with pytest.raises(ValueError, match="modalities is only used"):
        CoMM(**TINY, modalities=2).fit(X)
    with pytest.raises(TypeError, match="sparse"):
        import scipy.sparse as sp

        CoMM(**TINY).fit(sp.random(10, 6, format="csr"))
