"""Haemodynamic response models with their published parameters, in seconds.

Each model maps times after a brief neural event (s; any array shape) to the response,
normalised to a peak of 1, and 0 at and before the event. ``stretch`` scales the time
axis (a response of stretch 1.1 peaks 10% later), which is how the latency differences
between people and regions are usually modelled [4]_.

References
----------
.. [1] Friston, Fletcher, Josephs, Holmes, Rugg and Turner, "Event-related fMRI:
   characterizing differential responses", NeuroImage 7(1), 1998; the parameters of
   ``spm_hrf.m`` in SPM12 (peak delay 6 s, undershoot delay 16 s, dispersions 1 s,
   peak-to-undershoot ratio 6).
.. [2] Glover, "Deconvolution of impulse response in event-related BOLD fMRI",
   NeuroImage 9(4), 1999 (eq. 3 and the auditory fit: a1 = 6, a2 = 12, b1 = b2 = 0.9 s,
   c = 0.35).
.. [3] Boynton, Engel, Glover and Heeger, "Linear systems analysis of functional
   magnetic resonance imaging in human V1", J. Neurosci. 16(13), 1996 (gamma variate
   with n = 3, tau = 1.25 s and a pure delay of 2.5 s).
.. [4] Handwerker, Ollinger and D'Esposito, "Variation of BOLD hemodynamic responses
   across subjects and brain regions and their effects on statistical analyses",
   NeuroImage 21(4), 2004.
"""

from functools import lru_cache
from numbers import Real

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from ._checks import check_positive

__all__ = ["HRF_MODELS", "gamma_hrf", "glover_hrf", "hrf_kernel", "spm_hrf"]


def _scaled_times(t, stretch):
    stretch = check_positive("stretch", stretch)
    t = np.asarray(t, dtype=float)
    if not np.all(np.isfinite(t)):
        raise ValueError("t must hold finite times in seconds (no NaN or inf).")
    return t / stretch


def _log_gamma_pdf(tau, shape, scale):
    """Log density of a gamma distribution at ``tau > 0``."""
    return (shape - 1) * np.log(tau / scale) - tau / scale - gammaln(shape) - np.log(scale)


