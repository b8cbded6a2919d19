"""TU Berlin hybrid BCI dataset: simultaneous EEG + NIRS (Shin et al. 2017).

Shin, von Lühmann, Blankertz, Kim, Jeong, Hwang and Müller, "Open Access Dataset for
EEG+NIRS Single-Trial Classification", IEEE TNSRE 25(10):1735-1745, 2017,
doi:10.1109/TNSRE.2016.2628057. 29 subjects, six sessions each: sessions 1, 3, 5 left vs
right hand motor imagery (dataset A), sessions 2, 4, 6 mental arithmetic vs baseline
(dataset B); 20 trials per session, 10 s task after a 2 s instruction, then 15-17 s rest.

- EEG: 30 channels of the 10-5 system (AFp1, AFp2, AFF1h, AFF2h, AFF5h, AFF6h, F3, F4,
  F7, F8, FCC3h, FCC4h, FCC5h, FCC6h, T7, T8, Cz, CCP3h, CCP4h, CCP5h, CCP6h, Pz, P3, P4,
  P7, P8, PPO1h, PPO2h, POO1, POO2; ground Fz) plus VEOG and HEOG, BrainAmp at 1000 Hz,
  released down-sampled to 200 Hz in microvolts (the dataset's page
  http://doc.ml.tu-berlin.de/hBCI, quoted in MOABB's ``Shin2017A`` docstring; MOABB's
  marker index ``(time - 1) // 5`` and its factor 1e-6).
- NIRS: NIRScout, 14 sources and 16 detectors giving 36 channels (9 frontal around Fp1,
  Fpz, Fp2; 24 motor around C3 and C4; 3 occipital around Oz) with an inter-optode
  distance of 30 mm, recorded at 12.5 Hz (the dataset's page, as above); released at
  10 Hz (``cnt.fs``, as read by public readers of the release) as raw intensities at the
  two wavelengths of ``cnt.wavelengths`` (the field ``proc_BeerLambert.m`` requires).

Files, as released at http://doc.ml.tu-berlin.de/hBCI (BBCI toolbox format, MATLAB; the
field list is in the README of the authors' repository github.com/JaeyoungShin/hybrid-BCI):

- ``EEG/subject NN/with occular artifact/{cnt,mrk,mnt}.mat``
- ``NIRS/subject NN/{cnt,mrk,mnt}.mat``

``cnt`` is a cell array of six structs (one per session) with ``x`` (samples x channels),
``clab``, ``fs`` and, for NIRS, ``wavelengths``. NIRS ``clab`` joins the 10-5 names of
the source and the detector and the wavelength tag, all ``lowWL`` channels first, then
all ``highWL`` ones (``'AF7Fp1lowWL'``, ..., ``'AF7Fp1highWL'``, ...; the authors'
``proc_BeerLambert.m`` selects the two blocks by ``*low*`` / ``*high*``). ``mrk`` is a
cell array of six structs with ``time`` (ms), ``y`` (classes x trials, one-hot),
``className`` (``{'LMI', 'RMI'}`` or ``{'MA', 'BL'}``) and ``event.desc`` (EEG 16/32,
NIRS 1/2: ``stimDef`` in the authors' ``classification_hybrid.m``). EEG and NIRS were
recorded by two devices: their marker times have different origins (the NIRS ones run
tens of seconds later), so trials are paired by the spacing of their markers.
"""

import os
import shutil
import warnings
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pooch
from scipy.io import loadmat
from sklearn.utils import Bunch
from skorch.helper import SliceDict

from .._utils import standard_montage
from ..io import modality_info
from ..preprocessing import preprocess_eeg, preprocess_fnirs
from ._download import extract_archive, fetch_archive
from ._real import _concat_data, _epochs_at_events, _share_bads

__all__ = ["fetch_shin2017", "load_shin2017", "read_shin2017_raw"]

