"""skpid.physiology against independent references and on small synthetic signals.

References: nilearn's ``spm_hrf``/``glover_hrf`` for the response models, scipy's
Butterworth filtering and Hilbert transform for event-related band power, the formula of
Cui et al. (2010) and mne-nirs' ``enhance_negative_correlation`` for CBSI. The synthetic
signals are made here, not by skpid.datasets.
"""

import ast
from pathlib import Path

import mne
import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, hilbert, sosfiltfilt

import skpid.physiology as phys
from skpid.physiology import (
    COUPLING_DELAY_RANGE,
    EEG_BANDS,
    HRF_MODELS,
    PROFILE_STRETCHES,
    cbsi,
    coupling_delay,
    coupling_profile,
    eeg_event_evidence,
    event_related_power,
    fit_hrf_stretch,
    gamma_hrf,
    glover_hrf,
    haemodynamic_amplitude,
    haemodynamic_onset,
    haemodynamic_onset_evidence,
    hrf_kernel,
    pair_haemoglobin,
    resolve_bands,
    spm_hrf,
)

RATES = (100.0, 250.0, 500.0)

# --- response models --------------------------------------------------------------------


def _nilearn_times(n, dt):
    # nilearn samples gamma densities shifted by one sample (loc=dt) on linspace(0, 32, n)
    return np.linspace(0, 32.0, n) - dt


@pytest.mark.parametrize("sfreq", RATES)
def test_spm_hrf_matches_nilearn(sfreq):
    first_level = pytest.importorskip("nilearn.glm.first_level")
    ref = first_level.spm_hrf(1.0 / sfreq, oversampling=1)
    t = _nilearn_times(len(ref), 1.0 / sfreq)
    # nilearn normalises to a unit sum, skpid to a unit peak: compare shapes. nilearn
    # rounds SPM's undershoot ratio 1/6 to 0.167.
    mine = spm_hrf(t, ratio=1 / 0.167)
    np.testing.assert_allclose(mine / mine.max(), ref / ref.max(), atol=1e-6)
    np.testing.assert_allclose(spm_hrf(t), ref / ref.max(), atol=1e-3)


@pytest.mark.parametrize("sfreq", RATES)
def test_glover_hrf_close_to_nilearn(sfreq):
    first_level = pytest.importorskip("nilearn.glm.first_level")
    ref = first_level.glover_hrf(1.0 / sfreq, oversampling=1)
    t = _nilearn_times(len(ref), 1.0 / sfreq)
    mine = glover_hrf(t)
    # nilearn's Glover is a difference of gamma densities (shape delay / dispersion),
    # Glover's own eq. 3 uses (t/d)**a: same response up to a small shift of the peak
    assert np.corrcoef(mine, ref)[0, 1] > 0.99
    assert abs(t[mine.argmax()] - t[ref.argmax()]) < 0.3
    assert abs(t[mine.argmin()] - t[ref.argmin()]) < 1.5


@pytest.mark.parametrize("name", sorted(HRF_MODELS))
def test_hrf_models_shape_peak_and_stretch(name):
    fn = HRF_MODELS[name]
    t = np.linspace(-2, 30, 32001)
    h = fn(t)
    assert h.shape == t.shape
    assert np.all(h[t <= 0] == 0)
    assert h.max() == pytest.approx(1.0, abs=1e-6)
    peak = t[h.argmax()]
    assert 4.5 < peak < 5.5  # published models peak about 5 s after the event
    slow = fn(t, stretch=1.2)
    assert t[slow.argmax()] == pytest.approx(1.2 * peak, abs=0.01)
    np.testing.assert_allclose(fn(t[:-4].reshape(-1, 7)), h[:-4].reshape(-1, 7))  # any shape


def test_gamma_hrf_is_boyntons_variate():
    t = np.linspace(0, 20, 2001)
    h = gamma_hrf(t, shape=3.0, scale=1.25, delay=2.5)
    tau = np.clip(t - 2.5, 0, None)
    ref = tau**2 * np.exp(-tau / 1.25)  # (n - 1) = 2
    np.testing.assert_allclose(h, ref / ref.max(), atol=1e-4)
    assert t[h.argmax()] == pytest.approx(5.0, abs=0.01)


