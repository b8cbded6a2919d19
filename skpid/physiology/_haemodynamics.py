"""Haemodynamic amplitude and onset from fNIRS haemoglobin signals, in seconds.

References
----------
.. [1] Cui, Bray and Reiss, "Functional near infrared spectroscopy (NIRS) signal
   improvement based on negative correlation between oxygenated and deoxygenated
   hemoglobin dynamics", NeuroImage 49(4), 2010.
.. [2] Friston et al., "Event-related fMRI: characterizing differential responses",
   NeuroImage 7(1), 1998 (a response model fitted by least squares at each candidate
   latency, as a GLM with an unknown event time).
"""

from functools import lru_cache

import numpy as np
from scipy.ndimage import uniform_filter1d

from ._bands import _check_sfreq
from ._checks import check_epochs, check_positive, check_real
from ._hrf import HRF_MODELS, _check_model

__all__ = [
    "cbsi",
    "haemodynamic_amplitude",
    "haemodynamic_onset",
    "haemodynamic_onset_evidence",
    "hrf_peak_time",
]

_POLARITIES = ("positive", "negative", "any")
#: Singular values of the response templates below this share of the largest are
#: dropped (the templates, shifted copies of one smooth response, span few dimensions).
_BASIS_RTOL = 1e-5
ONSET_STEP = 0.05  # s, default grid of candidate onsets


def _same_shape(hbo, hbr):
    if hbo.shape != hbr.shape:
        raise ValueError(
            f"hbo and hbr must have the same shape (matched pairs, see pair_haemoglobin), got "
            f"{hbo.shape} and {hbr.shape}."
        )


def cbsi(hbo, hbr, *, per_trial=False):
    """Correlation-based signal improvement of HbO/HbR pairs [1]_.

    Motion and systemic components move HbO and HbR the same way, the functional
    response moves them in opposite directions; with HbR scaled to HbO's spread,
    ``x0 = (hbo - alpha * hbr) / 2`` with ``alpha = std(hbo) / std(hbr)`` keeps the
    latter and cancels the former. Each channel (pair) is centred and scaled on its own,
    over its whole recording as in the paper: for epochs, over all trials and times
    together (so the result depends on the trials passed together: pass a recording's
    trials at once), or over each trial alone with ``per_trial=True``. The corrected HbR
    is ``-x0 / alpha``.

    Parameters
    ----------
    hbo, hbr : ndarray of shape (n_trials, n_pairs, n_times) or (n_pairs, n_times)
        Matched pairs (same source-detector), e.g. ``x[:, pairs.hbo]`` and
        ``x[:, pairs.hbr]`` from :func:`pair_haemoglobin`; 2-D for a continuous
        recording.
    per_trial : bool, default=False
        Centre and scale each trial of epochs on its own.

    Returns
    -------
    x0 : ndarray, same shape as ``hbo``
        The corrected HbO signal, in HbO's unit.
    """
    hbo, hbr = np.asarray(hbo), np.asarray(hbr)
    if hbo.dtype.kind != "f":
        hbo = hbo.astype(float)
    if hbr.dtype.kind != "f":
        hbr = hbr.astype(float)
    _same_shape(hbo, hbr)
    if hbo.ndim not in (2, 3) or hbo.shape[-1] < 2:
        raise ValueError(
            "cbsi needs (n_trials, n_pairs, n_times) epochs or a (n_pairs, n_times) "
            f"recording of at least 2 samples, got shape {hbo.shape}."
        )
    if not (np.all(np.isfinite(hbo)) and np.all(np.isfinite(hbr))):
        raise ValueError("hbo or hbr contains NaN or inf; interpolate or drop those samples.")
    axis = -1 if (hbo.ndim == 2 or per_trial) else (0, 2)
    hbo = hbo - hbo.mean(axis, keepdims=True)
    hbr = hbr - hbr.mean(axis, keepdims=True)
    s_hbr = hbr.std(axis, keepdims=True)
    # a flat HbR contributes nothing whatever its weight
    ok = s_hbr > 0
    alpha = np.where(ok, hbo.std(axis, keepdims=True) / np.where(ok, s_hbr, 1), 1)
    return 0.5 * (hbo - alpha.astype(hbo.dtype) * hbr)


