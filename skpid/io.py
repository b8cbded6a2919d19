"""Conversion between mne Epochs and skpid's multimodal batches.

:func:`from_epochs` turns one Epochs object with mixed channel types (EEG, HbO, HbR), or
one Epochs object per modality, into a :class:`skorch.helper.SliceDict` of arrays
``(n_epochs, n_channels, n_times)`` plus the metadata needed to go back.
:func:`to_epochs` goes back to :class:`mne.EpochsArray` objects, so that anything the
library returns on the channel level can be plotted with mne (PSD, evoked, topomaps).
"""

import logging
import warnings
from collections.abc import Mapping

import mne
import numpy as np
from skorch.helper import SliceDict

from ._multimodal import check_multimodal

__all__ = ["from_epochs", "to_epochs"]

logger = logging.getLogger(__name__)

_INFO_KEYS = ("sfreq", "ch_names", "ch_types", "tmin", "mne_info", "events", "event_id")


def _check_epochs(name, epochs):
    if not isinstance(epochs, mne.BaseEpochs):
        hint = (
            " Cut continuous recordings into epochs first, e.g. mne.Epochs(raw, events) or "
            "mne.make_fixed_length_epochs(raw)."
            if isinstance(epochs, mne.io.BaseRaw)
            else " Build one with mne.Epochs(raw, events) or mne.EpochsArray(data, info)."
        )
        raise TypeError(
            f"{name} must be an mne.Epochs/EpochsArray, got {type(epochs).__name__}.{hint}"
        )


def _resolve_picks(epochs, picks, name):
    """Channel indices (in channel order) of ``picks``, refusing names that are absent."""
    if picks is not None and not isinstance(picks, slice):
        wanted = [picks] if isinstance(picks, str) else list(picks)
        types = mne.channel_indices_by_type(epochs.info)
        known = {*epochs.ch_names, *types, "all", "data", "data_or_ica", "meg", "fnirs"}
        absent = [p for p in wanted if isinstance(p, str) and p not in known]
        if absent:
            raise ValueError(
                f"picks {absent} match no channel name or channel type of {name} (channels: "
                f"{epochs.ch_names[:10]}{'...' if len(epochs.ch_names) > 10 else ''}). Pass "
                "existing channel names or types such as 'eeg', 'hbo', 'hbr', 'data'."
            )
    by_type = mne.channel_indices_by_type(epochs.info, picks=picks)
    idx = sorted(int(i) for indices in by_type.values() for i in indices)
    if not idx:
        raise ValueError(
            f"picks={picks!r} selects no channel of {name}. Pass channel names or types "
            "that exist in it, or picks=None."
        )
    return idx, by_type


def _note_left_out(epochs, left_out, name):
    """Log auxiliary channels left out; warn about data channels of unsupported types."""
    if not left_out:
        return
    data_idx = {
        int(i) for ii in mne.channel_indices_by_type(epochs.info, "data").values() for i in ii
    }
    types = epochs.get_channel_types()
    unexpected = [i for i in left_out if i in data_idx]
    auxiliary = [i for i in left_out if i not in data_idx]
    if auxiliary:
        logger.info(
            "from_epochs: left out %d auxiliary channel(s) of %s: %s",
            len(auxiliary),
            name,
            sorted({types[i] for i in auxiliary}),
        )
    if unexpected:
        found = sorted({types[i] for i in unexpected})
        warnings.warn(
            f"from_epochs left out {len(unexpected)} data channel(s) of {name} with types "
            f"{found}: only 'eeg', 'hbo' and 'hbr' are split automatically. Convert raw "
            "fNIRS to haemoglobin first (mne.preprocessing.nirs.optical_density then "
            "beer_lambert_law), or pass each modality's Epochs by name, e.g. "
            "from_epochs(eeg=epochs_eeg, meg=epochs_meg).",
            UserWarning,
            stacklevel=4,  # the caller of from_epochs
        )


def modality_info(mne_info, tmin, **extra):
    """The per-modality metadata dict of skpid (what :func:`to_epochs` needs).

    Parameters
    ----------
    mne_info : mne.Info
        Measurement info of the modality's channels (with sensor locations).
    tmin : float
        Time of the first sample of each epoch, in seconds.
    **extra
        Further entries, e.g. ``events`` and ``event_id``.

    Returns
    -------
    info : dict
        ``sfreq``, ``ch_names``, ``ch_types``, ``tmin``, ``mne_info`` and ``extra``.
    """
    return {
        "sfreq": float(mne_info["sfreq"]),
        "ch_names": list(mne_info["ch_names"]),
        "ch_types": mne_info.get_channel_types(),
        "tmin": float(tmin),
        "mne_info": mne_info,
        **extra,
    }