@pytest.mark.parametrize("sfreq", RATES)
def test_hrf_kernel(sfreq):
    kernel = hrf_kernel(sfreq, model="glover", duration=20.0, stretch=1.1)
    assert kernel.shape == (round(20.0 * sfreq),)
    np.testing.assert_allclose(kernel, glover_hrf(np.arange(len(kernel)) / sfreq, stretch=1.1))


def test_hrf_bad_input():
    with pytest.raises(ValueError, match="stretch must be positive"):
        spm_hrf(np.ones(3), stretch=-1.0)
    with pytest.raises(ValueError, match="model must be one of"):
        hrf_kernel(10.0, model="balloon")
    with pytest.raises(ValueError, match="too short for a kernel"):
        hrf_kernel(1.0, duration=1.0)
    with pytest.raises(ValueError, match="finite times"):
        gamma_hrf(np.array([np.nan]))


# --- bands ------------------------------------------------------------------------------


def test_resolve_bands():
    assert resolve_bands(None, 100.0) == EEG_BANDS
    assert resolve_bands("alpha", 100.0) == {"alpha": (8.0, 13.0)}
    assert resolve_bands((8, 12), 250.0) == {"8-12 Hz": (8.0, 12.0)}
    assert list(resolve_bands(["beta", (1, 3)], 250.0)) == ["beta", "1-3 Hz"]
    assert resolve_bands({"mu": (8, 12)}, 500.0) == {"mu": (8.0, 12.0)}
    with pytest.raises(ValueError, match=r"'gamma' = \(30, 45\) Hz .* Nyquist frequency 40 Hz"):
        resolve_bands(None, 80.0)
    with pytest.raises(ValueError, match="Unknown EEG band 'mu'"):
        resolve_bands("mu", 100.0)
    with pytest.raises(ValueError, match="low < high"):
        resolve_bands({"x": (10, 5)}, 100.0)
    with pytest.raises(ValueError, match="bands is empty"):
        resolve_bands({}, 100.0)


# --- HbO/HbR pairing --------------------------------------------------------------------

SOURCES = [f"S{s}_D{d}" for s, d in [(1, 1), (1, 2), (2, 2), (3, 1), (4, 3)]]


def _check_pairs(pairs, names):
    assert len(pairs.hbo) == len(pairs.hbr)
    for i, j in zip(pairs.hbo, pairs.hbr, strict=True):
        assert names[i].endswith("hbo") and names[j].endswith("hbr")
        assert names[i][:-4] == names[j][:-4]


@pytest.mark.parametrize("order", ["interleaved", "blocks", "shuffled"])
def test_pairing_orders(order):
    if order == "interleaved":
        names = [f"{s} {c}" for s in SOURCES for c in ("hbo", "hbr")]
    else:
        names = [f"{s} hbo" for s in SOURCES] + [f"{s} hbr" for s in SOURCES]
        if order == "shuffled":
            names = list(np.random.default_rng(0).permutation(names))
    pairs = pair_haemoglobin(names)
    _check_pairs(pairs, names)
    assert len(pairs.hbo) == len(SOURCES) and pairs.unpaired == []
    assert sorted(pairs.names) == SOURCES
    # in the order of the HbO channels
    assert list(pairs.hbo) == sorted(pairs.hbo)


def test_pairing_unpaired_types_and_info():
    names = ["S1_D1 hbo", "S2_D1 hbr", "S1_D1 hbr", "S3_D1 hbo", "Cz"]
    pairs = pair_haemoglobin(names)
    assert list(pairs.hbo) == [0] and list(pairs.hbr) == [2]
    assert pairs.unpaired == ["S2_D1 hbr", "S3_D1 hbo", "Cz"]
    # other spellings of the chromophore
    other = pair_haemoglobin(["HbO2 S1-D1", "S1-D1 HHb", "S2D1_oxy", "S2D1_deoxy"])
    assert list(other.hbo) == [0, 2] and list(other.hbr) == [1, 3]
    # types decide the chromophore; names give the pairs
    typed = pair_haemoglobin(["S1_D1 760", "S1_D1 850"], ["hbo", "hbr"])
    assert list(typed.hbo) == [0] and list(typed.hbr) == [1]
    # types alone: k-th HbO with k-th HbR
    order = pair_haemoglobin(ch_types=["hbo", "hbo", "eeg", "hbr", "hbr"])
    assert list(order.hbo) == [0, 1] and list(order.hbr) == [3, 4]
    # the info of one modality from skpid.io.from_epochs, and an mne.Info
    names = [f"{s} hbr" for s in SOURCES] + [f"{s} hbo" for s in SOURCES]
    info = mne.create_info(names, 10.0, ["hbr"] * 5 + ["hbo"] * 5)
    meta = {"sfreq": 10.0, "ch_names": names, "ch_types": info.get_channel_types()}
    for source in (meta, info):
        pairs = pair_haemoglobin(source)
        assert list(pairs.hbo) == [5, 6, 7, 8, 9] and list(pairs.hbr) == [0, 1, 2, 3, 4]