def _signal(hbo, hbr, method):
    if method not in ("cbsi", "hbo"):
        raise ValueError(f"method must be 'cbsi' or 'hbo', got {method!r}.")
    hbo = check_epochs(hbo, "hbo")
    if method == "hbo":
        return hbo
    if hbr is None:
        raise ValueError(
            "method='cbsi' needs hbr (the HbR channel of each HbO one); pass hbr or method='hbo'."
        )
    hbr = check_epochs(hbr, "hbr")
    _same_shape(hbo, hbr)
    return cbsi(hbo, hbr)


def haemodynamic_amplitude(hbo, hbr=None, *, sfreq, method="cbsi", smooth=1.0):
    """Log peak-to-peak haemodynamic change of each trial, on its most active channel.

    The signal (CBSI of each pair [1]_, or HbO alone) is smoothed by a moving average of
    ``smooth`` s; its range over the trial is taken on the channel (pair) where it is
    largest.

    Parameters
    ----------
    hbo : ndarray of shape (n_trials, n_pairs, n_times)
    hbr : ndarray of shape (n_trials, n_pairs, n_times) or None
        Matched to ``hbo`` channel by channel; needed for ``method="cbsi"``.
    sfreq : float
        Sampling rate (Hz).
    method : {"cbsi", "hbo"}, default="cbsi"
    smooth : float, default=1.0
        Moving-average length (s), which removes the cardiac pulsation (about 1 Hz).

    Returns
    -------
    amplitude : ndarray of shape (n_trials,)
        Natural log of the range, in the unit of ``hbo`` (e.g. log mol/L); a flat signal
        gives the log of the smallest positive float.
    """
    sfreq = _check_sfreq(sfreq)
    smooth = check_positive("smooth", smooth)
    x = _signal(hbo, hbr, method)
    width = max(1, round(smooth * sfreq)) // 2 * 2 + 1
    if width > x.shape[-1]:
        raise ValueError(
            f"smooth={smooth:g} s is longer than the epochs ({x.shape[-1] / sfreq:g} s); pass "
            "a shorter smoothing."
        )
    x = uniform_filter1d(x, width, axis=-1, mode="nearest")
    span = (x.max(-1) - x.min(-1)).max(-1)
    return np.log(np.maximum(span, np.finfo(x.dtype).tiny))


def hrf_peak_time(model="spm", stretch=1.0, **hrf_params):
    """Time (s) from the event to the peak of a response model, to the millisecond.

    Parameters
    ----------
    model : {"spm", "glover", "gamma"}, default="spm"
    stretch : float, default=1.0
    **hrf_params
        Further keyword arguments of the model.

    Returns
    -------
    peak : float
    """
    _check_model(model)
    return _peak_time(model, float(stretch), _freeze(hrf_params))


@lru_cache(maxsize=64)
def _peak_time(model, stretch, params):
    t = np.arange(1, 40001) * 1e-3 * stretch
    return float(t[np.argmax(HRF_MODELS[model](t, stretch=stretch, **dict(params)))])


def _check_polarity(polarity):
    if polarity not in _POLARITIES:
        raise ValueError(f"polarity must be one of {_POLARITIES}, got {polarity!r}.")
    return polarity


def _freeze(params):
    return tuple(sorted((params or {}).items()))


