"""Small files shaped like the TU Berlin hybrid EEG+NIRS release (Shin et al. 2017).

The tests of :mod:`skpid.datasets._shin2017` read these files, so every fact of the
format the loader relies on is written here on purpose, independently of the loader,
with where it comes from:

- Folder layout ``EEG/subject NN/with occular artifact/{cnt,mrk,mnt}.mat`` and
  ``NIRS/subject NN/{cnt,mrk,mnt}.mat``: MOABB's ``moabb/datasets/bbci_eeg_fnirs.py``
  (``eeg_data_path``/``fnirs_data_path``) and the authors' ``demo_convert_NIRS.m``
  (``fullfile(NirsMyDataDir, 'subject 01')``).
- ``cnt``/``mrk`` are 1 x 6 cell arrays of structs, one per session, sessions 1, 3, 5
  motor imagery and 2, 4, 6 mental arithmetic: ``demo_convert_NIRS.m`` (``cnt{idx}``
  for idx 1..6, ``basename_list``) and MOABB (``for ii in [0, 2, 4]`` / ``[1, 3, 5]``).
- Struct fields (``cnt``: ``x`` samples x channels, ``clab``, ``fs``, ``title``, ``T``,
  ``yUnit``, NIRS also ``wavelengths``, ``nSources``, ``nDetectors``; ``mrk``: ``time``
  in ms, ``y`` classes x trials, ``className``, ``event.desc``): README of the authors'
  repository github.com/JaeyoungShin/hybrid-BCI ("Basic Data Structures").
- EEG ``clab``: 30 EEG channels then ``VEOG``, ``HEOG`` in the order printed from the
  release by public code reading it, which is the order of the BBCI names listed in the
  authors' ``classification_hybrid.m`` (``F7, FAF5, F3, AFp1, ...``) written with the
  10-5 names of the paper (``AFF5h``, ``FCC5h``, ``PPO1h``, ``POO1``...); MOABB applies
  ``standard_1005`` to them with mne's strict ``set_montage``, so they are 10-5 names.
- EEG at 200 Hz (1000 Hz down-sampled): paper and MOABB (``idx = (time - 1) // 5``);
  microvolts: MOABB multiplies ``x`` by 1e-6.
- NIRS ``clab``: the 36 pairs of the authors' ``classification_hybrid.m`` (9 frontal,
  24 motor, 3 occipital), all ``...lowWL`` channels first then all ``...highWL`` (the
  order printed from the release; ``proc_BeerLambert.m`` selects ``*low*`` and
  ``*high*`` blocks). 14 sources, 16 detectors, 30 mm apart: paper.
- NIRS at 10 Hz (12.5 Hz down-sampled): paper; ``demo_convert_NIRS.m`` (MBLL with
  ``'Opdist', 3`` cm). Wavelengths 760 and 850 nm: NIRScout (paper).
- Event codes EEG 16/32, NIRS 1/2: ``stimDef.eeg`` / ``stimDef.nirs`` in
  ``classification_hybrid.m``; class names ``{'LMI','RMI'}`` / ``{'MA','BL'}``: the
  ``className`` of its feature vectors; row 1 of ``y`` is the first class (MOABB maps
  ``desc // 16`` to left_hand=1 / subtraction).
- Markers are task onsets (MOABB: "marker is for *task* start not cue start"); a trial
  is 2 s instruction, 10 s task, 15-17 s rest; sessions start and end with 1 min rest
  (paper; MOABB docstring). Shorter here (``pre_rest``, ``n_trials``) to keep tests fast.
- BBCI marker times are ms of 1-based samples of each device (``(time - 1) // 5`` in
  MOABB); the NIRS markers of a trial run about 52 s after the EEG ones (issue 22 of
  skpid, measured on the release by its author), so the two clocks have different
  origins.

The signals are synthetic: EEG noise with a 10 Hz burst on Cz in trials of the first
class, NIRS intensities with a cardiac pulse shared by the two wavelengths of a pair (so
the scalp coupling index is high) and an absorption increase after task onset in trials
of the first class; the last pair has independent noise at its two wavelengths (low
scalp coupling).
"""

