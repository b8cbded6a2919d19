"""Tests of the augmentations."""

import pickle

import pytest
import torch

from skpid.augment import (
    AUGMENTATIONS,
    Augmenter,
    amplitude_scale,
    band_scale,
    channel_dropout,
    common_time_shift,
    default_augmentations,
    gaussian_noise,
    hrf_jitter,
    time_mask,
    time_shift,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _x(shape=(6, 3, 200), seed=0):
    return torch.randn(*shape, generator=_gen(seed))


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_shape_copy_and_determinism(name):
    fn = AUGMENTATIONS[name]
    x = _x()
    before = x.clone()
    out1 = fn(x, generator=_gen(1))
    out2 = fn(x, generator=_gen(1))
    out3 = fn(x, generator=_gen(2))
    assert out1.shape == x.shape
    assert torch.equal(x, before)  # not in place
    assert torch.equal(out1, out2)
    assert not torch.equal(out1, out3)


def test_gaussian_noise_level_and_tabular():
    x = torch.zeros(200, 50)
    out = gaussian_noise(x, generator=_gen(), std=0.3)
    assert out.std().item() == pytest.approx(0.3, rel=0.05)


def test_time_mask_drops_whole_time_steps_within_the_share():
    x = torch.ones(50, 4, 100)
    out = time_mask(x, generator=_gen(), max_fraction=0.4)
    dropped = out[:, 0, :] == 0
    assert torch.equal(dropped[:, None, :].expand_as(out), out == 0)  # all channels at once
    assert dropped.float().mean(1).max().item() < 0.55
    assert dropped.float().mean().item() == pytest.approx(0.2, abs=0.05)
    tab = time_mask(torch.ones(50, 30), generator=_gen(), max_fraction=0.4)
    assert (tab == 0).any()


def test_channel_dropout_zeroes_whole_channels():
    x = torch.ones(100, 8, 20)
    out = channel_dropout(x, generator=_gen(), p=0.25)
    per_channel = out.sum(-1)
    assert set(per_channel.unique().tolist()) <= {0.0, 20.0}
    assert (per_channel == 0).float().mean().item() == pytest.approx(0.25, abs=0.06)
    with pytest.raises(ValueError, match="time series"):
        channel_dropout(torch.ones(4, 8), generator=_gen())


def test_amplitude_scale_range():
    x = torch.ones(100, 2, 5)
    gain = amplitude_scale(x, generator=_gen(), low=0.5, high=2.0)[:, 0, 0]
    assert gain.min() >= 0.5 and gain.max() <= 2.0 and gain.std() > 0.1
    with pytest.raises(ValueError, match="low"):
        amplitude_scale(x, generator=_gen(), low=2.0, high=1.0)


def test_time_shift_moves_an_impulse_by_at_most_the_limit():
    x = torch.zeros(64, 1, 100)
    x[:, :, 50] = 1.0
    out = time_shift(x, generator=_gen(), max_shift=0.05)
    peaks = out[:, 0].argmax(1)
    assert (peaks - 50).abs().max() <= 5
    assert len(peaks.unique()) > 3


def test_band_scale_changes_one_band_only():
    sfreq, n = 125.0, 1000
    t = torch.arange(n) / sfreq
    # 10 Hz in 8-16 Hz, 40 Hz in 31-62 Hz (default octave bands at 125 Hz)
    x = (torch.sin(2 * torch.pi * 10 * t) + torch.sin(2 * torch.pi * 40 * t)).repeat(64, 1, 1)
    out = band_scale(x, generator=_gen(), low=0.5, high=0.6)
    spec_in = torch.fft.rfft(x, dim=-1).abs()
    spec_out = torch.fft.rfft(out, dim=-1).abs()
    ratio10 = spec_out[:, 0, 80] / spec_in[:, 0, 80]  # bin of 10 Hz
    ratio40 = spec_out[:, 0, 320] / spec_in[:, 0, 320]
    changed10 = ratio10 < 0.9
    changed40 = ratio40 < 0.9
    assert not (changed10 & changed40).any()  # never both bands
    assert changed10.any() and changed40.any()
    assert torch.allclose(ratio10[changed10], ratio10[changed10].clamp(0.5, 0.6))
    explicit = band_scale(x, generator=_gen(), bands=[(35, 45)], sfreq=sfreq, low=0.0, high=0.0)
    assert torch.fft.rfft(explicit, dim=-1).abs()[:, 0, 320].max() < 1e-3
    with pytest.raises(ValueError, match="sfreq"):
        band_scale(x, generator=_gen(), bands=[(8, 12)])


def test_hrf_jitter_moves_and_scales_the_response():
    t = torch.arange(160.0)
    response = torch.exp(-0.5 * ((t - 60) / 8) ** 2)
    x = response.repeat(64, 2, 1)
    out = hrf_jitter(x, generator=_gen(), max_latency=0.05, low=0.8, high=1.2)
    peaks = out[:, 0].argmax(1)
    assert (peaks - 60).abs().max() <= 8 and len(peaks.unique()) > 3
    heights = out[:, 0].max(1).values
    assert heights.min() >= 0.79 and heights.max() <= 1.21
    assert torch.allclose(out[:, 0], out[:, 1])  # same jitter on every channel of a trial


def test_default_augmentations_follow_the_modality():
    eeg = [n for n, _ in default_augmentations("EEG", 3)]
    fnirs = [n for n, _ in default_augmentations("fnirs_hbo", 3)]
    tab = [n for n, _ in default_augmentations("eeg_bandpower", 2)]
    assert "band_scale" in eeg and "hrf_jitter" not in eeg
    assert "time_mask" not in eeg  # it buries beta/gamma bands (see the docstring)
    assert "hrf_jitter" in fnirs and "band_scale" not in fnirs
    assert "channel_dropout" not in tab and "band_scale" not in tab


def test_augmenter_defaults_overrides_and_callables():
    batch = {"eeg": _x((4, 3, 200)), "fnirs": _x((4, 2, 50), 1), "tab": _x((4, 7), 2)}
    shapes = {k: tuple(v.shape[1:]) for k, v in batch.items()}
    aug = Augmenter(
        {"fnirs": [], "tab": [("gaussian_noise", {"std": 0.0}), lambda x, generator: 2 * x]},
        shapes,
    )
    out = aug(batch, _gen())
    assert torch.equal(out["fnirs"], batch["fnirs"])  # disabled
    assert torch.equal(out["tab"], 2 * batch["tab"])
    assert not torch.equal(out["eeg"], batch["eeg"])  # defaults
    again = pickle.loads(pickle.dumps(Augmenter(None, shapes)))
    assert torch.equal(again(batch, _gen(3))["eeg"], Augmenter(None, shapes)(batch, _gen(3))["eeg"])
    assert "band_scale" in repr(again)


def test_augmenter_takes_pairs_as_lists_as_read_from_json():
    batch = {"eeg": _x((4, 3, 200))}
    as_list = Augmenter(
        {"eeg": [["amplitude_scale", {"low": 2.0, "high": 2.0}]]}, {"eeg": (3, 200)}
    )
    assert torch.allclose(as_list(batch, _gen())["eeg"], 2 * batch["eeg"])


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ({"meg": []}, ValueError, "not in the data"),
        ({"eeg": ["warp"]}, ValueError, "Unknown augmentation"),
        ({"eeg": [3]}, TypeError, "callable"),
        ([("gaussian_noise", {})], TypeError, "dict of modality"),
    ],
)
def test_augmenter_errors(spec, error, match):
    with pytest.raises(error, match=match):
        Augmenter(spec, {"eeg": (3, 100)})


