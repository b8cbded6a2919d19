"""Paired EEG + fNIRS trials whose redundant, unique and synergistic content is known.

Every trial carries four labelled latent factors, following the physiology table of the
design notes:

========  ==========================  ==========================  ===========================
factor    meaning                     EEG                         fNIRS
========  ==========================  ==========================  ===========================
R         local activation event      lateralised ERP and burst   HbO rise / HbR fall over
          (which hemisphere)          over C3 or C4               the same hemisphere
U_eeg     activation mode             frequency of the burst      -
                                      (alpha, beta or gamma)
U_fnirs   metabolic cost              -                           amplitude of the response
S         neurovascular coupling      time of the neural event    time of the haemodynamic
          delay (short or long)       (random in every trial)     onset (event + delay)
========  ==========================  ==========================  ===========================

S is synergistic by construction: the neural event time is uniform over a wide window and
independent of S, so EEG alone says nothing about the delay, and the haemodynamic onset
alone (event time + delay) only betrays it at the window's edges (at most
``delta / event_window`` of chance-normalised accuracy). Read together, the onset minus the
event time is the delay.
"""

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state
from skorch.helper import SliceDict

from .._utils import standard_montage
from ..io import modality_info
from ..physiology import spm_hrf

__all__ = ["EEG_CHANNELS", "FNIRS_OPTODE_PAIRS", "make_eeg_fnirs"]

#: 32 EEG channels of the 10-20 system (the layout of common 32-channel caps).
EEG_CHANNELS = (
    "Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6", "T7", "C3", "Cz",
    "C4", "T8", "TP9", "CP5", "CP1", "CP2", "CP6", "TP10", "P7", "P3", "Pz", "P4", "P8", "PO9",
    "O1", "Oz", "O2", "PO10",
)  # fmt: skip

#: fNIRS source -> detector pairs over the left and right sensorimotor cortex (10 a side),
#: optodes on 10-10 positions about 3 cm apart.
FNIRS_OPTODE_PAIRS = (
    ("FC3", "FC5"), ("FC3", "FC1"), ("FC3", "C3"), ("C5", "FC5"), ("C5", "C3"),
    ("C5", "CP5"), ("C1", "FC1"), ("C1", "C3"), ("CP3", "C3"), ("CP3", "CP5"),
    ("FC4", "FC6"), ("FC4", "FC2"), ("FC4", "C4"), ("C6", "FC6"), ("C6", "C4"),
    ("C6", "CP6"), ("C2", "FC2"), ("C2", "C4"), ("CP4", "C4"), ("CP4", "CP6"),
)  # fmt: skip

#: Centre frequency (Hz) of the event-related burst for each activation mode (U_eeg).
MODE_FREQS = {"alpha": 10.0, "beta": 21.0, "gamma": 38.0}

ERP_AMPLITUDE = 25e-6  # volts at the hotspot
BURST_AMPLITUDE = 8e-6
_HEMISPHERE_SITES = ("C3", "C4")  # R = 0: left activation, R = 1: right activation
_FRONTAL_SITES = ("Fp1", "Fp2")


def _positions():
    return {k: np.asarray(v) for k, v in standard_montage().get_positions()["ch_pos"].items()}


def _eeg_info(sfreq):
    import mne

    info = mne.create_info(list(EEG_CHANNELS), sfreq, ch_types="eeg")
    info.set_montage(standard_montage())
    return info


def _fnirs_channels():
    """Source/detector indices and channel names, HbO and HbR of a pair side by side."""
    sources = sorted(
        {s for s, _ in FNIRS_OPTODE_PAIRS}, key=[s for s, _ in FNIRS_OPTODE_PAIRS].index
    )
    detectors = sorted(
        {d for _, d in FNIRS_OPTODE_PAIRS}, key=[d for _, d in FNIRS_OPTODE_PAIRS].index
    )
    names, types = [], []
    for s, d in FNIRS_OPTODE_PAIRS:
        for kind in ("hbo", "hbr"):
            names.append(f"S{sources.index(s) + 1}_D{detectors.index(d) + 1} {kind}")
            types.append(kind)
    return names, types


