"""Opt-in physiological priors of :class:`~skpid.decomposition.PIDDecomposer`.

A prior is a quantity computed from the input by :mod:`skpid.physiology`, in physical units,
that one block learns to predict (and, for the coupling, that the fusion reads). Each is
named, states what it needs, and raises when the input cannot give it; none is on by
default.

- ``"band_power"`` (block ``U_eeg``): :func:`skpid.physiology.event_related_power`; needs
  an EEG time series and its ``sfreq``.
- ``"haemodynamic_amplitude"`` (block ``U_<fnirs>``):
  :func:`skpid.physiology.haemodynamic_amplitude`; needs an fNIRS time series, its
  ``sfreq`` and channel names that pair HbO with HbR.
- ``"coupling_delay"`` (block ``S``): :func:`skpid.physiology.coupling_profile`, read by
  the fusion, and :func:`skpid.physiology.coupling_delay`, predicted by ``S``; needs both
  of the above, with epochs locked to the same trial onset (``tmin``).
"""

from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from .. import physiology
from .._multimodal import signal_kind

__all__ = [
    "PRIORS",
    "Prior",
    "check_priors",
    "coupling_profile",
    "network_inputs",
    "prior_features",
]

#: Settings of each prior and their defaults (see :func:`check_priors`).
PRIORS = {
    "band_power": {"modality": None, "bands": None, "window": 0.5, "direction": "both"},
    "haemodynamic_amplitude": {"modality": None, "method": "cbsi", "smooth": 1.0},
    "coupling_delay": {
        "eeg": None,
        "nirs": None,
        "model": "spm",
        "band": (2.0, 15.0),
        "delay_range": (0.3, 3.0),
        "stretches": None,
        "direction": "both",
    },
}
_ROLES = {
    "band_power": ("eeg",),
    "haemodynamic_amplitude": ("nirs",),
    "coupling_delay": ("eeg", "nirs"),
}
_KIND_NAMES = {"eeg": "EEG", "nirs": "fNIRS"}
_BATCH = 256  # trials per call of the physiology functions (bounds their memory)


@dataclass(frozen=True)
class Prior:
    """One resolved prior: its name, the modality of each role, its settings.

    Attributes
    ----------
    name : str
        A key of :data:`PRIORS`.
    modalities : dict of str to str
        Role (``"eeg"``, ``"nirs"``) to modality name.
    settings : dict
        The prior's settings, defaults filled in.
    timing : dict of str to (float, float)
        ``(sfreq, tmin)`` of each modality it reads.
    pairs : tuple of ndarray or None
        ``(hbo, hbr)`` channel indices of the fNIRS modality, when the prior reads one.
    """

    name: str
    modalities: dict
    settings: dict
    timing: dict
    pairs: tuple | None = field(default=None)


def _check_timing(name, values, shapes, low):
    for m, value in (values or {}).items():
        if m not in shapes:
            raise ValueError(
                f"{name} has the key {m!r}, which is not a modality; use some of {list(shapes)}."
            )
        number = isinstance(value, Real) and not isinstance(value, bool)
        if not number or not low < value < np.inf:
            raise ValueError(
                f"{name}[{m!r}] must be a finite number{' > 0' if low == 0 else ''} "
                f"(Hz for sfreq, seconds for tmin), got {value!r}."
            )


def _settings(priors):
    if priors is None:
        return {}
    if isinstance(priors, str):
        priors = (priors,)
    if not isinstance(priors, dict):
        priors = dict.fromkeys(priors)
    resolved = {}
    for name, given in priors.items():
        if name not in PRIORS:
            raise ValueError(f"Unknown prior {name!r}; choose among {sorted(PRIORS)}.")
        given = {} if given in (None, True) else given
        if not isinstance(given, dict):
            raise TypeError(
                f"The settings of prior {name!r} must be a dict (or None for the defaults), "
                f"got {type(given).__name__}."
            )
        unknown = sorted(set(given) - set(PRIORS[name]))
        if unknown:
            raise ValueError(
                f"Prior {name!r} has no setting {unknown}; its settings are {sorted(PRIORS[name])}."
            )
        resolved[name] = {**PRIORS[name], **given}
    return resolved


def _role(name, role, settings, shapes, ch_types):
    """The modality that plays ``role`` (``"eeg"`` or ``"nirs"``) for prior ``name``."""
    key = "modality" if len(_ROLES[name]) == 1 else role
    chosen = settings[key]
    if chosen is None:
        found = [m for m in shapes if signal_kind(m, ch_types.get(m)) == role]
        if len(found) != 1:
            what = "no modality" if not found else f"several modalities ({found})"
            raise ValueError(
                f"Prior {name!r} needs an {_KIND_NAMES[role]} time series, and {what} of "
                f"{list(shapes)} is named like one. Name it in the prior's settings, e.g. "
                f"priors={{{name!r}: {{{key!r}: 'my_{role}'}}}}."
            )
        chosen = found[0]
    if chosen not in shapes:
        raise ValueError(
            f"Prior {name!r} names modality {chosen!r}, which is not one of {list(shapes)}."
        )
    if len(shapes[chosen]) != 2:
        raise ValueError(
            f"Prior {name!r} needs modality {chosen!r} as a time series (trials, channels, "
            f"times), but it is tabular with trailing shape {shapes[chosen]}."
        )
    return chosen


