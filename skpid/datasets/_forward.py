"""A second EEG + fNIRS simulator: cortical dipoles through an mne forward model.

Written apart from :func:`skpid.datasets.make_eeg_fnirs` and meant to differ from it in
every choice a method could overfit to: EEG comes from dipolar sources in a
four-shell spherical head (mne's forward modelling, not Gaussian topographies), the
sampling rates differ, the event is a desynchronisation (a power decrease) at a fixed
cue rather than a power increase at a random time, fNIRS follows Glover's HRF (not the
SPM form) and stores all HbO channels before all HbR channels, a few source-detector
pairs are rejected, and the synergy is an XOR of an EEG and an fNIRS latent rather than
a delay.

Each trial is one cued motor imagery of 4 s (cue at 0 s):

========  ==========================  ============================  =========================
factor    meaning                     EEG                           fNIRS
========  ==========================  ============================  =========================
R         activated hemisphere        event-related                 HbO rise / HbR fall over
          (0 left, 1 right)           desynchronisation (ERD) of    the same motor cortex
                                      that motor cortex's rhythms
U_eeg     which rhythm desynchronises mu (8-13 Hz) or beta          -
          (0 mu, 1 beta)              (15-28 Hz) ERD dominates
U_fnirs   haemodynamic latency        -                             time to peak: the HRF
          (0 fast, 1 slow)                                          is stretched for "slow"
S         frontal neurovascular       theta_ers: frontal-midline    pfc_rise: prefrontal HbO
          agreement (1 agree)         theta burst (0/1)             rise (1) or fall (0)
========  ==========================  ============================  =========================

``S = 1[theta_ers == pfc_rise]``. ``theta_ers`` and ``pfc_rise`` are fair, independent
of each other and of every other factor, so ``S`` is independent of everything one
modality holds: EEG alone shows ``theta_ers`` but not ``pfc_rise``, fNIRS the reverse.
"""

from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state
from skorch.helper import SliceDict

from .._utils import standard_montage
from ..io import modality_info
from ..physiology import glover_hrf

__all__ = ["FORWARD_EEG_CHANNELS", "FORWARD_OPTODE_PAIRS", "make_eeg_fnirs_forward"]

#: 39 EEG channels of the 10-10 system (a 40-channel cap without its reference).
FORWARD_EEG_CHANNELS = (
    "Fp1", "Fp2", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC3", "FC1", "FCz",
    "FC2", "FC4", "FC6", "T7", "C5", "C3", "C1", "Cz", "C2", "C4", "C6", "T8", "CP5", "CP3",
    "CP1", "CP2", "CP4", "CP6", "P7", "P3", "Pz", "P4", "P8", "O1", "Oz", "O2",
)  # fmt: skip

#: (source, detector, region) of the fNIRS pairs on 10-05 positions, before rejection:
#: 8 over each motor cortex (around C3 / C4) and 6 over the prefrontal cortex.
FORWARD_OPTODE_PAIRS = (
    ("FC3", "C3", "left"), ("CP3", "C3", "left"), ("C5", "C3", "left"), ("C1", "C3", "left"),
    ("FC3", "FC5", "left"), ("FC3", "FC1", "left"), ("CP3", "CP5", "left"),
    ("CP3", "CP1", "left"),
    ("FC4", "C4", "right"), ("CP4", "C4", "right"), ("C6", "C4", "right"), ("C2", "C4", "right"),
    ("FC4", "FC6", "right"), ("FC4", "FC2", "right"), ("CP4", "CP6", "right"),
    ("CP4", "CP2", "right"),
    ("AF7", "Fp1", "pfc"), ("AF7", "AF3", "pfc"), ("AFz", "AF3", "pfc"), ("AFz", "AF4", "pfc"),
    ("AF8", "Fp2", "pfc"), ("AF8", "AF4", "pfc"),
)  # fmt: skip

EEG_TMIN, FNIRS_TMIN = -1.0, -2.0  # s, epochs start before the cue
TASK_DURATION = 4.0  # s of motor imagery after the cue
_M1_SITES = {"left": ("C3", "FC3", "CP3", "C1"), "right": ("C4", "FC4", "CP4", "C2")}
_N_BACKGROUND = 80  # background dipoles
_BACKGROUND_RMS = 10e-6  # V, sensor rms of the 1/f background at noise_level 1
# Dipole moments (A.m) of the rhythms and events at subject gain 1: tens of nA.m, the
# size of a few cm2 of synchronously active cortex (about 1 nA.m per mm2; Murakami and
# Okada, J. Physiol. 575(3), 2006).
_MU_MOMENT, _BETA_MOMENT = 40e-9, 25e-9
_THETA_MOMENT, _ALPHA_MOMENT, _VEP_MOMENT = 70e-9, 40e-9, 30e-9
_MOTOR_HBO, _PFC_HBO, _SYSTEMIC_HBO = 0.6e-6, 0.35e-6, 0.1e-6  # mol/L at the peak