def _fnirs_info(sfreq):
    import mne

    pos = _positions()
    names, types = _fnirs_channels()
    info = mne.create_info(names, sfreq, ch_types=types)
    for ch, (s, d) in zip(info["chs"], np.repeat(FNIRS_OPTODE_PAIRS, 2, axis=0), strict=True):
        ch["loc"][:3] = (pos[s] + pos[d]) / 2
        ch["loc"][3:6] = pos[s]
        ch["loc"][6:9] = pos[d]
    return info


def canonical_hrf(t, peak_scale=1.0, undershoot_ratio=6.0):
    """The simulator's haemodynamic response: SPM's canonical double gamma, unit peak.

    :func:`skpid.physiology.spm_hrf` (Friston et al. 1998) with the simulator's names for
    its parameters.

    Parameters
    ----------
    t : ndarray
        Times after the neural event, in seconds (negative times give 0).
    peak_scale : float
        Stretches the time axis; 1.2 moves the peak from ~5 s to ~6 s.
    undershoot_ratio : float
        Ratio of the peak to the undershoot density.

    Returns
    -------
    h : ndarray, same shape as ``t``
    """
    return spm_hrf(t, stretch=float(peak_scale), ratio=float(undershoot_ratio))


def _spatial_weights(positions, centre, width):
    d2 = np.sum((positions - centre) ** 2, axis=-1)
    return np.exp(-d2 / (2 * width**2))


def _colored_noise(rng, shape, sfreq, exponent):
    """Gaussian noise with a 1/f**exponent power spectrum and unit variance, last axis time."""
    n_times = shape[-1]
    freqs = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    amp = 1.0 / np.maximum(freqs, freqs[1]) ** (exponent / 2)
    spec = rng.standard_normal((*shape[:-1], freqs.size)) + 1j * rng.standard_normal(
        (*shape[:-1], freqs.size)
    )
    x = np.fft.irfft(spec * amp, n=n_times)
    return x / x.std(axis=-1, keepdims=True)


def _narrowband(rng, n, n_times, sfreq, centre, width):
    """Unit-variance noise whose spectrum is a Gaussian bump at ``centre`` Hz (per row)."""
    freqs = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    centre = np.broadcast_to(centre, (n,))[:, None]
    amp = np.exp(-((freqs[None, :] - centre) ** 2) / (2 * width**2))
    spec = (rng.standard_normal((n, freqs.size)) + 1j * rng.standard_normal((n, freqs.size))) * amp
    x = np.fft.irfft(spec, n=n_times)
    return x / x.std(axis=-1, keepdims=True)


def _draw_subjects(rng, n_subjects, variability):
    v = variability
    return pd.DataFrame(
        {
            "eeg_gain": np.exp(rng.normal(0, 0.2 * v, n_subjects)),
            "fnirs_gain": np.exp(rng.normal(0, 0.25 * v, n_subjects)),
            "eeg_noise": np.exp(rng.normal(0, 0.15 * v, n_subjects)),
            "fnirs_noise": np.exp(rng.normal(0, 0.15 * v, n_subjects)),
            "alpha_freq": 10.0 + rng.normal(0, 0.7 * v, n_subjects),
            "mode_shift": rng.normal(0, 1.0 * v, n_subjects),
            "hotspot_dx": rng.normal(0, 0.008 * v, n_subjects),
            "hotspot_dy": rng.normal(0, 0.008 * v, n_subjects),
            "laterality": np.clip(0.85 + rng.normal(0, 0.05 * v, n_subjects), 0.5, 1.0),
            "hrf_scale": np.exp(rng.normal(0, 0.08 * v, n_subjects)),
            "undershoot_ratio": 6.0 * np.exp(rng.normal(0, 0.2 * v, n_subjects)),
            "hbr_ratio": np.clip(0.3 + rng.normal(0, 0.05 * v, n_subjects), 0.1, 0.6),
            "lag_offset": rng.normal(0, 0.15 * v, n_subjects),
        }
    )


