"""Per-trial physiological quantities of EEG + fNIRS recordings, to probe blocks with.

:func:`physiological_targets` gives one row per trial: EEG band powers, HbO/HbR response
amplitudes, and the neurovascular coupling delay when both modalities are present.
:func:`channel_features` gives one value per channel and trial (EEG band power, mean HbO),
the input of forward-model patterns drawn as topomaps.
"""

from collections.abc import Mapping

import mne
import numpy as np
import pandas as pd

from .. import physiology
from .._multimodal import check_multimodal
from ..features import DEFAULT_BANDS, band_power, hemodynamic_features

__all__ = ["channel_features", "modality_meta", "physiological_targets"]

_EVENT_STEP = 0.05  # s, time resolution of the EEG event time


def modality_meta(info, name):
    """``(sfreq, ch_names, ch_types, tmin, mne.Info)`` of one modality.

    ``info[name]`` is either an :class:`mne.Info` or skpid's per-modality dict (keys
    ``sfreq``, ``ch_names``, ``ch_types``, ``tmin``, ``mne_info``) as given by
    :func:`skpid.io.from_epochs` and the simulators.
    """
    if not isinstance(info, Mapping) or name not in info:
        have = list(info) if isinstance(info, Mapping) else type(info).__name__
        raise ValueError(
            f"info has no entry for modality {name!r} (got {have}). Pass info as a dict of "
            "modality name to mne.Info or to skpid's metadata dict (from skpid.io.from_epochs "
            "or a simulator's Bunch.info)."
        )
    meta = info[name]
    if isinstance(meta, mne.Info):
        return (
            float(meta["sfreq"]),
            list(meta["ch_names"]),
            meta.get_channel_types(),
            0.0,
            meta,
        )
    if isinstance(meta, Mapping) and {"sfreq", "ch_names", "ch_types"} <= set(meta):
        mne_info = meta.get("mne_info")
        return (
            float(meta["sfreq"]),
            list(meta["ch_names"]),
            list(meta["ch_types"]),
            float(meta.get("tmin", 0.0)),
            mne_info,
        )
    raise TypeError(
        f"info[{name!r}] must be an mne.Info or a dict with keys sfreq, ch_names, ch_types "
        f"(and tmin, mne_info), got {type(meta).__name__}."
    )


def _find_modalities(data, info):
    """Names of the EEG and of the fNIRS modality (None where absent), from channel types."""
    eeg, fnirs = [], []
    for name, arr in data.items():
        _, ch_names, ch_types, _, _ = modality_meta(info, name)
        if len(ch_names) != arr.shape[1] or len(ch_types) != arr.shape[1]:
            raise ValueError(
                f"Modality {name!r} has {arr.shape[1]} channels but info lists "
                f"{len(ch_names)}; pass the info that belongs to X."
            )
        if arr.ndim != 3:
            raise ValueError(
                f"Modality {name!r} has shape {arr.shape}; physiological targets need epochs "
                "(n_trials, n_channels, n_times)."
            )
        if all(t == "eeg" for t in ch_types):
            eeg.append(name)
        elif any(t == "hbo" for t in ch_types):
            fnirs.append(name)
    for kind, found in (("EEG", eeg), ("fNIRS", fnirs)):
        if len(found) > 1:
            raise ValueError(
                f"Several {kind} modalities {found}; pass X with one EEG and one fNIRS "
                "modality (a dict of the two)."
            )
    if not eeg and not fnirs:
        raise ValueError(
            f"No modality of X is EEG (all channel types 'eeg') or fNIRS (channel types "
            f"'hbo'/'hbr'); modalities {list(data)}. Convert fNIRS to haemoglobin "
            "(mne.preprocessing.nirs.beer_lambert_law) and pass its info."
        )
    return (eeg[0] if eeg else None), (fnirs[0] if fnirs else None)