# ----------------------------------------------------------------------- head model


def _eeg_mne_info(sfreq, ch_names=FORWARD_EEG_CHANNELS):
    import mne

    info = mne.create_info(list(ch_names), float(sfreq), ch_types="eeg")
    info.set_montage(standard_montage())
    return info


def _head_positions(names):
    """Head-frame positions (m) of 10-05 sites, as mne places them from the montage."""
    info = _eeg_mne_info(1000.0, sorted(set(names)))
    return {ch["ch_name"]: ch["loc"][:3].copy() for ch in info["chs"]}


@lru_cache(maxsize=1)
def _head_model():
    """Sphere model, sources and their gains: computed once per process.

    Returns a dict with the electrode and optode positions, the fitted sphere, the named
    sources (fixed radial orientation) and their gain ``(n_channels, n_named)`` in
    V/(A.m), and the background dipoles' gain ``(n_channels, _N_BACKGROUND)`` scaled so
    that unit-variance moments give ``_BACKGROUND_RMS`` at the sensors after average
    referencing.
    """
    import mne

    info = _eeg_mne_info(1000.0)
    sphere = mne.make_sphere_model(r0="auto", head_radius="auto", info=info, verbose=False)
    r0, radius = np.asarray(sphere["r0"]), float(sphere.radius)
    sites = {s for pair in FORWARD_OPTODE_PAIRS for s in pair[:2]}
    sites |= {s for v in _M1_SITES.values() for s in v} | {"AFz", "FCz", "Fz", "O1", "O2", "Oz"}
    pos = _head_positions(sites | set(FORWARD_EEG_CHANNELS))

    def beneath(direction, depth):
        u = direction / np.linalg.norm(direction)
        return r0 + depth * radius * u, u

    named, rr, nn = [], [], []
    for side, candidates in _M1_SITES.items():
        centre = pos[candidates[0]] - r0
        for k, site in enumerate(candidates):
            # the hand-knob candidates: under the centre site, and halfway to each neighbour
            d = centre if k == 0 else centre + (pos[site] - r0)
            p, u = beneath(d, 0.78)
            named.append(f"m1_{side}_{k}")
            rr.append(p)
            nn.append(u)
    for name, direction, depth in (
        ("midline_frontal", (pos["Fz"] + pos["FCz"]) / 2 - r0, 0.65),
        ("occipital_left", pos["O1"] - r0, 0.75),
        ("occipital_right", pos["O2"] - r0, 0.75),
    ):
        p, u = beneath(direction, depth)
        named.append(name)
        rr.append(p)
        nn.append(u)
    # Background: dipoles spread over the upper half of a cortical shell, random
    # orientations, from a fixed seed (part of the head model, not of a data set).
    bg_rng = np.random.default_rng(20261203)
    d = bg_rng.standard_normal((_N_BACKGROUND, 3))
    d[:, 2] = np.abs(d[:, 2]) + 0.2
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    bg_nn = bg_rng.standard_normal((_N_BACKGROUND, 3))
    bg_nn /= np.linalg.norm(bg_nn, axis=1, keepdims=True)
    rr = np.vstack([rr, r0 + 0.75 * radius * d])
    nn = np.vstack([nn, bg_nn])

    src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), sphere=sphere, verbose=False)
    if src[0]["nuse"] != len(rr):  # pragma: no cover - the depths above keep all inside
        raise RuntimeError("Some simulator sources fell outside the inner skull sphere.")
    fwd = mne.make_forward_solution(
        info, trans=None, src=src, bem=sphere, eeg=True, meg=False, verbose=False
    )
    free = fwd["sol"]["data"].reshape(len(info["ch_names"]), len(rr), 3)
    gain = np.einsum("csk,sk->cs", free, nn)  # fixed orientations, V/(A.m)
    n_named = len(named)
    bg = gain[:, n_named:]
    bg_ref = bg - bg.mean(axis=0, keepdims=True)
    bg = bg * _BACKGROUND_RMS / np.sqrt(np.mean(np.sum(bg_ref**2, axis=1)))
    return {
        "r0": r0,
        "radius": radius,
        "positions": pos,
        "named": tuple(named),
        "gain": gain[:, :n_named],
        "background_gain": bg,
        "source_rr": rr[:n_named],
    }


# --------------------------------------------------------------------- time courses


def _pink(rng, shape, sfreq, exponent):
    """Unit-variance Gaussian noise with power spectrum ~ 1/f**exponent (last axis)."""
    n = shape[-1]
    f = np.fft.rfftfreq(n, 1.0 / sfreq)
    gain = np.where(f > 0, np.maximum(f, 0.5) ** (-exponent / 2), 0.0)
    z = rng.standard_normal((*shape[:-1], f.size)) + 1j * rng.standard_normal((*shape[:-1], f.size))
    x = np.fft.irfft(z * gain, n=n)
    return x / x.std(axis=-1, keepdims=True)


