"""Behaviour and scikit-learn citizenship of the deep HCL decomposer."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from skorch.helper import SliceDict

from skpid.datasets import make_multimodal_gaussian
from skpid.decomposition import HCL
from skpid.losses import gated_info_nce
from skpid.nn import HCLObjective

TINY = {"n_components": 2, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}


def _series(n=24, seed=0):
    rng = np.random.RandomState(seed)
    return SliceDict(
        eeg=(1e-5 * rng.randn(n, 3, 40)).astype(np.float32),
        fnirs=(1e-6 * rng.randn(n, 2, 10)).astype(np.float32),
    )


def _three(n=48, seed=0):
    rng = np.random.RandomState(seed)
    return SliceDict(**{f"m{i}": rng.randn(n, 5).astype(np.float32) for i in range(3)})


def test_gated_info_nce_gate_sets_sharpness():
    z = torch.nn.functional.normalize(
        torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    )
    closed = gated_info_nce(0 * z, 0 * z)
    assert closed.item() == pytest.approx(math.log(16), rel=1e-6)
    # identical views: a wider gate makes the positive pair stand out more
    assert gated_info_nce(2 * z, 2 * z) < gated_info_nce(z, z) < closed


def test_objective_aligns_shared_structures_only_across_their_modalities():
    # structures: (0, 1) shared, (0,) and (1,) specific
    obj = HCLObjective([(0, 1), (0,), (1,)], [4, 4, 4], weights={"sparsity": 0.0})
    g = torch.Generator().manual_seed(0)
    same = torch.nn.functional.normalize(torch.randn(32, 4, generator=g))
    other = torch.nn.functional.normalize(torch.randn(32, 4, generator=g))
    out = {"1|0": same, "2|1": other}
    aligned = obj({**out, "0|0": same, "0|1": same}, {**out, "0|0": same, "0|1": same})
    unaligned = obj({**out, "0|0": same, "0|1": other}, {**out, "0|0": same, "0|1": other})
    assert aligned["shared"] < unaligned["shared"] - 1.0
    assert aligned["specific"] == pytest.approx(unaligned["specific"].item())


def test_overlap_moves_the_narrower_structure_only():
    obj = HCLObjective([(0, 1), (0,), (1,)], [3, 3, 3])
    g = torch.Generator().manual_seed(0)
    base = torch.randn(32, 3, generator=g)
    out = {
        "0|0": base.clone().requires_grad_(),
        "0|1": torch.randn(32, 3, generator=g).requires_grad_(),
        "1|0": (base + 0.1 * torch.randn(32, 3, generator=g)).requires_grad_(),
        "2|1": torch.randn(32, 3, generator=g).requires_grad_(),
    }
    overlap = obj(out, out)["overlap"]
    assert overlap > 0.05  # "1|0" copies "0|0"
    overlap.backward()
    assert out["0|0"].grad is None or torch.all(out["0|0"].grad == 0)
    assert out["1|0"].grad.abs().sum() > 0


def test_three_modalities_structure_names_slices_and_decompose():
    X = _three()
    hcl = HCL(structure="hierarchical", **{**TINY, "n_components": {"m0+m1+m2": 3}}).fit(X)
    assert hcl.structures_ == ["m0+m1+m2", "m0+m1", "m0+m2", "m1+m2", "m0", "m1", "m2"]
    assert hcl.pruned_structures_ == []
    Z = hcl.transform(X)
    assert Z.shape == (
        48,
        3 + 6 * 8,
    )  # structures left out of the dict get 8 and Z.dtype == np.float64
    names = hcl.get_feature_names_out()
    assert names[:4].tolist() == ["m0+m1+m2_0", "m0+m1+m2_1", "m0+m1+m2_2", "m0+m1_0"]
    blocks = hcl.decompose(X)
    assert list(blocks) == hcl.structures_
    for name, block in blocks.items():
        np.testing.assert_array_equal(block, Z[:, hcl.component_slices_[name]])
    # each specific block is the unit-norm representation of one modality
    np.testing.assert_allclose(np.linalg.norm(blocks["m0"], axis=1), 1.0, rtol=1e-5)
    assert set(hcl.gates_) == set(hcl.structures_)


def test_time_series_input_and_set_output_pandas():
    X = _series()
    hcl = HCL(**TINY).set_output(transform="pandas").fit(X)
    Z = hcl.transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert Z.columns.tolist() == hcl.get_feature_names_out().tolist()
    assert set(hcl.structures_) | set(hcl.pruned_structures_) == {"eeg+fnirs", "eeg", "fnirs"}


def test_explicit_structure_list_and_pruning():
    X = _three()
    listed = HCL(structure=["m0+m1+m2", ("m0",), "m1", "m2"], **TINY).fit(X)
    assert listed.structures_ == ["m0+m1+m2", "m0", "m1", "m2"]
    # with a threshold near 1 every structure but the widest-open one is pruned
    longer = {**TINY, "max_epochs": 10, "batch_size": 16}
    auto = HCL(prune_threshold=0.999, **longer).fit(X)
    widest = max(auto.gates_, key=auto.gates_.get)
    assert auto.structures_ == [widest]
    assert auto.transform(X).shape[1] == 2
    assert sorted(auto.pruned_structures_) == sorted(s for s in auto.gates_ if s != widest)
    kept_all = HCL(structure="hierarchical", prune_threshold=0.999, **longer).fit(X)
    assert kept_all.pruned_structures_ == [] and len(kept_all.structures_) == 7


@pytest.mark.slow
def test_group_lasso_prunes_structures_that_modalities_do_not_share():
    rng = np.random.RandomState(0)
    X = SliceDict(**{f"m{i}": rng.randn(512, 6).astype(np.float32) for i in range(3)})
    hcl = HCL(
        n_components=4,
        hidden_size=16,
        n_tokens=2,
        max_epochs=15,
        batch_size=64,
        lr=0.01,
        prune_threshold=0.5,
        random_state=0,
    ).fit(X)
    # independent modalities: only the specific structures stay open
    assert hcl.structures_ == ["m0", "m1", "m2"]


def test_errors_name_problem_and_fix():
    X = _series()
    with pytest.raises(NotFittedError):
        HCL().transform(X)
    with pytest.raises(ValueError, match="at least 2 are needed"):
        HCL(**TINY).fit({"eeg": X["eeg"]})
    with pytest.raises(ValueError, match="not structures of these data"):
        HCL(**{**TINY, "n_components": {"eeg+nirs": 2}}).fit(X)
    with pytest.raises(ValueError, match="unknown terms"):
        HCL(**TINY, loss_weights={"synergy": 1.0}).fit(X)
    with pytest.raises(ValueError, match="not in the data"):
        HCL(**TINY, structure=["eeg+meg"]).fit(X)
    with pytest.raises(ValueError, match="Lower batch_size"):
        HCL(**TINY, batch_size=100).fit(X)
    with pytest.raises(ValueError, match="modalities is only used"):
        HCL(**TINY, modalities=[2, 2]).fit(X)
    with pytest.raises(TypeError, match="sparse"):
        import scipy.sparse as sp

        HCL(**TINY).fit(sp.csr_matrix(np.ones((8, 4))))
    bad = SliceDict(eeg=X["eeg"].copy(), fnirs=X["fnirs"])
    bad["eeg"][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        HCL(**TINY).fit(bad)
    hcl = HCL(**TINY).fit(X)
    with pytest.raises(ValueError):
        hcl.transform(SliceDict(eeg=X["eeg"][:, :2], fnirs=X["fnirs"]))


def test_learns_global_and_specific_factors():
    data = make_multimodal_gaussian(
        800, n_features=8, structure="shared_private", latent_dim=2, noise=0.1, random_state=0
    )
    hcl = HCL(
        n_components=8, structure="hierarchical", hidden_size=32, max_epochs=15, random_state=0
    ).fit(data.X)
    blocks = hcl.decompose(data.X)

    def r2(block, latent):
        target = data.latents[latent]
        return LinearRegression().fit(blocks[block], target).score(blocks[block], target)

    specific = ("m0", "m1", "m2")
    # the global block holds the global latent, far more than any specific one
    assert r2("m0+m1+m2", "m0+m1+m2") > 0.8
    assert r2("m0+m1+m2", "m0+m1+m2") > max(r2("m0+m1+m2", m) for m in specific) + 0.4
    # a specific block holds its own latent, not other modalities' specific latents
    for m in specific:
        assert r2(m, m) > 0.4 > max(r2(m, o) for o in specific if o != m) + 0.3