def check_priors(priors, shapes, *, sfreq=None, tmin=None, ch_names=None, ch_types=None):
    """Resolve the ``priors`` parameter against the input, or say what is missing.

    Parameters
    ----------
    priors : None, str, sequence of str or dict of str to dict
        Names from :data:`PRIORS`, or a dict of name to settings overriding its defaults.
    shapes : dict of str to tuple
        Trailing shape of each modality.
    sfreq, tmin : dict of str to float or None
        Sampling rate (Hz) and first sample time (s) of each modality's epochs.
    ch_names : dict of str to list of str or None
        Channel names of each modality (needed to pair HbO with HbR).
    ch_types : dict of str to list of str or None
        mne channel types of each modality: with the names, they find the EEG and
        fNIRS modalities that settings leave unnamed (see
        :func:`skpid._multimodal.signal_kind`).

    Returns
    -------
    priors : dict of str to Prior
        In the order given.

    Raises
    ------
    ValueError
        An unknown prior or setting, a modality that cannot be found, a missing sampling
        rate or channel names, channels that do not pair; each message names the fix.
    """
    _check_timing("sfreq", sfreq, shapes, 0.0)
    _check_timing("tmin", tmin, shapes, -np.inf)
    for m, names in (ch_names or {}).items():
        if m not in shapes:
            raise ValueError(
                f"ch_names has the key {m!r}, which is not a modality; use some of {list(shapes)}."
            )
        if len(shapes[m]) != 2 or len(names) != shapes[m][0]:
            raise ValueError(
                f"ch_names[{m!r}] has {len(names)} names, but modality {m!r} has trailing "
                f"shape {shapes[m]}; give one name per channel."
            )
    sfreq, tmin, ch_names = sfreq or {}, tmin or {}, ch_names or {}
    resolved = {}
    for name, settings in _settings(priors).items():
        modalities = {
            role: _role(name, role, settings, shapes, ch_types or {}) for role in _ROLES[name]
        }
        missing = [m for m in modalities.values() if m not in sfreq]
        if missing:
            raise ValueError(
                f"Prior {name!r} works in physical units and needs the sampling rate of "
                f"{missing}: pass sfreq={{{missing[0]!r}: ...}} (Hz, e.g. epochs.info['sfreq'])."
            )
        timing = {m: (float(sfreq[m]), float(tmin.get(m, 0.0))) for m in modalities.values()}
        pairs = None
        if "nirs" in modalities:
            nirs = modalities["nirs"]
            if nirs not in ch_names:
                raise ValueError(
                    f"Prior {name!r} pairs HbO with HbR channels and needs the channel names "
                    f"of {nirs!r}: pass ch_names={{{nirs!r}: [...]}} (mne's names, e.g. "
                    "'S1_D1 hbo', 'S1_D1 hbr'; skpid.io.from_epochs gives them in "
                    "info[...]['ch_names'])."
                )
            found = physiology.pair_haemoglobin(list(ch_names[nirs]))
            pairs = (np.asarray(found.hbo), np.asarray(found.hbr))
        if name == "band_power":
            physiology.resolve_bands(
                settings["bands"] or _default_bands(timing[modalities["eeg"]][0]),
                timing[modalities["eeg"]][0],
            )
        resolved[name] = Prior(name, modalities, settings, timing, pairs)
    return resolved


def _default_bands(sfreq):
    """The named EEG bands that lie below the Nyquist frequency."""
    return [b for b, (_, hi) in physiology.EEG_BANDS.items() if hi < sfreq / 2]


def _batched(fn, n, *arrays):
    parts = [fn(*(a[i : i + _BATCH] for a in arrays)) for i in range(0, n, _BATCH)]
    return np.concatenate(parts).astype(np.float32)


def _nirs_signal(prior, x, method="cbsi"):
    """The haemodynamic signal of each pair, ``(n_trials, n_pairs, n_times)``.

    On the decomposer's standardised channels HbO and HbR have unit spread over the
    training trials, so CBSI's weight ``alpha = std(HbO) / std(HbR)`` is 1 [Cui et al.
    2010] and each trial's signal does not depend on the other trials passed with it.
    """
    hbo, hbr = prior.pairs
    if method == "hbo":
        return x[:, hbo]
    return 0.5 * (x[:, hbo] - x[:, hbr])


def _coupling_args(prior):
    eeg, nirs = prior.modalities["eeg"], prior.modalities["nirs"]
    s = prior.settings
    kwargs = dict(
        eeg_sfreq=prior.timing[eeg][0],
        eeg_tmin=prior.timing[eeg][1],
        nirs_sfreq=prior.timing[nirs][0],
        nirs_tmin=prior.timing[nirs][1],
        model=s["model"],
        delay_range=tuple(s["delay_range"]),
        band=tuple(s["band"]),
        direction=s["direction"],
    )
    return eeg, nirs, kwargs


