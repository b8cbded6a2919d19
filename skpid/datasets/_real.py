"""Readers of real single-modality recordings (the folders described in shared/data/README).

Every reader takes the folder explicitly and returns a :class:`sklearn.utils.Bunch` with

- ``X``: float array ``(n_trials, n_channels, n_times)``,
- ``y``: int array ``(n_trials,)``,
- ``groups``: int array ``(n_trials,)`` (subject, or block for a single subject),
- ``metadata``: :class:`pandas.DataFrame`, one row per trial,
- ``info``: dict with ``sfreq``, ``ch_names``, ``ch_types``, ``times``, ``event_id`` and
  ``mne_info``,

or, with ``return_epochs=True``, one :class:`mne.Epochs` holding the same trials (the
metadata attached).
"""

from numbers import Integral
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._utils import standard_montage
from ..io import modality_info
from ..preprocessing import preprocess_eeg, preprocess_fnirs

__all__ = ["load_eegmat", "load_finemi_fnirs", "load_shin2017_ma_fnirs"]

FINEMI_EVENT_ID = {
    "hand_flex_ext": 1,
    "wrist_flex_ext": 2,
    "wrist_add_abd": 3,
    "elbow_pron_sup": 4,
    "elbow_flex_ext": 5,
    "shoulder_pron_sup": 6,
    "shoulder_add_abd": 7,
    "shoulder_flex_ext": 8,
}
SHIN_MA_EVENT_ID = {"baseline": 0, "mental_arithmetic": 1}
EEGMAT_EVENT_ID = {"rest": 0, "serial_subtraction": 1}


def _dataset_dir(path, name, pattern):
    """The dataset folder: ``path`` itself, or ``path/name`` when given the shared root."""
    if path is None:
        raise TypeError(
            f"path is required: pass the folder that holds the {name} files (e.g. "
            f"'.../shared/data/{name}')."
        )
    path = Path(path)
    for candidate in (path, path / name):
        if candidate.is_dir() and any(candidate.glob(pattern)):
            return candidate
    raise FileNotFoundError(
        f"No {pattern!r} files in {path} or {path / name}. Pass the folder of the {name} "
        "recordings (see shared/data/README.md for where to get them)."
    )


def _check_ids(ids, available, what):
    """Validate a list of subject/block numbers against those on disk."""
    if ids is None:
        return sorted(available)
    ids = [ids] if isinstance(ids, Integral) else list(ids)
    if not ids or not all(isinstance(i, Integral) for i in ids):
        raise ValueError(f"{what}s must be a non-empty list of ints, got {ids!r}.")
    missing = sorted(set(ids) - set(available))
    if missing:
        raise ValueError(
            f"{what}(s) {missing} not found; available: {sorted(available)}. Pass numbers "
            "among those."
        )
    return ids


def _check_window(tmin, tmax, times_available=None):
    if tmin is not None and tmax is not None and tmin >= tmax:
        raise ValueError(f"tmin={tmin} must be smaller than tmax={tmax} (seconds).")
    if times_available is not None:
        lo, hi = times_available
        if (tmin is not None and not lo <= tmin <= hi) or (
            tmax is not None and not lo <= tmax <= hi
        ):
            raise ValueError(
                f"The window [{tmin}, {tmax}] s leaves the stored epochs, which span "
                f"[{lo:.2f}, {hi:.2f}] s. Pass tmin/tmax inside that range."
            )


def _epochs_at_annotations(raw, event_id, tmin, tmax, baseline, what, descriptions=None):
    """Epoch ``raw`` around its annotations; ``descriptions`` maps annotation text to codes.

    Every channel is kept (bad ones too, so that recordings with different bad channels
    keep the same shape); see :func:`_epochs_at_events`.
    """
    descriptions = event_id if descriptions is None else descriptions
    events, _ = mne.events_from_annotations(raw, event_id=descriptions, verbose="error")
    if len(events) == 0:
        raise ValueError(
            f"{what} has no annotations among {list(descriptions)}, so no trial to cut. "
            "Check that the recording holds its trigger/marker files, or pick another one."
        )
    return _epochs_at_events(raw, events, event_id, tmin, tmax, baseline)