def _modality_info(epochs, idx):
    """Metadata of channels ``idx`` of ``epochs``, with its events."""
    return modality_info(
        mne.pick_info(epochs.info, idx),  # a copy that keeps locations and dig
        epochs.tmin,
        events=np.array(epochs.events, copy=True),
        event_id=dict(epochs.event_id),
    )


def _epochs_data(epochs):
    """Data of the kept epochs in SI units (V, M), shape (n_epochs, n_channels, n_times)."""
    data = None if len(epochs.events) == 0 else epochs.get_data(copy=False)
    if data is None or data.shape[0] == 0:  # get_data respects drops, loads if needed
        raise ValueError(
            "All epochs were dropped (see epochs.drop_log or epochs.plot_drop_log()). "
            "Loosen the rejection thresholds or check the events."
        )
    return data


def _split_by_type(epochs, picks, split_hb):
    """Split one mixed Epochs object into eeg / fnirs (or hbo and hbr) modalities."""
    idx, by_type = _resolve_picks(epochs, picks, "epochs")
    wanted = {"eeg": ["eeg"], "hbo": ["hbo"], "hbr": ["hbr"]}
    if not split_hb:
        wanted = {"eeg": ["eeg"], "fnirs": ["hbo", "hbr"]}
    groups = {}
    for modality, types in wanted.items():
        # sorted indices keep the channel order of the recording (hbo/hbr pairs stay paired)
        chosen = sorted(int(i) for t in types for i in by_type[t])
        if chosen:
            groups[modality] = chosen
    if not groups:
        found = sorted(set(epochs.get_channel_types(picks=idx)))
        raise ValueError(
            f"epochs holds no channel of a supported type ('eeg', 'hbo', 'hbr'); found "
            f"{found}. Set the channel types (epochs.set_channel_types), convert raw fNIRS to "
            "haemoglobin (mne.preprocessing.nirs.optical_density then beer_lambert_law), or "
            "pass each modality by name: from_epochs(eeg=epochs_a, other=epochs_b)."
        )
    kept = {i for chosen in groups.values() for i in chosen}
    _note_left_out(epochs, [i for i in idx if i not in kept], "epochs")
    data = _epochs_data(epochs)
    arrays = {modality: data[:, chosen] for modality, chosen in groups.items()}
    info = {modality: _modality_info(epochs, chosen) for modality, chosen in groups.items()}
    return arrays, info


def _check_same_trials(modalities):
    """Refuse Epochs objects that cannot hold the same trials in the same order."""
    counts = {name: len(ep.events) for name, ep in modalities.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"The Epochs have different numbers of epochs: {counts}. Every modality must "
            "hold the same trials in the same order: epoch both recordings on the same "
            "events and drop the same epochs from each (e.g. "
            "epochs_fnirs.drop(bad_indices) with the indices dropped from the EEG)."
        )
    items = list(modalities.items())
    first_name, first = items[0]
    for name, ep in items[1:]:
        if ep.event_id == first.event_id and not np.array_equal(
            ep.events[:, 2], first.events[:, 2]
        ):
            bad = np.flatnonzero(ep.events[:, 2] != first.events[:, 2])
            raise ValueError(
                f"Epochs {first_name!r} and {name!r} use the same event_id but their event "
                f"codes differ at epochs {bad[:10].tolist()}, so they do not hold the same "
                "trials in the same order. Drop the same epochs from both."
            )


