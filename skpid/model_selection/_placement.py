"""Evidence that each simulated factor sits where it claims (EEG, fNIRS, or only both).

For every factor we decode it from EEG alone, fNIRS alone and both together with the
strongest hand-built features we can make for the simulator's signals (band powers per
channel, event-locked band powers and ERP laterality, an ERP/burst event time, HbO/HbR
window means and slopes, and a haemodynamic onset time and amplitude from a template
fit), each standardised within subject, and a flexible classifier (gradient-boosted
trees), cross-validated. The score is the chance-normalised balanced accuracy
``(bacc - chance) / (1 - chance)`` with ``chance = 1 / n_classes``.
"""

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from ..datasets._eeg_fnirs import (
    _HEMISPHERE_SITES,
    EEG_CHANNELS,
    FNIRS_OPTODE_PAIRS,
    _positions,
    _spatial_weights,
    canonical_hrf,
)
from ..features import DEFAULT_BANDS

__all__ = ["eeg_features", "factor_decodability", "fnirs_features"]

ONSET_STEP = 0.05  # s, grid of candidate haemodynamic onsets
MAX_DELAY = 3.5  # s, longest neurovascular delay the joint detector considers


def _bandpass(x, sfreq, lo, hi):
    """Zero-phase FFT band-pass along the last axis."""
    freqs = np.fft.rfftfreq(x.shape[-1], 1.0 / sfreq)
    spec = np.fft.rfft(x, axis=-1)
    spec[..., (freqs < lo) | (freqs > hi)] = 0
    return np.fft.irfft(spec, n=x.shape[-1], axis=-1)


def _delay(x, k):
    """Shift the last axis ``k`` samples earlier, padding the end with zeros."""
    out = np.zeros_like(x)
    out[..., : x.shape[-1] - k] = x[..., k:]
    return out


def _smooth(x, width):
    kernel = np.ones(width) / width
    return np.apply_along_axis(np.convolve, -1, x, kernel, mode="same")


def _repair_motion(x, threshold=5.0):
    """Remove spikes and baseline shifts by clipping outlying temporal derivatives.

    The idea of temporal derivative distribution repair (Fishburn et al. 2019,
    NeuroImage 184:171-179) in its simplest form: sample-to-sample changes further than
    ``threshold`` robust standard deviations from the median are replaced by the median
    change, and the signal is integrated back.
    """
    dx = np.diff(x, axis=-1)
    med = np.median(dx, axis=-1, keepdims=True)
    mad = 1.4826 * np.median(np.abs(dx - med), axis=-1, keepdims=True)
    dx = np.where(np.abs(dx - med) > threshold * mad, med, dx)
    return np.concatenate([x[..., :1], x[..., :1] + np.cumsum(dx, axis=-1)], axis=-1)


def _lateral_filters(positions, width):
    """Two spatial filters (Gaussian weights around C3 and C4), shape (2, n_sensors)."""
    pos = _positions()
    filters = np.array([_spatial_weights(positions, pos[s], width) for s in _HEMISPHERE_SITES])
    return filters / filters.sum(axis=1, keepdims=True)


def eeg_features(eeg, sfreq, ch_names=EEG_CHANNELS):
    """Hand-built EEG features of every trial.

    Parameters
    ----------
    eeg : ndarray, shape (n_trials, n_channels, n_times)
        EEG in volts, epochs starting at the trial onset.
    sfreq : float
        Sampling rate in Hz.
    ch_names : sequence of str
        10-20 names of the channels (to place the lateral spatial filters).

    Returns
    -------
    features : DataFrame, shape (n_trials, n_features)
        Log band power per band of the left and right spatial filters (Gaussian weights
        around C3 and C4) and of the channel mean, over the epoch and in the second after
        the estimated event; ERP and burst amplitude of the two spatial filters at the
        event; and ``event_time``, the estimated time of the neural event (s).
    """
    return _eeg_features(eeg, sfreq, ch_names)[0]