def _check_params(**params):
    for name, value in params.items():
        if name in ("n_subjects", "n_trials"):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        elif not np.isscalar(value) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    if params["eeg_sfreq"] < 100 or params["eeg_sfreq"] > 250:
        raise ValueError(
            f"eeg_sfreq={params['eeg_sfreq']} Hz is outside 100-250 Hz; the gamma mode at "
            f"{MODE_FREQS['gamma']} Hz needs a Nyquist frequency above it. Use 100-250 Hz."
        )
    if not 2.0 <= params["fnirs_sfreq"] <= 50.0:
        raise ValueError(
            f"fnirs_sfreq={params['fnirs_sfreq']} Hz is outside 2-50 Hz; the cardiac "
            "oscillation (~1 Hz) needs at least 2 Hz. Typical devices record at 5-15 Hz."
        )


def make_eeg_fnirs(
    n_subjects=10,
    n_trials=100,
    *,
    eeg_sfreq=100.0,
    eeg_duration=10.0,
    fnirs_sfreq=10.0,
    fnirs_duration=20.0,
    redundant_strength=1.0,
    eeg_unique_strength=1.0,
    fnirs_unique_strength=1.0,
    synergy_strength=1.0,
    efficiency_strength=None,
    nuisance_strength=1.0,
    noise_level=1.0,
    subject_variability=1.0,
    synergy="delay",
    target="R",
    dtype=np.float32,
    random_state=None,
):
    """Simulate paired EEG + fNIRS trials with known redundant, unique and synergistic factors.

    Each trial holds one neural event at a random time ``event_time`` (uniform over the
    first ``eeg_duration - 1`` seconds after 0.5 s) over the left or right sensorimotor
    cortex (factor ``R``). EEG sees it as an ERP and an oscillatory burst whose frequency
    is the activation mode (``U_eeg``: alpha, beta or gamma), over a background with a 1/f
    spectrum and a posterior alpha rhythm. fNIRS sees a canonical double-gamma
    haemodynamic response over the same hemisphere, starting ``lag`` seconds after the
    event (factor ``S``: short or long neurovascular coupling delay), with an amplitude
    set by the metabolic cost (``U_fnirs``); HbR mirrors HbO with a smaller amplitude; on
    top are cardiac (~1.1 Hz), respiratory (~0.3 Hz), Mayer (~0.1 Hz) oscillations, slow
    drift and measurement noise. Subjects differ in gains, topographies (hotspot
    position), alpha frequency, band centres, HRF latency and undershoot, HbR/HbO ratio,
    baseline coupling delay and noise levels, so cross-subject validation is a real test.

    Parameters
    ----------
    n_subjects : int, default=10
        Number of subjects.
    n_trials : int, default=100
        Trials per subject.
    eeg_sfreq : float, default=100.0
        EEG sampling rate in Hz (100-250).
    eeg_duration : float, default=10.0
        EEG epoch length in seconds (epochs start at the trial onset, time 0).
    fnirs_sfreq : float, default=10.0
        fNIRS sampling rate in Hz.
    fnirs_duration : float, default=20.0
        fNIRS epoch length in seconds; it must hold the response to the latest event
        (``eeg_duration + ~8 s``).
    redundant_strength : float, default=1.0
        Lateralisation of the activation, seen by both modalities (0: both hemispheres
        activate equally, so ``R`` is invisible).
    eeg_unique_strength : float, default=1.0
        Amplitude of the event-related burst that carries the activation mode (0: no
        burst, ``U_eeg`` invisible).
    fnirs_unique_strength : float, default=1.0
        Contrast of the two metabolic-cost levels: the high/low response amplitude ratio
        is ``1 + fnirs_unique_strength``.
    synergy_strength : float, default=1.0
        Difference between the long and short coupling delays, in units of 0.7 s. Above
        ~1.4 the onset time alone starts to betray ``S`` (the pure-synergy bound
        ``delta / event_window`` passes 0.1).
    efficiency_strength : float or None, default=None
        When > 0, adds a second synergistic factor, neural efficiency: a gamma power
        increase after the event (neural intensity, EEG only) with two levels, and the
        factor is 1 when the intensity level matches the metabolic-cost level
        (``U_fnirs``), an XOR that neither modality shows alone. It is the column ``S``
        under ``synergy="efficiency"`` and ``S_eff`` otherwise. None means 0 (no such
        factor) for ``synergy="delay"`` and 1 for ``synergy="efficiency"``.
    nuisance_strength : float, default=1.0
        Amplitude of task-irrelevant artefacts: eye blinks in EEG (``N_eeg``) and motion
        artefacts in fNIRS (``N_fnirs``), each present in half of the trials.
    noise_level : float, default=1.0
        Scales background EEG activity, systemic physiology and measurement noise.
    subject_variability : float, default=1.0
        Scales the spread of every subject parameter (0: identical subjects).
    synergy : {"delay", "efficiency"}, default="delay"
        Which synergistic factor is the label column ``S``. ``"delay"``: the
        neurovascular coupling delay (the efficiency factor, if enabled, is ``S_eff``).
        ``"efficiency"``: neural efficiency (needs ``efficiency_strength > 0``); the
        delay factor is still simulated and kept as ``S_delay``. The signals of one seed
        are the same under both choices; only the column names change.
    target : str, default="R"
        Factor copied into ``y``.
    dtype : numpy dtype, default=np.float32
        Dtype of the signals.
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same data.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``X``: :class:`skorch.helper.SliceDict` with ``eeg`` of shape
          ``(n_subjects * n_trials, 32, eeg_duration * eeg_sfreq)`` in volts and ``fnirs``
          of shape ``(n_subjects * n_trials, 40, fnirs_duration * fnirs_sfreq)`` in mol/L,
          HbO and HbR of each source-detector pair side by side.
        - ``factors``: DataFrame, one row per trial, with integer labels ``R`` (0 left,
          1 right), ``U_eeg`` (0 alpha, 1 beta, 2 gamma), ``U_fnirs`` (0 low, 1 high
          metabolic cost), ``S`` (0 short, 1 long delay; under ``synergy="efficiency"``
          the efficiency factor, the delay then being ``S_delay``), ``S_eff`` if enabled
          under ``synergy="delay"``, nuisance
          labels ``N_eeg`` and ``N_fnirs``, and continuous values ``laterality``,
          ``burst_freq`` (Hz), ``amplitude`` (HbO peak, mol/L), ``lag`` (s),
          ``event_time`` (s), ``onset_time`` (s), ``gamma_intensity`` if enabled, and
          ``subject``.
        - ``y``: ndarray (n,), the ``target`` factor.
        - ``groups``: ndarray (n,), subject ids.
        - ``info``: dict with ``eeg`` and ``fnirs`` entries (``kind``, ``sfreq``,
          ``ch_names``, ``ch_types``, ``tmin``, ``mne_info`` with sensor positions; see
          :func:`skpid.io.to_epochs`), ``subjects`` (DataFrame of subject parameters),
          ``params`` (the arguments of this call), ``task`` (``"eeg_fnirs_delay"`` or
          ``"eeg_fnirs_efficiency"``) and ``synergy_parts`` (the factor columns, one per
          modality, that ``S`` is built from).
        - ``description``: str, a summary of the generative model and of the factors.

    Examples
    --------
    >>> from skpid.datasets import make_eeg_fnirs
    >>> data = make_eeg_fnirs(n_subjects=2, n_trials=10, random_state=0)
    >>> data.X["eeg"].shape, data.X["fnirs"].shape
    ((20, 32, 1000), (20, 40, 200))
    >>> list(data.factors.columns[:5])
    ['subject', 'R', 'U_eeg', 'U_fnirs', 'S']
    """
    if synergy not in _SYNERGIES:
        raise ValueError(f"synergy={synergy!r} is unknown; pass one of {list(_SYNERGIES)}.")
    if efficiency_strength is None:
        efficiency_strength = 1.0 if synergy == "efficiency" else 0.0
    params = dict(
        n_subjects=n_subjects,
        n_trials=n_trials,
        eeg_sfreq=eeg_sfreq,
        eeg_duration=eeg_duration,
        fnirs_sfreq=fnirs_sfreq,
        fnirs_duration=fnirs_duration,
        redundant_strength=redundant_strength,
        eeg_unique_strength=eeg_unique_strength,
        fnirs_unique_strength=fnirs_unique_strength,
        synergy_strength=synergy_strength,
        efficiency_strength=efficiency_strength,
        nuisance_strength=nuisance_strength,
        noise_level=noise_level,
        subject_variability=subject_variability,
    )
    _check_params(**params)
    if synergy == "efficiency" and efficiency_strength == 0:
        raise ValueError(
            "synergy='efficiency' needs the efficiency factor: pass efficiency_strength > 0 "
            "(or None for 1.0)."
        )
    if eeg_duration < 3:
        raise ValueError(f"eeg_duration={eeg_duration} s is too short; use at least 3 s.")
    if fnirs_duration < eeg_duration + 8:
        raise ValueError(
            f"fnirs_duration={fnirs_duration} s cannot hold the haemodynamic response to an "
            f"event near the end of the {eeg_duration} s EEG epoch; use at least "
            f"eeg_duration + 8 = {eeg_duration + 8} s."
        )
    # A Generator seeded from the sklearn-style random_state: faster normals, same seeding.
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    subjects = _draw_subjects(rng, n_subjects, subject_variability)
    pos = _positions()
    eeg_pos = np.array([pos[c] for c in EEG_CHANNELS])
    pair_pos = np.array([(pos[s] + pos[d]) / 2 for s, d in FNIRS_OPTODE_PAIRS])
    n_eeg_times = round(eeg_duration * eeg_sfreq)
    n_fnirs_times = round(fnirs_duration * fnirs_sfreq)
    eeg = np.empty((n_subjects * n_trials, len(EEG_CHANNELS), n_eeg_times), dtype=dtype)
    fnirs = np.empty((n_subjects * n_trials, 2 * len(FNIRS_OPTODE_PAIRS), n_fnirs_times), dtype)
    frames = []
    for s, sub in subjects.iterrows():
        factors = _draw_trial_factors(rng, n_trials, sub, eeg_duration, params)
        rows = slice(s * n_trials, (s + 1) * n_trials)
        eeg[rows] = _simulate_eeg(rng, factors, sub, eeg_pos, pos, eeg_sfreq, n_eeg_times, params)
        fnirs[rows] = _simulate_fnirs(
            rng, factors, sub, pair_pos, pos, fnirs_sfreq, n_fnirs_times, params
        )
        factors.insert(0, "subject", s)
        frames.append(factors)
    factors = pd.concat(frames, ignore_index=True)
    if synergy == "efficiency":
        factors = factors.rename(columns={"S": "S_delay", "S_eff": "S"})
    if target not in factors:
        raise ValueError(f"target={target!r} is not a factor; choose one of {list(factors)}.")
    info = {
        "eeg": modality_info(_eeg_info(eeg_sfreq), tmin=0.0, kind="eeg"),
        "fnirs": modality_info(_fnirs_info(fnirs_sfreq), tmin=0.0, kind="fnirs"),
        "subjects": subjects,
        "params": {**params, "synergy": synergy, "target": target, "random_state": random_state},
        "task": f"eeg_fnirs_{synergy}",
        "synergy_parts": dict(_SYNERGIES[synergy]),
    }
    return Bunch(
        X=SliceDict(eeg=eeg, fnirs=fnirs),
        factors=factors,
        y=factors[target].to_numpy(),
        groups=factors["subject"].to_numpy(),
        info=info,
        description=_description(synergy),
    )