def _picks(ch_names, ch_types, wanted, kinds, what):
    """Indices of channels of ``kinds`` among ``wanted`` names (all of them when None)."""
    idx = [i for i, t in enumerate(ch_types) if t in kinds]
    if wanted is not None:
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        unknown = [w for w in wanted if w not in ch_names]
        if unknown:
            raise ValueError(
                f"{what} {unknown} are not channels of the recording; pick from "
                f"{ch_names[:8]}{'...' if len(ch_names) > 8 else ''}."
            )
        idx = [i for i in idx if ch_names[i] in wanted]
    if not idx:
        raise ValueError(f"{what} select no {'/'.join(kinds)} channel; pick at least one.")
    return idx


def eeg_event_time(eeg, sfreq, tmin=0.0, band=(1.0, 45.0), *, window=0.25):
    """Time (s) of the largest event-related power increase of each trial.

    The argmax over time of :func:`skpid.physiology.eeg_event_evidence` (direction
    ``"increase"``): the ``band`` power of each channel, averaged over ``window`` s, as a
    log ratio to its median over the trial, at its largest over channels, every 0.05 s;
    the ends of the epoch, where filtering has edge effects, are left out.

    Parameters
    ----------
    eeg : ndarray of shape (n_trials, n_channels, n_times)
    sfreq : float
    tmin : float
        Time of the first sample (s).
    band : (float, float)
    window : float, default=0.25
        Power window (s).

    Returns
    -------
    times : ndarray of shape (n_trials,)
        Seconds on the epoch's time axis.
    """
    evidence, times = physiology.eeg_event_evidence(
        eeg, sfreq, band=band, tmin=tmin, step=_EVENT_STEP, window=window, direction="increase"
    )
    return times[np.argmax(evidence, axis=1)]


def hemodynamic_onsets(hbo, sfreq, tmin=0.0, onset_range=None):
    """Onset and amplitude of the haemodynamic response by a matched canonical HRF.

    For each candidate onset ``o`` (a grid of one sample), each trial's HbO time course is
    fitted by least squares with an intercept, a linear drift and SPM's canonical
    double-gamma response starting at ``o`` (:func:`skpid.physiology.spm_hrf`; the same
    regressor as a GLM with an unknown event time). The onset with the smallest residual
    among those with a positive response is kept (the smallest residual overall when no
    onset gives one); see :func:`skpid.physiology.haemodynamic_onset_evidence`.

    Parameters
    ----------
    hbo : ndarray of shape (n_trials, n_times)
        HbO time course (e.g. averaged over a region of channels).
    sfreq : float
    tmin : float
        Time of the first sample (s).
    onset_range : (float, float) or None
        Onsets considered, in seconds; None: from ``tmin`` to the canonical time to peak
        (about 5 s) before the end of the epoch.

    Returns
    -------
    onset : ndarray of shape (n_trials,)
        Seconds on the epoch's time axis.
    design : list of ndarray
        Pseudo-inverse of the design matrix of each trial's onset, ``(3, n_times)``, to
        fit other signals (HbR) at the same onset; the last row gives the HRF amplitude.
    """
    hbo = np.asarray(hbo, dtype=float)
    n_times = hbo.shape[-1]
    t = tmin + np.arange(n_times) / sfreq
    peak = physiology.hrf_peak_time("spm")
    if onset_range is None:
        onset_range = (tmin, t[-1] - peak)
    lo, hi = (float(v) for v in onset_range)
    if not lo <= hi:
        raise ValueError(
            f"onset_range=({lo:g}, {hi:g}) s is empty. fNIRS epochs must last more than "
            f"{peak:.1f} s (the time to peak of the response) for the default range; pass "
            "longer epochs or an onset_range with start <= stop."
        )
    onsets = np.arange(lo, hi + 0.5 / sfreq, 1.0 / sfreq)

    def evidence(polarity):
        return physiology.haemodynamic_onset_evidence(
            hbo, sfreq, tmin=tmin, onsets=onsets, drift=True, polarity=polarity
        )[:, 0]

    positive = evidence("positive")
    chosen = np.argmax(positive, axis=1)
    none = positive.max(axis=1) <= 0
    if none.any():
        chosen[none] = np.argmax(evidence("any")[none], axis=1)
    drift = (t - t.mean()) / (t[-1] - t[0])
    pinvs = [
        np.linalg.pinv(np.stack([np.ones(n_times), drift, physiology.spm_hrf(t - o)], 1))
        for o in onsets[chosen]
    ]
    return onsets[chosen], pinvs