def test_pairing_errors():
    with pytest.raises(ValueError, match=r"No HbO/HbR channel pair .* \('S1_D1 hbo'"):
        pair_haemoglobin(["S1_D1 760", "S1_D1 850"])
    with pytest.raises(ValueError, match="both hbo of pair"):
        pair_haemoglobin(["S1_D1 hbo", "S1_D1 HbO", "S1_D1 hbr"])
    with pytest.raises(ValueError, match="one type per channel"):
        pair_haemoglobin(["S1_D1 hbo", "S1_D1 hbr"], ["hbo"])
    with pytest.raises(ValueError, match="needs ch_names"):
        pair_haemoglobin()


# --- event-related power ----------------------------------------------------------------


def _bursts(sfreq, n=12, seed=0, kind="ers", duration=8.0):
    """Noise on 3 channels; an alpha burst (ERS) or a suppressed alpha rhythm (ERD)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sfreq)) / sfreq
    x = rng.standard_normal((n, 3, len(t)))
    event = rng.uniform(2.0, duration - 2.0, n)
    for i in range(n):
        ch = i % 3
        if kind == "ers":
            envelope = 3.0 * np.exp(-((t - event[i]) ** 2) / (2 * 0.25**2))
        else:  # ongoing alpha, suppressed for 1.2 s from the event
            envelope = 3.0 * (1.0 - 0.95 * ((t >= event[i]) & (t < event[i] + 1.2)))
        x[i, ch] += envelope * np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 2 * np.pi))
    return x, event


def _scipy_erp(x, sfreq, band, window):
    """Reference: Butterworth band-pass (zero phase), Hilbert power, moving average; as
    skpid, clear of half a window plus 1 / bandwidth at either end."""
    sos = butter(4, band, btype="bandpass", fs=sfreq, output="sos")
    power = np.abs(hilbert(sosfiltfilt(sos, x, axis=-1), axis=-1)) ** 2
    power = uniform_filter1d(power, max(1, round(window * sfreq)), axis=-1, mode="reflect")
    edge = round((window / 2 + 1 / (band[1] - band[0])) * sfreq)
    log = np.log(power[..., edge:-edge])
    ratio = log - np.median(log, axis=-1, keepdims=True)
    return ratio.max(axis=(1, 2)), ratio.min(axis=(1, 2))


@pytest.mark.parametrize("sfreq", RATES)
def test_event_related_power_matches_scipy_filtering(sfreq):
    x, _ = _bursts(sfreq)
    mine = event_related_power(x, sfreq, ["alpha", "beta"], window=0.5, direction="increase")
    assert mine.shape == (12, 2)
    ref_up, _ = _scipy_erp(x, sfreq, (8.0, 13.0), 0.5)
    # the Butterworth band's skirts let in more noise than skpid's sharp band, which
    # raises the median power: an offset, and the same trial-to-trial changes
    offset = np.median(ref_up - mine[:, 0])
    assert 0.0 <= offset < 0.4
    np.testing.assert_allclose(mine[:, 0] + offset, ref_up, atol=0.2)
    assert np.corrcoef(mine[:, 0], ref_up)[0, 1] > 0.9
    # the burst is in alpha, not in beta
    assert np.all(mine[:, 0] > mine[:, 1] + 1.0)


@pytest.mark.parametrize("sfreq", RATES)
def test_event_related_power_sees_desynchronisation(sfreq):
    ers, _ = _bursts(sfreq, kind="ers", seed=1)
    erd, _ = _bursts(sfreq, kind="erd", seed=2)
    down = event_related_power(erd, sfreq, "alpha", direction="decrease")[:, 0]
    _, ref_down = _scipy_erp(erd, sfreq, (8.0, 13.0), 0.5)
    assert np.corrcoef(down, ref_down)[0, 1] > 0.9
    # a 95% drop of alpha amplitude: power ratio far below the median
    assert np.all(down < -2.0)
    both = event_related_power(np.concatenate([ers, erd]), sfreq, "alpha", direction="both")
    assert np.all(both[:12, 0] > 1.0) and np.all(both[12:, 0] < -1.0)


@pytest.mark.parametrize("sfreq", RATES)
def test_eeg_event_evidence_times_both_directions(sfreq):
    ers, t_ers = _bursts(sfreq, kind="ers", seed=3)
    evidence, times = eeg_event_evidence(ers, sfreq, band=(8, 13), tmin=-1.0, direction="both")
    assert evidence.shape == (12, len(times))
    assert times[0] == -1.0 and np.diff(times) == pytest.approx(0.05)
    np.testing.assert_allclose(times[evidence.argmax(1)], t_ers - 1.0, atol=0.1)
    erd, t_erd = _bursts(sfreq, kind="erd", seed=4)
    evidence, times = eeg_event_evidence(erd, sfreq, band=(8, 13), direction="decrease")
    found = times[evidence.argmax(1)]
    # deepest within the 1.2-s suppression
    assert np.all((found > t_erd) & (found < t_erd + 1.2))


def test_event_power_bad_input():
    x = np.zeros((2, 3, 200))
    with pytest.raises(ValueError, match="Nyquist frequency 50 Hz"):
        event_related_power(x, 100.0, {"high": (40, 60)})
    with pytest.raises(ValueError, match="shorter than the power window"):
        event_related_power(x, 100.0, "alpha", window=3.0)
    with pytest.raises(ValueError, match="direction must be one of"):
        eeg_event_evidence(x, 100.0, direction="up")
    with pytest.raises(ValueError, match=r"shape \(n_trials, n_channels, n_times\)"):
        eeg_event_evidence(x[0], 100.0)
    with pytest.raises(ValueError, match="NaN"):
        event_related_power(np.full((1, 1, 200), np.nan), 100.0, "alpha")
    with pytest.raises(ValueError, match="holds no power step"):
        event_related_power(x, 100.0, "alpha", search=(5.0, 6.0))


# --- haemodynamics ----------------------------------------------------------------------


def test_cbsi_matches_the_paper_and_mne_nirs():
    rng = np.random.default_rng(0)
    hbo, hbr = rng.standard_normal((2, 4, 3, 300)) * [[[[2.0]]], [[[0.5]]]]
    x0 = cbsi(hbo, hbr)
    # Cui et al. 2010 over each channel's whole recording (all epochs together)
    for c in range(3):
        o, r = hbo[:, c] - hbo[:, c].mean(), hbr[:, c] - hbr[:, c].mean()
        np.testing.assert_allclose(x0[:, c], 0.5 * (o - o.std() / r.std() * r))
    trial = cbsi(hbo, hbr, per_trial=True)
    o, r = hbo[1, 2] - hbo[1, 2].mean(), hbr[1, 2] - hbr[1, 2].mean()
    np.testing.assert_allclose(trial[1, 2], 0.5 * (o - o.std() / r.std() * r))
    nc = pytest.importorskip("mne_nirs.signal_enhancement")
    # mne-nirs works on a continuous recording with channels alternating HbO, HbR
    cont_o, cont_r = hbo.transpose(1, 0, 2).reshape(3, -1), hbr.transpose(1, 0, 2).reshape(3, -1)
    data = np.stack([cont_o, cont_r], 1).reshape(6, -1) * 1e-6
    names = [f"S{c + 1}_D1 {k}" for c in range(3) for k in ("hbo", "hbr")]
    raw = mne.io.RawArray(data, mne.create_info(names, 10.0, ["hbo", "hbr"] * 3), verbose=False)
    ref = nc.enhance_negative_correlation(raw).get_data()[0::2]
    np.testing.assert_allclose(cbsi(cont_o, cont_r) * 1e-6, ref, atol=1e-12)


def _responses(
    sfreq,
    onsets,
    amplitude=1.0,
    n_pairs=3,
    active=(1,),
    seed=0,
    noise=0.05,
    duration=20.0,
    model="spm",
    stretch=1.0,
    drift=0.0,
):
    """HbO and HbR (n, n_pairs, times) with a response starting at each onset."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * sfreq)) / sfreq
    n = len(onsets)
    shape = HRF_MODELS[model](t[None] - np.asarray(onsets)[:, None], stretch=stretch)
    amp = np.broadcast_to(np.asarray(amplitude, dtype=float), (n,))
    hbo = noise * rng.standard_normal((n, n_pairs, len(t))) + drift * t
    hbr = noise * rng.standard_normal((n, n_pairs, len(t))) + drift * t
    for p in active:
        hbo[:, p] += amp[:, None] * shape
        hbr[:, p] -= 0.3 * amp[:, None] * shape
    return hbo * 1e-6, hbr * 1e-6  # mol/L scale