def _rhythm(rng, n, n_times, sfreq, centre, bandwidth):
    """Unit-variance narrow-band oscillations around ``centre`` Hz, one per row."""
    f = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    gain = np.exp(-0.5 * ((f[None] - np.reshape(centre, (-1, 1))) / bandwidth) ** 2)
    z = rng.standard_normal((n, f.size)) + 1j * rng.standard_normal((n, f.size))
    x = np.fft.irfft(z * gain, n=n_times)
    return x / x.std(axis=-1, keepdims=True)


def _plateau(t, start, stop, ramp):
    """0 before ``start``, raised-cosine ramps of ``ramp`` s, 1 until ``stop``."""
    up = np.clip((t - start) / ramp, 0, 1)
    down = np.clip((stop + ramp - t) / ramp, 0, 1)
    return np.sin(0.5 * np.pi * np.minimum(up, down)) ** 2


def _block_response(t, stretch):
    """Glover response to ``TASK_DURATION`` s of activity from 0 s, peak-normalised.

    ``t`` (n_times,), ``stretch`` (n,) -> (n, n_times): the boxcar convolved with
    ``glover_hrf(t / stretch)`` by a Riemann sum on a 0.1-s grid.
    """
    onsets = np.arange(0.0, TASK_DURATION, 0.1)
    lag = t[None, None, :] - onsets[None, :, None]
    h = glover_hrf(lag / np.reshape(stretch, (-1, 1, 1))).sum(axis=1)
    return h / h.max(axis=1, keepdims=True)


# ------------------------------------------------------------------------- checks


def _check(params):
    for name in ("n_subjects", "n_trials"):
        value = params[name]
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    n_rej = params["n_rejected"]
    if not isinstance(n_rej, (int, np.integer)) or isinstance(n_rej, bool) or n_rej < 0:
        raise ValueError(f"n_rejected must be an int >= 0, got {n_rej!r}.")
    if n_rej > 4:
        raise ValueError(
            f"n_rejected={n_rej} would leave a region with too few pairs; reject at most 4 of "
            f"the {len(FORWARD_OPTODE_PAIRS)} source-detector pairs."
        )
    for name, value in params.items():
        if name in ("n_subjects", "n_trials", "n_rejected"):
            continue
        if not np.isscalar(value) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    if not 128.0 <= params["eeg_sfreq"] <= 2000.0:
        raise ValueError(
            f"eeg_sfreq={params['eeg_sfreq']} Hz is outside 128-2000 Hz; the beta rhythm and "
            "the band features need a Nyquist frequency well above 45 Hz. Use e.g. 250 or 500."
        )
    if not 2.0 <= params["fnirs_sfreq"] <= 50.0:
        raise ValueError(
            f"fnirs_sfreq={params['fnirs_sfreq']} Hz is outside 2-50 Hz; the cardiac "
            "oscillation (~1.2 Hz) needs at least 2 Hz. Typical devices record at 5-15 Hz."
        )
    if params["eeg_duration"] < TASK_DURATION - EEG_TMIN:
        raise ValueError(
            f"eeg_duration={params['eeg_duration']} s does not cover the {TASK_DURATION} s task "
            f"from {EEG_TMIN} s; use at least {TASK_DURATION - EEG_TMIN} s."
        )
    if params["fnirs_duration"] < 16.0 - FNIRS_TMIN:
        raise ValueError(
            f"fnirs_duration={params['fnirs_duration']} s cannot hold the haemodynamic "
            f"response of a slow subject (peak up to ~10 s after the cue) from "
            f"{FNIRS_TMIN} s; use at least {16.0 - FNIRS_TMIN} s."
        )


# ---------------------------------------------------------------------- simulator