@lru_cache(maxsize=64)
def _peak(shape_fn_key, params):
    """Largest value of an unnormalised response, found on a grid and then refined."""
    fn = _RAW[shape_fn_key]
    grid = np.linspace(1e-3, 40.0, 4001)
    values = fn(grid, *params)
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = minimize_scalar(
        lambda s: -fn(np.array([s]), *params)[0],
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return max(float(-res.fun), float(values[i]))


def _raw_double_gamma(tau, peak_delay, undershoot_delay, peak_disp, under_disp, ratio):
    out = np.zeros_like(tau)
    pos = tau > 0
    tp = tau[pos]
    peak = np.exp(_log_gamma_pdf(tp, peak_delay / peak_disp, peak_disp))
    under = np.exp(_log_gamma_pdf(tp, undershoot_delay / under_disp, under_disp))
    out[pos] = peak - under / ratio
    return out


def _raw_glover(tau, a1, b1, a2, b2, c):
    out = np.zeros_like(tau)
    pos = tau > 0
    tp = tau[pos]
    d1, d2 = a1 * b1, a2 * b2
    # (t / d)**a * exp(-(t - d) / b) peaks at 1 when t = d = a * b
    first = np.exp(a1 * np.log(tp / d1) - (tp - d1) / b1)
    second = np.exp(a2 * np.log(tp / d2) - (tp - d2) / b2)
    out[pos] = first - c * second
    return out


_RAW = {"spm": _raw_double_gamma, "glover": _raw_glover}


def _peak_normalised(model, t, stretch, **params):
    """Response ``_RAW[model]`` at ``t / stretch`` divided by its peak.

    ``params`` are the model's positive parameters, by name and in its argument order.
    """
    values = tuple(check_positive(name, value) for name, value in params.items())
    return _RAW[model](_scaled_times(t, stretch), *values) / _peak(model, values)


def spm_hrf(
    t,
    *,
    peak_delay=6.0,
    undershoot_delay=16.0,
    peak_dispersion=1.0,
    undershoot_dispersion=1.0,
    ratio=6.0,
    stretch=1.0,
):
    """SPM's canonical double-gamma haemodynamic response [1]_, peak normalised to 1.

    ``h(t) = G(t; peak_delay / peak_dispersion, peak_dispersion)
    - G(t; undershoot_delay / undershoot_dispersion, undershoot_dispersion) / ratio``,
    with ``G(t; k, theta)`` the gamma density of shape ``k`` and scale ``theta``
    (``spm_hrf.m``'s parametrisation: with the defaults the response peaks at about 5 s
    and undershoots near 15 s).

    Parameters
    ----------
    t : array-like of any shape
        Times after the neural event, in seconds; the response is 0 for ``t <= 0``.
    peak_delay, undershoot_delay : float, default=6.0, 16.0
        Delays (s) of the response and of the undershoot (SPM's p(1), p(2)).
    peak_dispersion, undershoot_dispersion : float, default=1.0
        Dispersions (s) of the two gamma densities (p(3), p(4)).
    ratio : float, default=6.0
        Ratio of the response to the undershoot (p(5)).
    stretch : float, default=1.0
        Scale of the time axis: ``h(t / stretch)``.

    Returns
    -------
    h : ndarray, same shape as ``t``
    """
    return _peak_normalised(
        "spm",
        t,
        stretch,
        peak_delay=peak_delay,
        undershoot_delay=undershoot_delay,
        peak_dispersion=peak_dispersion,
        undershoot_dispersion=undershoot_dispersion,
        ratio=ratio,
    )


def glover_hrf(
    t,
    *,
    peak_shape=6.0,
    peak_scale=0.9,
    undershoot_shape=12.0,
    undershoot_scale=0.9,
    ratio=0.35,
    stretch=1.0,
):
    """Glover's double-gamma haemodynamic response [2]_, peak normalised to 1.

    ``h(t) = (t/d1)**a1 exp(-(t - d1)/b1) - c (t/d2)**a2 exp(-(t - d2)/b2)`` with
    ``d_i = a_i b_i`` (each term peaks at 1 at ``d_i``); the defaults are Glover's fit to
    auditory responses (peak near 5.2 s, undershoot near 10.8 s).

    Parameters
    ----------
    t : array-like of any shape
        Times after the neural event, in seconds; the response is 0 for ``t <= 0``.
    peak_shape, peak_scale : float, default=6.0, 0.9
        ``a1`` and ``b1`` (s) of the response.
    undershoot_shape, undershoot_scale : float, default=12.0, 0.9
        ``a2`` and ``b2`` (s) of the undershoot.
    ratio : float, default=0.35
        ``c``, the undershoot's height relative to the response's.
    stretch : float, default=1.0
        Scale of the time axis: ``h(t / stretch)``.

    Returns
    -------
    h : ndarray, same shape as ``t``
    """
    return _peak_normalised(
        "glover",
        t,
        stretch,
        peak_shape=peak_shape,
        peak_scale=peak_scale,
        undershoot_shape=undershoot_shape,
        undershoot_scale=undershoot_scale,
        ratio=ratio,
    )


def gamma_hrf(t, *, shape=3.0, scale=1.25, delay=2.5, stretch=1.0):
    """Gamma-variate haemodynamic response [3]_, peak normalised to 1.

    ``h(t) ~ ((t - delay) / scale)**(shape - 1) exp(-(t - delay) / scale)`` after a pure
    delay, 0 before it; with Boynton et al.'s values it peaks at
    ``delay + (shape - 1) * scale`` = 5 s and has no undershoot.

    Parameters
    ----------
    t : array-like of any shape
        Times after the neural event, in seconds; the response is 0 for
        ``t <= delay * stretch``.
    shape : float, default=3.0
        Boynton's ``n`` (number of cascaded first-order stages).
    scale : float, default=1.25
        Boynton's ``tau`` (s).
    delay : float, default=2.5
        Boynton's pure delay (s); 0 is allowed.
    stretch : float, default=1.0
        Scale of the time axis: ``h(t / stretch)``.

    Returns
    -------
    h : ndarray, same shape as ``t``
    """
    shape = check_positive("shape", shape)
    scale = check_positive("scale", scale)
    if not isinstance(delay, Real) or isinstance(delay, bool) or not np.isfinite(delay):
        raise TypeError(f"delay must be a finite real number, got {delay!r}.")
    if delay < 0:
        raise ValueError(f"delay must be 0 or more seconds, got {delay!r}.")
    if shape <= 1:
        raise ValueError(f"shape must exceed 1 for the response to have a peak, got {shape}.")
    tau = _scaled_times(t, stretch) - float(delay)
    out = np.zeros_like(tau)
    pos = tau > 0
    x = tau[pos] / scale
    # normalised by the value at the mode, x = shape - 1
    m = shape - 1.0
    out[pos] = np.exp(m * np.log(x / m) - (x - m))
    return out


#: The response models by name, for the ``model`` argument of the functions here.
HRF_MODELS = {"spm": spm_hrf, "glover": glover_hrf, "gamma": gamma_hrf}


def _check_model(model):
    if not isinstance(model, str) or model not in HRF_MODELS:
        raise ValueError(f"model must be one of {sorted(HRF_MODELS)}, got {model!r}.")
    return HRF_MODELS[model]


def hrf_kernel(sfreq, *, model="spm", duration=32.0, **params):
    """Haemodynamic response sampled at ``sfreq`` from the event on, for convolution.

    Parameters
    ----------
    sfreq : float
        Sampling rate (Hz).
    model : {"spm", "glover", "gamma"}, default="spm"
        A key of :data:`HRF_MODELS`.
    duration : float, default=32.0
        Length of the kernel (s).
    **params
        Keyword arguments of the model (e.g. ``stretch``).

    Returns
    -------
    kernel : ndarray of shape (round(duration * sfreq),)
        The response at times ``0, 1 / sfreq, ...``; its first sample is 0.
    """
    fn = _check_model(model)
    sfreq = check_positive("sfreq", sfreq)
    duration = check_positive("duration", duration)
    n = round(duration * sfreq)
    if n < 2:
        raise ValueError(
            f"duration * sfreq = {duration * sfreq:g} samples is too short for a kernel; "
            "pass a longer duration or a higher sfreq."
        )
    return fn(np.arange(n) / sfreq, **params)
