"""TU Berlin hybrid BCI dataset: simultaneous EEG + NIRS (Shin et al. 2017).

Shin, von Lühmann, Blankertz, Kim, Jeong, Hwang and Müller, "Open Access Dataset for
EEG+NIRS Single-Trial Classification", IEEE TNSRE 25(10):1735-1745, 2017,
doi:10.1109/TNSRE.2016.2628057. 29 subjects, six sessions each: sessions 1, 3, 5 left vs
right hand motor imagery (dataset A), sessions 2, 4, 6 mental arithmetic vs baseline
(dataset B); 20 trials per session, 10 s task after a 2 s instruction. EEG: 30 channels
+ 2 EOG (BrainAmp, released down-sampled to 200 Hz, in microvolts). NIRS: NIRScout,
36 channels x 2 wavelengths, released down-sampled to 10 Hz as raw intensities.

Files, as released at http://doc.ml.tu-berlin.de/hBCI (BBCI toolbox format, MATLAB):

- ``EEG/subject NN/with occular artifact/{cnt,mrk,mnt}.mat``
- ``NIRS/subject NN/{cnt,mrk,mnt}.mat``

``cnt`` is a cell array of six structs (one per session) with fields ``x`` (samples x
channels), ``clab`` (channel names), ``fs`` and for NIRS ``wavelengths``; NIRS channel
names join the source and detector positions of the 10-5 system and the wavelength
(``'AF7Fp1lowWL'``, ``'AF7Fp1highWL'``). ``mrk`` is a cell array of six structs with
``time`` (task onsets in ms) and ``y`` (classes x trials, one-hot).
"""

import warnings
import zipfile
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pooch
from scipy.io import loadmat
from sklearn.utils import Bunch
from skorch.helper import SliceDict

from ..preprocessing import preprocess_eeg, preprocess_fnirs
from ..preprocessing._eeg import _standard_montage
from ._real import _concat_data, _epochs_at_annotations, _modality_info, _share_bads

__all__ = ["fetch_shin2017", "load_shin2017", "read_shin2017_raw"]

URL = "http://doc.ml.tu-berlin.de/hBCI"
N_SUBJECTS = 29
_EEG_ARCHIVES = [(1, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 29)]
_SESSIONS = {"A": (0, 2, 4), "B": (1, 3, 5)}
# One-hot rows of mrk.y -> (name, label): row 0 is the first class of the BBCI markers.
_CLASSES = {
    "A": [("left_hand", 0), ("right_hand", 1)],
    "B": [("mental_arithmetic", 1), ("baseline", 0)],
}
_DEFAULT_WAVELENGTHS = (760.0, 850.0)
_OPTODE_DISTANCE = 0.03  # m; inter-optode distance of the montage (Shin et al. 2017)

LICENCE = (
    "The TU Berlin hybrid BCI dataset (EEG+NIRS) is released by its authors for research "
    "use under the terms shown at http://doc.ml.tu-berlin.de/hBCI (GNU General Public "
    "License v3). Cite: Shin J, von Lühmann A, Blankertz B, Kim DW, Jeong J, Hwang HJ, "
    "Müller KR. Open Access Dataset for EEG+NIRS Single-Trial Classification. IEEE Trans "
    "Neural Syst Rehabil Eng 25(10):1735-1745, 2017. doi:10.1109/TNSRE.2016.2628057."
)


def _subject_dirs(root, subject):
    return (
        root / "EEG" / f"subject {subject:02d}" / "with occular artifact",
        root / "NIRS" / f"subject {subject:02d}",
    )


def _check_subjects(subjects):
    subjects = [subjects] if isinstance(subjects, (int, np.integer)) else list(subjects)
    bad = [s for s in subjects if not isinstance(s, (int, np.integer)) or not 1 <= s <= 29]
    if not subjects or bad:
        raise ValueError(
            f"subjects must be ints between 1 and {N_SUBJECTS}, got {bad or subjects!r}."
        )
    return [int(s) for s in subjects]