def make_eeg_fnirs_forward(
    n_subjects=10,
    n_trials=40,
    *,
    eeg_sfreq=250.0,
    eeg_duration=5.0,
    fnirs_sfreq=7.8125,
    fnirs_duration=20.0,
    n_rejected=2,
    redundant_strength=1.0,
    eeg_unique_strength=1.0,
    fnirs_unique_strength=1.0,
    synergy_strength=1.0,
    nuisance_strength=1.0,
    noise_level=1.0,
    subject_variability=1.0,
    target="S",
    dtype=np.float32,
    random_state=None,
):
    """Simulate cued motor-imagery trials of EEG (dipoles in a spherical head) and fNIRS.

    **EEG** (volts, average reference). Sources are current dipoles of fixed orientation
    (radial for the named sources below, random for the background) in mne's spherical
    head model (:func:`mne.make_sphere_model` fitted to the template 10-05 montage:
    brain, CSF, skull and scalp shells with mne's default radii and conductivities),
    projected to 39 10-10 electrodes by the gain matrix of
    :func:`mne.make_forward_solution` on a discrete source space
    (:func:`mne.setup_volume_source_space` with ``pos``). The model is built once per
    process and cached. Per trial, in source space:

    - background: 80 dipoles on a cortical shell with independent 1/f**1.7 time
      courses (10 uV rms at the sensors at ``noise_level=1``);
    - sensorimotor rhythms in each motor cortex (a subject-specific mix of four
      neighbouring dipoles around C3 / C4): mu at the subject's mu frequency (8.5-12.5 Hz)
      and beta (17-25 Hz), narrow-band, continuous;
    - the event: from 0.5 to 3.5 s after the cue both rhythms of the activated
      hemisphere (``R``) lose amplitude (ERD), the rhythm named by ``U_eeg`` by the
      subject's ERD depth (about 60 %), the other one less; the other hemisphere
      desynchronises by ``1 - lateralisation`` of that;
    - ``theta_ers = 1``: a frontal-midline theta burst (5.5-7 Hz, a dipole under Fz/FCz,
      0.4-2.3 s);
    - cue responses common to all trials: a visual evoked response and a posterior alpha
      decrease (two occipital dipoles with an ongoing alpha rhythm);
    - eye blinks (``N_eeg``, frontal, ~100 uV) and white sensor noise (0.5 uV).

    **fNIRS** (mol/L; HbO of every kept pair, then HbR in the same order). Each pair
    sees the neural activity of its region through Glover's HRF
    (:func:`skpid.physiology.glover_hrf`, Glover 1999) convolved with the 4-s task:

    - motor pairs: a rise of about 0.6 uM over the activated motor cortex (Gaussian
      sensitivity of 2.5 cm around the subject's hotspot), ``1 - lateralisation`` of it
      on the other side; the HRF time axis is stretched by the subject's latency and by
      ``1 + 0.3 * fnirs_unique_strength`` when ``U_fnirs = 1`` (slow);
    - prefrontal pairs: a rise (``pfc_rise = 1``) or fall (``0``) of about 0.35 uM;
    - HbR = -hbr_ratio (0.2-0.4 per subject) times the response with a 10 % longer
      latency; a small task-locked systemic rise in every trial and channel;
    - physiological noise with per-channel weights: cardiac (1.0-1.4 Hz), respiration
      (0.2-0.33 Hz), Mayer waves (0.08-0.12 Hz) and very-low-frequency 1/f**2
      fluctuations, stronger in HbO; white measurement noise; motion artefacts
      (``N_fnirs``: a spike and a baseline shift on neighbouring pairs);
    - a per-subject optode coupling gain per channel; ``n_rejected`` pairs (drawn once
      from ``random_state``, the same for every subject) are dropped, as after a
      signal-quality check.

    Subjects differ in rhythm frequencies, source mix, ERD depth, lateralisation, gains,
    noise levels, hotspot position, HRF latency and HbR/HbO ratio.

    Parameters
    ----------
    n_subjects : int, default=10
        Number of subjects.
    n_trials : int, default=40
        Trials per subject (labels are balanced within each subject; exactly when it is
        a multiple of 4).
    eeg_sfreq : float, default=250.0
        EEG sampling rate in Hz (128-2000; 250 and 500 are common).
    eeg_duration : float, default=5.0
        EEG epoch length in seconds, from -1 s (cue at 0 s); at least 5 s.
    fnirs_sfreq : float, default=7.8125
        fNIRS sampling rate in Hz (7.8125 Hz is a common NIRx rate).
    fnirs_duration : float, default=20.0
        fNIRS epoch length in seconds, from -2 s; at least 18 s.
    n_rejected : int, default=2
        Source-detector pairs dropped (0-4).
    redundant_strength : float, default=1.0
        Lateralisation of the activation, seen by both modalities (0: both hemispheres
        respond alike, ``R`` invisible).
    eeg_unique_strength : float, default=1.0
        Contrast between the mu- and beta-dominated ERD (0: ``U_eeg`` invisible).
    fnirs_unique_strength : float, default=1.0
        Latency contrast: the slow response is stretched by ``1 + 0.3 *`` this
        (0: ``U_fnirs`` invisible).
    synergy_strength : float, default=1.0
        Scales the theta burst and the prefrontal response (0: ``S`` invisible).
    nuisance_strength : float, default=1.0
        Scales eye blinks and motion artefacts.
    noise_level : float, default=1.0
        Scales the EEG background and sensor noise and the fNIRS physiological and
        measurement noise.
    subject_variability : float, default=1.0
        Scales the spread of every subject parameter (0: identical subjects).
    target : str, default="S"
        Factor copied into ``y``.
    dtype : numpy dtype, default=np.float32
        Dtype of the signals.
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same data (the head model does not depend on it).

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        - ``X``: :class:`skorch.helper.SliceDict` with ``eeg`` of shape
          ``(n_subjects * n_trials, 39, round(eeg_duration * eeg_sfreq))`` in volts and
          ``fnirs`` of shape ``(n_subjects * n_trials, 2 * (22 - n_rejected),
          round(fnirs_duration * fnirs_sfreq))`` in mol/L, all HbO channels then all HbR.
        - ``factors``: DataFrame, one row per trial: int labels ``R`` (0 left, 1 right),
          ``U_eeg`` (0 mu, 1 beta), ``U_fnirs`` (0 fast, 1 slow), ``S`` (1 when
          ``theta_ers == pfc_rise``), ``theta_ers``, ``pfc_rise``, ``N_eeg``,
          ``N_fnirs``, ``subject``, and continuous ``erd_depth``, ``hrf_stretch``,
          ``motor_amplitude`` (HbO peak, mol/L), ``theta_amplitude`` (A.m) and
          ``pfc_amplitude`` (signed HbO peak, mol/L).
        - ``y``: ndarray (n,), the ``target`` factor.
        - ``groups``: ndarray (n,), subject ids.
        - ``info``: dict with ``eeg`` and ``fnirs`` entries (``kind``, ``sfreq``,
          ``ch_names``, ``ch_types``, ``tmin`` = -1 s and -2 s, ``mne_info`` with sensor
          and optode positions; see :func:`skpid.io.to_epochs`), ``subjects``
          (DataFrame of subject parameters), ``params``, ``task``
          (``"eeg_fnirs_forward"``), ``synergy_parts`` (``{"eeg": "theta_ers", "fnirs":
          "pfc_rise"}``), ``rejected`` (names of the dropped pairs) and ``forward``
          (``sources``: names of the named dipoles, ``gain``: their fixed-orientation
          gain ``(39, n_sources)`` in V/(A.m), ``positions`` in the head frame, m).
        - ``description``: str, a summary of the generative model.

    Examples
    --------
    >>> from skpid.datasets import make_eeg_fnirs_forward
    >>> data = make_eeg_fnirs_forward(n_subjects=2, n_trials=8, random_state=0)
    >>> data.X["eeg"].shape, data.X["fnirs"].shape
    ((16, 39, 1250), (16, 40, 156))
    >>> data.info["fnirs"]["ch_names"][0], data.info["fnirs"]["ch_names"][-1][-3:]
    ('S1_D1 hbo', 'hbr')
    """
    params = dict(
        n_subjects=n_subjects,
        n_trials=n_trials,
        eeg_sfreq=eeg_sfreq,
        eeg_duration=eeg_duration,
        fnirs_sfreq=fnirs_sfreq,
        fnirs_duration=fnirs_duration,
        n_rejected=n_rejected,
        redundant_strength=redundant_strength,
        eeg_unique_strength=eeg_unique_strength,
        fnirs_unique_strength=fnirs_unique_strength,
        synergy_strength=synergy_strength,
        nuisance_strength=nuisance_strength,
        noise_level=noise_level,
        subject_variability=subject_variability,
    )
    _check(params)
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    head = _head_model()
    kept = np.sort(
        rng.permutation(len(FORWARD_OPTODE_PAIRS))[n_rejected:]
        if n_rejected
        else np.arange(len(FORWARD_OPTODE_PAIRS))
    )
    pairs = [FORWARD_OPTODE_PAIRS[i] for i in kept]
    subjects = _draw_subjects(rng, n_subjects, len(pairs), subject_variability)

    n_eeg = round(eeg_duration * eeg_sfreq)
    n_fnirs = round(fnirs_duration * fnirs_sfreq)
    n = n_subjects * n_trials
    eeg = np.empty((n, len(FORWARD_EEG_CHANNELS), n_eeg), dtype=dtype)
    fnirs = np.empty((n, 2 * len(pairs), n_fnirs), dtype=dtype)
    frames = []
    for s in range(n_subjects):
        sub = subjects.iloc[s]
        f = _draw_factors(rng, n_trials, sub, params)
        rows = slice(s * n_trials, (s + 1) * n_trials)
        eeg[rows] = _simulate_eeg(rng, f, sub, head, eeg_sfreq, n_eeg, params)
        fnirs[rows] = _simulate_fnirs(rng, f, sub, head, pairs, fnirs_sfreq, n_fnirs, params)
        f.insert(4, "subject", s)
        frames.append(f)
    factors = pd.concat(frames, ignore_index=True)
    if target not in factors:
        raise ValueError(f"target={target!r} is not a factor; choose one of {list(factors)}.")

    names = _pair_names(pairs)
    info = {
        "eeg": modality_info(_eeg_mne_info(eeg_sfreq), tmin=EEG_TMIN, kind="eeg"),
        "fnirs": modality_info(
            _fnirs_mne_info(pairs, names, head["positions"], fnirs_sfreq),
            tmin=FNIRS_TMIN,
            kind="fnirs",
        ),
        "subjects": subjects,
        "params": {**params, "target": target, "random_state": random_state},
        "task": "eeg_fnirs_forward",
        "synergy_parts": {"eeg": "theta_ers", "fnirs": "pfc_rise"},
        "rejected": [
            f"{s}-{d}" for i, (s, d, _) in enumerate(FORWARD_OPTODE_PAIRS) if i not in kept
        ],
        "forward": {
            "sources": list(head["named"]),
            "gain": head["gain"].copy(),
            "positions": head["source_rr"].copy(),
        },
    }
    return Bunch(
        X=SliceDict(eeg=eeg, fnirs=fnirs),
        factors=factors,
        y=factors[target].to_numpy(),
        groups=factors["subject"].to_numpy(),
        info=info,
        description=_DESCRIPTION,
    )