URL = "http://doc.ml.tu-berlin.de/hBCI"
URL_ENV = "SKPID_SHIN2017_URL"
ARCHIVES_ENV = "SKPID_SHIN2017_ARCHIVES"
MOABB_PATH_KEY = "MNE_DATASETS_BBCIFNIRS_PATH"
N_SUBJECTS = 29
_EEG_ARCHIVES = [(1, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 29)]
_NIRS_ARCHIVE = "NIRS_01-29.zip"
# sha256 and size in bytes of each archive as served by the host, None until recorded
# from a verified download; meanwhile each archive must be a complete, CRC-valid zip and a
# warning prints its sha256 and size to record here.
REGISTRY = {
    name: {"sha256": None, "size": None}
    for name in [f"EEG_{lo:02d}-{hi:02d}.zip" for lo, hi in _EEG_ARCHIVES] + [_NIRS_ARCHIVE]
}
_SESSIONS = {"A": (0, 2, 4), "B": (1, 3, 5)}
# mrk.className -> (class name, label y); "A": 0 left / 1 right, "B": 1 MA / 0 baseline
_CLASS_NAMES = {
    "A": {"LMI": ("left_hand", 0), "RMI": ("right_hand", 1)},
    "B": {"MA": ("mental_arithmetic", 1), "BL": ("baseline", 0)},
}
_TASK = {"A": "motor imagery (LMI/RMI)", "B": "mental arithmetic (MA/BL)"}
# NIRScout's usual pair, used only when a file lacks cnt.wavelengths (not checked on the
# release, whose NIRS cnt carries the field)
_DEFAULT_WAVELENGTHS = (760.0, 850.0)
_OPTODE_DISTANCE = 0.03  # m; inter-optode distance of the montage (the dataset's page)
# s; the gaps between the EEG markers of paired trials and those between their NIRS
# markers agree within this, plus one NIRS sample (the resolution of the NIRS times)
_GAP_TOLERANCE = 0.1

LICENCE = (
    "The TU Berlin hybrid BCI dataset (EEG+NIRS) is released by its authors for research "
    "use under the terms shown at http://doc.ml.tu-berlin.de/hBCI (GNU General Public "
    "License v3). Cite: Shin J, von Lühmann A, Blankertz B, Kim DW, Jeong J, Hwang HJ, "
    "Müller KR. Open Access Dataset for EEG+NIRS Single-Trial Classification. IEEE Trans "
    "Neural Syst Rehabil Eng 25(10):1735-1745, 2017. doi:10.1109/TNSRE.2016.2628057."
)


# --------------------------------------------------------------------------------------
# files on disk
# --------------------------------------------------------------------------------------


def _eeg_dir(root, subject):
    return Path(root) / "EEG" / f"subject {subject:02d}" / "with occular artifact"


def _nirs_dir(root, subject):
    return Path(root) / "NIRS" / f"subject {subject:02d}"


def _complete(folder):
    """The one presence check: a session folder needs both cnt.mat and mrk.mat."""
    return all((Path(folder) / f).is_file() for f in ("cnt.mat", "mrk.mat"))


def _moabb_root():
    """MOABB's folder for this dataset (``Shin2017A/B``), whether or not it exists.

    MOABB reads the config key ``MNE_DATASETS_BBCIFNIRS_PATH`` (environment variable or
    mne config), falling back to ``MNE_DATA`` and then ``~/mne_data``, and unpacks the
    EEG under ``MNE-eegfnirs-data/EEG/`` in the same layout as the release.
    """
    base = mne.get_config(MOABB_PATH_KEY) or mne.get_config("MNE_DATA") or "~/mne_data"
    return Path(base).expanduser() / "MNE-eegfnirs-data"


def _find_eeg_dir(root, subject):
    """The EEG folder of ``subject``: in ``root``, else in MOABB's download folder."""
    for base in (root, _moabb_root()):
        if _complete(_eeg_dir(base, subject)):
            return _eeg_dir(base, subject)
    return None


def _data_root(data_path):
    return Path(pooch.os_cache("skpid") / "shin2017" if data_path is None else data_path)


def _check_subjects(subjects):
    subjects = [subjects] if isinstance(subjects, (int, np.integer)) else list(subjects)
    bad = [s for s in subjects if not isinstance(s, (int, np.integer)) or not 1 <= s <= N_SUBJECTS]
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


def _subject_of(path, base):
    """Subject number of the ``subject NN`` folder above ``path`` (below ``base``)."""
    for part in path.relative_to(base).parts:
        words = part.lower().split()
        if len(words) == 2 and words[0] == "subject" and words[1].isdigit():
            return int(words[1]), part
    return None, None


def _unpack(archive, root, modality):
    """Unpack one archive and move its ``subject NN`` folders to ``root/modality``.

    The folders are found wherever they sit in the archive (at its top, under ``EEG/``
    or ``NIRS/``, under a folder named after the archive...), so one more level of
    nesting does not break the layout.
    """
    tmp = extract_archive(archive, root)
    try:
        found = {}
        for cnt in tmp.rglob("cnt.mat"):
            subject, name = _subject_of(cnt.parent, tmp)
            if subject is None:
                continue
            top = next(p for p in [cnt.parent, *cnt.parents] if p.name == name)
            found[subject] = top
        if not found:
            raise FileNotFoundError(
                f"{Path(archive).name} holds no 'subject NN' folder with cnt.mat; its layout "
                "is not the expected one. Unpack it by hand so that the files sit in "
                f"{_eeg_dir(root, 1) if modality == 'EEG' else _nirs_dir(root, 1)} "
                "(and so on per subject)."
            )
        for subject, top in found.items():
            dest = Path(root) / modality / f"subject {subject:02d}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(top, dest, dirs_exist_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _archive_dirs(archive_dir):
    if archive_dir is not None:
        return [Path(archive_dir)]
    env = os.environ.get(ARCHIVES_ENV)
    return [Path(env)] if env else []