def _check_dataset(dataset):
    if dataset not in _SESSIONS:
        raise ValueError(
            f"dataset must be 'A' (motor imagery) or 'B' (mental arithmetic), got {dataset!r}."
        )


def _download(url, root, fname, target):
    """Fetch one zip archive with pooch and unpack it into ``root/target``."""
    archive = pooch.retrieve(url, known_hash=None, fname=fname, path=root, progressbar=False)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / target)
    Path(archive).unlink()


def fetch_shin2017(subjects, *, data_path=None, accept=False):
    """Make sure the EEG and NIRS files of ``subjects`` are on disk; download if not.

    Parameters
    ----------
    subjects : int or list of int
        Subject numbers, 1 to 29.
    data_path : str, Path or None, default=None
        Folder that holds (or will hold) ``EEG/`` and ``NIRS/`` as released. ``None``
        uses pooch's cache folder for skpid (``pooch.os_cache("skpid") / "shin2017"``).
    accept : bool, default=False
        You accept the licence of the dataset (printed in the error otherwise). Needed
        only when something has to be downloaded.

    Returns
    -------
    root : Path
        The folder with ``EEG/`` and ``NIRS/``.
    """
    subjects = _check_subjects(subjects)
    root = Path(pooch.os_cache("skpid") / "shin2017" if data_path is None else data_path)
    missing = [
        s
        for s in subjects
        if not all(
            (d / f).is_file() for d in _subject_dirs(root, s) for f in ("cnt.mat", "mrk.mat")
        )
    ]
    if not missing:
        return root
    if accept is not True:
        raise ValueError(
            f"Files of subject(s) {missing} are not in {root} and must be downloaded. "
            f"{LICENCE} If you accept these terms, pass accept=True (or point data_path to "
            "a folder holding EEG/ and NIRS/ as released)."
        )
    root.mkdir(parents=True, exist_ok=True)
    for low, high in _EEG_ARCHIVES:  # the EEG is released in archives of five subjects
        need = [s for s in missing if low <= s <= high]
        if need and not all((_subject_dirs(root, s)[0] / "cnt.mat").is_file() for s in need):
            _download(f"{URL}/EEG/EEG_{low:02d}-{high:02d}.zip", root, "EEG.zip", "EEG")
    if not all((_subject_dirs(root, s)[1] / "cnt.mat").is_file() for s in missing):
        _download(f"{URL}/NIRS/NIRS_01-29.zip", root, "NIRS.zip", "NIRS")
    still = [
        s for s in missing if not all((d / "cnt.mat").is_file() for d in _subject_dirs(root, s))
    ]
    if still:
        raise FileNotFoundError(
            f"After download, the files of subject(s) {still} are still missing under {root}; "
            "the archive layout may have changed. Unpack the archives by hand so that "
            "EEG/subject NN/with occular artifact/ and NIRS/subject NN/ hold cnt.mat, mrk.mat."
        )
    return root


def _field(struct, name, file):
    if not hasattr(struct, name):
        raise ValueError(
            f"{file} has no field {name!r} in its struct; expected the BBCI layout of the "
            "TU Berlin release (cnt: x, clab, fs; mrk: time, y)."
        )
    return getattr(struct, name)


def _load_cells(file, key):
    content = loadmat(file, squeeze_me=True, struct_as_record=False)
    if key not in content:
        raise ValueError(
            f"{file} holds no variable {key!r}, so it is not a file of the TU Berlin "
            "release. Delete the subject's folder and fetch it again (accept=True), or point "
            "data_path to the release as unpacked."
        )
    cells = np.atleast_1d(content[key])
    if len(cells) != 6:
        raise ValueError(
            f"{file}: {key} has {len(cells)} sessions, the release has 6. Delete the "
            "subject's folder and fetch it again (accept=True)."
        )
    return cells