_DESCRIPTION = (
    "make_eeg_fnirs_forward: cued 4-s motor imagery; EEG from dipoles in a 4-shell "
    "spherical head (mne forward model, 39 electrodes, average reference, volts), fNIRS "
    "through Glover's HRF (HbO block then HbR block, mol/L, some pairs rejected).\n"
    "R: activated hemisphere (mu/beta ERD over C3 or C4; HbO rise over the same side).\n"
    "U_eeg: which rhythm desynchronises (mu or beta).\n"
    "U_fnirs: haemodynamic latency (fast or slow HRF).\n"
    "S: frontal neurovascular agreement, 1[theta_ers == pfc_rise]: a frontal-midline "
    "theta burst (EEG only) and a prefrontal HbO rise or fall (fNIRS only)."
)


def _pair_names(pairs):
    sources = list(dict.fromkeys(s for s, _, _ in pairs))
    detectors = list(dict.fromkeys(d for _, d, _ in pairs))
    return [f"S{sources.index(s) + 1}_D{detectors.index(d) + 1}" for s, d, _ in pairs]


def _fnirs_mne_info(pairs, names, pos, sfreq):
    import mne

    ch_names = [f"{p} {kind}" for kind in ("hbo", "hbr") for p in names]
    types = ["hbo"] * len(names) + ["hbr"] * len(names)
    info = mne.create_info(ch_names, float(sfreq), ch_types=types)
    for ch, (s, d, _) in zip(info["chs"], pairs + pairs, strict=True):
        ch["loc"][:3] = (pos[s] + pos[d]) / 2
        ch["loc"][3:6] = pos[s]
        ch["loc"][6:9] = pos[d]
    return info


