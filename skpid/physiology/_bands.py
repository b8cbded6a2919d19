"""EEG frequency bands by name and in Hz.

References
----------
.. [1] Kane et al., "A revised glossary of terms most commonly used by clinical
   electroencephalographers and updated proposal for the report format of the EEG
   findings", Clin. Neurophysiol. Pract. 2, 2017 (delta below 4 Hz, theta 4 to below 8 Hz,
   alpha 8-13 Hz, beta 14-30 Hz, gamma above 30 Hz).
"""

from collections.abc import Mapping
from numbers import Real

import numpy as np

__all__ = ["EEG_BANDS", "resolve_bands"]

#: Conventional EEG bands (Hz) [1]_, contiguous; delta starts at 1 Hz (slower activity is
#: mostly drift and movement in task recordings) and gamma stops at 45 Hz (below the
#: 50 Hz mains and well inside the usable range of scalp EEG).
EEG_BANDS = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}


def _check_sfreq(sfreq, name="sfreq"):
    if not isinstance(sfreq, Real) or isinstance(sfreq, bool) or not np.isfinite(sfreq):
        raise TypeError(f"{name} must be a finite sampling rate in Hz, got {sfreq!r}.")
    if sfreq <= 0:
        raise ValueError(f"{name} must be a positive sampling rate in Hz, got {sfreq!r}.")
    return float(sfreq)


def _is_edges(obj):
    return (
        isinstance(obj, (tuple, list, np.ndarray))
        and len(obj) == 2
        and all(isinstance(v, Real) and not isinstance(v, bool) for v in obj)
    )


def _edges(name, edges, nyquist):
    if not _is_edges(edges):
        raise TypeError(f"Band {name!r} must be (low, high) in Hz, got {edges!r}.")
    lo, hi = float(edges[0]), float(edges[1])
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or lo >= hi:
        raise ValueError(f"Band {name!r} = ({lo:g}, {hi:g}) Hz needs 0 <= low < high.")
    if hi > nyquist:
        raise ValueError(
            f"Band {name!r} = ({lo:g}, {hi:g}) Hz reaches above the Nyquist frequency "
            f"{nyquist:g} Hz of this recording; lower its upper edge or leave the band out "
            "(pass bands explicitly)."
        )
    return lo, hi


def resolve_bands(bands, sfreq):
    """EEG bands as a dict of name to ``(low, high)`` Hz, checked against the Nyquist rate.

    Parameters
    ----------
    bands : None, str, (float, float), sequence of those, or dict of str to (float, float)
        None is every band of :data:`EEG_BANDS`; a name picks one of them; ``(low, high)``
        is a band in Hz (named ``"<low>-<high> Hz"``); a dict names its own bands.
    sfreq : float
        Sampling rate (Hz); every band must lie below its Nyquist frequency.

    Returns
    -------
    bands : dict of str to (float, float)
        In the order given.

    Raises
    ------
    ValueError
        For an unknown name, an empty band, a band above the Nyquist frequency (naming
        both), or no band at all.
    """
    nyquist = _check_sfreq(sfreq) / 2.0
    if bands is None:
        items = list(EEG_BANDS.items())
    elif isinstance(bands, Mapping):
        items = list(bands.items())
    elif isinstance(bands, str) or _is_edges(bands):
        items = [_named(bands)]
    elif isinstance(bands, (list, tuple)):
        items = [_named(b) for b in bands]
    else:
        raise TypeError(
            f"bands must be None, a band name, (low, high) Hz, a list of those or a dict, "
            f"got {type(bands).__name__}."
        )
    if not items:
        raise ValueError("bands is empty; pass at least one band.")
    out = {}
    for name, edges in items:
        if not isinstance(name, str):
            raise TypeError(f"Band names must be strings, got {name!r}.")
        if name in out:
            raise ValueError(f"Band {name!r} is given twice.")
        out[name] = _edges(name, edges, nyquist)
    return out


def _named(band):
    if isinstance(band, str):
        if band not in EEG_BANDS:
            raise ValueError(
                f"Unknown EEG band {band!r}; pass one of {list(EEG_BANDS)} or (low, high) Hz."
            )
        return band, EEG_BANDS[band]
    if _is_edges(band):
        return f"{float(band[0]):g}-{float(band[1]):g} Hz", band
    raise TypeError(f"A band must be a name or (low, high) Hz, got {band!r}.")


def _one_band(band, sfreq, name="band"):
    """``(low, high)`` Hz of one band (a name or edges), checked against the Nyquist rate."""
    if not isinstance(band, str) and not _is_edges(band):
        raise TypeError(f"{name} must be a band name or (low, high) Hz, got {band!r}.")
    ((_, edges),) = resolve_bands(band, sfreq).items()
    return edges
