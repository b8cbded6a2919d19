"""Tests of the torch modules: encoders, fusion, heads, critics, the PID network."""

import pytest
import torch

from skpid.nn import (
    GaussianCritic,
    MLPEncoder,
    PIDNetwork,
    ProjectionHead,
    SeparableCritic,
    TemporalConvEncoder,
    TokenFusion,
    make_encoder,
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize(("shape", "n_tokens"), [((32, 1000), 8), ((40, 160), 8), ((3, 20), 4)])
def test_temporal_encoder_tokens(shape, n_tokens):
    enc = TemporalConvEncoder(*shape, d_model=16, n_tokens=n_tokens)
    out = enc(torch.randn(2, *shape))
    assert out.shape == (2, n_tokens, 16)


def test_temporal_encoder_is_per_trial():
    enc = TemporalConvEncoder(4, 100, d_model=8, n_tokens=4).eval()
    x = torch.randn(5, 4, 100)
    with torch.no_grad():
        full = enc(x)
        single = enc(x[2:3])
    assert torch.allclose(full[2:3], single, atol=1e-6)


def test_temporal_encoder_keeps_amplitude():
    # no per-trial normalisation: an fNIRS response twice as large must look different
    enc = TemporalConvEncoder(2, 50, d_model=8, n_tokens=2).eval()
    x = torch.randn(1, 2, 50)
    with torch.no_grad():
        assert not torch.allclose(enc(x), enc(2 * x))


def test_mlp_encoder_and_make_encoder():
    enc = MLPEncoder(7, d_model=8, n_tokens=3)
    assert enc(torch.randn(4, 7)).shape == (4, 3, 8)
    assert isinstance(make_encoder((5, 64)), TemporalConvEncoder)
    assert isinstance(make_encoder((5,), n_tokens=8), MLPEncoder)
    assert make_encoder((5,), d_model=8, n_tokens=8)(torch.randn(2, 5)).shape == (2, 4, 8)
    with pytest.raises(ValueError, match="channels"):
        make_encoder((2, 3, 4))


def test_token_fusion_shape_and_independence_across_trials():
    fusion = TokenFusion([3, 2], d_model=16, n_layers=2).eval()
    a, b = torch.randn(4, 3, 16), torch.randn(4, 2, 16)
    with torch.no_grad():
        out = fusion([a, b])
        alone = fusion([a[1:2], b[1:2]])
    assert out.shape == (4, 16)
    assert torch.allclose(out[1:2], alone, atol=1e-5)
    # both modalities reach the fused vector
    with torch.no_grad():
        assert not torch.allclose(fusion([a, torch.zeros_like(b)]), out)
        assert not torch.allclose(fusion([torch.zeros_like(a), b]), out)


def test_heads_and_critics_shapes():
    assert ProjectionHead(5, 3, hidden=8)(torch.randn(4, 5)).shape == (4, 3)
    scores = SeparableCritic(5, 6, hidden=8, embed=4)(torch.randn(4, 5), torch.randn(4, 6))
    assert scores.shape == (4, 4)
    mu, logvar = GaussianCritic(5, 3, hidden=8)(100 * torch.randn(4, 5))
    assert mu.shape == logvar.shape == (4, 3)
    assert logvar.abs().max() <= 1.0  # tanh-bounded log-variance


def test_pid_network_outputs_and_blocks():
    shapes = {"eeg": (4, 100), "fnirs": (3, 20), "tab": (6,)}
    sizes = {"R": 3, "U_eeg": 2, "U_fnirs": 4, "U_tab": 1, "S": 5}
    net = PIDNetwork(shapes, sizes, d_model=16, n_tokens=4, n_classes=3)
    X = {m: torch.randn(7, *s) for m, s in shapes.items()}
    out = net(**X)
    for m in shapes:
        assert out[f"H_{m}"].shape == (7, 16)
        assert out[f"R_{m}"].shape == (7, 3)
        assert out[f"U_{m}"].shape == (7, sizes[f"U_{m}"])
    assert out["S"].shape == (7, 5)
    assert out["logits"].shape == (7, 3)
    blocks = net.blocks(out)
    assert list(blocks) == ["R", "U_eeg", "U_fnirs", "U_tab", "S"]
    for name in ["U_eeg", "S"]:
        assert torch.allclose(blocks[name].norm(dim=1), torch.ones(7), atol=1e-5)
    assert (blocks["R"].norm(dim=1) <= 1 + 1e-5).all()
    assert "logits" not in PIDNetwork(shapes, sizes, d_model=16, n_tokens=4)(**X)