def _draw_subjects(rng, n_subjects, n_channels, variability):
    v = variability
    weights = rng.dirichlet(np.full(4, 2.0 / max(v, 1e-3)), size=(n_subjects, 2))
    subjects = pd.DataFrame(
        {
            "eeg_gain": np.exp(rng.normal(0, 0.25 * v, n_subjects)),
            "fnirs_gain": np.exp(rng.normal(0, 0.25 * v, n_subjects)),
            "eeg_noise": np.exp(rng.normal(0, 0.15 * v, n_subjects)),
            "fnirs_noise": np.exp(rng.normal(0, 0.2 * v, n_subjects)),
            "mu_freq": np.clip(10.5 + rng.normal(0, 0.8 * v, n_subjects), 8.5, 12.5),
            "beta_freq": np.clip(21.0 + rng.normal(0, 1.5 * v, n_subjects), 17.0, 25.0),
            "theta_freq": np.clip(6.2 + rng.normal(0, 0.3 * v, n_subjects), 5.5, 7.0),
            "alpha_freq": np.clip(10.0 + rng.normal(0, 0.7 * v, n_subjects), 8.5, 12.0),
            "erd_depth": np.clip(0.6 + rng.normal(0, 0.08 * v, n_subjects), 0.35, 0.85),
            "lateralisation": np.clip(0.8 + rng.normal(0, 0.06 * v, n_subjects), 0.5, 1.0),
            "hrf_stretch": np.exp(rng.normal(0, 0.08 * v, n_subjects)),
            "hbr_ratio": np.clip(0.3 + rng.normal(0, 0.05 * v, n_subjects), 0.2, 0.4),
            "hotspot_dx": rng.normal(0, 0.006 * v, n_subjects),
            "hotspot_dy": rng.normal(0, 0.006 * v, n_subjects),
        }
    )
    # each subject's mix of the four hand-knob dipoles per hemisphere (columns per side)
    for side, k in (("left", 0), ("right", 1)):
        for j in range(4):
            subjects[f"m1_{side}_w{j}"] = weights[:, k, j]
    coupling = np.exp(rng.normal(0, 0.15 * v, (n_subjects, n_channels)))
    subjects["optode_coupling"] = list(coupling)
    return subjects