def _description(synergy):
    s_line = {
        "delay": "S: neurovascular coupling delay (0 short, 1 long), the haemodynamic onset "
        "minus the neural event time; the event time is random, so neither modality alone "
        "shows the delay.",
        "efficiency": "S: neural efficiency, 1 when the EEG gamma intensity level matches the "
        "metabolic-cost level U_fnirs (an XOR of an EEG and an fNIRS latent); the coupling "
        "delay is kept as S_delay.",
    }[synergy]
    return (
        "make_eeg_fnirs: paired EEG (32 channels, volts) and fNIRS (20 pairs, HbO/HbR "
        "interleaved, mol/L) trials with one lateralised neural event each.\n"
        "R: activated hemisphere (ERP/burst over C3 or C4; HbO rise over the same side).\n"
        "U_eeg: activation mode, the burst frequency (alpha, beta, gamma).\n"
        "U_fnirs: metabolic cost, the haemodynamic amplitude (low, high).\n" + s_line
    )


#: synergy -> the factor columns S is built from, per modality (after renaming).
_SYNERGIES = {
    "delay": {"eeg": "event_time", "fnirs": "onset_time"},
    "efficiency": {"eeg": "gamma_intensity", "fnirs": "U_fnirs"},
}


def _draw_trial_factors(rng, n, sub, eeg_duration, params):
    """Labels and continuous values of every trial of one subject (balanced labels)."""

    def balanced(k):
        return rng.permutation(np.arange(n) % k)

    delta = 0.7 * params["synergy_strength"]
    f = pd.DataFrame(
        {
            "R": balanced(2),
            "U_eeg": balanced(len(MODE_FREQS)),
            "U_fnirs": balanced(2),
            "S": balanced(2),
        }
    )
    if params["efficiency_strength"] > 0:
        f["S_eff"] = balanced(2)  # 1: intensity level matches the metabolic-cost level
    f["N_eeg"] = balanced(2)
    f["N_fnirs"] = balanced(2)
    f["laterality"] = np.clip(
        sub.laterality * params["redundant_strength"] + rng.normal(0, 0.03, n), 0, 1
    )
    centres = np.array(list(MODE_FREQS.values()))
    centres = centres + sub.mode_shift * np.array([0.5, 1.0, 1.5])
    f["burst_freq"] = centres[f["U_eeg"]] + rng.normal(0, 0.5, n)
    ratio = 1.0 + params["fnirs_unique_strength"]
    level = np.where(f["U_fnirs"] == 1, np.sqrt(ratio), 1 / np.sqrt(ratio))
    f["amplitude"] = 1e-6 * sub.fnirs_gain * level * np.exp(rng.normal(0, 0.08, n))
    f["lag"] = 1.5 + sub.lag_offset + (f["S"] - 0.5) * delta + rng.normal(0, 0.05, n)
    f["event_time"] = rng.uniform(0.5, eeg_duration - 0.5, n)
    f["onset_time"] = f["event_time"] + f["lag"]
    if params["efficiency_strength"] > 0:
        intensity = np.where(f["S_eff"] == 1, f["U_fnirs"], 1 - f["U_fnirs"])
        f["gamma_intensity"] = params["efficiency_strength"] * (0.5 + intensity)
    return f