@lru_cache(maxsize=32)
def _response_basis(n_times, sfreq, tmin, onsets, model, stretches, params, drift):
    """Low-rank factors of the response templates starting at each onset, per stretch.

    Templates are made orthogonal to a constant (and a linear drift when ``drift``), so
    that their product with any signal equals that with the signal's residual after
    those regressors, as in a GLM.

    Returns
    -------
    basis : ndarray of shape (n_times, rank)
    loadings : ndarray of shape (n_stretches, n_onsets, rank)
        ``loadings @ basis.T`` are the templates.
    energy : ndarray of shape (n_stretches, n_onsets)
        Squared norm of each template.
    """
    fn = _check_model(model)
    t = tmin + np.arange(n_times) / sfreq
    o = np.asarray(onsets)
    kw = dict(params)
    templates = np.stack([fn(t[None] - o[:, None], stretch=s, **kw) for s in stretches])
    nuisance = [np.ones(n_times)]
    if drift:
        nuisance.append(t - t.mean())
    q, _ = np.linalg.qr(np.stack(nuisance, 1))
    templates = templates - (templates @ q) @ q.T
    energy = (templates**2).sum(-1)
    full = (fn(np.arange(round(64 * sfreq)) / sfreq, **kw) ** 2).sum()  # whole response
    thin = energy < 1e-4 * full * np.asarray(stretches)[:, None]
    if thin.any():
        s, k = np.argwhere(thin)[0]
        raise ValueError(
            f"A response starting at {o[k]:g} s (stretch {stretches[s]:g}) leaves almost "
            f"nothing of itself inside the epoch ({t[0]:g} to {t[-1]:g} s); pass onsets that "
            "leave its rise inside the epoch."
        )
    u, sv, vt = np.linalg.svd(templates.reshape(-1, n_times), full_matrices=False)
    rank = int(np.sum(sv > _BASIS_RTOL * sv[0]))
    loadings = (u[:, :rank] * sv[:rank]).reshape(len(stretches), len(o), rank)
    return vt[:rank].T.copy(), loadings, energy


def _check_stretches(stretches):
    stretches = np.atleast_1d(np.asarray(stretches, dtype=float))
    if stretches.ndim != 1 or len(stretches) == 0:
        raise ValueError(f"stretches must be a non-empty 1-D sequence, got {stretches!r}.")
    if not np.all(np.isfinite(stretches)) or np.any(stretches <= 0):
        raise ValueError(f"stretches must be positive, got {stretches.tolist()}.")
    return tuple(float(s) for s in stretches)


def _check_onsets(onsets):
    if onsets is None:
        raise ValueError("onsets must be given: candidate onset times in seconds.")
    onsets = np.atleast_1d(np.asarray(onsets, dtype=float))
    if onsets.ndim != 1 or len(onsets) == 0 or not np.all(np.isfinite(onsets)):
        raise ValueError("onsets must be a non-empty 1-D array of finite times in seconds.")
    return tuple(onsets.tolist())


def _onset_energy(x, sfreq, tmin, onsets, model, stretches, params, drift, polarity):
    """Explained energy ``(n_trials, n_stretches, n_onsets)`` of ``x`` (validated)."""
    basis, loadings, energy = _response_basis(
        x.shape[-1], sfreq, tmin, onsets, model, stretches, params, drift
    )
    dtype = x.dtype
    n, c, _ = x.shape
    n_s, n_o, rank = loadings.shape
    coords = (x.reshape(n * c, -1) @ basis.astype(dtype)).astype(dtype)
    product = coords @ loadings.reshape(-1, rank).T.astype(dtype)
    product = product.reshape(n, c, n_s, n_o)
    if polarity == "positive":
        product = np.maximum(product, 0)
    elif polarity == "negative":
        product = np.minimum(product, 0)
    return (product**2).sum(1) / energy.astype(dtype)