def _eeg_features(eeg, sfreq, ch_names):
    """EEG features and the evidence for an event at each sample, shape (n, n_times)."""
    pos = _positions()
    filters = _lateral_filters(np.array([pos[c] for c in ch_names]), 0.035)
    x = np.asarray(eeg, dtype=np.float64) * 1e6  # microvolts
    n, _, n_times = x.shape
    lateral = np.einsum("sc,nct->nst", filters, x)  # (n, 2, times)

    # Event time: ERP matched filter plus burst envelopes on the lateral projections.
    t_kernel = np.arange(-0.3, 0.7, 1 / sfreq)
    erp = -np.exp(-((t_kernel - 0.1) ** 2) / (2 * 0.03**2)) + 1.5 * np.exp(
        -((t_kernel - 0.3) ** 2) / (2 * 0.06**2)
    )
    slow = _bandpass(lateral, sfreq, 1.0, 12.0)
    matched = np.apply_along_axis(np.correlate, -1, slow, erp, mode="same")
    # The matched filter peaks 0.2 s after the event (the kernel's centre is at 0.2 s) and
    # the burst envelopes 0.5 s after it: shift both back to the event before adding.
    score = _delay(matched**2 / (matched**2).mean(axis=-1, keepdims=True), round(0.2 * sfreq))
    bursts = []
    for lo, hi in ((8, 13), (17, 25), (32, 44)):
        env = _smooth(_bandpass(lateral, sfreq, lo, hi) ** 2, int(0.3 * sfreq))
        bursts.append(env)
        score += _delay(env / env.mean(axis=-1, keepdims=True), round(0.5 * sfreq))
    score = score.max(axis=1)
    idx = np.argmax(score, axis=1)
    event_time = idx / sfreq

    feats = {"event_time": event_time}
    rows = np.arange(n)
    for side, name in enumerate(("left", "right")):
        peak = np.clip(idx + round(0.3 * sfreq), 0, n_times - 1)
        feats[f"erp_{name}"] = slow[rows, side, peak]
        for b, band in enumerate(("alpha", "beta", "gamma")):
            at = np.clip(idx + round(0.5 * sfreq), 0, n_times - 1)
            feats[f"burst_{band}_{name}"] = np.log(bursts[b][rows, side, at] + 1e-12)

    window = (np.arange(n_times)[None, :] >= idx[:, None]) & (
        np.arange(n_times)[None, :] < (idx + sfreq)[:, None]
    )
    signals = {"left": lateral[:, 0], "right": lateral[:, 1], "mean": x.mean(axis=1)}
    for band, (lo, hi) in DEFAULT_BANDS.items():
        for name, sig in signals.items():
            power = _bandpass(sig, sfreq, lo, hi) ** 2
            feats[f"{band}_{name}"] = np.log(power.mean(axis=-1) + 1e-12)
            feats[f"{band}_{name}_event"] = np.log(
                (power * window).sum(-1) / window.sum(-1) + 1e-12
            )
    return pd.DataFrame(feats), score


def fnirs_features(fnirs, sfreq, window=4.0):
    """Hand-built fNIRS features of every trial.

    Parameters
    ----------
    fnirs : ndarray, shape (n_trials, 2 * n_pairs, n_times)
        HbO and HbR of each source-detector pair side by side (mol/L), epochs starting at
        the trial onset, pairs ordered as :data:`FNIRS_OPTODE_PAIRS` (left then right).
    sfreq : float
        Sampling rate in Hz.
    window : float
        Length in seconds of the windows of the mean and slope features.

    Returns
    -------
    features : DataFrame, shape (n_trials, n_features)
        After a motion repair of every channel: HbO/HbR mean and slope per hemisphere
        (mean over its pairs) and window; from a least-squares fit of the canonical
        response to the left-minus-right HbO-minus-HbR signal: ``onset_time`` (s), the
        signed ``hrf_amplitude`` and its size ``hrf_log_amplitude``.
    """
    return _fnirs_features(fnirs, sfreq, window)[0]