import numpy as np
from scipy.io import savemat

EEG_FS = 200.0
NIRS_FS = 10.0
WAVELENGTHS = (760.0, 850.0)
EEG_CLAB = [
    "F7", "AFF5h", "F3", "AFp1", "AFp2", "AFF6h", "F4", "F8", "AFF1h", "AFF2h",
    "Cz", "Pz", "FCC5h", "FCC3h", "CCP5h", "CCP3h", "T7", "P7", "P3", "PPO1h",
    "POO1", "POO2", "PPO2h", "P4", "FCC4h", "FCC6h", "CCP4h", "CCP6h", "P8", "T8",
    "VEOG", "HEOG",
]  # fmt: skip
NIRS_FRONTAL = [
    "AF7Fp1",
    "AF3Fp1",
    "AF3AFz",
    "FpzFp1",
    "FpzAFz",
    "FpzFp2",
    "AF4AFz",
    "AF4Fp2",
    "AF8Fp2",
]
NIRS_OCCIPITAL = ["OzPOz", "OzO1", "OzO2"]
NIRS_MOTOR_LEFT = [
    "C5CP5",
    "C5FC5",
    "C5C3",
    "FC3FC5",
    "FC3C3",
    "FC3FC1",
    "CP3CP5",
    "CP3C3",
    "CP3CP1",
    "C1C3",
    "C1FC1",
    "C1CP1",
]
NIRS_MOTOR_RIGHT = [
    "C2FC2",
    "C2CP2",
    "C2C4",
    "FC4FC2",
    "FC4C4",
    "FC4FC6",
    "CP4CP6",
    "CP4CP2",
    "CP4C4",
    "C6CP6",
    "C6C4",
    "C6FC6",
]
NIRS_PAIRS = NIRS_FRONTAL + NIRS_OCCIPITAL + NIRS_MOTOR_LEFT + NIRS_MOTOR_RIGHT
NIRS_CLAB = [p + "lowWL" for p in NIRS_PAIRS] + [p + "highWL" for p in NIRS_PAIRS]
EEG_CODES, NIRS_CODES = (16, 32), (1, 2)
CLASS_NAMES = {"MI": ["LMI", "RMI"], "MA": ["MA", "BL"]}
SESSION_TASK = ["MI", "MA", "MI", "MA", "MI", "MA"]
NIRS_DELAY = 52.34  # s, NIRS clock minus EEG clock at the same trial
INSTRUCTION, TASK, REST = 2.0, 10.0, (15.0, 17.0)


def _cells(items):
    cells = np.empty((1, len(items)), dtype=object)
    for k, item in enumerate(items):
        cells[0, k] = item
    return cells


def _marker_ms(onsets, fs):
    """BBCI time: ms of the 1-based sample at which the marker was recorded."""
    return (np.round(onsets * fs) + 1) * 1000.0 / fs