def _lateral_topography(factors, sub, sensor_pos, pos, width):
    """(n, n_sensors) weights of the activated hemisphere (and the other, by laterality)."""
    shift = np.array([sub.hotspot_dx, sub.hotspot_dy, 0.0])
    left, right = (
        _spatial_weights(sensor_pos, pos[site] + shift * [sign, 1, 1], width)
        for site, sign in zip(_HEMISPHERE_SITES, (1, -1), strict=True)
    )
    active = np.where(factors["R"].to_numpy()[:, None] == 0, left, right)
    passive = np.where(factors["R"].to_numpy()[:, None] == 0, right, left)
    lat = factors["laterality"].to_numpy()[:, None]
    return active + (1 - lat) * passive


def _simulate_eeg(rng, factors, sub, eeg_pos, pos, sfreq, n_times, params):
    n, n_ch = len(factors), len(eeg_pos)
    t = np.arange(n_times) / sfreq
    noise = params["noise_level"] * sub.eeg_noise
    # Background: spatially smooth 1/f activity plus a posterior alpha rhythm (volts).
    dist = np.linalg.norm(eeg_pos[:, None] - eeg_pos[None], axis=-1)
    mixing = np.exp(-(dist**2) / (2 * 0.04**2))
    mixing /= np.linalg.norm(mixing, axis=1, keepdims=True)
    bg = np.einsum("ij,njt->nit", mixing, _colored_noise(rng, (n, n_ch, n_times), sfreq, 1.5))
    alpha_topo = _spatial_weights(eeg_pos, (pos["O1"] + pos["O2"]) / 2, 0.05)
    alpha_amp = np.exp(rng.normal(0, 0.3, n))[:, None, None]
    alpha = _narrowband(rng, n, n_times, sfreq, sub.alpha_freq, 0.8)
    x = noise * (10e-6 * bg + 8e-6 * alpha_amp * alpha_topo[None, :, None] * alpha[:, None])
    x += noise * 1e-6 * rng.standard_normal(x.shape)  # sensor noise

    # The event: an ERP and a burst at the activation mode's frequency, lateralised.
    topo = _lateral_topography(factors, sub, eeg_pos, pos, width=0.035)
    tau = t[None, :] - factors["event_time"].to_numpy()[:, None]
    erp = -np.exp(-((tau - 0.1) ** 2) / (2 * 0.03**2)) + 1.5 * np.exp(
        -((tau - 0.3) ** 2) / (2 * 0.06**2)
    )
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    burst = np.sin(2 * np.pi * factors["burst_freq"].to_numpy()[:, None] * tau + phase)
    burst *= np.exp(-((tau - 0.5) ** 2) / (2 * 0.25**2))
    source = ERP_AMPLITUDE * erp + BURST_AMPLITUDE * params["eeg_unique_strength"] * burst
    if params["efficiency_strength"] > 0:  # neural intensity: broadband gamma after the event
        gamma = _narrowband(rng, n, n_times, sfreq, 38.0, 4.0) * (tau > 0) * (tau < 2.0)
        source += 3e-6 * factors["gamma_intensity"].to_numpy()[:, None] * gamma
    x += sub.eeg_gain * topo[:, :, None] * source[:, None, :]

    # Nuisance: eye blinks over the frontal pole.
    blink_topo = np.maximum(*(_spatial_weights(eeg_pos, pos[c], 0.03) for c in _FRONTAL_SITES))
    t_blink = rng.uniform(0, t[-1], (n, 1))
    blink = np.exp(-((t[None] - t_blink) ** 2) / (2 * 0.1**2))
    blink *= factors["N_eeg"].to_numpy()[:, None] * 80e-6 * params["nuisance_strength"]
    x += blink_topo[None, :, None] * blink[:, None, :]
    return x