def from_epochs(epochs=None, *, split_hb=False, picks=None, **modalities):
    """Turn mne Epochs into a multimodal batch.

    Either one Epochs object with mixed channel types, split by type (``eeg`` channels
    become modality ``"eeg"``, ``hbo`` and ``hbr`` channels modality ``"fnirs"``, or
    ``"hbo"`` and ``"hbr"`` with ``split_hb=True``), or one Epochs object per modality
    given by name, e.g. ``from_epochs(eeg=epochs_eeg, fnirs=epochs_fnirs)``, whose sampling
    rates and epoch lengths may differ.

    Parameters
    ----------
    epochs : mne.Epochs or mne.EpochsArray or None
        One Epochs object holding several channel types. Channels of other types (EOG,
        ECG, stim, misc...) are left out: auxiliary ones with a log message (logger
        ``skpid.io``), data channels of unsupported types (such as raw fNIRS ``fnirs_od``)
        with a warning. Leave None when passing ``**modalities``.
    split_hb : bool, default=False
        With ``epochs``: make HbO and HbR two modalities (``"hbo"``, ``"hbr"``) instead of
        one ``"fnirs"`` modality that keeps the recording's channel order.
    picks : str, list of str or None, default=None
        Channel names or types to consider, as in mne. With ``epochs``, None means all
        channels. With ``**modalities``, it applies to each Epochs object and None means
        mne's data channels (``"data"``: auxiliary channels are left out).
    **modalities : mne.Epochs or mne.EpochsArray
        One Epochs object per modality, keyed by modality name. They must hold the same
        number of epochs, in the same trial order.

    Returns
    -------
    X : skorch.helper.SliceDict
        ``{modality: ndarray of shape (n_epochs, n_channels, n_times)}`` in the units mne
        gives (V for EEG, M for HbO/HbR). Only the epochs kept (not dropped) are included.
    info : dict
        ``{modality: dict}`` with keys ``sfreq`` (float, Hz), ``ch_names`` (list of str),
        ``ch_types`` (list of str), ``tmin`` (float, s), ``mne_info`` (the
        :class:`mne.Info` picked to that modality, with channel locations and montage, so
        topomaps still work), ``events`` (ndarray of shape (n_epochs, 3), the kept
        epochs' events; ``events[:, 2]`` are the class codes, usable as ``y``) and
        ``event_id`` (dict of str to int).

    Raises
    ------
    TypeError
        If an argument is not an mne Epochs object.
    ValueError
        If both or neither of ``epochs`` and ``**modalities`` are given, if no channel of
        a supported type is found, if the Epochs objects hold different numbers of epochs,
        or if all epochs were dropped.

    See Also
    --------
    to_epochs : The way back to :class:`mne.EpochsArray`.
    skpid._multimodal.check_multimodal : The validation applied to the arrays.

    Examples
    --------
    >>> from skpid.datasets import make_eeg_fnirs
    >>> from skpid.io import from_epochs, to_epochs
    >>> data = make_eeg_fnirs(n_subjects=1, n_trials=4, random_state=0)
    >>> epochs = to_epochs(data.X, data.info)  # dict of mne.EpochsArray
    >>> X, info = from_epochs(eeg=epochs["eeg"], fnirs=epochs["fnirs"])
    >>> X["eeg"].shape, info["fnirs"]["sfreq"]
    ((4, 32, 1000), 10.0)
    >>> y = info["eeg"]["events"][:, 2]  # the event codes, one per trial
    """
    if not isinstance(split_hb, bool):
        raise TypeError(f"split_hb must be True or False, got {split_hb!r}.")
    if epochs is not None and modalities:
        raise ValueError(
            "Pass either one mixed Epochs object (from_epochs(epochs)) or one Epochs per "
            f"modality (from_epochs(eeg=..., fnirs=...)), not both; got epochs and "
            f"{sorted(modalities)}."
        )
    if epochs is None and not modalities:
        raise ValueError(
            "No Epochs given. Pass one Epochs with mixed channel types, from_epochs(epochs), "
            "or one per modality, from_epochs(eeg=epochs_eeg, fnirs=epochs_fnirs)."
        )
    if epochs is not None:
        _check_epochs("epochs", epochs)
        arrays, info = _split_by_type(epochs, picks, split_hb)
    else:
        if split_hb:
            raise ValueError(
                "split_hb only applies to one mixed Epochs object, from_epochs(epochs, "
                "split_hb=True). With one Epochs per modality, pass hbo=... and hbr=... "
                "yourself (e.g. epochs.copy().pick('hbo'))."
            )
        for name, ep in modalities.items():
            _check_epochs(name, ep)
        arrays, info = {}, {}
        for name, ep in modalities.items():
            idx, _ = _resolve_picks(ep, "data" if picks is None else picks, repr(name))
            if picks is None:
                _note_left_out(ep, [i for i in range(len(ep.ch_names)) if i not in idx], repr(name))
            arrays[name] = _epochs_data(ep)[:, idx]
            info[name] = _modality_info(ep, idx)
        _check_same_trials(modalities)
    data = check_multimodal(arrays, min_trials=1)
    return SliceDict(**data), info


def _check_info(info, modalities):
    """Check the metadata of ``modalities``; other entries (a simulator's ``params``) are
    ignored."""
    if not isinstance(info, Mapping) or not info:
        raise TypeError(
            f"info must be the dict returned by from_epochs (modality -> metadata), got "
            f"{type(info).__name__}."
        )
    for name in modalities:
        meta = info.get(name)
        missing = [
            k for k in ("tmin", "mne_info") if not isinstance(meta, Mapping) or k not in meta
        ]
        if missing:
            raise ValueError(
                f"info[{name!r}] lacks {missing}; pass the info returned by from_epochs "
                f"(keys {list(_INFO_KEYS)})."
            )
        if not isinstance(meta["mne_info"], mne.Info):
            raise TypeError(
                f"info[{name!r}]['mne_info'] must be an mne.Info, got "
                f"{type(meta['mne_info']).__name__}; pass the info returned by from_epochs."
            )