def make_session(
    rng, session, *, n_trials=4, rows=None, pre_rest=10.0, post_rest=10.0, identical=False
):
    """One session of both modalities as the dicts written into the cell arrays.

    ``rows``: class row of each trial (default: balanced, shuffled); ``identical``: every
    NIRS pair records the same intensities (no pair of low scalp coupling).

    Returns a dict with ``eeg_cnt``, ``eeg_mrk``, ``nirs_cnt``, ``nirs_mrk`` (edit them to
    make broken files) and ``rows`` (class row of each trial), ``onsets`` (task onsets
    in s on the EEG clock).
    """
    task = SESSION_TASK[session]
    rows = rng.permutation(np.arange(n_trials) % 2) if rows is None else np.asarray(rows)
    n_trials = len(rows)
    starts = pre_rest + np.cumsum(np.r_[0.0, INSTRUCTION + TASK + rng.uniform(*REST, n_trials - 1)])
    onsets = starts + INSTRUCTION
    duration = onsets[-1] + TASK + REST[1] + post_rest
    t_eeg = np.arange(int(duration * EEG_FS)) / EEG_FS
    eeg = rng.normal(0.0, 5.0, (t_eeg.size, len(EEG_CLAB)))  # microvolts
    cz = EEG_CLAB.index("Cz")
    # the NIRS device was started NIRS_DELAY s earlier: its clock reads NIRS_DELAY more
    t_nirs = np.arange(int((duration + NIRS_DELAY) * NIRS_FS)) / NIRS_FS - NIRS_DELAY
    n_pairs = len(NIRS_PAIRS)
    cardiac = np.sin(2 * np.pi * 1.1 * t_nirs)
    absorption = np.zeros(t_nirs.size)
    for onset, row in zip(onsets, rows, strict=True):
        if row == 0:  # first class: 10 Hz on Cz (kept by the average reference) and HRF
            on = (t_eeg >= onset) & (t_eeg < onset + TASK)
            eeg[on, cz] += 40.0 * np.sin(2 * np.pi * 10 * t_eeg[on])
            absorption += np.exp(-0.5 * ((t_nirs - onset - 7.0) / 3.0) ** 2)
    nirs = np.empty((t_nirs.size, 2 * n_pairs))
    shared = 0.001 * rng.normal(size=t_nirs.size)
    for p in range(n_pairs):
        for w, depth in enumerate((0.02, 0.05)):  # lowWL then highWL blocks
            if identical:
                noise, pulse = shared, cardiac
            else:
                noise = 0.001 * rng.normal(size=t_nirs.size)
                pulse = rng.normal(size=t_nirs.size) if p == n_pairs - 1 else cardiac
            nirs[:, w * n_pairs + p] = (1.0 + 0.01 * pulse + noise) * (1.0 - depth * absorption)
    y = np.zeros((2, n_trials))
    y[rows, np.arange(n_trials)] = 1
    names = np.array(CLASS_NAMES[task], dtype=object)
    eeg_mrk = {
        "time": _marker_ms(onsets, EEG_FS),
        "y": y,
        "className": names,
        "event": {"desc": np.array(EEG_CODES)[rows]},
    }
    nirs_mrk = {
        "time": _marker_ms(onsets + NIRS_DELAY, NIRS_FS),
        "y": y.copy(),
        "className": names.copy(),
        "event": {"desc": np.array(NIRS_CODES)[rows]},
    }
    eeg_cnt = {
        "x": eeg,
        "clab": np.array(EEG_CLAB, dtype=object),
        "fs": EEG_FS,
        "title": task,
        "T": float(t_eeg.size),
        "yUnit": "uV",
    }
    nirs_cnt = {
        "x": nirs,
        "clab": np.array(NIRS_CLAB, dtype=object),
        "fs": NIRS_FS,
        "wavelengths": np.array(WAVELENGTHS),
        "nSources": 14.0,
        "nDetectors": 16.0,
        "title": task,
        "T": float(t_nirs.size),
        "signal": "NIRS (raw)",
    }
    return {
        "eeg_cnt": eeg_cnt,
        "eeg_mrk": eeg_mrk,
        "nirs_cnt": nirs_cnt,
        "nirs_mrk": nirs_mrk,
        "rows": rows,
        "onsets": onsets,
    }


def make_subject(seed=0, **kwargs):
    """The six sessions of one subject (see :func:`make_session`)."""
    rng = np.random.default_rng(seed)
    return [make_session(rng, s, **kwargs) for s in range(6)]


def drop_marker(mrk, k):
    """Remove marker ``k`` from a mrk dict (a trial missing on one device)."""
    mrk["time"] = np.delete(mrk["time"], k)
    mrk["y"] = np.delete(mrk["y"], k, axis=1)
    mrk["event"] = {"desc": np.delete(mrk["event"]["desc"], k)}