def _epochs_at_events(raw, events, event_id, tmin, tmax, baseline):
    """Preloaded epochs of ``raw`` at mne ``events``, with every channel (bad ones too).

    Only the classes present in ``events`` get an entry of the epochs' event_id.
    """
    return mne.Epochs(
        raw,
        events,
        event_id={k: v for k, v in event_id.items() if v in events[:, 2]},
        tmin=tmin,
        tmax=tmax,
        baseline=baseline,
        picks=np.arange(len(raw.ch_names)),
        preload=True,
        reject_by_annotation=False,
        verbose="error",
    )


def _share_bads(epochs_list):
    """Mark the union of the bad channels as bad in every epochs; return that union."""
    bads = sorted(set().union(*(e.info["bads"] for e in epochs_list)))
    for epochs in epochs_list:
        epochs.info["bads"] = bads
    return bads


def _concat_data(epochs_list):
    """Data of all channels (bad ones included) of several epochs, stacked along trials."""
    # explicit indices: mne's default picks leave out the channels marked bad
    return np.concatenate([e.get_data(picks=np.arange(len(e.ch_names))) for e in epochs_list])


def _bunch_or_epochs(X, y, groups, metadata, mne_info, times, event_id, return_epochs, **extra):
    if return_epochs:
        events = np.column_stack([np.arange(len(y)), np.zeros(len(y), int), y])
        return mne.EpochsArray(
            X,
            mne_info,
            events=events,
            tmin=float(times[0]),
            event_id=event_id,
            metadata=metadata.reset_index(drop=True),
            verbose="error",
        )
    return Bunch(
        X=X,
        y=np.asarray(y, dtype=int),
        groups=np.asarray(groups, dtype=int),
        metadata=metadata.reset_index(drop=True),
        info={
            **modality_info(mne_info, times[0], times=np.asarray(times), **extra),
            "event_id": dict(event_id),
        },
    )


# --------------------------------------------------------------------------------------
# Shin et al. 2017, dataset B, fNIRS half as preprocessed arrays (subjectNN.npz)
# --------------------------------------------------------------------------------------