def _events_for(name, meta, n_epochs, events, event_id):
    """Events and event_id for one modality: the given ones, else those stored in info."""
    if events is None:
        stored = meta.get("events")
        if stored is None:
            return None, event_id
        if len(stored) != n_epochs:
            raise ValueError(
                f"info[{name!r}] holds events for {len(stored)} epochs but X[{name!r}] has "
                f"{n_epochs}. Pass events= for these epochs (e.g. "
                f"info[{name!r}]['events'][test_index])."
            )
        return stored, meta.get("event_id") if event_id is None else event_id
    events = np.asarray(events)
    if (
        events.ndim != 2
        or events.shape != (n_epochs, 3)
        or not np.issubdtype(events.dtype, np.integer)
    ):
        raise ValueError(
            f"events must be an integer array of shape (n_epochs, 3) = ({n_epochs}, 3) as in "
            f"mne (sample, previous value, event code), got shape {events.shape} and dtype "
            f"{events.dtype}."
        )
    stored_id = meta.get("event_id")
    if event_id is None and stored_id and set(events[:, 2]) <= set(stored_id.values()):
        event_id = stored_id  # e.g. events of a subset of the epochs: keep the names
    return events, event_id


def to_epochs(X, info, *, events=None, event_id=None):
    """Turn a multimodal batch back into mne Epochs, one per modality.

    Parameters
    ----------
    X : mapping of str to array-like of shape (n_epochs, n_channels, n_times)
        A :class:`skorch.helper.SliceDict` or dict as returned by :func:`from_epochs`
        (possibly processed, or a subset of modalities or of epochs). Each modality's
        channels must be those recorded in ``info``; the number of samples may differ
        (the first sample is placed at ``info[modality]["tmin"]``).
    info : dict
        The metadata returned by :func:`from_epochs`. It may hold more modalities than
        ``X``.
    events : ndarray of shape (n_epochs, 3) or None, default=None
        Events in mne's format, used for every modality. None uses the events stored in
        ``info`` (which must then match the number of epochs), or mne's default events when
        ``info`` has none.
    event_id : dict of str to int or None, default=None
        Event names, as in :class:`mne.EpochsArray`. None uses the stored ``event_id``
        when it names every event code in use, and mne's default otherwise.

    Returns
    -------
    epochs : dict of str to mne.EpochsArray
        One Epochs object per modality of ``X``, in the order of ``X``, with the stored
        channel names, types, locations and sampling rate; no baseline correction is
        applied.

    Raises
    ------
    TypeError
        If ``X`` is not a mapping or ``info`` is not from :func:`from_epochs`.
    ValueError
        If a modality of ``X`` is missing from ``info``, is not 3-D, or has a channel count
        other than the one recorded, or if ``events`` does not fit the number of epochs.

    See Also
    --------
    from_epochs : The way from mne Epochs to a multimodal batch.

    Examples
    --------
    >>> from skpid.datasets import make_eeg_fnirs
    >>> from skpid.io import from_epochs, to_epochs
    >>> data = make_eeg_fnirs(n_subjects=1, n_trials=4, random_state=0)
    >>> epochs = to_epochs(data.X, data.info)
    >>> sorted(epochs), len(epochs["eeg"])
    (['eeg', 'fnirs'], 4)
    >>> X, info = from_epochs(eeg=epochs["eeg"], fnirs=epochs["fnirs"])
    >>> X["fnirs"].shape
    (4, 40, 200)
    """
    if not isinstance(X, Mapping):
        raise TypeError(
            f"X must be a dict/SliceDict of modality arrays (n_epochs, n_channels, n_times), as "
            f"returned by from_epochs; got {type(X).__name__}."
        )
    data = check_multimodal(X, min_trials=1)
    if not isinstance(info, Mapping) or not info:
        _check_info(info, ())  # raises the TypeError
    unknown = [name for name in data if name not in info]
    if unknown:
        raise ValueError(
            f"Modalities {unknown} of X are not in info, which describes {list(info)}. Pass the "
            "info returned by from_epochs for these data, or rename the modalities to match."
        )
    _check_info(info, list(data))
    out = {}
    for name, arr in data.items():
        meta = info[name]
        n_channels = meta["mne_info"]["nchan"]
        if arr.ndim != 3:
            raise ValueError(
                f"X[{name!r}] has shape {arr.shape}; Epochs need (n_epochs, n_channels, "
                "n_times). Tabular features cannot be turned back into Epochs."
            )
        if arr.shape[1] != n_channels:
            raise ValueError(
                f"X[{name!r}] has {arr.shape[1]} channels but info[{name!r}] records "
                f"{n_channels} ({meta['mne_info']['ch_names'][:5]}...). Keep the channels of "
                "from_epochs, or pick the same channels in info['mne_info'] "
                "(mne.pick_info)."
            )
        ev, ev_id = _events_for(name, meta, len(arr), events, event_id)
        out[name] = mne.EpochsArray(
            arr,
            meta["mne_info"].copy(),
            events=ev,
            tmin=meta["tmin"],
            event_id=ev_id,
            baseline=None,
            verbose=False,
        )
    return out