@pytest.mark.parametrize("method", ["cbsi", "hbo"])
def test_haemodynamic_amplitude_grows_with_the_response(method):
    amplitude = np.array([0.5, 1.0, 2.0, 4.0])
    hbo, hbr = _responses(10.0, np.full(4, 3.0), amplitude, seed=1)
    value = haemodynamic_amplitude(hbo, hbr, sfreq=10.0, method=method)
    assert value.shape == (4,)
    assert np.all(np.diff(value) > 0)
    if method == "hbo":  # the range of the response on the active pair
        np.testing.assert_allclose(np.exp(value), amplitude * 1e-6, rtol=0.15)
    with pytest.raises(ValueError, match="needs hbr"):
        haemodynamic_amplitude(hbo, None, sfreq=10.0)
    with pytest.raises(ValueError, match="same shape"):
        haemodynamic_amplitude(hbo, hbr[:, :2], sfreq=10.0)


@pytest.mark.parametrize("model", sorted(HRF_MODELS))
def test_haemodynamic_onset_recovered(model):
    onsets = np.array([1.0, 3.3, 5.55, 8.0, 10.2])
    hbo, hbr = _responses(10.0, onsets, model=model, seed=2, drift=0.02)
    found = haemodynamic_onset(cbsi(hbo, hbr), 10.0, model=model, drift=True)
    np.testing.assert_allclose(found, onsets, atol=0.1)
    # HbR falls: found with a negative response, not with a positive one
    fall = haemodynamic_onset(hbr[:, 1], 10.0, model=model, polarity="negative", drift=True)
    np.testing.assert_allclose(fall, onsets, atol=0.15)
    # a later tmin moves every onset by as much
    later = haemodynamic_onset(cbsi(hbo, hbr), 10.0, tmin=2.0, model=model, drift=True)
    np.testing.assert_allclose(later, found + 2.0, atol=1e-9)