def physiological_targets(
    X,
    info,
    *,
    bands=None,
    relative=False,
    eeg_picks=None,
    fnirs_picks=None,
    event_band=(1.0, 45.0),
    onset_range=None,
):
    """Per-trial physiological quantities of EEG and/or fNIRS epochs.

    Columns (those of the modalities present):

    - ``eeg_<band>``: log10 band power (Welch, see :func:`skpid.features.band_power`),
      averaged over the picked EEG channels (log10 V^2, or log10 of relative power).
    - ``hbo_amplitude``, ``hbr_amplitude``: amplitude (fNIRS units, e.g. mol/L) of a
      canonical HRF fitted to the HbO (HbR) time course averaged over the picked
      channels, at the onset that fits HbO best (see :func:`hemodynamic_onsets`). HbR is
      signed: negative for the usual HbR fall.
    - ``coupling_delay`` (both modalities): haemodynamic onset minus the EEG event time
      (largest power transient, :func:`eeg_event_time`), in seconds. It carries the
      neurovascular coupling delay up to a constant (the event's latency within its
      transient, the departure of the true HRF from the canonical one), as EEG-informed
      haemodynamic models do by convolving EEG power with an HRF (Goldman et al.,
      NeuroReport 13:2487-2492, 2002).

    Both modalities' epochs must start at the same trial onset (times ``tmin`` of each in
    ``info``).

    Parameters
    ----------
    X : mapping of str to ndarray of shape (n_trials, n_channels, n_times)
        Multimodal epochs (``dict`` or ``SliceDict``); modalities are recognised from the
        channel types in ``info`` (all ``"eeg"``; ``"hbo"``/``"hbr"``). Others are ignored.
    info : dict
        Modality name to :class:`mne.Info` or skpid's metadata dict (``sfreq``,
        ``ch_names``, ``ch_types``, ``tmin``), e.g. ``make_eeg_fnirs(...).info``.
    bands : dict of str to (float, float) or None
        EEG bands in Hz; None gives :data:`skpid.features.DEFAULT_BANDS`.
    relative : bool, default=False
        Band power relative to the power of the whole range of the bands.
    eeg_picks, fnirs_picks : list of str or None
        Channel names to average over (e.g. the lateral sites ``["C3", "C4"]``); None
        uses every EEG / HbO and HbR channel.
    event_band : (float, float), default=(1.0, 45.0)
        Band (Hz) of the EEG power envelope that times the neural event.
    onset_range : (float, float) or None
        Haemodynamic onsets considered (s); see :func:`hemodynamic_onsets`.

    Returns
    -------
    targets : DataFrame of shape (n_trials, n_targets)
        One row per trial; ``targets.attrs["units"]`` maps columns to units.
    """
    data = check_multimodal(X)
    eeg_name, fnirs_name = _find_modalities(data, info)
    columns, units = {}, {}
    event_time = onset = None
    if eeg_name is not None:
        sfreq, ch_names, ch_types, tmin, _ = modality_meta(info, eeg_name)
        idx = _picks(ch_names, ch_types, eeg_picks, ("eeg",), "eeg_picks")
        eeg = data[eeg_name][:, idx]
        bands = DEFAULT_BANDS if bands is None else bands
        power = band_power(eeg, sfreq, bands, relative=relative).mean(axis=1)
        for j, band in enumerate(bands):
            columns[f"eeg_{band}"] = power[:, j]
            units[f"eeg_{band}"] = "log10 relative power" if relative else "log10 V^2"
        if fnirs_name is not None:
            event_time = eeg_event_time(eeg, sfreq, tmin, event_band)
    if fnirs_name is not None:
        sfreq, ch_names, ch_types, tmin, _ = modality_meta(info, fnirs_name)
        x = data[fnirs_name]
        hbo = x[:, _picks(ch_names, ch_types, fnirs_picks, ("hbo",), "fnirs_picks")].mean(1)
        onset, pinvs = hemodynamic_onsets(hbo, sfreq, tmin, onset_range)
        columns["hbo_amplitude"] = np.einsum("nt,nt->n", np.stack([p[2] for p in pinvs]), hbo)
        units["hbo_amplitude"] = "fNIRS units (e.g. mol/L)"
        if "hbr" in ch_types:
            hbr = x[:, _picks(ch_names, ch_types, fnirs_picks, ("hbr",), "fnirs_picks")]
            columns["hbr_amplitude"] = np.einsum(
                "nt,nt->n", np.stack([p[2] for p in pinvs]), hbr.mean(1)
            )
            units["hbr_amplitude"] = units["hbo_amplitude"]
    if event_time is not None:
        columns["coupling_delay"] = onset - event_time
        units["coupling_delay"] = "s"
    targets = pd.DataFrame(columns)
    targets.attrs["units"] = units
    return targets