def _annotations(mrk, sfreq, dataset, file):
    """Task onsets (BBCI times are in ms of 1-based samples) with class names."""
    times = np.atleast_1d(_field(mrk, "time", file)).astype(float)
    y = np.atleast_2d(_field(mrk, "y", file))
    if y.shape[1] != len(times):
        y = y.T
    classes = _CLASSES[dataset]
    if y.shape != (len(classes), len(times)):
        raise ValueError(
            f"{file}: mrk.y has shape {y.shape}, expected ({len(classes)}, {len(times)}) "
            "(classes x trials, one-hot). Delete the subject's folder and fetch it again."
        )
    onsets = times / 1000.0 - 1.0 / sfreq
    names = [classes[k][0] for k in np.argmax(y, axis=0)]
    return mne.Annotations(onsets, np.zeros(len(onsets)), names)


def _eeg_raw(cnt, mrk, dataset, file):
    x = np.asarray(_field(cnt, "x", file), dtype=float)
    clab = [str(c) for c in np.atleast_1d(_field(cnt, "clab", file))]
    sfreq = float(_field(cnt, "fs", file))
    types = ["eog" if "EOG" in name.upper() else "eeg" for name in clab]
    info = mne.create_info(clab, sfreq, ch_types=types)
    raw = mne.io.RawArray(x.T * 1e-6, info, verbose="error")  # released in microvolts
    raw.set_montage(_standard_montage("1005"), on_missing="ignore")
    raw.set_annotations(_annotations(mrk, sfreq, dataset, file))
    return raw


def _split_optodes(label, positions):
    """``'AF7Fp1'`` -> ``('AF7', 'Fp1')`` using the names of the 10-05 montage."""
    splits = [
        (label[:k], label[k:])
        for k in range(1, len(label))
        if label[:k] in positions and label[k:] in positions
    ]
    return splits[0] if len(splits) == 1 else None


def _nirs_raw(cnt, mrk, dataset, file):
    x = np.asarray(_field(cnt, "x", file), dtype=float)
    clab = [str(c) for c in np.atleast_1d(_field(cnt, "clab", file))]
    sfreq = float(_field(cnt, "fs", file))
    wavelengths = getattr(cnt, "wavelengths", _DEFAULT_WAVELENGTHS)
    low, high = (float(w) for w in np.atleast_1d(wavelengths)[:2])
    pairs = {}
    for k, name in enumerate(clab):
        for tag, wl in (("lowWL", low), ("highWL", high)):
            if name.endswith(tag):
                pairs.setdefault(name[: -len(tag)], {})[wl] = k
    if not pairs or any(len(v) != 2 for v in pairs.values()):
        raise ValueError(
            f"{file}: NIRS channel names must come in pairs '<optodes>lowWL'/'<optodes>highWL', "
            f"got {clab[:4]}... Use the NIRS/cnt.mat of the TU Berlin release, unchanged."
        )
    positions = _standard_montage("1005").get_positions()["ch_pos"]
    split = {label: _split_optodes(label, positions) for label in pairs}
    if any(v is None for v in split.values()):
        warnings.warn(
            f"{file}: optode positions could not be read from all channel names; placing "
            f"every pair {_OPTODE_DISTANCE * 1000:.0f} mm apart without a head layout.",
            RuntimeWarning,
            stacklevel=3,
        )
    sources, detectors, names, order, locs = {}, {}, [], [], []
    for p, (label, by_wl) in enumerate(pairs.items()):
        src, det = split[label] or (f"src{p}", f"det{p}")
        s = sources.setdefault(src, len(sources) + 1)
        d = detectors.setdefault(det, len(detectors) + 1)
        if split[label] is None:
            src_pos = np.array([0.1 * p, 0.0, 0.0])
            det_pos = src_pos + np.array([_OPTODE_DISTANCE, 0.0, 0.0])
        else:
            src_pos, det_pos = positions[src], positions[det]
        for wl in (low, high):
            names.append(f"S{s}_D{d} {wl:g}")
            order.append(by_wl[wl])
            loc = np.zeros(12)
            loc[:3], loc[3:6], loc[6:9], loc[9] = (src_pos + det_pos) / 2, src_pos, det_pos, wl
            locs.append(loc)
    info = mne.create_info(names, sfreq, ch_types="fnirs_cw_amplitude")
    for ch, loc in zip(info["chs"], locs, strict=True):
        ch["loc"][:] = loc
    raw = mne.io.RawArray(x[:, order].T, info, verbose="error")
    raw.set_annotations(_annotations(mrk, sfreq, dataset, file))
    return raw