def load_shin2017_ma_fnirs(path, subjects=None, *, tmin=None, tmax=None, return_epochs=False):
    """Read the preprocessed fNIRS of the TU Berlin mental-arithmetic task (dataset B).

    The arrays are the fNIRS half of Shin et al., "Open Access Dataset for EEG+NIRS
    Single-Trial Classification", IEEE TNSRE 25(10):1735-1745, 2017 (modified
    Beer-Lambert law, 3rd-order Butterworth 0.01-0.1 Hz, baseline -5..-2 s), one file
    ``subjectNN.npz`` per subject with 60 trials (30 MA, 30 baseline) of 36 channels.

    Parameters
    ----------
    path : str or Path
        Folder holding ``subjectNN.npz`` (or the shared data root containing
        ``shin2017_ma_fnirs/``).
    subjects : int, list of int or None, default=None
        Subject numbers (1-based, as in the file names); ``None`` reads all present.
    tmin, tmax : float or None, default=None
        Crop every trial to ``[tmin, tmax]`` seconds from task onset (inclusive);
        ``None`` keeps the stored start/end (-9.9 and 25.0 s).
    return_epochs : bool, default=False
        Return one :class:`mne.EpochsArray` (``hbo``/``hbr`` channels) instead of arrays.

    Returns
    -------
    data : Bunch or mne.Epochs
        ``X`` of shape ``(n_trials, 72, n_times)``: for every channel its HbO then HbR
        (mne's pair order ``ch01 hbo, ch01 hbr, ch02 hbo, ...``), in the file's units
        (mmol/L x mm from the BBCI toolbox). ``y``: 1 mental arithmetic, 0 baseline
        (BBCI marker convention, file label 1 = MA, 2 = baseline). ``groups``: subject
        number. ``metadata``: subject, trial index within subject.
    """
    folder = _dataset_dir(path, "shin2017_ma_fnirs", "subject*.npz")
    available = [int(f.stem.removeprefix("subject")) for f in folder.glob("subject*.npz")]
    subjects = _check_ids(subjects, available, "subject")
    _check_window(tmin, tmax)

    xs, ys, frames, times = [], [], [], None
    for subject in subjects:
        with np.load(folder / f"subject{subject:02d}.npz") as f:
            hbo, hbr, label, t = f["hbo"], f["hbr"], f["label"], f["times"]
            sfreq = float(f["sfreq"])
        _check_window(tmin, tmax, (t[0], t[-1]))
        keep = np.ones(len(t), bool)
        if tmin is not None:
            keep &= t >= tmin - 1e-9
        if tmax is not None:
            keep &= t <= tmax + 1e-9
        x = np.empty((hbo.shape[0], 2 * hbo.shape[1], int(keep.sum())), dtype=hbo.dtype)
        x[:, 0::2], x[:, 1::2] = hbo[..., keep], hbr[..., keep]
        if times is not None and not np.allclose(times, t[keep]):
            raise ValueError(
                f"subject{subject:02d}.npz has a different time axis from the subjects read "
                "before it. Replace it with the file of the shared release, or leave it out "
                "with subjects=[...]."
            )
        times = t[keep]
        xs.append(x)
        ys.append(np.where(label == 1, 1, 0))
        frames.append(pd.DataFrame({"subject": subject, "trial": np.arange(len(label))}))
    n_channels = xs[0].shape[1] // 2
    names = [f"ch{k + 1:02d} {kind}" for k in range(n_channels) for kind in ("hbo", "hbr")]
    mne_info = mne.create_info(names, sfreq, ch_types=[n.split()[1] for n in names])
    metadata = pd.concat(frames, ignore_index=True)
    return _bunch_or_epochs(
        np.concatenate(xs),
        np.concatenate(ys),
        metadata["subject"].to_numpy(),
        metadata,
        mne_info,
        times,
        SHIN_MA_EVENT_ID,
        return_epochs,
        units="mmol/L x mm (BBCI toolbox)",
    )


# --------------------------------------------------------------------------------------
# FineMI raw NIRx blocks
# --------------------------------------------------------------------------------------


def load_finemi_fnirs(
    path,
    blocks=None,
    *,
    tmin=-2.0,
    tmax=10.0,
    baseline=(None, 0.0),
    sci_threshold=0.5,
    ppf=6.0,
    l_freq=0.01,
    h_freq=0.1,
    return_epochs=False,
):
    """Read raw NIRx blocks of the FineMI motor-imagery set and epoch HbO/HbR.

    FineMI (Yi et al., "Fine-grained motor imagery dataset", Sci Data 12:953, 2025):
    eight upper-limb motor-imagery classes, 5 trials per class per block, NIRScout at
    7.8125 Hz. Each block is read with :func:`mne.io.read_raw_nirx`, run through
    :func:`skpid.preprocessing.preprocess_fnirs` and epoched around the cue annotations.

    Parameters
    ----------
    path : str or Path
        Folder holding ``block1/`` ... (or the shared data root containing
        ``finemi_fnirs_subject4/``).
    blocks : int, list of int or None, default=None
        Block numbers; ``None`` reads all present.
    tmin, tmax : float, default=-2.0, 10.0
        Epoch window in seconds around each cue.
    baseline : tuple or None, default=(None, 0.0)
        Baseline correction interval of :class:`mne.Epochs`.
    sci_threshold, ppf, l_freq, h_freq
        Passed to :func:`skpid.preprocessing.preprocess_fnirs`.
    return_epochs : bool, default=False
        Return one :class:`mne.Epochs` instead of arrays.

    Returns
    -------
    data : Bunch or mne.Epochs
        ``X`` of shape ``(n_trials, 48, n_times)`` (HbO/HbR per source-detector pair, mol/L),
        ``y`` in 1..8 (see ``info["event_id"]``), ``groups`` the block number,
        ``info["bads"]`` the pairs below the scalp coupling threshold in any block (kept
        in ``X``).
    """
    folder = _dataset_dir(path, "finemi_fnirs_subject4", "block*")
    available = [int(p.name.removeprefix("block")) for p in folder.glob("block*") if p.is_dir()]
    blocks = _check_ids(blocks, available, "block")
    _check_window(tmin, tmax)

    epochs_list, frames = [], []
    for block in blocks:
        raw = mne.io.read_raw_nirx(folder / f"block{block}", verbose="error")
        raw_hb = preprocess_fnirs(
            raw, sci_threshold=sci_threshold, ppf=ppf, l_freq=l_freq, h_freq=h_freq
        )
        epochs = _epochs_at_annotations(
            raw_hb,
            FINEMI_EVENT_ID,
            tmin,
            tmax,
            baseline,
            f"block{block}",
            descriptions={f"{code}.0": code for code in FINEMI_EVENT_ID.values()},
        )
        epochs_list.append(epochs)
        onsets = (epochs.events[:, 0] - raw_hb.first_samp) / raw_hb.info["sfreq"]
        frames.append(pd.DataFrame({"block": block, "onset_s": onsets}))
    bads = _share_bads(epochs_list)
    X = _concat_data(epochs_list)
    y = np.concatenate([e.events[:, 2] for e in epochs_list])
    metadata = pd.concat(frames, ignore_index=True)
    metadata["label"] = y
    mne_info = epochs_list[0].info.copy()
    return _bunch_or_epochs(
        X,
        y,
        metadata["block"].to_numpy(),
        metadata,
        mne_info,
        epochs_list[0].times,
        FINEMI_EVENT_ID,
        return_epochs,
        bads=bads,
    )