def write_subject(root, subject=1, sessions=None, *, seed=0, **kwargs):
    """Write the EEG and NIRS cnt/mrk/mnt files of one subject in the release layout.

    Returns
    -------
    eeg_dir, nirs_dir : Path
    sessions : list of dict
        What was written (see :func:`make_session`).
    """
    sessions = make_subject(seed, **kwargs) if sessions is None else sessions
    eeg_dir = root / "EEG" / f"subject {subject:02d}" / "with occular artifact"
    nirs_dir = root / "NIRS" / f"subject {subject:02d}"
    for folder, mod, clab in ((eeg_dir, "eeg", EEG_CLAB), (nirs_dir, "nirs", NIRS_PAIRS)):
        folder.mkdir(parents=True, exist_ok=True)
        savemat(folder / "cnt.mat", {"cnt": _cells([s[f"{mod}_cnt"] for s in sessions])})
        savemat(folder / "mrk.mat", {"mrk": _cells([s[f"{mod}_mrk"] for s in sessions])})
        # mnt (montage for BBCI plots) is part of the release; the loader does not read it
        savemat(folder / "mnt.mat", {"mnt": {"clab": np.array(clab, dtype=object)}})
    return eeg_dir, nirs_dir, sessions


# --------------------------------------------------------------------------------------
# one head with both montages
# --------------------------------------------------------------------------------------


def head_projection(positions, origin, radius):
    """Azimuthal equidistant projection of head-frame points seen from above.

    A point on the sphere's equator lands on the circle of ``radius``.
    """
    v = np.asarray(positions) - origin
    polar = np.arccos(np.clip(v[:, 2] / np.linalg.norm(v, axis=1), -1, 1))
    azimuth = np.arctan2(v[:, 1], v[:, 0])
    rho = polar / (np.pi / 2) * radius
    return np.column_stack([rho * np.cos(azimuth), rho * np.sin(azimuth)])


def plot_sensors_on_head(eeg_info, fnirs_info, values, optodes=None, ax=None):
    """EEG topomap of ``values`` with the fNIRS sources, detectors and channels on top.

    Parameters
    ----------
    eeg_info, fnirs_info : mne.Info
        Both in the head frame.
    values : ndarray of shape (n_eeg,)
        One value per EEG channel for the topomap.
    optodes : list of str or None
        The release's pair name of each fNIRS channel, written next to the channel.
    ax : matplotlib Axes or None

    Returns
    -------
    ax, xy : Axes and dict of the 2-D positions drawn (``eeg``, ``source``,
        ``detector``, ``channel``).
    """
    import matplotlib.pyplot as plt
    import mne

    radius, origin, _ = mne.bem.fit_sphere_to_headshape(
        eeg_info, dig_kinds=("eeg", "cardinal"), units="m", verbose="error"
    )
    eeg = np.array([ch["loc"][:3] for ch in eeg_info["chs"]])
    locs = np.array([ch["loc"][:9] for ch in fnirs_info["chs"]])
    xy = {
        "eeg": head_projection(eeg, origin, radius),
        "channel": head_projection(locs[:, :3], origin, radius),
        "source": head_projection(locs[:, 3:6], origin, radius),
        "detector": head_projection(locs[:, 6:9], origin, radius),
    }
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    mne.viz.plot_topomap(
        values,
        xy["eeg"],
        axes=ax,
        sphere=(0.0, 0.0, 0.0, radius),
        names=eeg_info["ch_names"],
        sensors="k.",
        contours=0,
        cmap="Greys",
        show=False,
    )
    for k in range(len(locs)):
        pts = np.vstack([xy["source"][k], xy["detector"][k]])
        ax.plot(pts[:, 0], pts[:, 1], color="tab:green", lw=1, zorder=5)
    ax.scatter(*xy["source"].T, c="tab:red", s=30, zorder=6, label="NIRS source")
    ax.scatter(*xy["detector"].T, c="tab:blue", s=30, zorder=6, label="NIRS detector")
    ax.scatter(*xy["channel"].T, c="tab:green", marker="x", s=20, zorder=7, label="NIRS channel")
    if optodes is not None:
        for (x, y), name in zip(xy["channel"][::2], optodes[::2], strict=True):
            ax.annotate(name, (x, y), fontsize=5, color="darkgreen", zorder=8)
    ax.legend(loc="lower left", fontsize=7)
    return ax, xy
