"""fNIRS preprocessing on mne Raw: intensity -> optical density -> SCI -> MBLL -> band-pass.

The chain follows the standard continuous-wave fNIRS pipeline as implemented in mne
(Luke et al., "Analysis methods for measuring passive auditory fNIRS responses generated
by a block-design paradigm", Neurophotonics 8(2):025008, 2021): optical density, channel
quality by the scalp coupling index (Pollonini et al., Hearing Research 309:84-93, 2014),
the modified Beer-Lambert law (Delpy et al., Phys. Med. Biol. 33:1433, 1988) and a
band-pass that keeps the haemodynamic response and removes cardiac/Mayer-wave activity
and slow drifts.
"""

from numbers import Real

import numpy as np
from mne.preprocessing.nirs import beer_lambert_law, optical_density, scalp_coupling_index

from .._utils import check_raw
from ._eeg import _check_band

__all__ = ["preprocess_fnirs"]

# Scalp coupling index is computed in the cardiac band (mne defaults, Pollonini et al. 2014).
_SCI_BAND = (0.7, 1.5)


def _bad_pairs(raw_od, sci, threshold):
    """Names of both wavelengths of every source-detector pair with SCI below threshold."""
    pairs = {}
    for name, value in zip(raw_od.ch_names, sci, strict=True):
        pairs.setdefault(name.split(" ")[0], []).append(value)
    bad_pairs = {pair for pair, values in pairs.items() if np.nanmin(values) < threshold}
    return [name for name in raw_od.ch_names if name.split(" ")[0] in bad_pairs]


