"""The neurovascular coupling delay and profile that feed PIDDecomposer's synergy block."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skpid.datasets import canonical_hrf, make_eeg_fnirs
from skpid.decomposition import PIDDecomposer
from skpid.nn import compute_coupling_delay, coupling_delay, coupling_profile
from skpid.nn._targets import (
    COUPLING_DELAY_RANGE,
    PROFILE_HRF_SCALES,
    _cbsi,
    _event_evidence,
    _onset_evidence,
    _onset_grid,
    _times,
    fit_hrf_scale,
)

TIMING = {"eeg_sfreq": 100.0, "nirs_sfreq": 10.0}


def _coupled(delays, seed=0, hrf_scale=1.0, noise=0.3):
    """EEG (4 x 10 s at 100 Hz) with a 10 Hz burst at a random time on channel 0, fNIRS
    (3 pairs x 20 s at 10 Hz) with a response ``delay`` s later on pair 1."""
    rng = np.random.RandomState(seed)
    n = len(delays)
    event = rng.uniform(1.0, 8.0, n)
    t = np.arange(1000) / 100.0
    eeg = noise * rng.randn(n, 4, 1000)
    tau = t[None] - event[:, None]
    eeg[:, 0] += np.sin(2 * np.pi * 10 * tau) * np.exp(-(tau**2) / (2 * 0.15**2))
    tn = np.arange(200) / 10.0
    hrf = canonical_hrf(tn[None] - (event + delays)[:, None], peak_scale=hrf_scale)
    nirs = 0.2 * noise * rng.randn(n, 6, 200)
    nirs[:, 2] += hrf
    nirs[:, 3] -= 0.3 * hrf
    return torch.tensor(eeg, dtype=torch.float32), torch.tensor(nirs, dtype=torch.float32)


def test_coupling_delay_reads_the_delay_whatever_the_event_time():
    delays = np.tile([0.8, 1.5, 2.2], 8)
    eeg, nirs = _coupled(delays)
    estimate = coupling_delay(eeg, nirs, **TIMING)
    assert estimate.shape == (24, 1) and estimate.dtype == torch.float32
    # the burst's power peaks at the event; the response at its onset: within 0.15 s
    np.testing.assert_allclose(estimate[:, 0].numpy(), delays, atol=0.15)
    # a later EEG epoch start (tmin) moves every event later: the delays shrink by it
    later = coupling_delay(eeg, nirs, **TIMING, eeg_tmin=0.2)
    np.testing.assert_allclose(later.numpy(), estimate.numpy() - 0.2, atol=0.06)


def test_coupling_profile_peaks_at_the_delay():
    delays = np.array([0.6, 1.2, 2.4])
    eeg, nirs = _coupled(delays, seed=1)
    profile = coupling_profile(eeg, nirs, **TIMING)
    lags = np.arange(COUPLING_DELAY_RANGE[0], COUPLING_DELAY_RANGE[1] + 1e-9, 0.05)
    assert profile.shape == (3, len(PROFILE_HRF_SCALES) + 1, len(lags))
    best = lags[profile[:, PROFILE_HRF_SCALES.index(1.0)].argmax(1).numpy()]
    np.testing.assert_allclose(best, delays, atol=0.15)
    # the last row is that of the stretch that fits the response best (here 1.0)
    np.testing.assert_array_equal(profile[:, -1], profile[:, PROFILE_HRF_SCALES.index(1.0)])


def test_coupling_profile_rows_peak_at_the_delay_of_their_stretch():
    eeg, nirs = _coupled(np.tile([0.5, 1.4, 2.6], 4), seed=6, noise=0.6)
    profile = coupling_profile(eeg, nirs, **TIMING, hrf_scales=(0.9, 1.1))
    lags = np.arange(COUPLING_DELAY_RANGE[0], COUPLING_DELAY_RANGE[1] + 1e-9, 0.05)
    # finite everywhere (lags that reach before the EEG epoch get the row's floor)
    assert torch.isfinite(profile).all()
    for row, scale in enumerate((0.9, 1.1)):
        delay = coupling_delay(eeg, nirs, **TIMING, hrf_scale=scale)[:, 0].numpy()
        np.testing.assert_allclose(lags[profile[:, row].argmax(1).numpy()], delay, atol=1e-6)


def test_onset_evidence_adds_up_the_pairs_a_response_covers():
    # a weak response on 6 of 8 pairs, in noise that blurs its onset on any single pair
    rng = np.random.RandomState(7)
    n, tn = 40, np.arange(200) / 10.0
    onset = rng.uniform(2.0, 12.0, n)
    nirs = 0.5 * rng.randn(n, 16, 200)
    nirs[:, 0:12:2] += 0.5 * canonical_hrf(tn[None] - onset[:, None])[:, None]
    nirs = torch.tensor(nirs)
    nirs_t = _times(200, 10.0, 0.0)
    onsets = _onset_grid(_times(1500, 100.0, 0.0), nirs_t)

    def error(evidence):
        return np.median(np.abs(onsets[evidence.argmax(1)].numpy() - onset))

    summed = error(_onset_evidence(nirs, nirs_t, onsets, [1.0])[:, 0])
    single = [
        _onset_evidence(nirs[:, 2 * p : 2 * p + 2], nirs_t, onsets, [1.0])[:, 0] for p in range(8)
    ]
    # measured: 0.14 s summed, 0.30-0.57 s on each covered pair, 0.39 s on the best pair
    assert summed < 0.6 * min(error(e) for e in single[:6])
    assert summed < 0.6 * error(torch.stack(single).amax(0))


def test_coupling_profile_chooses_the_stretch_of_each_trial():
    delays = np.full(4, 1.5)
    slow = _coupled(delays, seed=2, hrf_scale=1.16)
    fast = _coupled(delays, seed=3, hrf_scale=0.85)
    eeg, nirs = (torch.cat([a, b]) for a, b in zip(slow, fast, strict=True))
    profile = coupling_profile(eeg, nirs, **TIMING)
    chosen = [PROFILE_HRF_SCALES.index(1.16)] * 4 + [PROFILE_HRF_SCALES.index(0.85)] * 4
    np.testing.assert_array_equal(profile[:, -1], profile[torch.arange(8), chosen])
    lags = np.arange(COUPLING_DELAY_RANGE[0], COUPLING_DELAY_RANGE[1] + 1e-9, 0.05)
    np.testing.assert_allclose(lags[profile[:, -1].argmax(1).numpy()], 1.5, atol=0.15)


def test_fit_hrf_scale_finds_a_slow_response_and_removes_its_bias():
    delays = np.full(16, 1.5)
    eeg, nirs = _coupled(delays, seed=2, hrf_scale=1.15)
    scale = fit_hrf_scale(nirs, nirs_sfreq=10.0)
    assert abs(scale - 1.15) <= 0.03
    fixed = coupling_delay(eeg, nirs, **TIMING)[:, 0].numpy()
    fitted = compute_coupling_delay(eeg.numpy(), nirs.numpy(), TIMING)[:, 0]
    # a fixed template puts the onset of a slow response late; the fitted one does not
    assert np.median(fixed) - 1.5 > 0.2
    assert abs(np.median(fitted) - 1.5) < 0.1


def test_simulated_delay_needs_both_modalities():
    data = make_eeg_fnirs(n_subjects=2, n_trials=60, random_state=0)
    scaled = {
        m: ((x - x.mean((0, 2), keepdims=True)) / x.std((0, 2), keepdims=True)).astype(np.float32)
        for m, x in data.X.items()
    }
    timing = {"eeg_sfreq": data.info["eeg"]["sfreq"], "nirs_sfreq": data.info["fnirs"]["sfreq"]}
    delay = compute_coupling_delay(scaled["eeg"], scaled["fnirs"], timing, data.groups)[:, 0]
    f = data.factors
    for s in (0, 1):
        sel = data.groups == s
        truth = (f.onset_time - f.event_time)[sel]
        assert np.corrcoef(delay[sel], truth)[0, 1] >= 0.6
        # the onset alone (event time + delay) says little of the delay
        assert abs(np.corrcoef(f.onset_time[sel], truth)[0, 1]) < 0.4


def test_onset_evidence_equals_the_full_template_products():
    _, nirs = _coupled(np.array([0.8, 1.5, 2.2]), seed=4)
    nirs = nirs.double()
    nirs_t = _times(200, 10.0, 0.0)
    onsets = _onset_grid(_times(1000, 100.0, 0.0), nirs_t)
    scales = [0.85, 1.0, 1.16]
    evidence = _onset_evidence(nirs, nirs_t, onsets, scales)
    assert evidence.shape == (3, 3, len(onsets))
    # explained energy of the best-fitting positive multiple of each full, centred template,
    # summed over pairs
    cbsi = _cbsi(nirs)
    cbsi = cbsi - cbsi.mean(-1, keepdim=True)
    for i, scale in enumerate(scales):
        template = torch.as_tensor(canonical_hrf((nirs_t[None] - onsets[:, None]).numpy(), scale))
        template = template - template.mean(1, keepdim=True)
        energy = (template**2).sum(1)
        amplitude = torch.einsum("bpt,ot->bpo", cbsi, template) / energy
        expected = (amplitude.clamp_min(0) ** 2 * energy).sum(1)
        torch.testing.assert_close(evidence[:, i], expected, rtol=1e-4, atol=1e-6 * expected.max())


def test_event_evidence_matches_band_passed_power_and_finds_the_burst():
    eeg, _ = _coupled(np.ones(6), seed=5)
    eeg = eeg.double()
    eeg_t = _times(1000, 100.0, 0.0)
    evidence, times = _event_evidence(eeg, eeg_t, 100.0, (2.0, 15.0))
    assert evidence.shape == (6, 200)
    np.testing.assert_allclose(times.numpy(), np.arange(200) * 0.05, atol=1e-12)
    # the same log ratio from the band-passed signal squared, averaged over 0.25 s at 100 Hz
    spectrum = torch.fft.rfft(eeg)
    freqs = torch.fft.rfftfreq(1000, 0.01)
    power = torch.fft.irfft(spectrum * ((freqs >= 2) & (freqs <= 15)), n=1000) ** 2
    power = torch.log(F.avg_pool1d(power, 25, 5, padding=12, count_include_pad=False) + 1e-8)
    direct = (power - power.median(-1, keepdim=True).values).amax(1)
    assert np.corrcoef(evidence.flatten(), direct.flatten())[0, 1] > 0.97
    # both peak at the 10 Hz burst (its time: the event of _coupled)
    event = np.random.RandomState(5).uniform(1.0, 8.0, 6)
    np.testing.assert_allclose(times[evidence.argmax(1)].numpy(), event, atol=0.1)


def test_coupling_errors_name_the_fix():
    eeg, nirs = _coupled(np.ones(2))
    with pytest.raises(ValueError, match="leave no room"):
        coupling_delay(eeg, nirs[..., :60], **TIMING)
    with pytest.raises(ValueError, match="HbO, HbR"):
        coupling_delay(eeg, nirs[:, :5], **TIMING)


def test_pid_decomposer_uses_sampling_rates_for_the_synergy_block():
    data = make_eeg_fnirs(n_subjects=2, n_trials=16, random_state=0)
    fast = {"max_epochs": 1, "hidden_size": 16, "n_tokens": 4, "random_state": 0}
    dec = PIDDecomposer(sfreq={"eeg": 100.0, "fnirs": 10.0}, **fast)
    dec.fit(data.X, groups=data.groups)
    assert dec.net_.module_.coupling["eeg"] == "eeg"
    assert dec.net_.module_.coupling["timing"]["nirs_sfreq"] == 10.0
    assert "train_auxiliary" in dec.net_.history[-1]
    again = PIDDecomposer(sfreq={"eeg": 100.0, "fnirs": 10.0}, **fast)
    np.testing.assert_array_equal(
        again.fit(data.X, groups=data.groups).transform(data.X), dec.transform(data.X)
    )
    # without both rates, or without auxiliary targets, there is no coupling
    assert PIDDecomposer(sfreq={"eeg": 100.0}, **fast).fit(data.X).net_.module_.coupling is None
    off = PIDDecomposer(sfreq={"eeg": 100.0, "fnirs": 10.0}, auxiliary_targets=False, **fast)
    assert off.fit(data.X).net_.module_.coupling is None
    with pytest.raises(ValueError, match="not a modality"):
        PIDDecomposer(sfreq={"EEG": 100.0}, **fast).fit(data.X)
    with pytest.raises(ValueError, match=r"sfreq\['fnirs'\] must be a finite number > 0"):
        PIDDecomposer(sfreq={"eeg": 100.0, "fnirs": -1}, **fast).fit(data.X)
    with pytest.raises(ValueError, match="leave no room"):
        PIDDecomposer(sfreq={"eeg": 100.0, "fnirs": 100.0}, **fast).fit(data.X)