def channel_features(X, info, *, band="alpha", chromophore="hbo", window=None):
    """One value per channel and trial: EEG band power and mean haemoglobin change.

    The input of forward-model patterns (:func:`skpid.inspection.block_patterns`) drawn
    on the sensors (:func:`skpid.inspection.plot_patterns`).

    Parameters
    ----------
    X : mapping of str to ndarray of shape (n_trials, n_channels, n_times)
        Multimodal epochs; modalities recognised from the channel types in ``info``.
    info : dict
        As for :func:`physiological_targets`.
    band : str or (float, float), default="alpha"
        EEG band: a name of :data:`skpid.features.DEFAULT_BANDS` or ``(low, high)`` Hz.
    chromophore : {"hbo", "hbr"}, default="hbo"
        fNIRS channels kept.
    window : (float, float) or None
        fNIRS window (s) to average over; None: the whole epoch.

    Returns
    -------
    features : dict of str to DataFrame of shape (n_trials, n_channels)
        Per modality, columns named by channel; ``attrs["units"]`` says what the values
        are (log10 V^2 of the band; mean concentration change).
    """
    data = check_multimodal(X)
    eeg_name, fnirs_name = _find_modalities(data, info)
    out = {}
    if eeg_name is not None:
        if isinstance(band, str):
            if band not in DEFAULT_BANDS:
                raise ValueError(
                    f"Unknown band {band!r}; pass one of {list(DEFAULT_BANDS)} or (low, high) Hz."
                )
            band_name, edges = band, DEFAULT_BANDS[band]
        else:
            edges = tuple(band)
            band_name = f"{edges[0]:g}-{edges[1]:g} Hz"
        sfreq, ch_names, ch_types, _, _ = modality_meta(info, eeg_name)
        idx = _picks(ch_names, ch_types, None, ("eeg",), "EEG channels")
        power = band_power(data[eeg_name][:, idx], sfreq, {band_name: edges})[..., 0]
        frame = pd.DataFrame(power, columns=[ch_names[i] for i in idx])
        frame.attrs["units"] = f"{band_name} power (log10 V^2)"
        out[eeg_name] = frame
    if fnirs_name is not None:
        if chromophore not in ("hbo", "hbr"):
            raise ValueError(f"chromophore must be 'hbo' or 'hbr', got {chromophore!r}.")
        sfreq, ch_names, ch_types, tmin, _ = modality_meta(info, fnirs_name)
        idx = _picks(ch_names, ch_types, None, (chromophore,), f"{chromophore} channels")
        windows = None if window is None else [window]
        mean = hemodynamic_features(
            data[fnirs_name][:, idx], sfreq, windows, tmin=tmin, features=["mean"]
        )[:, :, 0, 0]
        frame = pd.DataFrame(mean, columns=[ch_names[i] for i in idx])
        label = {"hbo": "HbO", "hbr": "HbR"}[chromophore]
        frame.attrs["units"] = f"mean {label} change (mol/L)"
        out[fnirs_name] = frame
    return out