def haemodynamic_onset_evidence(
    signal,
    sfreq,
    *,
    tmin=0.0,
    onsets,
    model="spm",
    stretches=(1.0,),
    hrf_params=None,
    drift=False,
    polarity="positive",
):
    """Energy that a response starting at each candidate onset explains, all channels.

    For each onset and stretch, the least-squares amplitude of the response model
    (:data:`HRF_MODELS`) starting there is fitted to each channel with an intercept (and
    a linear drift when ``drift``) [2]_; the energy it explains, ``amplitude**2 *
    ||template||**2``, is summed over channels, counting only amplitudes of the given
    ``polarity``. A response covers several channels of the active cortex, and the sum
    finds its onset where one channel alone is noisy.

    Parameters
    ----------
    signal : ndarray of shape (n_trials, n_channels, n_times) or (n_trials, n_times)
        E.g. :func:`cbsi` of each pair, or HbO.
    sfreq : float
        Sampling rate (Hz).
    tmin : float, default=0.0
        Time (s) of each epoch's first sample.
    onsets : array-like of shape (n_onsets,)
        Candidate onsets (s, on the epoch's axis): the model's time zero.
    model : {"spm", "glover", "gamma"}, default="spm"
    stretches : sequence of float, default=(1.0,)
        Stretches of the model's time axis.
    hrf_params : dict or None
        Further keyword arguments of the model.
    drift : bool, default=False
        Also fit a linear drift.
    polarity : {"positive", "negative", "any"}, default="positive"
        Sign of the response counted (HbO rises, HbR falls).

    Returns
    -------
    evidence : ndarray of shape (n_trials, n_stretches, n_onsets)
        In the squared unit of ``signal``.
    """
    sfreq = _check_sfreq(sfreq)
    x = check_epochs(signal, "signal", allow_2d=True)
    tmin = check_real("tmin", tmin)
    _check_model(model)
    _check_polarity(polarity)
    return _onset_energy(
        x,
        sfreq,
        tmin,
        _check_onsets(onsets),
        model,
        _check_stretches(stretches),
        _freeze(hrf_params),
        bool(drift),
        polarity,
    )


def default_onsets(t_first, t_last, model="spm", hrf_params=None, step=ONSET_STEP):
    """Onsets every ``step`` s whose response rises and peaks before ``t_last``."""
    span = hrf_peak_time(model, **(hrf_params or {})) + 1.0
    last = t_last - span
    if last < t_first:
        raise ValueError(
            f"The fNIRS epoch ({t_first:g} to {t_last:g} s) is too short for a response to "
            f"rise and peak inside it ({span:g} s after its onset); pass longer epochs or "
            "explicit onsets."
        )
    return np.arange(t_first, last + 1e-9, step)


def haemodynamic_onset(
    signal,
    sfreq,
    *,
    tmin=0.0,
    onsets=None,
    model="spm",
    stretch=1.0,
    hrf_params=None,
    drift=False,
    polarity="positive",
):
    """Onset (s) of the haemodynamic response of each trial.

    The candidate onset whose response explains the most energy
    (:func:`haemodynamic_onset_evidence`).

    Parameters
    ----------
    signal, sfreq, tmin, model, hrf_params, drift, polarity
        As for :func:`haemodynamic_onset_evidence`.
    onsets : array-like or None, default=None
        Candidates (s); None is every 0.05 s from the first sample to the last onset
        whose rise and peak (the model's time to peak plus 1 s) lie inside the epoch.
    stretch : float, default=1.0

    Returns
    -------
    onset : ndarray of shape (n_trials,)
        Seconds on the epoch's axis; the first candidate when no response of the given
        polarity fits.
    """
    sfreq = _check_sfreq(sfreq)
    x = check_epochs(signal, "signal", allow_2d=True)
    tmin = check_real("tmin", tmin)
    stretch = check_positive("stretch", stretch)
    if onsets is None:
        _check_model(model)
        onsets = default_onsets(tmin, tmin + (x.shape[-1] - 1) / sfreq, model, hrf_params)
    onsets = np.asarray(_check_onsets(onsets))
    evidence = haemodynamic_onset_evidence(
        x,
        sfreq,
        tmin=tmin,
        onsets=onsets,
        model=model,
        stretches=(stretch,),
        hrf_params=hrf_params,
        drift=drift,
        polarity=polarity,
    )
    return onsets[evidence[:, 0].argmax(1)]