def read_shin2017_raw(subject, *, dataset="B", data_path=None, accept=False):
    """Continuous EEG and NIRS of one subject's three sessions of a dataset.

    Parameters
    ----------
    subject : int
        Subject number, 1 to 29.
    dataset : {"A", "B"}, default="B"
        ``"A"``: left/right hand motor imagery (sessions 1, 3, 5); ``"B"``: mental
        arithmetic vs baseline (sessions 2, 4, 6).
    data_path, accept
        See :func:`fetch_shin2017`.

    Returns
    -------
    sessions : list of (mne.io.Raw, mne.io.Raw)
        ``(raw_eeg, raw_nirs)`` per session: EEG in volts (``eeg`` + ``eog`` channels,
        10-05 montage), NIRS as ``fnirs_cw_amplitude`` intensities with optode positions;
        task onsets as annotations named after the classes.
    """
    _check_dataset(dataset)
    (subject,) = _check_subjects(subject)
    root = fetch_shin2017(subject, data_path=data_path, accept=accept)
    eeg_dir, nirs_dir = _subject_dirs(root, subject)
    cells = {
        (mod, key): _load_cells(d / f"{key}.mat", key)
        for mod, d in (("eeg", eeg_dir), ("nirs", nirs_dir))
        for key in ("cnt", "mrk")
    }
    sessions = []
    for s in _SESSIONS[dataset]:
        eeg = _eeg_raw(cells["eeg", "cnt"][s], cells["eeg", "mrk"][s], dataset, eeg_dir / "cnt.mat")
        nirs = _nirs_raw(
            cells["nirs", "cnt"][s], cells["nirs", "mrk"][s], dataset, nirs_dir / "cnt.mat"
        )
        sessions.append((eeg, nirs))
    return sessions


def _check_pair_window(name, window):
    if len(window) != 2 or window[0] >= window[1]:
        raise ValueError(
            f"{name} must be (tmin, tmax) in seconds with tmin < tmax, got {window!r}."
        )