def test_onset_evidence_sums_channels_and_checks_onsets():
    hbo, hbr = _responses(10.0, [4.0, 6.0], active=(0, 1, 2), seed=3)
    onsets = np.arange(0.0, 12.0, 0.05)
    ev = haemodynamic_onset_evidence(cbsi(hbo, hbr), 10.0, onsets=onsets, stretches=(0.9, 1.1))
    assert ev.shape == (2, 2, len(onsets))
    single = haemodynamic_onset_evidence(cbsi(hbo, hbr)[:, :1], 10.0, onsets=onsets)
    assert np.all(ev[:, 0].max(1) > 2 * single[:, 0].max(1))
    with pytest.raises(ValueError, match="leaves almost nothing"):
        haemodynamic_onset_evidence(hbo, 10.0, onsets=[25.0])
    with pytest.raises(ValueError, match="too short for a response"):
        haemodynamic_onset(hbo[..., :40], 10.0)
    with pytest.raises(ValueError, match="polarity"):
        haemodynamic_onset(hbo, 10.0, polarity="up")


# --- neurovascular coupling -------------------------------------------------------------


def _coupled(delays, eeg_sfreq, *, seed=0, stretch=1.0, kind="ers", noise=0.3):
    """EEG (4 channels, 10 s) with an event at a random time on channel 0; fNIRS (3 pairs,
    20 s at 10 Hz, all HbO then all HbR) with a response ``delay`` s later on pair 1."""
    rng = np.random.default_rng(seed)
    n = len(delays)
    event = rng.uniform(1.0, 8.0, n)
    t = np.arange(int(10 * eeg_sfreq)) / eeg_sfreq
    eeg = noise * rng.standard_normal((n, 4, len(t)))
    tau = t[None] - event[:, None]
    if kind == "ers":  # a 10 Hz burst at the event
        eeg[:, 0] += np.sin(2 * np.pi * 10 * tau) * np.exp(-(tau**2) / (2 * 0.15**2))
    else:  # an ongoing 8 Hz rhythm that stops for 0.4 s at the event
        off = (tau >= 0) & (tau < 0.4)
        eeg[:, 0] += 1.5 * np.sin(2 * np.pi * 8 * t + rng.uniform(0, 6, (n, 1))) * ~off
    hbo, hbr = _responses(10.0, event + delays, seed=seed + 1, stretch=stretch, noise=0.06)
    return eeg * 1e-5, np.concatenate([hbo, hbr], axis=1)  # volts; HbO block, HbR block