@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        (gaussian_noise, {"std": -1}),
        (time_mask, {"max_fraction": 1.0}),
        (channel_dropout, {"p": 1.5}),
        (time_shift, {"max_shift": 0.9}),
        (hrf_jitter, {"max_latency": -0.1}),
        (band_scale, {"low": -1.0}),
    ],
)
def test_bad_parameters_raise(fn, kwargs):
    with pytest.raises(ValueError, match=fn.__name__):
        fn(_x(), generator=_gen(), **kwargs)


def test_common_time_shift_keeps_relative_timing_across_rates():
    n = 32
    eeg = torch.zeros(n, 2, 1000)  # 10 s at 100 Hz, event at 4 s
    eeg[:, :, 400] = 1.0
    fnirs = torch.zeros(n, 3, 200)  # 20 s at 10 Hz, onset at 6 s
    fnirs[:, :, 60] = 1.0
    batch = {"eeg": eeg, "fnirs": fnirs, "tab": torch.ones(n, 4)}
    sfreq = {"eeg": 100.0, "fnirs": 10.0}
    out = common_time_shift(batch, generator=_gen(), sfreq=sfreq, max_shift=2.0)
    event = out["eeg"][:, 0].argmax(1) / 100.0
    onset = out["fnirs"][:, 0].argmax(1) / 10.0
    assert (event - 4.0).abs().max() <= 2.0 and (event - 4.0).std() > 0.5  # moved
    assert ((onset - event) - 2.0).abs().max() <= 0.1 + 1e-6  # delay kept
    assert torch.equal(out["tab"], batch["tab"]) and torch.equal(batch["eeg"], eeg)
    again = common_time_shift(batch, generator=_gen(), sfreq=sfreq, max_shift=2.0)
    assert torch.equal(again["fnirs"], out["fnirs"])
    with pytest.raises(ValueError, match="not in the batch"):
        common_time_shift(batch, generator=_gen(), sfreq={"meg": 100.0})
    with pytest.raises(ValueError, match="max_shift"):
        common_time_shift(batch, generator=_gen(), sfreq=sfreq, max_shift=-1.0)


def test_augmenter_applies_shared_augmentations_first():
    batch = {"eeg": _x((4, 3, 200)), "fnirs": _x((4, 2, 50), 1)}
    shapes = {k: tuple(v.shape[1:]) for k, v in batch.items()}
    calls = []

    def shared(b, *, generator):
        calls.append(sorted(b))
        return {k: v + 1 for k, v in b.items()}

    out = Augmenter({"eeg": [], "fnirs": []}, shapes, shared=[shared])(batch, _gen())
    assert calls == [["eeg", "fnirs"]]
    assert torch.equal(out["eeg"], batch["eeg"] + 1)
    assert "shared=['shared']" in repr(Augmenter(None, shapes, shared=[shared]))
    with pytest.raises(TypeError, match="callables"):
        Augmenter(None, shapes, shared=[3])