def _get_archive(base_url, modality, fname, root, mirrors, progressbar):
    archive, from_mirror = fetch_archive(
        f"{base_url}/{modality}/{fname}",
        fname,
        root,
        sha256=REGISTRY[fname]["sha256"],
        size=REGISTRY[fname]["size"],
        mirrors=mirrors,
        progressbar=progressbar,
    )
    _unpack(archive, root, modality)
    if not from_mirror:
        archive.unlink()


def fetch_shin2017(
    subjects, *, data_path=None, accept=False, url=None, archive_dir=None, progressbar=True
):
    """Make sure the EEG and NIRS files of ``subjects`` are on disk; download if not.

    The release is split in archives named as on the host: ``EEG/EEG_01-05.zip`` ...
    ``EEG/EEG_26-29.zip`` (five subjects each) and ``NIRS/NIRS_01-29.zip``. Each is
    checked before it is unpacked (sha256 when recorded in :data:`REGISTRY`, otherwise
    a complete, CRC-valid zip; a warning then prints its hash), a failed or partial
    download is removed, and a stale archive is never reused.

    Parameters
    ----------
    subjects : int or list of int
        Subject numbers, 1 to 29.
    data_path : str, Path or None, default=None
        Folder that holds (or will hold) ``EEG/`` and ``NIRS/`` as released. ``None``
        uses pooch's cache folder for skpid (``pooch.os_cache("skpid") / "shin2017"``).
        EEG files already downloaded by MOABB (``Shin2017A``/``Shin2017B``, folder set
        by its config key ``MNE_DATASETS_BBCIFNIRS_PATH``, else ``MNE_DATA``, else
        ``~/mne_data``; files under ``MNE-eegfnirs-data/EEG/``) are read from there
        instead of being downloaded again.
    accept : bool, default=False
        You accept the licence of the dataset (printed in the error otherwise). Needed
        only when something has to be downloaded.
    url : str or None, default=None
        Base URL of the release or of a mirror with the same ``EEG/`` and ``NIRS/``
        sub-folders. ``None`` uses the environment variable ``SKPID_SHIN2017_URL`` when
        set, else :data:`URL`.
    archive_dir : str, Path or None, default=None
        Local folder holding archives downloaded by hand (e.g. with a browser when the
        host's TLS certificate is refused), directly or in ``EEG/`` and ``NIRS/``
        sub-folders, under their release names. They are checked and unpacked, never
        deleted. ``None`` uses the environment variable ``SKPID_SHIN2017_ARCHIVES``
        when set.
    progressbar : bool, default=True
        Show a progress bar while downloading.

    Returns
    -------
    root : Path
        The folder with ``EEG/`` and ``NIRS/``.

    Raises
    ------
    ValueError
        If the licence is not accepted while files are missing, or an archive fails
        its checks.
    OSError
        If a download fails (the message names the URL and the mirror options).
    FileNotFoundError
        If files are still missing after unpacking.
    """
    subjects = _check_subjects(subjects)
    root = _data_root(data_path)
    need_eeg = [s for s in subjects if _find_eeg_dir(root, s) is None]
    need_nirs = [s for s in subjects if not _complete(_nirs_dir(root, s))]
    if not need_eeg and not need_nirs:
        return root
    if accept is not True:
        raise ValueError(
            f"Files of subject(s) {sorted(set(need_eeg + need_nirs))} are not in {root} and "
            f"must be downloaded. {LICENCE} If you accept these terms, pass accept=True (or "
            "point data_path to a folder holding EEG/ and NIRS/ as released, or archive_dir "
            "to the archives downloaded by hand)."
        )
    base_url = (url or os.environ.get(URL_ENV) or URL).rstrip("/")
    mirrors = _archive_dirs(archive_dir)
    root.mkdir(parents=True, exist_ok=True)
    for low, high in _EEG_ARCHIVES:
        if any(low <= s <= high for s in need_eeg):
            fname = f"EEG_{low:02d}-{high:02d}.zip"
            _get_archive(base_url, "EEG", fname, root, mirrors, progressbar)
    if need_nirs:
        _get_archive(base_url, "NIRS", _NIRS_ARCHIVE, root, mirrors, progressbar)
    still = [
        s for s in subjects if _find_eeg_dir(root, s) is None or not _complete(_nirs_dir(root, s))
    ]
    if still:
        raise FileNotFoundError(
            f"After unpacking, the files of subject(s) {still} are still missing under "
            f"{root}. Unpack the archives by hand so that EEG/subject NN/with occular "
            "artifact/ and NIRS/subject NN/ hold cnt.mat and mrk.mat."
        )
    return root