@pytest.mark.parametrize("eeg_sfreq", RATES)
def test_coupling_delay_recovered(eeg_sfreq):
    delays = np.tile([0.8, 1.5, 2.2], 3)
    eeg, nirs = _coupled(delays, eeg_sfreq)
    pairs = pair_haemoglobin(
        [f"S{i}_D1 hbo" for i in range(3)] + [f"S{i}_D1 hbr" for i in range(3)]
    )
    hbo, hbr = nirs[:, pairs.hbo], nirs[:, pairs.hbr]
    timing = dict(eeg_sfreq=eeg_sfreq, nirs_sfreq=10.0)
    found = coupling_delay(eeg, hbo, hbr, **timing)
    assert found.shape == (9,)
    np.testing.assert_allclose(found, delays, atol=0.15)
    # a later EEG epoch start moves every event later: the delays shrink by it
    later = coupling_delay(eeg, hbo, hbr, **timing, eeg_tmin=0.2)
    np.testing.assert_allclose(later, found - 0.2, atol=0.06)


@pytest.mark.parametrize("eeg_sfreq", RATES)
def test_coupling_delay_from_desynchronisation(eeg_sfreq):
    delays = np.tile([0.7, 1.6, 2.4], 3)
    eeg, nirs = _coupled(delays, eeg_sfreq, kind="erd", seed=5)
    found = coupling_delay(
        eeg, nirs[:, :3], nirs[:, 3:], eeg_sfreq=eeg_sfreq, nirs_sfreq=10.0, direction="decrease"
    )
    # the power is lowest in the middle of the 0.4-s pause: the delay from there
    np.testing.assert_allclose(found, delays - 0.2, atol=0.15)


@pytest.mark.parametrize("eeg_sfreq", RATES)
def test_coupling_delay_ignores_a_burst_at_the_far_end(eeg_sfreq):
    # A strong burst at the very end of the epoch, when the true event lies early: a
    # band-pass that treats the epoch as periodic (a plain FFT) wraps that burst onto the
    # first steps, which lie in the search window of an early response, and the delay
    # jumps to the longest lags. The mirror extension keeps the burst where it is.
    rng = np.random.default_rng(7)
    delays = np.tile([0.8, 1.6], 3)
    event = rng.uniform(0.9, 1.3, len(delays))
    t = np.arange(int(10 * eeg_sfreq)) / eeg_sfreq
    eeg = 0.3 * rng.standard_normal((len(delays), 4, len(t)))

    def burst(at, amplitude):
        tau = t[None] - np.asarray(at, dtype=float)[:, None]
        return amplitude * np.sin(2 * np.pi * 10 * tau) * np.exp(-(tau**2) / (2 * 0.15**2))

    eeg[:, 0] += burst(event, 0.7)
    eeg[:, 1] += burst(np.full(len(delays), t[-1] - 0.04), 3.0)
    hbo, hbr = _responses(10.0, event + delays, seed=8, noise=0.06)
    timing = dict(eeg_sfreq=eeg_sfreq, nirs_sfreq=10.0, direction="increase")
    np.testing.assert_allclose(coupling_delay(eeg, hbo, hbr, **timing), delays, atol=0.15)
    evidence, times = eeg_event_evidence(eeg, eeg_sfreq, direction="increase")
    early = evidence[:, times < 0.5].max(1)
    at_event = evidence[:, (times > 0.8) & (times < 1.5)].max(1)
    assert np.all(early < 0.5 * at_event)