def _draw_factors(rng, n, sub, params):
    def balanced(k):
        return rng.permutation(np.arange(n) % k)

    pair = balanced(4)  # (theta_ers, pfc_rise) jointly balanced
    theta, pfc = pair // 2, pair % 2
    f = pd.DataFrame(
        {
            "R": balanced(2),
            "U_eeg": balanced(2),
            "U_fnirs": balanced(2),
            "S": (theta == pfc).astype(np.int64),
            "theta_ers": theta,
            "pfc_rise": pfc,
            "N_eeg": balanced(2),
            "N_fnirs": balanced(2),
        }
    )
    f["erd_depth"] = np.clip(sub.erd_depth + rng.normal(0, 0.05, n), 0.1, 0.95)
    slow = 1.0 + 0.3 * params["fnirs_unique_strength"]
    f["hrf_stretch"] = (
        sub.hrf_stretch * np.where(f["U_fnirs"] == 1, slow, 1.0) * np.exp(rng.normal(0, 0.03, n))
    )
    f["motor_amplitude"] = _MOTOR_HBO * sub.fnirs_gain * np.exp(rng.normal(0, 0.15, n))
    strength = params["synergy_strength"]
    f["theta_amplitude"] = f["theta_ers"] * _THETA_MOMENT * strength * np.exp(rng.normal(0, 0.2, n))
    sign = np.where(f["pfc_rise"] == 1, 1.0, -1.0)
    f["pfc_amplitude"] = sign * _PFC_HBO * strength * sub.fnirs_gain * np.exp(rng.normal(0, 0.2, n))
    return f


def _simulate_eeg(rng, f, sub, head, sfreq, n_times, params):
    n = len(f)
    t = EEG_TMIN + np.arange(n_times) / sfreq
    noise = params["noise_level"] * sub.eeg_noise
    named = {name: i for i, name in enumerate(head["named"])}
    gain = head["gain"] * sub.eeg_gain

    def m1_topography(side):
        cols = [named[f"m1_{side}_{j}"] for j in range(4)]
        w = np.array([sub[f"m1_{side}_w{j}"] for j in range(4)])
        return gain[:, cols] @ w

    # background 1/f activity through the forward model
    bg = _pink(rng, (n, head["background_gain"].shape[1], n_times), sfreq, 1.7)
    x = noise * np.matmul(head["background_gain"], bg)

    # sensorimotor rhythms with event-related desynchronisation
    erd_window = _plateau(t, 0.5, 3.5, 0.4)
    lat = np.clip(sub.lateralisation * params["redundant_strength"], 0, 1)
    other_band = max(0.0, 1.0 - 0.8 * params["eeg_unique_strength"])
    for k, side in enumerate(("left", "right")):
        active = (f["R"].to_numpy() == k).astype(float)
        depth = f["erd_depth"].to_numpy() * (active + (1 - active) * (1 - lat))
        moment = np.zeros((n, n_times))
        for band, (freq, width, q) in enumerate(
            ((sub.mu_freq, 0.8, _MU_MOMENT), (sub.beta_freq, 2.0, _BETA_MOMENT))
        ):
            main = (f["U_eeg"].to_numpy() == band).astype(float)
            band_depth = depth * (main + (1 - main) * other_band)
            envelope = 1.0 - band_depth[:, None] * erd_window[None]
            moment += q * envelope * _rhythm(rng, n, n_times, sfreq, freq, width)
        x += m1_topography(side)[None, :, None] * moment[:, None, :]

    # frontal-midline theta burst (the EEG half of S)
    theta = _rhythm(rng, n, n_times, sfreq, sub.theta_freq, 0.5)
    theta *= f["theta_amplitude"].to_numpy()[:, None] * _plateau(t, 0.4, 2.0, 0.3)[None]
    x += gain[:, named["midline_frontal"]][None, :, None] * theta[:, None, :]

    # occipital alpha with a cue-related decrease, and a visual evoked response
    occipital = gain[:, named["occipital_left"]] + gain[:, named["occipital_right"]]
    alpha_amp = _ALPHA_MOMENT * np.exp(rng.normal(0, 0.3, (n, 1)))
    alpha = _rhythm(rng, n, n_times, sfreq, sub.alpha_freq, 0.7)
    alpha *= alpha_amp * (1 - 0.3 * _plateau(t, 0.3, 3.0, 0.3))[None]
    vep = np.exp(-0.5 * ((t - 0.1) / 0.02) ** 2) - 1.2 * np.exp(-0.5 * ((t - 0.17) / 0.03) ** 2)
    x += occipital[None, :, None] * (alpha + _VEP_MOMENT * vep[None])[:, None, :]

    # eye blinks (an ocular, not a cortical, field: Gaussian over the frontal pole)
    pos = np.array([head["positions"][c] for c in FORWARD_EEG_CHANNELS])
    fp = [head["positions"][c] for c in ("Fp1", "Fp2")]
    blink_topo = sum(np.exp(-np.sum((pos - p) ** 2, axis=1) / (2 * 0.035**2)) for p in fp)
    when = rng.uniform(t[0], t[-1], (n, 1))
    blink = np.exp(-0.5 * ((t[None] - when) / 0.1) ** 2)
    blink *= (f["N_eeg"].to_numpy() * 100e-6 * params["nuisance_strength"])[:, None]
    x += blink_topo[None, :, None] * blink[:, None, :] / blink_topo.max()

    x += noise * 0.5e-6 * rng.standard_normal(x.shape)
    return x - x.mean(axis=1, keepdims=True)  # average reference