def coupling_profile(prior, data):
    """Coupling profile of every trial for a ``"coupling_delay"`` prior.

    Parameters
    ----------
    prior : Prior
    data : dict of str to ndarray
        The trials, ``(n_trials, channels, times)`` per modality.

    Returns
    -------
    profile : ndarray of shape (n_trials, n_rows, n_lags), float32
    """
    eeg, nirs, kwargs = _coupling_args(prior)
    x, z = np.asarray(data[eeg]), np.asarray(data[nirs])

    def profile(e, n):
        return physiology.coupling_profile(
            e, _nirs_signal(prior, n), None, stretches=prior.settings["stretches"], **kwargs
        )

    return _batched(profile, len(x), x, z)


def prior_features(priors, data, groups=None):
    """The features each prior computes, on every trial.

    Parameters
    ----------
    priors : dict of str to Prior
        From :func:`check_priors`.
    data : dict of str to ndarray
        Trials per modality (standardised, as the decomposer sees them).
    groups : ndarray of shape (n_trials,) or None
        Subject of every trial: the response's stretch of the coupling delay is fitted
        per group (:func:`skpid.physiology.fit_hrf_stretch`), without labels.

    Returns
    -------
    features : dict of str to ndarray
        ``"band_power"`` ``(n_trials, n_bands)``, ``"haemodynamic_amplitude"``
        ``(n_trials, 1)``, ``"coupling_delay"`` ``(n_trials, 1)`` and
        ``"coupling_profile"`` ``(n_trials, n_rows, n_lags)``, for the priors given.
    """
    out = {}
    if "band_power" in priors:
        p = priors["band_power"]
        m = p.modalities["eeg"]
        sfreq, tmin = p.timing[m]
        s = p.settings
        bands = s["bands"] or _default_bands(sfreq)
        out["band_power"] = _batched(
            lambda x: physiology.event_related_power(
                x, sfreq, bands, window=s["window"], tmin=tmin, direction=s["direction"]
            ),
            len(data[m]),
            data[m],
        )
    if "haemodynamic_amplitude" in priors:
        p = priors["haemodynamic_amplitude"]
        m = p.modalities["nirs"]
        if p.settings["method"] not in ("cbsi", "hbo"):
            raise ValueError(
                f"haemodynamic_amplitude's method must be 'cbsi' or 'hbo', got "
                f"{p.settings['method']!r}."
            )
        out["haemodynamic_amplitude"] = _batched(
            lambda x: physiology.haemodynamic_amplitude(
                _nirs_signal(p, x, p.settings["method"]),
                sfreq=p.timing[m][0],
                method="hbo",
                smooth=p.settings["smooth"],
            )[:, None],
            len(data[m]),
            data[m],
        )
    if "coupling_delay" in priors:
        p = priors["coupling_delay"]
        eeg, nirs, kwargs = _coupling_args(p)
        x, z = data[eeg], data[nirs]
        eeg_t0 = kwargs["eeg_tmin"]
        groups = np.zeros(len(x)) if groups is None else np.asarray(groups)
        delay = np.empty((len(x), 1), dtype=np.float32)
        for g in np.unique(groups):
            rows = np.flatnonzero(groups == g)
            stretch = physiology.fit_hrf_stretch(
                _nirs_signal(p, z[rows]),
                None,
                nirs_sfreq=kwargs["nirs_sfreq"],
                nirs_tmin=kwargs["nirs_tmin"],
                eeg_span=(eeg_t0, eeg_t0 + (x.shape[-1] - 1) / kwargs["eeg_sfreq"]),
                model=kwargs["model"],
                stretches=p.settings["stretches"],
                delay_range=kwargs["delay_range"],
            )
            delay[rows, 0] = _batched(
                lambda e, n, s=stretch: physiology.coupling_delay(
                    e, _nirs_signal(p, n), None, stretch=s, **kwargs
                ),
                len(rows),
                x[rows],
                z[rows],
            )
        out["coupling_delay"] = delay
        out["coupling_profile"] = coupling_profile(p, data)
    return out


def network_inputs(priors, features):
    """The prior features as the side inputs that :class:`skpid.nn.PIDNetwork` reads.

    Parameters
    ----------
    priors : dict of str to Prior
    features : dict of str to ndarray
        From :func:`prior_features`.

    Returns
    -------
    side : dict
        Passed under the reserved batch key :data:`skpid._multimodal.SIDE_KEY`:
        ``targets`` (modality ``m`` to the target of its unique block), and with the
        coupling ``synergy_target`` and ``coupling_profile``. Empty without priors.
    """
    targets = {}
    for name in ("band_power", "haemodynamic_amplitude"):
        if name in priors:
            (m,) = priors[name].modalities.values()
            targets[m] = features[name]
    side = {"targets": targets} if targets else {}
    if "coupling_delay" in priors:
        side["synergy_target"] = features["coupling_delay"]
        side["coupling_profile"] = features["coupling_profile"]
    return side