def test_coupling_profile_rows_and_stretch():
    delays = np.full(4, 1.5)
    slow = _coupled(delays, 100.0, seed=2, stretch=1.2)
    fast = _coupled(delays, 100.0, seed=3, stretch=0.8)
    eeg, nirs = (np.concatenate(p) for p in zip(slow, fast, strict=True))
    hbo, hbr = nirs[:, :3], nirs[:, 3:]
    timing = dict(eeg_sfreq=100.0, nirs_sfreq=10.0)
    profile = coupling_profile(eeg, hbo, hbr, **timing)
    lags = np.arange(COUPLING_DELAY_RANGE[0], COUPLING_DELAY_RANGE[1] + 1e-9, 0.05)
    assert profile.shape == (8, len(PROFILE_STRETCHES) + 1, len(lags))
    assert np.all(np.isfinite(profile))
    # the last row is that of the stretch that fits each trial
    chosen = [PROFILE_STRETCHES.index(1.2)] * 4 + [PROFILE_STRETCHES.index(0.8)] * 4
    np.testing.assert_array_equal(profile[:, -1], profile[np.arange(8), chosen])
    np.testing.assert_allclose(lags[profile[:, -1].argmax(1)], 1.5, atol=0.15)
    # each row peaks at the delay of its stretch
    row = PROFILE_STRETCHES.index(0.9)
    delay = coupling_delay(eeg, hbo, hbr, **timing, stretch=0.9)
    np.testing.assert_allclose(lags[profile[:, row].argmax(1)], delay, atol=1e-9)
    # a subject's stretch, fitted on its trials, with HbO and HbR or HbO alone
    assert fit_hrf_stretch(slow[1][:, :3], slow[1][:, 3:], nirs_sfreq=10.0) == pytest.approx(
        1.2, abs=0.03
    )
    assert fit_hrf_stretch(fast[1][:, :3], nirs_sfreq=10.0) == pytest.approx(0.8, abs=0.03)


def test_coupling_bad_input():
    eeg, nirs = _coupled(np.ones(2), 100.0)
    timing = dict(eeg_sfreq=100.0, nirs_sfreq=10.0)
    with pytest.raises(ValueError, match="leave no room for a haemodynamic response"):
        coupling_profile(eeg, nirs[:, :3, :60], nirs[:, 3:, :60], **timing)
    with pytest.raises(ValueError, match="same shape"):
        coupling_delay(eeg, nirs[:, :3], nirs[:, 3:5], **timing)
    with pytest.raises(ValueError, match="eeg has 1 trials but the fNIRS 2"):
        coupling_delay(eeg[:1], nirs[:, :3], nirs[:, 3:], **timing)
    with pytest.raises(ValueError, match="Nyquist frequency 5 Hz"):
        coupling_delay(eeg, nirs[:, :3], nirs[:, 3:], eeg_sfreq=10.0, nirs_sfreq=10.0)
    with pytest.raises(TypeError, match="eeg_sfreq must be a finite sampling rate"):
        coupling_delay(eeg, nirs[:, :3], nirs[:, 3:], eeg_sfreq=None, nirs_sfreq=10.0)


def test_physiology_imports_no_model_or_simulator():
    forbidden = ("skpid.datasets", "skpid.nn", "skpid.decomposition")
    for path in Path(phys.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                absolute = module if node.level == 0 else f"skpid.physiology.{module}"
                if node.level >= 2:
                    absolute = "skpid." + module
                assert not absolute.startswith(forbidden), (path.name, absolute)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(forbidden), (path.name, alias.name)
