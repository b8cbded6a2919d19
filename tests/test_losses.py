"""Tests of the contrastive objectives and mutual-information bounds."""

import math

import pytest
import torch

from skpid.losses import (
    club,
    cross_correlation_penalty,
    gaussian_nll,
    info_nce,
    nce_club,
    nce_lower_bound,
)
from skpid.nn import GaussianCritic


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_info_nce_aligned_pairs_reach_zero_and_random_pairs_log_batch():
    z = torch.eye(16)  # 16 orthogonal directions
    assert info_nce(z, z, temperature=0.05).item() < 1e-3
    a = torch.randn(256, 32, generator=_gen(0))
    b = torch.randn(256, 32, generator=_gen(1))
    # unrelated pairs: the positive is found at chance, loss ~ log(batch)
    assert info_nce(a, b, temperature=1.0).item() == pytest.approx(math.log(256), rel=0.05)


def test_info_nce_symmetric_averages_both_directions():
    a = torch.randn(8, 4, generator=_gen(0))
    b = torch.randn(8, 4, generator=_gen(1))
    one = info_nce(a, b, symmetric=False)
    other = info_nce(b, a, symmetric=False)
    assert info_nce(a, b).item() == pytest.approx(0.5 * (one + other).item())
    assert one.item() != pytest.approx(other.item())


def test_info_nce_is_scale_invariant_and_differentiable():
    a = torch.randn(8, 4, generator=_gen(0), requires_grad=True)
    b = torch.randn(8, 4, generator=_gen(1))
    loss = info_nce(a, b)
    assert loss.item() == pytest.approx(info_nce(3 * a, b).item(), rel=1e-5)
    loss.backward()
    assert torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0


def test_conditional_info_nce_with_a_constant_condition_is_the_plain_loss():
    a = torch.randn(12, 4, generator=_gen(0))
    b = torch.randn(12, 4, generator=_gen(1))
    constant = torch.ones(12, 3)
    for symmetric in (True, False):
        plain = info_nce(a, b, symmetric=symmetric)
        conditional = info_nce(a, b, symmetric=symmetric, condition=constant)
        assert conditional.item() == pytest.approx(plain.item(), rel=1e-6)


def test_conditional_info_nce_removes_the_gain_of_encoding_the_condition():
    # trials of two classes (a shared variable) with a private detail of their own; an
    # embedding that holds only the class tells a trial's class-mates from the rest
    n = 32
    cls = torch.arange(n) % 2
    onehot = torch.nn.functional.one_hot(cls, 2).float()
    detail = torch.randn(n, 6, generator=_gen(2))
    only_class = torch.cat([onehot, torch.zeros(n, 6)], 1)
    only_detail = torch.cat([torch.zeros(n, 2), detail], 1)
    plain = {
        name: info_nce(z, z, 0.1).item() for name, z in [("c", only_class), ("d", only_detail)]
    }
    cond = {
        name: info_nce(z, z, 0.1, condition=onehot).item()
        for name, z in [("c", only_class), ("d", only_detail)]
    }
    # without a condition, the class alone already beats chance (log n): half the
    # negatives are ruled out; with the class as condition it is at chance
    assert plain["c"] < math.log(n) - 0.5
    assert cond["c"] == pytest.approx(math.log(n), abs=0.05)
    # the private detail is worth as much with the condition as without
    assert cond["d"] < math.log(n) - 0.5
    assert cond["c"] - cond["d"] > plain["c"] - plain["d"] + 0.5


