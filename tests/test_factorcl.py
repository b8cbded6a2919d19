"""FactorCL: critics, the SSL objective, sklearn citizenship, errors and determinism."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.helper import SliceDict

from skpid.decomposition import FactorCL
from skpid.losses import nce_lower_bound
from skpid.nn import ConcatCritic, FactorCLObjective

TINY = {"n_components": 2, "hidden_size": 8, "n_tokens": 2, "max_epochs": 2, "random_state": 0}


def _data(n=32, seed=0):
    rng = np.random.RandomState(seed)
    r = rng.randint(0, 2, n)
    X = SliceDict(
        eeg=(1e-5 * (rng.randn(n, 3, 40) + 2 * r[:, None, None])).astype(np.float32),
        fnirs=(1e-6 * (rng.randn(n, 2, 10) - r[:, None, None])).astype(np.float32),
    )
    return X, r, np.repeat(np.arange(4), n // 4)


def test_concat_critic_scores_every_pair():
    torch.manual_seed(0)
    critic = ConcatCritic(3, 2, hidden=8)
    x, y = torch.randn(5, 3), torch.randn(4, 2)
    scores = critic(x, y)
    assert scores.shape == (5, 4)
    torch.testing.assert_close(scores[2, 1], critic.h(torch.cat([x[2], y[1]])).squeeze())


def test_critic_training_raises_the_nce_bound_on_dependent_pairs():
    torch.manual_seed(0)
    critic = ConcatCritic(2, 2, hidden=32)
    opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
    x = torch.randn(64, 2)
    y = x + 0.1 * torch.randn(64, 2)
    before = nce_lower_bound(critic(x, y)).item()
    for _ in range(200):
        opt.zero_grad()
        (-nce_lower_bound(critic(x, y))).backward()
        opt.step()
    after = nce_lower_bound(critic(x, y)).item()
    assert after > before + 1.0 and after <= np.log(64) + 1e-6


def test_conditioning_concatenates_x_with_its_view_not_itself():
    torch.manual_seed(0)
    obj = FactorCLObjective(["eeg", "fnirs"], n_components=3, hidden=8)
    keys = ["S_eeg", "S_fnirs", "U_eeg", "U_fnirs"]
    out_a = {k: torch.randn(6, 3) for k in keys}
    out_b = {k: torch.randn(6, 3) for k in keys}
    pairs = obj._pairs(out_a, out_b)
    x, y = pairs["shared_cond_club"][0]
    torch.testing.assert_close(x, torch.cat([out_a["S_eeg"], out_b["S_eeg"]], dim=1))
    torch.testing.assert_close(y, torch.cat([out_a["S_fnirs"], out_b["S_fnirs"]], dim=1))
    x, _ = pairs["unique_cond_nce"][1]
    torch.testing.assert_close(x, torch.cat([out_b["U_eeg"], out_a["U_eeg"]], dim=1))
    terms = obj(out_a, out_b)
    expected = -(
        terms["shared_nce"]
        - terms["shared_cond_club"]
        + terms["unique_nce"]
        - terms["unique_club"]
        + terms["unique_cond_nce"]
    )
    torch.testing.assert_close(terms["loss"], expected)
    # the critics are trained on detached inputs only
    leaf = out_a["S_eeg"].requires_grad_()
    obj.critic_loss(out_a, out_b).backward()
    assert leaf.grad is None


def test_fit_transform_blocks_and_names():
    X, _, _ = _data()
    est = FactorCL(**TINY).fit(X)
    Z = est.transform(X)
    assert Z.shape == (32, 8) and Z.dtype == np.float64 and np.all(np.isfinite(Z))
    assert est.get_feature_names_out().tolist() == [
        "shared0",
        "shared1",
        "shared2",
        "shared3",
        "U_eeg0",
        "U_eeg1",
        "U_fnirs0",
        "U_fnirs1",
    ]
    assert est.component_slices_ == {
        "shared": slice(0, 4),
        "U_eeg": slice(4, 6),
        "U_fnirs": slice(6, 8),
    }
    history = est.net_.history[-1]
    assert {"train_critic", "train_shared_cond_club", "train_unique_cond_nce"} <= set(history)
    df = FactorCL(**TINY).set_output(transform="pandas").fit_transform(X)
    assert list(df.columns)[:2] == ["shared0", "shared1"]


def test_errors_name_problem_and_fix():
    X, _, _ = _data()
    with pytest.raises(NotFittedError):
        FactorCL(**TINY).transform(X)
    est = FactorCL(**TINY).fit(X)
    with pytest.raises(ValueError, match="Modalities differ from those seen in fit"):
        est.transform({"eeg": X["eeg"], "nirs": X["fnirs"]})
    bad = {"eeg": X["eeg"], "fnirs": X["fnirs"].copy()}
    bad["fnirs"][0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        FactorCL(**TINY).fit(bad)
    three = {**X, "ecg": np.random.RandomState(0).randn(32, 5)}
    with pytest.raises(ValueError, match=r"exactly 2 modalities, got 3.*use CoMM"):
        FactorCL(**TINY).fit(three)
    with pytest.raises(ValueError, match="exactly 2 modalities"):
        FactorCL(**TINY, modalities=[2, 2, 2]).fit(np.ones((8, 6)))
    with pytest.raises(ValueError, match="at least 2 are"):
        FactorCL(**TINY).fit({"eeg": X["eeg"]})
    with pytest.raises(ValueError, match="'n_components' parameter"):
        FactorCL(**{**TINY, "n_components": 0}).fit(X)