def _simulate_fnirs(rng, f, sub, head, pairs, sfreq, n_times, params):
    n, n_pairs = len(f), len(pairs)
    t = FNIRS_TMIN + np.arange(n_times) / sfreq
    noise = params["noise_level"] * sub.fnirs_noise
    pos = head["positions"]
    mid = np.array([(pos[s] + pos[d]) / 2 for s, d, _ in pairs])
    region = np.array([r for _, _, r in pairs])

    stretch = f["hrf_stretch"].to_numpy()
    resp_hbo = _block_response(t, stretch)
    resp_hbr = _block_response(t, 1.1 * stretch)

    lat = np.clip(sub.lateralisation * params["redundant_strength"], 0, 1)
    shift = np.array([sub.hotspot_dx, sub.hotspot_dy, 0.0])
    sens = {}
    for side, site, sign in (("left", "C3", 1), ("right", "C4", -1)):
        centre = pos[site] + shift * [sign, 1, 1]
        sens[side] = np.exp(-np.sum((mid - centre) ** 2, axis=1) / (2 * 0.025**2))
    sens["pfc"] = (region == "pfc") * np.exp(-np.sum((mid - pos["AFz"]) ** 2, 1) / (2 * 0.035**2))
    r = f["R"].to_numpy()[:, None]
    motor = np.where(
        r == 0,
        sens["left"] + (1 - lat) * sens["right"],
        sens["right"] + (1 - lat) * sens["left"],
    )
    weight = f["motor_amplitude"].to_numpy()[:, None] * motor
    weight += f["pfc_amplitude"].to_numpy()[:, None] * sens["pfc"][None]
    systemic_task = _SYSTEMIC_HBO * np.exp(rng.normal(0, 0.3, (n, 1)))  # all channels
    hbo = (weight + systemic_task)[:, :, None] * resp_hbo[:, None, :]
    hbr = -sub.hbr_ratio * (weight + 0.5 * systemic_task)[:, :, None] * resp_hbr[:, None, :]

    def oscillation(lo, hi, amp):
        freq = rng.uniform(lo, hi, (n, 1))
        return amp * np.sin(2 * np.pi * freq * t[None] + rng.uniform(0, 2 * np.pi, (n, 1)))

    systemic = (
        oscillation(1.0, 1.4, 0.08e-6)  # cardiac
        + oscillation(0.2, 0.33, 0.1e-6)  # respiration
        + oscillation(0.08, 0.12, 0.25e-6)  # Mayer waves
        + 0.3e-6 * _pink(rng, (n, n_times), sfreq, 2.0)  # very-low-frequency fluctuations
    )
    w = rng.uniform(0.6, 1.4, (2, n_pairs))
    hbo += noise * w[0][None, :, None] * systemic[:, None, :]
    hbr += noise * 0.35 * w[1][None, :, None] * systemic[:, None, :]
    hbo += noise * 0.04e-6 * rng.standard_normal(hbo.shape)
    hbr += noise * 0.03e-6 * rng.standard_normal(hbr.shape)

    # motion artefacts: a spike and a baseline shift on the pairs near a random one
    when = rng.uniform(t[0], t[-1], (n, 1))
    shape = np.exp(-0.5 * ((t[None] - when) / 0.2) ** 2) + 0.4 * (t[None] > when)
    near = mid[rng.integers(0, n_pairs, n)]
    topo = np.exp(-np.sum((mid[None] - near[:, None]) ** 2, axis=-1) / (2 * 0.03**2))
    amp = (f["N_fnirs"].to_numpy() * 2e-6 * params["nuisance_strength"])[:, None, None]
    motion = amp * topo[:, :, None] * shape[:, None, :]
    coupling = np.asarray(sub.optode_coupling)[None, :, None]
    return np.concatenate([(hbo + motion) * coupling, (hbr + 0.4 * motion) * coupling], axis=1)
