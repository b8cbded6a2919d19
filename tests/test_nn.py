"""Tests of the torch modules: encoders, fusion, heads, critics, the PID network."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skpid._multimodal import SIDE_KEY, modality_kind
from skpid.nn import (
    BatchCentering,
    FilterBankEncoder,
    GaussianCritic,
    MLPEncoder,
    ModalityEncoder,
    PIDNetwork,
    PolyphaseConv1d,
    ProjectionHead,
    SeparableCritic,
    TemporalConvEncoder,
    TokenFusion,
    make_encoder,
    token_summary,
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
    with pytest.raises(ValueError, match="norm must be"):
        ProjectionHead(5, 3, norm="layer")


def test_batch_centering_removes_the_shared_offset_and_keeps_the_scale():
    torch.manual_seed(0)
    centre = BatchCentering(3, momentum=0.5)
    x = torch.randn(8, 3) * torch.tensor([1.0, 0.1, 10.0]) + 5.0
    out = centre(x)
    torch.testing.assert_close(out.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(0), x.std(0))  # unlike batch norm
    torch.testing.assert_close(centre.running_mean, 0.5 * x.mean(0))
    # in evaluation a trial's output does not depend on its batch-mates
    centre.eval()
    torch.testing.assert_close(centre(x[:1]), x[:1] - 0.5 * x.mean(0))
    # a large offset shared by all rows: the plain head maps every row the same way
    y = 100.0 + torch.randn(16, 5)
    similarity = {}
    for norm in (None, "batch", "center"):
        torch.manual_seed(0)
        with torch.no_grad():
            z = torch.nn.functional.normalize(ProjectionHead(5, 3, 8, norm=norm)(y), dim=1)
        similarity[norm] = float((z @ z.T).mean())
    assert similarity[None] > 0.99
    assert similarity["batch"] < 0.9 and similarity["center"] < 0.9, similarity


def test_pid_network_outputs_and_blocks():
    shapes = {"eeg": (4, 100), "fnirs": (3, 20), "tab": (6,)}
    sizes = {"R": 3, "U_eeg": 2, "U_fnirs": 4, "U_tab": 1}
    net = PIDNetwork(shapes, sizes, d_model=16, n_tokens=4, n_classes=3)
    X = {m: torch.randn(7, *s) for m, s in shapes.items()}
    out = net(**X)
    for m in shapes:
        assert out[f"H_{m}"].shape == out[f"G_{m}"].shape == (7, 16)
        assert out[f"R_{m}"].shape == (7, 3)
        assert out[f"U_{m}"].shape == (7, sizes[f"U_{m}"])
        assert out[f"Yhat_{m}"].shape == out[f"Y_{m}"].shape
    summary = net.encoders[0].encoder.summary_size
    assert out["Y_tab"].shape == (7, 6) and out["Y_eeg"].shape == (7, summary + 4 * 4)
    assert out["logits"].shape == (7, 3)
    blocks = net.blocks(out)
    assert list(blocks) == ["R", "U_eeg", "U_fnirs", "U_tab", "S"]
    assert net.block_sizes() == {**sizes, "S": 2 * 4 + 2 * 1 + 4 * 1}
    assert torch.allclose(blocks["U_eeg"].norm(dim=1), torch.ones(7), atol=1e-5)
    assert (blocks["R"].norm(dim=1) <= 1 + 1e-5).all()
    u = [blocks[f"U_{m}"] for m in shapes]
    torch.testing.assert_close(blocks["S"][:, 0], u[0][:, 0] * u[1][:, 0])
    torch.testing.assert_close(blocks["S"][:, -1], u[1][:, -1] * u[2][:, -1])
    assert "logits" not in PIDNetwork(shapes, sizes, d_model=16, n_tokens=4)(**X)
    # embed: the blocks' inputs without the reconstruction (what transform runs)
    net.eval()
    with torch.no_grad():
        full, embedded = net(**X), net.embed(**X)
    assert not any(k.startswith(("Y_", "Yhat_")) or k == "logits" for k in embedded)
    for name, block in net.blocks(embedded).items():
        torch.testing.assert_close(block, net.blocks(full)[name])


def _burst(freq, channel, start, n=1, n_channels=6, n_times=1000, sfreq=100.0):
    """Noise with a 0.5 s burst at ``freq`` Hz on one channel."""
    t = torch.arange(n_times) / sfreq
    x = 0.3 * torch.randn(n, n_channels, n_times)
    window = ((t >= start) & (t < start + 0.5)).float()
    x[:, channel] += 3 * torch.sin(2 * torch.pi * freq * t) * window
    return x


def test_modality_kind_from_name_and_shape():
    assert modality_kind("EEG", (32, 100)) == "eeg"
    assert modality_kind("fnirs", (40, 100)) == "nirs"
    assert modality_kind("fnirs", (41, 100)) == "nirs"  # whatever the channel count
    assert modality_kind("eeg", (32,)) is None  # tabular
    assert modality_kind("emg", (4, 100)) is None


def test_pid_network_auxiliary_predictions():
    shapes = {"eeg": (4, 100), "fnirs": (6, 20)}
    sizes = {"R": 3, "U_eeg": 2, "U_fnirs": 4}
    net = PIDNetwork(shapes, sizes, d_model=16, n_tokens=4, targets={"eeg": 4, "fnirs": 1})
    X = {m: torch.randn(7, *s) for m, s in shapes.items()}
    targets = {"eeg": torch.zeros(7, 4), "fnirs": torch.ones(7, 1)}
    side = {SIDE_KEY: {"targets": targets}}
    out = net(**X, **side)
    assert out["T_eeg"].shape == out["A_eeg"].shape == (7, 4)
    assert out["T_fnirs"].shape == out["A_fnirs"].shape == (7, 1)
    assert out["T_eeg"] is targets["eeg"] and out["A_eeg"].requires_grad
    # the network computes no target itself: without one, no prediction either
    assert "T_eeg" not in net(**X) and "A_eeg" not in net(**X)
    assert "T_eeg" not in PIDNetwork(shapes, sizes, d_model=16, n_tokens=4)(**X, **side)


def test_pid_network_fuses_a_given_coupling_profile():
    shapes = {"eeg": (4, 100), "fnirs": (6, 20)}
    sizes = {"R": 3, "U_eeg": 2, "U_fnirs": 4}
    torch.manual_seed(0)
    net = PIDNetwork(shapes, sizes, d_model=16, n_tokens=4, coupling=(3, 9)).eval()
    X = {m: torch.randn(7, *s) for m, s in shapes.items()}
    with pytest.raises(ValueError, match="coupling_profile"):
        net(**X)
    profile = torch.randn(7, 3, 9)
    out = net(**X, **{SIDE_KEY: {"coupling_profile": profile}})
    other = net(**X, **{SIDE_KEY: {"coupling_profile": profile.flip(2)}})
    assert out["C"].shape == (7, 3) and not torch.allclose(out["C"], other["C"])
    torch.testing.assert_close(out["U_eeg"], other["U_eeg"])  # only the coupling head reads it
    # and it reads nothing else: new signals with the same profile give the same C
    moved = net(**{m: x + 1.0 for m, x in X.items()}, **{SIDE_KEY: {"coupling_profile": profile}})
    assert not torch.allclose(moved["R_eeg"], out["R_eeg"])
    torch.testing.assert_close(moved["C"], out["C"])
    delay = torch.randn(7, 1)
    side = {SIDE_KEY: {"coupling_profile": profile, "synergy_target": delay}}
    assert net(**X, **side)["A_synergy"].shape == (7, 1)


def test_log_power_envelope_option():
    from skpid.nn._encoders import LogPower

    x = torch.randn(2, 3, 8)
    torch.testing.assert_close(LogPower(1)(x), torch.log(x**2 + 1e-2))
    assert torch.isfinite(LogPower(4)(torch.zeros(1, 2, 10))).all()
    assert LogPower(4)(x).shape == (2, 3, 2)
    gelu = TemporalConvEncoder(4, 200, d_model=8, n_tokens=4)
    power = make_encoder((4, 200), d_model=8, n_tokens=4, power=True)
    assert not any(isinstance(m, LogPower) for m in gelu.modules())
    assert any(isinstance(m, LogPower) for m in power.modules())
    assert power(torch.randn(2, 4, 200)).shape == (2, 4, 8)


def test_filter_bank_encoder_shapes_and_band_pass_start():
    enc = FilterBankEncoder(4, 1000, d_model=16, n_tokens=5, n_spatial=2, n_bands=8)
    x = torch.randn(3, 4, 1000)
    tokens, summary = enc.encode(x)
    assert tokens.shape == (3, 5, 16)
    assert summary.shape == (3, enc.summary_size) == (3, 2 * 2 * 8)
    assert torch.equal(enc(x), tokens)
    # each initial filter passes its centre frequency best: a 38 Hz sine at 100 Hz
    # (0.76 of Nyquist) peaks in the band whose centre is nearest
    t = torch.arange(1000) / 100.0
    with torch.no_grad():
        filtered = enc.bank(torch.sin(2 * torch.pi * 38 * t).repeat(1, 2, 1))
    power = filtered[0, :8].pow(2).mean(1)
    nearest = np.argmin(np.abs(enc.centre_frequencies - 0.76))
    assert power.argmax().item() == nearest


@pytest.mark.parametrize("n_times", [50, 51, 1000])
@pytest.mark.parametrize(("kernel", "stride", "padding"), [(7, 1, 3), (7, 3, 0), (49, 4, 24)])
@pytest.mark.parametrize("groups", [1, 2])
def test_polyphase_conv_equals_strided_conv(n_times, kernel, stride, padding, groups):
    conv = PolyphaseConv1d(4, 8, kernel, stride=stride, padding=padding, groups=groups).double()
    x = torch.randn(3, 4, n_times, dtype=torch.float64, requires_grad=True)
    out = conv(x)
    expected = F.conv1d(x, conv.weight, conv.bias, stride=stride, padding=padding, groups=groups)
    torch.testing.assert_close(out, expected)
    grads = torch.autograd.grad(out.square().sum(), [x, conv.weight, conv.bias])
    expected_grads = torch.autograd.grad(expected.square().sum(), [x, conv.weight, conv.bias])
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(grad, expected_grad)


def test_polyphase_conv_rejects_what_it_does_not_support():
    with pytest.raises(ValueError, match="dilation=1"):
        PolyphaseConv1d(2, 2, 3, dilation=2)
    with pytest.raises(ValueError, match="zero padding"):
        PolyphaseConv1d(2, 2, 3, padding="same")


def test_filter_bank_summary_ignores_when_a_burst_happens():
    enc = FilterBankEncoder(2, 1000, d_model=8, n_spatial=2)
    t = torch.arange(1000) / 100.0

    def burst(centre):
        envelope = torch.exp(-((t - centre) ** 2) / (2 * 0.25**2))
        return (envelope * torch.sin(2 * torch.pi * 21 * t)).repeat(1, 2, 1)

    with torch.no_grad():
        early, late = (enc.encode(burst(c))[1] for c in (3.0, 7.0))
        other = enc.encode(0.5 * burst(3.0))[1]
    # the peak moves by less than a fifth of what halving the burst does (the residue is
    # the burst's alignment with the 0.32 s power windows)
    assert (early - late).abs().max() < 0.2 * (early - other).abs().max()


def test_modality_encoder_picks_the_encoder_from_name_and_shape():
    assert isinstance(ModalityEncoder("EEG", (4, 200), d_model=8).encoder, FilterBankEncoder)
    assert isinstance(ModalityEncoder("fnirs", (4, 50), d_model=8).encoder, TemporalConvEncoder)
    assert isinstance(ModalityEncoder("eeg", (6,), d_model=8).encoder, MLPEncoder)
    tokens, h = ModalityEncoder("eeg", (4, 200), d_model=8, n_tokens=3)(torch.randn(5, 4, 200))
    assert tokens.shape == (5, 3, 8) and h.shape == (5, 8)


def test_token_summary_is_mean_then_max():
    tokens = torch.tensor([[[1.0, -2.0], [3.0, 0.0]]])
    assert token_summary(tokens).tolist() == [[2.0, -1.0, 3.0, 0.0]]
