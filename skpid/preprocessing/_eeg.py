"""EEG preprocessing on mne Raw: notch, band-pass and re-reference."""

from numbers import Real

import mne

from .._utils import check_raw

__all__ = ["preprocess_eeg"]


def _check_band(l_freq, h_freq, sfreq, what):
    """Validate a band-pass against the sampling rate, with a fix in the message."""
    nyquist = sfreq / 2.0
    for name, value in (("l_freq", l_freq), ("h_freq", h_freq)):
        if value is not None and (not isinstance(value, Real) or value <= 0):
            raise ValueError(f"{name} must be a positive frequency in Hz or None, got {value!r}.")
    if h_freq is not None and h_freq >= nyquist:
        raise ValueError(
            f"h_freq={h_freq} Hz is at or above the Nyquist frequency ({nyquist} Hz) of this "
            f"{what} recording sampled at {sfreq} Hz. Pass h_freq below {nyquist} Hz (or "
            "h_freq=None to skip the low-pass)."
        )
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(
            f"l_freq={l_freq} Hz must be below h_freq={h_freq} Hz for a band-pass; swap them "
            "or set one to None for a high-/low-pass only."
        )


def preprocess_eeg(raw, *, l_freq=1.0, h_freq=40.0, notch=50.0, reference="average", copy=True):
    """Notch-filter, band-pass and re-reference the EEG channels of a recording.

    Parameters
    ----------
    raw : mne.io.Raw
        Continuous recording with at least one ``eeg`` channel. Other channel types
        (EOG, ECG, stim, fNIRS) are left untouched.
    l_freq, h_freq : float or None, default=1.0, 40.0
        Pass band in Hz (mne's zero-phase FIR filter). ``None`` skips that edge.
        ``h_freq`` must be below the Nyquist frequency.
    notch : float, sequence of float or None, default=50.0
        Line-noise frequency (and harmonics) to remove with a notch filter; 50 Hz in
        Europe/Asia, 60 Hz in the Americas. Frequencies at or above Nyquist are an error.
    reference : "average", str, list of str or None, default="average"
        New EEG reference: the common average, one or several channel names (e.g.
        ``["M1", "M2"]``), or ``None`` to keep the recording reference.
    copy : bool, default=True
        Work on a copy (``True``) or modify ``raw`` in place.

    Returns
    -------
    raw : mne.io.Raw
        The preprocessed recording (data loaded in memory).

    Raises
    ------
    TypeError
        If ``raw`` is not an mne Raw.
    ValueError
        If there is no EEG channel, a frequency is at or above Nyquist, the band is
        inverted, or a reference channel is missing.

    Examples
    --------
    >>> import mne
    >>> import numpy as np
    >>> from skpid.preprocessing import preprocess_eeg
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(2500) / 250.0  # 10 s at 250 Hz
    >>> data = 1e-5 * rng.standard_normal((3, t.size)) + 2e-5 * np.sin(2 * np.pi * 50 * t)
    >>> info = mne.create_info(["C3", "Cz", "C4"], 250.0, "eeg")
    >>> raw = mne.io.RawArray(data, info, verbose="error")
    >>> clean = preprocess_eeg(raw, l_freq=1.0, h_freq=40.0, notch=50.0)
    >>> clean.get_data().shape
    (3, 2500)
    >>> bool(np.abs(clean.get_data().mean(axis=0)).max() < 1e-12)  # common average reference
    True
    """
    check_raw(raw)
    picks = mne.pick_types(raw.info, eeg=True, exclude=[])
    if len(picks) == 0:
        types = sorted(set(raw.get_channel_types()))
        raise ValueError(
            f"The recording has no EEG channels (channel types: {types}). Set the types "
            "with raw.set_channel_types({'Fp1': 'eeg', ...}) before preprocessing."
        )
    sfreq = raw.info["sfreq"]
    _check_band(l_freq, h_freq, sfreq, "EEG")
    notches = [] if notch is None else ([notch] if isinstance(notch, Real) else list(notch))
    bad_notch = [f for f in notches if not isinstance(f, Real) or not 0 < f < sfreq / 2]
    if bad_notch:
        raise ValueError(
            f"notch frequencies {bad_notch} are not between 0 Hz and the Nyquist frequency "
            f"({sfreq / 2} Hz). Pass notch=None when the line frequency cannot be sampled."
        )
    if reference is not None and reference != "average":
        ref_names = [reference] if isinstance(reference, str) else list(reference)
        missing = [ch for ch in ref_names if ch not in raw.ch_names]
        if missing:
            raise ValueError(
                f"Reference channel(s) {missing} are not in the recording. Pass "
                "reference='average', None, or names among raw.ch_names."
            )
        reference = ref_names

    raw = raw.copy() if copy else raw
    raw.load_data(verbose="error")
    if notches:
        harmonics = sorted({k * f for f in notches for k in range(1, int(sfreq / 2 // f) + 1)})
        harmonics = [f for f in harmonics if f < sfreq / 2]
        raw.notch_filter(harmonics, picks=picks, verbose="error")
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq, picks=picks, verbose="error")
    if reference is not None:
        raw.set_eeg_reference(reference, projection=False, verbose="error")
    return raw