def test_conditional_info_nce_gives_no_gradient_to_the_condition():
    a = torch.randn(8, 4, generator=_gen(0), requires_grad=True)
    c = torch.randn(8, 3, generator=_gen(1), requires_grad=True)
    info_nce(a, a.detach() + 0.1, condition=c).backward()
    assert c.grad is None and a.grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "match"),
    [
        (torch.zeros(4, 3), torch.zeros(5, 3), {}, "same samples"),
        (torch.zeros(4, 3), torch.zeros(4, 2), {}, "same dimension"),
        (torch.zeros(1, 3), torch.zeros(1, 3), {}, "at least 2"),
        (torch.zeros(4, 3, 2), torch.zeros(4, 3, 2), {}, "2-D"),
        (torch.zeros(4, 3), torch.zeros(4, 3), {"temperature": 0.0}, "temperature"),
        (torch.zeros(4, 3), torch.zeros(4, 3), {"condition": torch.zeros(5, 2)}, "same samples"),
    ],
)
def test_info_nce_rejects_bad_input(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        info_nce(a, b, **kwargs)


def test_info_nce_rejects_arrays():
    with pytest.raises(TypeError, match="torch tensors"):
        info_nce([[0.0, 1.0]], torch.zeros(1, 2))


def test_nce_bounds_on_known_scores():
    n = 32
    confident = 50.0 * torch.eye(n)
    assert nce_lower_bound(confident).item() == pytest.approx(math.log(n), abs=1e-3)
    flat = torch.ones(n, n)
    assert nce_lower_bound(flat).item() == pytest.approx(0.0, abs=1e-6)
    assert nce_club(flat).item() == pytest.approx(0.0, abs=1e-6)
    assert nce_club(confident).item() == pytest.approx(50.0)
    with pytest.raises(ValueError, match="square"):
        nce_club(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="at least 2"):
        nce_lower_bound(torch.zeros(1, 1))


def test_club_is_zero_for_a_constant_prediction():
    y = torch.randn(64, 4, generator=_gen(0))
    mu = torch.full((64, 4), 0.3)
    logvar = torch.zeros(64, 4)
    assert club(mu, logvar, y).item() == pytest.approx(0.0, abs=1e-5)
    # perfect prediction of a varying y: half the summed variance (unit q variance)
    assert club(y, logvar, y).item() == pytest.approx(y.var(0, unbiased=False).sum().item())


def _held_out_club(make_y, steps=200):
    """Train q(y|x) on one sample, return the CLUB estimate on a fresh one."""
    x_fit, x_new = (torch.randn(512, 3, generator=_gen(s)) for s in (0, 1))
    y_fit, y_new = make_y(x_fit, 2), make_y(x_new, 3)
    torch.manual_seed(0)
    critic = GaussianCritic(3, y_fit.shape[1], hidden=32)
    opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        gaussian_nll(*critic(x_fit), y_fit).backward()
        opt.step()
    with torch.no_grad():
        return club(*critic(x_new), y_new).item()


def test_club_with_a_trained_critic_separates_dependent_from_independent():
    def dependent(x, seed):
        return torch.tanh(x[:, :2]) + 0.1 * torch.randn(len(x), 2, generator=_gen(seed))

    def independent(x, seed):
        return torch.randn(len(x), 2, generator=_gen(seed))

    assert _held_out_club(dependent) > 0.5
    assert abs(_held_out_club(independent)) < 0.1


def test_gaussian_nll_checks_shapes():
    with pytest.raises(ValueError, match="same shape"):
        gaussian_nll(torch.zeros(4, 2), torch.zeros(4, 3), torch.zeros(4, 2))


def test_cross_correlation_penalty():
    a = torch.randn(512, 4, generator=_gen(0))
    b = torch.randn(512, 3, generator=_gen(1))
    assert cross_correlation_penalty(a, b).item() < 0.01
    # a copy of one feature, rescaled and shifted, is one full correlation out of 4 x 1
    copy = 5 * a[:, :1] + 2
    assert cross_correlation_penalty(a, copy).item() == pytest.approx(0.25, abs=0.01)
    assert cross_correlation_penalty(a, -copy).item() == pytest.approx(0.25, abs=0.01)
    constant = torch.ones(512, 2)
    assert torch.isfinite(cross_correlation_penalty(a, constant))