def preprocess_fnirs(
    raw,
    *,
    sci_threshold=0.5,
    ppf=6.0,
    l_freq=0.01,
    h_freq=0.1,
    filter_order=3,
):
    """Turn continuous-wave fNIRS intensities into band-passed HbO/HbR.

    Steps: raw intensity -> optical density (:func:`mne.preprocessing.nirs.optical_density`)
    -> scalp coupling index (:func:`mne.preprocessing.nirs.scalp_coupling_index`), pairs
    below ``sci_threshold`` are added to ``info["bads"]`` -> modified Beer-Lambert law
    (:func:`mne.preprocessing.nirs.beer_lambert_law`) -> zero-phase Butterworth band-pass.

    Parameters
    ----------
    raw : mne.io.Raw
        Recording with ``fnirs_cw_amplitude`` (raw intensity) or ``fnirs_od`` (optical
        density) channels named ``"S<i>_D<j> <wavelength>"`` with optode positions in
        ``info["chs"][k]["loc"]`` (as mne's NIRx/SNIRF readers give them).
    sci_threshold : float in [0, 1], default=0.5
        Source-detector pairs whose scalp coupling index is below this value (at either
        wavelength) are marked bad. 0 marks nothing. 0.5 is the usual cut-off
        (Pollonini et al. 2014 used 0.75 for a strict selection).
    ppf : float or tuple of two floats, default=6.0
        Partial pathlength factor of the modified Beer-Lambert law (mne's default 6.0,
        the differential pathlength factor of the adult head, Duncan et al. 1996).
    l_freq, h_freq : float or None, default=0.01, 0.1
        Pass band in Hz applied to HbO/HbR; 0.01-0.1 Hz keeps block-design responses,
        0.02-0.5 Hz faster event-related ones. ``h_freq`` must be below Nyquist.
    filter_order : int, default=3
        Order of the Butterworth filter, applied forward and backward (zero phase), as in
        Shin et al. (IEEE TNSRE 25(10):1735-1745, 2017).

    Returns
    -------
    raw_hb : mne.io.Raw
        New recording with ``hbo`` and ``hbr`` channels (mol/L), in the channel order of
        the input pairs; channels of other types (EEG, stim, ...) are left out. Bad
        pairs are listed in ``raw_hb.info["bads"]`` and kept in the
        data, so that recordings with different bad channels keep the same shape.

    Raises
    ------
    TypeError
        If ``raw`` is not an mne Raw.
    ValueError
        If there are no intensity/optical-density channels, a frequency is at or above
        Nyquist, the band is inverted, or a parameter is out of range.

    Examples
    --------
    Two source-detector pairs at 760 and 850 nm, with a cardiac pulse (good scalp coupling):

    >>> import mne
    >>> import numpy as np
    >>> from skpid.preprocessing import preprocess_fnirs
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(1000) / 10.0  # 100 s at 10 Hz
    >>> names, data = [], []
    >>> for pair in (1, 2):
    ...     for wavelength in (760, 850):
    ...         names.append(f"S{pair}_D{pair} {wavelength}")
    ...         data.append(1 + 0.01 * np.sin(2 * np.pi * t) + 1e-3 * rng.standard_normal(t.size))
    >>> info = mne.create_info(names, 10.0, "fnirs_cw_amplitude")
    >>> for k, ch in enumerate(info["chs"]):
    ...     source = np.array([0.03 * (k // 2), 0.0, 0.08])
    ...     detector = source + [0.0, 0.03, 0.0]  # 3 cm apart
    ...     ch["loc"][:9] = np.concatenate([(source + detector) / 2, source, detector])
    ...     ch["loc"][9] = (760, 850)[k % 2]  # wavelength
    >>> raw = mne.io.RawArray(np.array(data), info, verbose="error")
    >>> raw_hb = preprocess_fnirs(raw)
    >>> raw_hb.ch_names
    ['S1_D1 hbo', 'S1_D1 hbr', 'S2_D2 hbo', 'S2_D2 hbr']
    >>> raw_hb.info["bads"]
    []
    """
    check_raw(raw)
    if not isinstance(sci_threshold, Real) or not 0.0 <= sci_threshold <= 1.0:
        raise ValueError(
            f"sci_threshold must be a number between 0 and 1, got {sci_threshold!r}. "
            "Use 0 to keep every channel."
        )
    ppfs = np.atleast_1d(np.asarray(ppf, dtype=float)) if _is_numeric(ppf) else None
    if ppfs is None or ppfs.size not in (1, 2) or np.any(ppfs <= 0):
        raise ValueError(
            f"ppf must be a positive number or a pair (one per wavelength), got {ppf!r}; "
            "6.0 is the usual adult value."
        )
    if not isinstance(filter_order, int) or filter_order < 1:
        raise ValueError(f"filter_order must be a positive int, got {filter_order!r}.")
    types = set(raw.get_channel_types())
    if "fnirs_cw_amplitude" not in types and "fnirs_od" not in types:
        raise ValueError(
            f"The recording has no 'fnirs_cw_amplitude' (raw intensity) or 'fnirs_od' "
            f"channels (channel types: {sorted(types)}). Pass the raw NIRS intensities, e.g. "
            "from mne.io.read_raw_nirx or mne.io.read_raw_snirf. HbO/HbR data are already "
            "converted: filter them with raw.filter instead."
        )
    sfreq = raw.info["sfreq"]
    _check_band(l_freq, h_freq, sfreq, "fNIRS")

    raw = raw.copy().load_data(verbose="error")
    other = [
        ch for ch, t in zip(raw.ch_names, raw.get_channel_types(), strict=True) if "fnirs" not in t
    ]
    if other:  # mne's nirs functions expect only optical channels
        raw.drop_channels(other)
    raw_od = optical_density(raw, verbose="error") if "fnirs_cw_amplitude" in types else raw
    bads = []
    if sci_threshold > 0:
        if sfreq / 2 <= _SCI_BAND[1] + 0.3:
            raise ValueError(
                f"The scalp coupling index needs the cardiac band {_SCI_BAND} Hz, which a "
                f"recording sampled at {sfreq} Hz cannot hold. Pass sci_threshold=0 to skip "
                "the channel-quality check."
            )
        sci = scalp_coupling_index(raw_od, verbose="error")
        bads = _bad_pairs(raw_od, sci, sci_threshold)
    raw_od.info["bads"] = sorted(set(raw_od.info["bads"]) | set(bads))
    if len(raw_od.info["bads"]) == len(raw_od.ch_names):
        raise ValueError(
            f"Every fNIRS channel has a scalp coupling index below sci_threshold="
            f"{sci_threshold}. Check the optode contact, or lower sci_threshold (0 keeps all)."
        )
    raw_hb = beer_lambert_law(raw_od, ppf=float(ppfs[0]) if ppfs.size == 1 else tuple(ppfs))
    if l_freq is not None or h_freq is not None:
        raw_hb.filter(
            l_freq,
            h_freq,
            picks=np.arange(len(raw_hb.ch_names)),
            method="iir",
            iir_params={"order": filter_order, "ftype": "butter", "output": "sos"},
            phase="zero",
            verbose="error",
        )
    return raw_hb


def _is_numeric(value):
    try:
        return np.asarray(value, dtype=float).ndim <= 1
    except (TypeError, ValueError):
        return False