def _simulate_fnirs(rng, factors, sub, pair_pos, pos, sfreq, n_times, params):
    n, n_pairs = len(factors), len(pair_pos)
    t = np.arange(n_times) / sfreq
    noise = params["noise_level"] * sub.fnirs_noise
    topo = _lateral_topography(factors, sub, pair_pos, pos, width=0.03)
    resp = canonical_hrf(
        t[None, :] - factors["onset_time"].to_numpy()[:, None],
        peak_scale=sub.hrf_scale,
        undershoot_ratio=sub.undershoot_ratio,
    )
    hbo = factors["amplitude"].to_numpy()[:, None, None] * topo[:, :, None] * resp[:, None, :]
    hbr = -sub.hbr_ratio * hbo

    # Systemic physiology: global oscillations with per-channel weights, and slow drift.
    def oscillation(f_lo, f_hi, amp):
        f = rng.uniform(f_lo, f_hi, (n, 1))
        wave = np.sin(2 * np.pi * f * t[None] + rng.uniform(0, 2 * np.pi, (n, 1)))
        return amp * np.exp(rng.normal(0, 0.3, (n, 1))) * wave

    systemic = (
        oscillation(1.0, 1.3, 0.1e-6)  # cardiac
        + oscillation(0.2, 0.35, 0.1e-6)  # respiration
        + oscillation(0.08, 0.12, 0.3e-6)  # Mayer waves
        + rng.normal(0, 0.02e-6, (n, 1)) * (t[None] - t.mean())  # drift
    )
    weights = rng.uniform(0.7, 1.3, (2, n_pairs))
    hbo += noise * weights[0][None, :, None] * systemic[:, None, :]
    hbr += noise * 0.4 * weights[1][None, :, None] * systemic[:, None, :]
    hbo += noise * 0.05e-6 * rng.standard_normal(hbo.shape)
    hbr += noise * 0.03e-6 * rng.standard_normal(hbr.shape)

    # Nuisance: a motion artefact (spike then baseline shift) over a few neighbouring pairs.
    t_motion = rng.uniform(0, t[-1], (n, 1))
    spike = np.exp(-((t[None] - t_motion) ** 2) / (2 * 0.15**2)) + 0.5 * (t[None] > t_motion)
    centre = pair_pos[rng.integers(0, n_pairs, n)]
    motion_topo = _spatial_weights(pair_pos[None], centre[:, None], 0.03)
    motion = (factors["N_fnirs"].to_numpy() * 2e-6 * params["nuisance_strength"])[:, None, None]
    motion = motion * motion_topo[:, :, None] * spike[:, None, :]
    hbo += motion
    hbr += 0.5 * motion

    out = np.empty((n, 2 * n_pairs, n_times))
    out[:, 0::2], out[:, 1::2] = hbo, hbr
    return out