# --------------------------------------------------------------------------------------
# EEGMAT (PhysioNet EEG during mental arithmetic)
# --------------------------------------------------------------------------------------


def _read_eegmat_raw(file):
    raw = mne.io.read_raw_edf(file, preload=True, verbose="error")
    raw.rename_channels(lambda name: name.removeprefix("EEG ").removeprefix("ECG "))
    types = {"A2-A1": "misc"}
    if "ECG" in raw.ch_names:
        types["ECG"] = "ecg"
    raw.set_channel_types(
        {k: v for k, v in types.items() if k in raw.ch_names}, on_unit_change="ignore"
    )
    raw.set_montage(standard_montage("1020"), on_missing="ignore")
    return raw


def _windows(n_times, n_window):
    """Start samples of consecutive, non-overlapping windows."""
    return np.arange(0, n_times - n_window + 1, n_window)


def load_eegmat(
    path,
    subjects=None,
    *,
    window=4.0,
    n_blocks=5,
    balance=True,
    l_freq=1.0,
    h_freq=40.0,
    notch=50.0,
    reference="average",
    return_epochs=False,
):
    """Read EEGMAT and cut rest and serial-subtraction recordings into fixed windows.

    EEGMAT: Zyma et al., "Electroencephalograms during Mental Arithmetic Task
    Performance", Data 4(1):14, 2019 (PhysioNet, doi:10.13026/C2JQ1P): per subject one
    rest recording (``SubjectNN_1.edf``, ~180 s) and one recording of mental serial
    subtraction (``SubjectNN_2.edf``, ~60 s), 19 EEG channels at 500 Hz.

    Each recording is preprocessed as a whole with
    :func:`skpid.preprocessing.preprocess_eeg`, then cut into consecutive
    non-overlapping windows. Windows of one recording are correlated in time, so random
    K-fold within a subject is optimistic: every window also gets a ``block`` number (the
    recording split into ``n_blocks`` contiguous stretches) to use as CV groups, which
    keeps test windows apart in time from the training ones.

    Parameters
    ----------
    path : str or Path
        Folder holding ``SubjectNN_1.edf``/``SubjectNN_2.edf`` (or the shared data root
        containing ``eegmat/``).
    subjects : int, list of int or None, default=None
        Subject numbers (0-based, as in the file names); ``None`` reads all present.
    window : float, default=4.0
        Window length in seconds.
    n_blocks : int, default=5
        Number of contiguous time blocks per recording (``metadata["block"]``).
    balance : bool, default=True
        Keep as many rest windows as task windows, chosen evenly spread over the rest
        recording (deterministic), so that accuracy is comparable to chance 0.5.
    l_freq, h_freq, notch, reference
        Passed to :func:`skpid.preprocessing.preprocess_eeg` (line noise is 50 Hz there).
    return_epochs : bool, default=False
        Return one :class:`mne.EpochsArray` instead of arrays.

    Returns
    -------
    data : Bunch or mne.Epochs
        ``X`` of shape ``(n_windows, 19, window * 500)`` in volts with standard 10-20 names
        (T3/T4/T5/T6 as in the files) and montage; ``y`` 0 rest, 1 serial subtraction;
        ``groups`` the subject; ``metadata`` columns subject, label, block (0..n_blocks-1
        within a recording), cv_block (unique per subject, label and block) and onset_s.
    """
    folder = _dataset_dir(path, "eegmat", "Subject*_1.edf")
    available = [int(f.stem[7:9]) for f in folder.glob("Subject*_1.edf")]
    subjects = _check_ids(subjects, available, "subject")
    if not isinstance(window, (int, float)) or window <= 0:
        raise ValueError(f"window must be a positive duration in seconds, got {window!r}.")
    if not isinstance(n_blocks, Integral) or n_blocks < 1:
        raise ValueError(f"n_blocks must be a positive int, got {n_blocks!r}.")

    xs, frames, mne_info = [], [], None
    for subject in subjects:
        per_label = {}
        for label, suffix in ((0, 1), (1, 2)):
            file = folder / f"Subject{subject:02d}_{suffix}.edf"
            if not file.is_file():
                raise FileNotFoundError(
                    f"{file} is missing; EEGMAT needs both recordings of a subject. Restore "
                    "the file, or leave the subject out with subjects=[...]."
                )
            raw = preprocess_eeg(
                _read_eegmat_raw(file),
                l_freq=l_freq,
                h_freq=h_freq,
                notch=notch,
                reference=reference,
                copy=False,
            )
            raw.pick("eeg")
            n_window = round(window * raw.info["sfreq"])
            starts = _windows(raw.n_times, n_window)
            if len(starts) < n_blocks:
                raise ValueError(
                    f"{file.name} holds {len(starts)} windows of {window} s, fewer than "
                    f"n_blocks={n_blocks}. Use a shorter window or fewer blocks."
                )
            blocks = (starts * n_blocks) // (raw.n_times - n_window + 1)
            per_label[label] = (raw, starts, blocks, n_window)
            if mne_info is None:
                mne_info = raw.info.copy()
            elif raw.ch_names != mne_info["ch_names"] or raw.info["sfreq"] != mne_info["sfreq"]:
                raise ValueError(
                    f"{file.name} has other channels or another sampling rate than the "
                    "recordings read before it. Replace it with the PhysioNet file, or leave "
                    "the subject out with subjects=[...]."
                )
        if balance:
            n_min = min(len(v[1]) for v in per_label.values())
            for label, (raw, starts, blocks, n_window) in per_label.items():
                keep = np.unique(np.linspace(0, len(starts) - 1, n_min).round().astype(int))
                per_label[label] = (raw, starts[keep], blocks[keep], n_window)
        for label, (raw, starts, blocks, n_window) in per_label.items():
            data = raw.get_data()
            xs.append(np.stack([data[:, s : s + n_window] for s in starts]))
            frames.append(
                pd.DataFrame(
                    {
                        "subject": subject,
                        "label": label,
                        "block": blocks,
                        "onset_s": starts / raw.info["sfreq"],
                    }
                )
            )
    metadata = pd.concat(frames, ignore_index=True)
    metadata["cv_block"] = (
        metadata["subject"] * 2 * n_blocks + metadata["label"] * n_blocks + metadata["block"]
    )
    X = np.concatenate(xs)
    times = np.arange(X.shape[-1]) / mne_info["sfreq"]
    return _bunch_or_epochs(
        X,
        metadata["label"].to_numpy(),
        metadata["subject"].to_numpy(),
        metadata,
        mne_info,
        times,
        EEGMAT_EVENT_ID,
        return_epochs,
    )