# --------------------------------------------------------------------------------------
# reading one session
# --------------------------------------------------------------------------------------


def _field(struct, name, file):
    if not hasattr(struct, name):
        raise ValueError(
            f"{file} has no field {name!r} in its struct; expected the BBCI layout of the "
            "TU Berlin release (cnt: x, clab, fs; mrk: time, y, className)."
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


def _strings(value):
    return [str(v) for v in np.atleast_1d(value)]


def _markers(mrk, sfreq, dataset, session, file):
    """Task onsets (s) and labels of one session's markers, checked three ways.

    The class of a marker is its one-hot row of ``mrk.y``, named by ``mrk.className``
    (not assumed from the row order); ``mrk.event.desc`` must agree with it (code 16 x
    row for EEG, row for NIRS, rows counted from 1). BBCI times are in ms of 1-based
    samples.

    Returns
    -------
    onsets : ndarray of shape (n_markers,)
        Seconds from the first sample of the recording.
    labels : ndarray of int, shape (n_markers,)
        ``y`` of each marker (see ``_CLASS_NAMES``).
    names : list of str
        Class name of each marker.
    """
    where = f"{file}, session {session + 1}"
    times = np.atleast_1d(_field(mrk, "time", file)).astype(float)
    y = np.atleast_2d(_field(mrk, "y", file)).astype(float)
    if y.shape[1] != len(times) and y.shape[0] == len(times):
        y = y.T
    if y.shape[1] != len(times) or not np.all((y == 0) | (y == 1)) or np.any(y.sum(0) != 1):
        raise ValueError(
            f"{where}: mrk.y has shape {y.shape} for {len(times)} markers; expected one-hot "
            "columns (classes x markers). Delete the subject's folder and fetch it again."
        )
    rows = np.argmax(y, axis=0)
    known = _CLASS_NAMES[dataset]
    # without className (not seen in the release): the BBCI row order, LMI/MA first
    class_names = _strings(mrk.className) if hasattr(mrk, "className") else list(known)
    if len(class_names) != y.shape[0] or any(c not in known for c in class_names):
        other = "B" if dataset == "A" else "A"
        hint = (
            f" These are the classes of dataset {other!r}: the sessions are out of order."
            if set(class_names) <= set(_CLASS_NAMES[other])
            else ""
        )
        raise ValueError(
            f"{where}: mrk.className is {class_names} for {y.shape[0]} rows of mrk.y; "
            f"dataset {dataset!r} ({_TASK[dataset]}) expects {sorted(known)}.{hint} Use the "
            "release's mrk.mat unchanged."
        )
    event = getattr(mrk, "event", None)
    if event is not None and hasattr(event, "desc"):
        desc = np.atleast_1d(event.desc).astype(int)
        code_rows = np.where(desc >= 16, desc // 16, desc) - 1  # EEG 16/32, NIRS 1/2
        if len(desc) != len(times) or not np.array_equal(code_rows, rows):
            raise ValueError(
                f"{where}: mrk.event.desc {desc[:6].tolist()}... does not match the rows of "
                "mrk.y (EEG codes 16/32 and NIRS codes 1/2 name rows 1/2). The marker file "
                "is inconsistent; fetch it again."
            )
    onsets = times / 1000.0 - 1.0 / sfreq
    names = [known[class_names[r]][0] for r in rows]
    labels = np.array([known[class_names[r]][1] for r in rows], dtype=int)
    return onsets, labels, names


def _eeg_raw(cnt, file):
    x = np.asarray(_field(cnt, "x", file), dtype=float)
    clab = _strings(_field(cnt, "clab", file))
    sfreq = float(_field(cnt, "fs", file))
    types = ["eog" if "EOG" in name.upper() else "eeg" for name in clab]
    montage = standard_montage("1005")
    missing = [
        c for c, t in zip(clab, types, strict=True) if t == "eeg" and c not in montage.ch_names
    ]
    if missing:
        raise ValueError(
            f"{file}: EEG channels {missing} are not names of the 10-5 system, so they have "
            "no position. Use the release's cnt.mat unchanged (its 30 EEG channels are 10-5 "
            "names such as 'AFF5h', 'FCC3h', 'POO1')."
        )
    info = mne.create_info(clab, sfreq, ch_types=types)
    raw = mne.io.RawArray(x.T * 1e-6, info, verbose="error")  # released in microvolts
    raw.set_montage(montage)  # template (MRI frame) -> head frame via its fiducials
    return raw


def _split_optodes(label, names):
    """``'AF7Fp1'`` -> ``('AF7', 'Fp1')`` using the names of the 10-5 template."""
    splits = [
        (label[:k], label[k:])
        for k in range(1, len(label))
        if label[:k] in names and label[k:] in names
    ]
    return splits[0] if len(splits) == 1 else None


def _wavelengths(cnt, file):
    value = getattr(cnt, "wavelengths", None)
    wl = np.atleast_1d(_DEFAULT_WAVELENGTHS if value is None else value).astype(float)
    wl = np.unique(wl)  # sorted: lowWL is the shorter wavelength whatever the file order
    if wl.size != 2:
        raise ValueError(
            f"{file}: cnt.wavelengths is {np.atleast_1d(value).tolist()}; expected two "
            "different wavelengths in nm (the release has two)."
        )
    return tuple(wl)


def _set_optode_distance(info, distance):
    """Place each channel's source and detector ``distance`` apart about its midpoint.

    The optodes keep the direction between their template positions and the channel its
    template midpoint; only their spacing becomes the montage's (the modified
    Beer-Lambert law in mne divides by the source-detector distance read from here). An
    optode shared by several channels therefore sits a few mm apart between them.
    """
    for ch in info["chs"]:
        src, det = ch["loc"][3:6].copy(), ch["loc"][6:9].copy()
        mid, unit = (src + det) / 2, (det - src) / np.linalg.norm(det - src)
        ch["loc"][3:6] = mid - unit * distance / 2
        ch["loc"][6:9] = mid + unit * distance / 2
        ch["loc"][:3] = mid


def _nirs_raw(cnt, file):
    x = np.asarray(_field(cnt, "x", file), dtype=float)
    clab = _strings(_field(cnt, "clab", file))
    sfreq = float(_field(cnt, "fs", file))
    low, high = _wavelengths(cnt, file)
    pairs, bad = {}, []
    for k, name in enumerate(clab):
        tag = next((t for t in ("lowWL", "highWL") if name.endswith(t)), None)
        if tag is None:
            bad.append(name)
            continue
        by_wl = pairs.setdefault(name[: -len(tag)], {})
        by_wl[low if tag == "lowWL" else high] = k
    if bad or not pairs or any(len(v) != 2 for v in pairs.values()):
        incomplete = [p for p, v in pairs.items() if len(v) != 2]
        raise ValueError(
            f"{file}: NIRS channel names must come in pairs '<source><detector>lowWL' and "
            f"'<source><detector>highWL'; got names without a tag {bad[:4]} and pairs "
            f"lacking a wavelength {incomplete[:4]}. Use the release's NIRS/cnt.mat unchanged."
        )
    template = standard_montage("1005")
    positions = template.get_positions()
    split = {label: _split_optodes(label, positions["ch_pos"]) for label in pairs}
    unknown = [label for label, v in split.items() if v is None]
    if unknown:
        raise ValueError(
            f"{file}: NIRS channels {unknown[:5]} do not split into two 10-5 optode names "
            "(source then detector, e.g. 'AF7Fp1'), so their optodes have no position. Use "
            "the release's NIRS/cnt.mat unchanged."
        )
    sources, detectors, names, order = {}, {}, [], []
    for label, by_wl in pairs.items():
        src, det = split[label]
        s = sources.setdefault(src, len(sources) + 1)
        d = detectors.setdefault(det, len(detectors) + 1)
        for wl in (low, high):
            names.append(f"S{s}_D{d} {wl:g}")
            order.append(by_wl[wl])
    info = mne.create_info(names, sfreq, ch_types="fnirs_cw_amplitude")
    for ch, name in zip(info["chs"], names, strict=True):
        ch["loc"][9] = float(name.split(" ")[1])
    raw = mne.io.RawArray(x[:, order].T, info, verbose="error")
    optodes = {f"S{s}": positions["ch_pos"][n] for n, s in sources.items()}
    optodes.update({f"D{d}": positions["ch_pos"][n] for n, d in detectors.items()})
    montage = mne.channels.make_dig_montage(
        optodes,
        nasion=positions["nasion"],
        lpa=positions["lpa"],
        rpa=positions["rpa"],
        coord_frame=positions["coord_frame"],
    )
    raw.set_montage(montage)  # same template and fiducials as the EEG: same head frame
    _set_optode_distance(raw.info, _OPTODE_DISTANCE)
    pair_names = {f"S{sources[src]}_D{detectors[det]}": src + det for src, det in split.values()}
    return raw, pair_names


def _read_subject(subject, dataset, data_path, accept):
    """Raws and markers of the three sessions of ``dataset`` of one subject."""
    root = fetch_shin2017(subject, data_path=data_path, accept=accept)
    eeg_dir, nirs_dir = _find_eeg_dir(root, subject), _nirs_dir(root, subject)
    cells = {
        (mod, key): _load_cells(d / f"{key}.mat", key)
        for mod, d in (("eeg", eeg_dir), ("nirs", nirs_dir))
        for key in ("cnt", "mrk")
    }
    sessions = []
    for s in _SESSIONS[dataset]:
        eeg = _eeg_raw(cells["eeg", "cnt"][s], eeg_dir / "cnt.mat")
        nirs, optode_labels = _nirs_raw(cells["nirs", "cnt"][s], nirs_dir / "cnt.mat")
        markers = {}
        for mod, raw, folder in (("eeg", eeg, eeg_dir), ("nirs", nirs, nirs_dir)):
            onsets, labels, names = _markers(
                cells[mod, "mrk"][s], raw.info["sfreq"], dataset, s, folder / "mrk.mat"
            )
            raw.set_annotations(mne.Annotations(onsets, np.zeros(len(onsets)), names))
            markers[mod] = (onsets, labels)
        sessions.append(
            {"eeg": eeg, "nirs": nirs, "markers": markers, "optode_labels": optode_labels}
        )
    return sessions


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
        ``(raw_eeg, raw_nirs)`` per session, both with sensor positions in mne's head
        frame from the 10-5 template (the same fiducials for both): EEG in volts
        (``eeg`` + ``eog`` channels); NIRS as ``fnirs_cw_amplitude`` intensities named
        ``"S<i>_D<j> <wavelength>"`` (sources and detectors numbered in the order of the
        release's channels), each source 30 mm
        from its detector (the published inter-optode distance) on the line between
        their template positions. Task onsets as annotations named after the classes
        (``mrk.className``); each modality keeps the marker times of its own device.
    """
    _check_dataset(dataset)
    (subject,) = _check_subjects(subject)
    sessions = _read_subject(subject, dataset, data_path, accept)
    return [(s["eeg"], s["nirs"]) for s in sessions]


# --------------------------------------------------------------------------------------
# pairing and epoching
# --------------------------------------------------------------------------------------


def _pair_markers(t_eeg, t_nirs, tolerance):
    """Indices of the EEG and NIRS markers of the same trials, from their spacing.

    The two devices' clocks differ by an offset; the offset is the one shared (within
    ``tolerance``) by most marker pairs, and a marker is paired with the marker of the
    other device that lies at that offset. A trial missing on one side, or a marker
    moved on one side, is left unpaired instead of shifting the pairing.

    Parameters
    ----------
    t_eeg, t_nirs : ndarray of shape (n_eeg,), (n_nirs,)
        Marker times in seconds, each on its device's clock.
    tolerance : float
        Largest disagreement, in seconds, between the two devices' times of a trial
        once the offset is removed.

    Returns
    -------
    i_eeg, i_nirs : ndarray of int, shape (n_pairs,)
        Paired indices, in EEG time order.
    offset : float
        NIRS time minus EEG time of the paired markers (median), in seconds.
    """
    diff = t_nirs[None, :] - t_eeg[:, None]
    candidates = diff.ravel()
    support = [(np.abs(diff - c) <= tolerance).any(axis=1).sum() for c in candidates]
    best = candidates[int(np.argmax(support))]
    offset = float(np.median(diff[np.abs(diff - best) <= tolerance]))
    i_eeg, i_nirs, used = [], [], set()
    for i in np.argsort(t_eeg):
        j = int(np.argmin(np.abs(diff[i] - offset)))
        if abs(diff[i, j] - offset) <= tolerance and j not in used:
            i_eeg.append(int(i))
            i_nirs.append(j)
            used.add(j)
    return np.array(i_eeg, dtype=int), np.array(i_nirs, dtype=int), offset


def _check_gaps(t_eeg, t_nirs, tolerance, what):
    """Refuse paired markers whose successive gaps differ by more than ``tolerance``."""
    bad = np.flatnonzero(np.abs(np.diff(t_eeg) - np.diff(t_nirs)) > tolerance)
    if bad.size:
        raise ValueError(
            f"{what}: the gaps between paired EEG and NIRS markers differ by more than "
            f"{tolerance * 1000:.0f} ms after trial {bad[0]}, so the trials are not paired "
            "one to one. Check the marker files (mrk.mat) of both modalities."
        )


def _epochs(raw, onsets, labels, event_id, tmin, tmax, baseline):
    samples = np.round(onsets * raw.info["sfreq"]).astype(int) + raw.first_samp
    events = np.column_stack([samples, np.zeros(len(samples), int), labels + 1])
    return _epochs_at_events(raw, events, event_id, tmin, tmax, baseline)


def _pair_session(session, subject, session_index, tolerance):
    """Paired marker indices of one session, warning about unpaired trials."""
    what = f"Subject {subject}, session {session_index + 1}"
    (t_eeg, y_eeg), (t_nirs, y_nirs) = session["markers"]["eeg"], session["markers"]["nirs"]
    if len(t_eeg) == 0 or len(t_nirs) == 0:
        raise ValueError(f"{what} has no task markers in its EEG or NIRS mrk.mat.")
    i_eeg, i_nirs, _ = _pair_markers(t_eeg, t_nirs, tolerance)
    if len(i_eeg) < 2:
        raise ValueError(
            f"{what}: fewer than two EEG and NIRS markers share one time offset, so the "
            "trials cannot be paired. Check the marker files (mrk.mat) of both modalities."
        )
    _check_gaps(t_eeg[i_eeg], t_nirs[i_nirs], tolerance, what)
    wrong = np.flatnonzero(y_eeg[i_eeg] != y_nirs[i_nirs])
    if wrong.size:
        raise ValueError(
            f"{what}: the EEG and NIRS markers of trials {i_eeg[wrong].tolist()} fall at the "
            "same time but name different classes. The marker files are inconsistent."
        )
    lone_eeg = sorted(set(range(len(t_eeg))) - set(i_eeg.tolist()))
    lone_nirs = sorted(set(range(len(t_nirs))) - set(i_nirs.tolist()))
    if lone_eeg or lone_nirs:
        warnings.warn(
            f"{what}: EEG markers {lone_eeg} and NIRS markers {lone_nirs} have no partner "
            "at the offset shared by the other trials; these trials are left out.",
            RuntimeWarning,
            stacklevel=3,
        )
    return i_eeg, i_nirs


def _check_windows(eeg_window, fnirs_window, fnirs_baseline):
    for name, window in (("eeg_window", eeg_window), ("fnirs_window", fnirs_window)):
        if len(window) != 2 or window[0] >= window[1]:
            raise ValueError(
                f"{name} must be (tmin, tmax) in seconds with tmin < tmax, got {window!r}."
            )
    if fnirs_baseline is not None and (
        len(fnirs_baseline) != 2
        or fnirs_baseline[0] >= fnirs_baseline[1]
        or fnirs_baseline[1] > fnirs_window[1]
    ):
        raise ValueError(
            f"fnirs_baseline must be (start, end) in seconds with start < end <= "
            f"fnirs_window[1], got {fnirs_baseline!r}; e.g. (-5.0, -2.0), or None for none."
        )


def load_shin2017(
    subjects=1,
    *,
    dataset="B",
    data_path=None,
    accept=False,
    eeg_window=(0.0, 10.0),
    fnirs_window=(-2.0, 15.0),
    fnirs_baseline=(-5.0, -2.0),
    eeg_kwargs=None,
    fnirs_kwargs=None,
    return_epochs=False,
):
    """Paired EEG and fNIRS trials of the TU Berlin hybrid BCI dataset.

    Every session is preprocessed as a whole (EEG: :func:`~skpid.preprocessing.preprocess_eeg`,
    NIRS intensities: :func:`~skpid.preprocessing.preprocess_fnirs`, with the published
    30 mm inter-optode distance), then cut around the task onsets. The EEG and NIRS
    markers of a session are paired by their spacing (the two devices' clocks differ by
    an offset; the gaps between paired markers agree within 100 ms plus one NIRS sample,
    the resolution of the NIRS marker times), and only trials whose
    epochs both modalities kept (mne's ``selection``) are returned. Trials without a
    partner are left out with a ``RuntimeWarning``.

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
        because the haemodynamic response lags by a few seconds.
    fnirs_baseline : tuple of float or None, default=(-5.0, -2.0)
        Interval (s from task onset) whose mean is subtracted from each fNIRS epoch; it
        may start before ``fnirs_window``. The default is the rest before the 2 s
        instruction, as in the fNIRSNet preprocessing of this dataset and skpid's
        :func:`load_shin2017_ma_fnirs`; the authors' demo
        (``classification_hybrid.m``) uses (-3, 0). ``None``: no baseline correction.
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
        ``metadata``: subject, session, trial (index of the EEG marker in its session),
        eeg_onset and nirs_onset (s, each on its device's clock);
        ``info``: per modality ``sfreq``, ``ch_names``, ``ch_types``, ``times``,
        ``tmin``, ``mne_info`` (head-frame sensor positions), ``events`` and
        ``event_id`` (mne codes ``y + 1``, so that :func:`skpid.io.to_epochs` gives back
        labelled Epochs), plus for fNIRS ``bads`` and ``optodes`` (the release's pair
        name, e.g. ``'AF7Fp1'``, of each channel); and ``event_id``
        (class name to ``y``).
    """
    subjects = _check_subjects(subjects)
    _check_dataset(dataset)
    _check_windows(eeg_window, fnirs_window, fnirs_baseline)
    classes = dict(_CLASS_NAMES[dataset].values())
    event_id = {name: label + 1 for name, label in classes.items()}  # mne codes > 0
    eeg_epochs, nirs_epochs, frames, optodes = [], [], [], None
    for subject in subjects:
        sessions = _read_subject(subject, dataset, data_path, accept)
        for session_index, session in zip(_SESSIONS[dataset], sessions, strict=True):
            tolerance = _GAP_TOLERANCE + 1.0 / session["nirs"].info["sfreq"]
            i_eeg, i_nirs = _pair_session(session, subject, session_index, tolerance)
            (t_eeg, labels), (t_nirs, _) = session["markers"]["eeg"], session["markers"]["nirs"]
            raw_eeg = preprocess_eeg(session["eeg"], copy=False, **(eeg_kwargs or {}))
            raw_eeg.pick("eeg")
            raw_hb = preprocess_fnirs(session["nirs"], **(fnirs_kwargs or {}))
            y = labels[i_eeg]
            ep_eeg = _epochs(raw_eeg, t_eeg[i_eeg], y, event_id, *eeg_window, None)
            start = (
                fnirs_window[0]
                if fnirs_baseline is None
                else min(fnirs_window[0], fnirs_baseline[0])
            )
            ep_nirs = _epochs(
                raw_hb, t_nirs[i_nirs], y, event_id, start, fnirs_window[1], fnirs_baseline
            )
            ep_nirs.crop(*fnirs_window, include_tmax=True)
            kept = np.intersect1d(ep_eeg.selection, ep_nirs.selection)
            what = f"Subject {subject}, session {session_index + 1}"
            if kept.size == 0:
                raise ValueError(
                    f"{what}: no trial has a whole EEG and NIRS epoch inside the recordings "
                    f"(eeg_window={eeg_window}, fnirs_window={fnirs_window}, "
                    f"fnirs_baseline={fnirs_baseline}). Narrow the windows."
                )
            ep_eeg = ep_eeg[np.isin(ep_eeg.selection, kept)]
            ep_nirs = ep_nirs[np.isin(ep_nirs.selection, kept)]
            _check_gaps(t_eeg[i_eeg][kept], t_nirs[i_nirs][kept], tolerance, what)
            eeg_epochs.append(ep_eeg)
            nirs_epochs.append(ep_nirs)
            optodes = [session["optode_labels"][c.split(" ")[0]] for c in raw_hb.ch_names]
            frames.append(
                pd.DataFrame(
                    {
                        "subject": subject,
                        "session": session_index + 1,
                        "trial": i_eeg[kept],
                        "eeg_onset": t_eeg[i_eeg][kept],
                        "nirs_onset": t_nirs[i_nirs][kept],
                    }
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
    events = np.column_stack([np.arange(len(y)), np.zeros(len(y), int), y + 1])
    used_id = {k: v for k, v in event_id.items() if v in events[:, 2]}
    info = {
        "eeg": modality_info(
            eeg_epochs[0].info.copy(),
            eeg_epochs[0].times[0],
            times=np.asarray(eeg_epochs[0].times),
            events=events,
            event_id=used_id,
        ),
        "fnirs": modality_info(
            nirs_epochs[0].info.copy(),
            nirs_epochs[0].times[0],
            times=np.asarray(nirs_epochs[0].times),
            events=events.copy(),
            event_id=dict(used_id),
            bads=bads,
            optodes=optodes,
        ),
        "event_id": classes,
    }
    return Bunch(X=X, y=y, groups=metadata["subject"].to_numpy(), metadata=metadata, info=info)