def _fnirs_features(fnirs, sfreq, window):
    """fNIRS features and the evidence for each onset on a 0.05-s grid from 0 s, (n, n_onsets)."""
    pos = _positions()
    pair_positions = np.array([(pos[s] + pos[d]) / 2 for s, d in FNIRS_OPTODE_PAIRS])
    x = _repair_motion(np.asarray(fnirs, dtype=np.float64) * 1e6)  # micromolar
    n, _, n_times = x.shape
    half = len(FNIRS_OPTODE_PAIRS) // 2
    t = np.arange(n_times) / sfreq
    feats = {}

    # Template fit over candidate onsets: the lateral difference cancels systemic signals,
    # HbO - HbR adds the mirrored responses; spatial filters weight pairs near C3 and C4.
    hb = x[:, 0::2] - x[:, 1::2]
    filters = _lateral_filters(pair_positions, 0.03)
    left, right = np.einsum("sc,nct->snt", filters, hb)
    diff = left - right
    diff -= diff.mean(axis=1, keepdims=True)
    onsets = np.arange(0.0, t[-1] - 6.0, ONSET_STEP)
    templates = canonical_hrf(t[None, :] - onsets[:, None])
    templates -= templates.mean(axis=1, keepdims=True)
    norms = np.sum(templates**2, axis=1)
    coefs = diff @ templates.T / norms  # (n, n_onsets) least-squares amplitudes
    fit = coefs**2 * norms  # explained energy
    best = np.argmax(fit, axis=1)
    # Sub-sample refinement of the onset by a parabola through the best fit and its neighbours.
    b = np.clip(best, 1, len(onsets) - 2)
    rows = np.arange(n)
    y0, y1, y2 = fit[rows, b - 1], fit[rows, b], fit[rows, b + 1]
    denom = y0 - 2 * y1 + y2
    offset = np.where(np.abs(denom) > 1e-12, 0.5 * (y0 - y2) / np.where(denom == 0, 1, denom), 0)
    feats["onset_time"] = onsets[b] + np.clip(offset, -1, 1) * ONSET_STEP
    amp = coefs[rows, best]
    feats["hrf_amplitude"] = amp
    feats["hrf_log_amplitude"] = np.log(np.abs(amp) + 1e-6)

    n_win = int(t[-1] // window)
    sides = {"left": slice(0, half), "right": slice(half, None)}
    for w in range(n_win):
        sel = (t >= w * window) & (t < (w + 1) * window)
        tc = t[sel] - t[sel].mean()
        for chromo, offset in (("hbo", 0), ("hbr", 1)):
            for side, pairs in sides.items():
                seg = x[:, offset::2][:, pairs][:, :, sel].mean(axis=1)
                feats[f"{chromo}_{side}_mean_w{w}"] = seg.mean(axis=-1)
                feats[f"{chromo}_{side}_slope_w{w}"] = (
                    (seg - seg.mean(-1, keepdims=True)) @ tc / (tc @ tc)
                )
    return pd.DataFrame(feats), fit


def _zscore(x):
    return (x - x.mean(axis=-1, keepdims=True)) / (x.std(axis=-1, keepdims=True) + 1e-12)


def joint_delay(event_evidence, eeg_sfreq, onset_evidence):
    """Delay of the haemodynamic onset after the neural event, read from both modalities.

    Picks the (event, onset) pair that maximises the sum of the two z-scored evidence
    curves under ``0 <= onset - event <= MAX_DELAY``, so that a spurious peak in one
    modality alone does not decide.

    Parameters
    ----------
    event_evidence : ndarray, shape (n_trials, n_eeg_times)
        Evidence for an EEG event at each EEG sample.
    eeg_sfreq : float
        EEG sampling rate.
    onset_evidence : ndarray, shape (n_trials, n_onsets)
        Evidence for a haemodynamic onset every ``ONSET_STEP`` s from 0 s.

    Returns
    -------
    delay : ndarray, shape (n_trials,)
        In seconds.
    """
    n, n_eeg = event_evidence.shape
    per_step = round(ONSET_STEP * eeg_sfreq)
    n_grid = n_eeg // per_step
    events = event_evidence[:, : n_grid * per_step].reshape(n, n_grid, per_step).max(axis=-1)
    events, onsets = _zscore(events), _zscore(onset_evidence)
    n_lags = round(MAX_DELAY / ONSET_STEP) + 1
    total = np.full((n, n_grid, n_lags), -np.inf)
    for lag in range(n_lags):
        k = min(n_grid, onsets.shape[1] - lag)
        total[:, :k, lag] = events[:, :k] + onsets[:, lag : lag + k]
    best = np.argmax(total.reshape(n, -1), axis=1)
    return (best % n_lags) * ONSET_STEP


def _standardise_within(features, groups):
    out = features.copy()
    for g in np.unique(groups):
        sel = groups == g
        block = out.loc[sel]
        out.loc[sel] = (block - block.mean()) / (block.std() + 1e-12)
    return out


def factor_decodability(
    data,
    factors=("R", "U_eeg", "U_fnirs", "S"),
    *,
    cv=5,
    estimator=None,
    n_jobs=2,
    random_state=0,
):
    """Decode each factor from EEG alone, fNIRS alone and both, with hand-built features.

    Parameters
    ----------
    data : Bunch
        Output of :func:`make_eeg_fnirs` (``X``, ``factors``, ``groups``, ``info``).
    factors : sequence of str
        Integer-labelled factor columns to decode.
    cv : int, default=5
        Number of stratified folds (over all trials; features are standardised within
        each subject first, an unsupervised step).
    estimator : classifier or None
        Defaults to ``HistGradientBoostingClassifier`` (flexible, fast).
    n_jobs : int or None, default=2
        Folds fitted in parallel (each fit single-threaded).
    random_state : int, default=0
        Seed of the folds and of the classifier.

    Returns
    -------
    table : DataFrame, shape (n_factors, 3)
        Chance-normalised balanced accuracy, rows are factors and columns ``eeg``,
        ``fnirs`` and ``both``.
    """
    groups = np.asarray(data.groups)
    eeg = eeg_features(data.X["eeg"], data.info["eeg"]["sfreq"], data.info["eeg"]["ch_names"])
    fnirs = fnirs_features(data.X["fnirs"], data.info["fnirs"]["sfreq"])
    both = pd.concat([eeg.add_prefix("eeg_"), fnirs.add_prefix("fnirs_")], axis=1).assign(
        delay=fnirs["onset_time"] - eeg["event_time"]
    )
    sources = {
        name: _standardise_within(f, groups).to_numpy()
        for name, f in (("eeg", eeg), ("fnirs", fnirs), ("both", both))
    }
    if estimator is None:
        estimator = HistGradientBoostingClassifier(max_iter=150, random_state=random_state)
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    table = pd.DataFrame(index=list(factors), columns=list(sources), dtype=float)
    # One thread per fit and folds in parallel: tree learners scale badly on busy machines.
    with threadpool_limits(1):
        for factor in factors:
            y = data.factors[factor].to_numpy()
            chance = 1.0 / len(np.unique(y))
            for name, X in sources.items():
                pred = cross_val_predict(estimator, X, y, cv=folds, n_jobs=n_jobs)
                bacc = balanced_accuracy_score(y, pred)
                table.loc[factor, name] = (bacc - chance) / (1 - chance)
    return table