def load_shin2017(
    subjects=1,
    *,
    dataset="B",
    data_path=None,
    accept=False,
    eeg_window=(0.0, 10.0),
    fnirs_window=(-2.0, 15.0),
    eeg_kwargs=None,
    fnirs_kwargs=None,
    return_epochs=False,
):
    """Paired EEG and fNIRS trials of the TU Berlin hybrid BCI dataset.

    Every session is preprocessed as a whole (EEG: :func:`~skpid.preprocessing.preprocess_eeg`,
    NIRS intensities: :func:`~skpid.preprocessing.preprocess_fnirs`), then cut around the
    task onsets; the EEG and NIRS trials of a session are paired by their markers.

    Parameters
    ----------
    subjects : int or list of int, default=1
        Subject numbers, 1 to 29.
    dataset : {"A", "B"}, default="B"
        ``"A"`` left vs right hand motor imagery, ``"B"`` mental arithmetic vs baseline.
    data_path : str, Path or None, default=None
        Folder with ``EEG/`` and ``NIRS/`` as released; see :func:`fetch_shin2017`.
    accept : bool, default=False
        Accept the dataset licence, needed to download (see :data:`LICENCE`).
    eeg_window, fnirs_window : tuple of float, default=(0, 10), (-2, 15)
        Epoch windows in seconds from task onset; the fNIRS one runs past the 10 s task
        because the haemodynamic response lags by a few seconds. fNIRS epochs are
        baseline-corrected on ``[tmin, 0]`` when ``tmin < 0``.
    eeg_kwargs, fnirs_kwargs : dict or None
        Keyword arguments of the two preprocessing functions.
    return_epochs : bool, default=False
        Return ``{"eeg": mne.Epochs, "fnirs": mne.Epochs}`` instead of a batch.

    Returns
    -------
    data : Bunch or dict of mne.Epochs
        ``X``: :class:`skorch.helper.SliceDict` with ``eeg`` ``(n_trials, 30, n_eeg_times)``
        in volts and ``fnirs`` ``(n_trials, 72, n_fnirs_times)`` (HbO/HbR per pair, mol/L);
        ``y``: A 0 left / 1 right, B 1 mental arithmetic / 0 baseline; ``groups``: subject;
        ``metadata``: subject, session, trial; ``info``: per modality ``sfreq``,
        ``ch_names``, ``ch_types``, ``times``, ``tmin``, ``mne_info`` (plus ``bads`` for
        fNIRS), and ``event_id``.
    """
    subjects = _check_subjects(subjects)
    _check_dataset(dataset)
    _check_pair_window("eeg_window", eeg_window)
    _check_pair_window("fnirs_window", fnirs_window)
    event_id = {name: label + 1 for name, label in _CLASSES[dataset]}  # mne codes > 0
    eeg_epochs, nirs_epochs, frames = [], [], []
    for subject in subjects:
        sessions = read_shin2017_raw(subject, dataset=dataset, data_path=data_path, accept=accept)
        for session, (raw_eeg, raw_nirs) in zip(_SESSIONS[dataset], sessions, strict=True):
            raw_eeg = preprocess_eeg(raw_eeg, copy=False, **(eeg_kwargs or {})).pick("eeg")
            raw_hb = preprocess_fnirs(raw_nirs, **(fnirs_kwargs or {}))
            what = f"Subject {subject}, session {session + 1}"
            ep_eeg = _epochs_at_annotations(raw_eeg, event_id, *eeg_window, None, f"{what} EEG")
            fnirs_baseline = (fnirs_window[0], 0.0) if fnirs_window[0] < 0 else None
            ep_nirs = _epochs_at_annotations(
                raw_hb, event_id, *fnirs_window, fnirs_baseline, f"{what} NIRS"
            )
            if not np.array_equal(ep_eeg.events[:, 2], ep_nirs.events[:, 2]):
                raise ValueError(
                    f"Subject {subject}, session {session + 1}: EEG and NIRS markers disagree "
                    f"({len(ep_eeg)} vs {len(ep_nirs)} trials kept). Widen the data or "
                    "narrow eeg_window/fnirs_window so that every trial fits in both."
                )
            eeg_epochs.append(ep_eeg)
            nirs_epochs.append(ep_nirs)
            frames.append(
                pd.DataFrame(
                    {"subject": subject, "session": session + 1, "trial": np.arange(len(ep_eeg))}
                )
            )
    bads = _share_bads(nirs_epochs)
    metadata = pd.concat(frames, ignore_index=True)
    y = np.concatenate([e.events[:, 2] for e in eeg_epochs]) - 1
    if return_epochs:
        out = {}
        for name, eps in (("eeg", eeg_epochs), ("fnirs", nirs_epochs)):
            ep = mne.concatenate_epochs(eps, add_offset=True, verbose="error")
            ep.metadata = metadata
            out[name] = ep
        return out
    X = SliceDict(eeg=_concat_data(eeg_epochs), fnirs=_concat_data(nirs_epochs))
    info = {
        "eeg": _modality_info(eeg_epochs[0].info.copy(), eeg_epochs[0].times),
        "fnirs": _modality_info(nirs_epochs[0].info.copy(), nirs_epochs[0].times, bads=bads),
        "event_id": {name: label for name, label in _CLASSES[dataset]},
    }
    return Bunch(X=X, y=y, groups=metadata["subject"].to_numpy(), metadata=metadata, info=info)
