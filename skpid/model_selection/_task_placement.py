"""Placement evidence for every ground-truth task: where can each factor be read?

A factor sits where it claims when it is decodable from the modalities it lives in and
not from the others: ``R`` from each modality alone, ``U_<m>`` from modality ``m`` only,
and ``S`` from neither modality alone but from both together. :func:`task_placement`
measures this for any task of :mod:`skpid.datasets` (any Bunch with ``X``, ``factors``,
``groups`` and ``info``) with the strongest hand-built features we can make per kind of
modality and three probes, across subjects.

Features
    - tabular modalities: the raw vectors;
    - EEG (channel type ``eeg``): log band power per channel and band (the bands of
      :data:`skpid.features.DEFAULT_BANDS` below Nyquist) after 0 s, and event-related
      power per 1-s window: the log ratio to the pre-zero baseline when the epoch starts
      before 0 s, otherwise to the mean over the epoch's windows (events at any time);
    - fNIRS (channel types ``hbo`` / ``hbr``): window means and least-squares slopes per
      channel in 2-s windows after 0 s (:func:`skpid.features.hemodynamic_features`),
      after subtracting the pre-zero baseline (or the first second);
    - for the tasks of :func:`skpid.datasets.make_eeg_fnirs`, the features written for
      that simulator (:func:`skpid.model_selection.eeg_features`,
      :func:`skpid.model_selection.fnirs_features`: spatial filters at C3/C4, event time,
      onset time from a template fit) and, for "both", the onset-minus-event delay and
      the joint delay of :func:`skpid.model_selection._placement.joint_delay`.

    Every feature is standardised within subject (an unsupervised step that removes
    per-subject offsets; it uses no label).

Synergy
    A greedy tree cannot find an XOR of two features among hundreds (neither has a
    marginal effect), and a linear classifier cannot read one at all, so a task may name
    in ``info["synergy_parts"]`` the factor column that each modality holds of ``S``.
    The third probe, ``"parts"``, then works on these parts alone: inside every training
    fold, each part is predicted from each modality of the source (linear models,
    out-of-fold on the training subjects, averaged over those models for the test
    subjects), and a
    linear classifier reads the factor from those predictions and their pairwise
    products and differences. The same construction runs for each modality alone, where
    it can only read the part that modality holds: S from one modality is measured with
    this help too, not without it.

The score is the chance-normalised balanced accuracy ``(bacc - chance) / (1 - chance)``
with ``chance = 1 / n_classes``: 0 at chance, 1 perfect.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import RidgeClassifierCV, RidgeCV
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..features import DEFAULT_BANDS, band_power, hemodynamic_features
from ._placement import _eeg_features, _fnirs_features, joint_delay
from ._protocol import make_probe

__all__ = ["PLACEMENT_PROBES", "modality_features", "task_placement"]

#: Probes of :func:`task_placement`.
PLACEMENT_PROBES = ("linear", "nonlinear", "parts")
EEG_WINDOW = 1.0  # s, windows of the event-related power
FNIRS_WINDOW = 2.0  # s, windows of the haemodynamic means and slopes
_OLD_SIMULATOR_TASKS = ("eeg_fnirs_delay", "eeg_fnirs_efficiency")


# ------------------------------------------------------------------------ features


def _kind(x, info):
    if x.ndim == 2:
        return "tabular"
    if x.ndim != 3:
        raise ValueError(
            f"A modality must be (trials, features) or (trials, channels, times); got shape "
            f"{x.shape}."
        )
    kind = info.get("kind")
    if kind in ("eeg", "fnirs"):
        return kind
    types = set(info.get("ch_types") or ())
    if types and types <= {"eeg"}:
        return "eeg"
    if types and types <= {"hbo", "hbr"}:
        return "fnirs"
    raise ValueError(
        f"Cannot tell which features to build for a modality of shape {x.shape} with "
        f"channel types {sorted(types) or 'unknown'}: give info[modality] a 'kind' of "
        "'eeg' or 'fnirs', or channel types 'eeg' / 'hbo' / 'hbr'."
    )


def _sfreq(info, kind):
    sfreq = info.get("sfreq")
    if sfreq is None or not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(
            f"{kind} features need the sampling rate: info[modality]['sfreq'] is {sfreq!r}. "
            "Pass the rate in Hz (skpid.io.from_epochs and the simulators set it)."
        )
    return float(sfreq)


def _eeg_power_features(x, sfreq, tmin):
    """Log band power after 0 s and event-related power per 1-s window, per channel."""
    n, _, n_times = x.shape
    t = tmin + np.arange(n_times) / sfreq
    bands = {k: v for k, v in DEFAULT_BANDS.items() if v[1] <= sfreq / 2}
    n_win = round(EEG_WINDOW * sfreq)

    def power(seg):  # (n, n_ch, samples) -> (n, n_ch, n_bands), log10
        return band_power(seg, sfreq, bands, n_fft=min(n_win, seg.shape[-1]))

    post = x[..., t >= 0] if (t >= 0).sum() >= n_win else x
    feats = [power(post).reshape(n, -1)]
    end = tmin + n_times / sfreq
    starts = np.arange(max(tmin, 0.0), end - EEG_WINDOW + 1e-9, EEG_WINDOW)
    windows = [power(x[..., (t >= a) & (t < a + EEG_WINDOW)]) for a in starts]
    if tmin < 0 and (t < 0).sum() >= n_win // 2:
        baseline = power(x[..., t < 0])
    else:
        baseline = np.mean(windows, axis=0)
    feats += [(w - baseline).reshape(n, -1) for w in windows]
    return np.hstack(feats)


def _fnirs_window_features(x, sfreq, tmin):
    """Baseline-corrected window means and slopes per channel, 2-s windows after 0 s."""
    n, _, n_times = x.shape
    t = tmin + np.arange(n_times) / sfreq
    base = t < 0 if (t < 0).sum() >= 2 else t < t[0] + 1.0
    x = x - x[..., base].mean(axis=-1, keepdims=True)
    end = tmin + n_times / sfreq
    starts = np.arange(max(tmin, 0.0), end - FNIRS_WINDOW + 1e-9, FNIRS_WINDOW)
    windows = [(a, a + FNIRS_WINDOW) for a in starts]
    feats = hemodynamic_features(x, sfreq, windows, tmin=tmin, features=("mean", "slope"))
    return feats.reshape(n, -1)


def modality_features(x, info, *, task=None):
    """Hand-built features of one modality, as used by :func:`task_placement`.

    Parameters
    ----------
    x : ndarray of shape (n_trials, n_features) or (n_trials, n_channels, n_times)
        One modality: tabular vectors, EEG in volts or fNIRS in mol/L.
    info : dict
        The modality's entry of a task's ``info`` (``kind``, ``sfreq``, ``tmin``,
        ``ch_types``, ``ch_names``); may be empty for tabular data.
    task : str or None
        ``info["task"]`` of the data set: the tasks of
        :func:`skpid.datasets.make_eeg_fnirs` get the features written for it.

    Returns
    -------
    features : ndarray of shape (n_trials, n_out)
    """
    x = np.asarray(x, dtype=np.float64)
    kind = _kind(x, info)
    if kind == "tabular":
        return x
    sfreq = _sfreq(info, kind)
    tmin = float(info.get("tmin") or 0.0)
    if task in _OLD_SIMULATOR_TASKS:
        if kind == "eeg":
            return _eeg_features(x, sfreq, info["ch_names"])[0].to_numpy()
        return _fnirs_features(x, sfreq, 4.0)[0].to_numpy()
    if kind == "eeg":
        return _eeg_power_features(x, sfreq, tmin)
    return _fnirs_window_features(x, sfreq, tmin)


def _delay_features(task):
    """Onset-minus-event and joint delay (s) of the first simulator, shape (n, 2)."""
    eeg_info, fnirs_info = task["info"]["eeg"], task["info"]["fnirs"]
    eeg = np.asarray(task["X"]["eeg"], dtype=np.float64)
    fnirs = np.asarray(task["X"]["fnirs"], dtype=np.float64)
    eeg_feats, evidence = _eeg_features(eeg, eeg_info["sfreq"], eeg_info["ch_names"])
    fnirs_feats, fit = _fnirs_features(fnirs, fnirs_info["sfreq"], 4.0)
    return np.column_stack(
        [
            fnirs_feats["onset_time"] - eeg_feats["event_time"],
            joint_delay(evidence, eeg_info["sfreq"], fit),
        ]
    )


def _standardise_within(features, groups):
    out = np.empty_like(features)
    for g in np.unique(groups):
        sel = groups == g
        block = features[sel]
        out[sel] = (block - block.mean(axis=0)) / (block.std(axis=0) + 1e-12)
    return out


# ------------------------------------------------------------------------- probes


_ALPHAS = np.logspace(-2, 4, 7)


def _probe(kind, seed):
    """Linear (also for ``"parts"``): a ridge classifier on standardised features with
    its L2 strength chosen by efficient leave-one-out cross-validation (the feature sets
    are wide: hundreds of features for a few hundred trials). Nonlinear: the gradient
    boosting of :func:`skpid.model_selection.make_probe`."""
    if kind == "nonlinear":
        return make_probe("nonlinear", random_state=seed)
    return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=_ALPHAS))


def _part_model(values):
    """A linear model for one synergy part: a ridge classifier (its decision function)
    for a binary part, ridge regression otherwise."""
    if np.issubdtype(values.dtype, np.integer) and len(np.unique(values)) == 2:
        return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=_ALPHAS)), True
    return make_pipeline(StandardScaler(), RidgeCV(alphas=_ALPHAS)), False


def _stacked_parts(features, mods, part_values, groups, train, test, seed):
    """Every synergy part predicted from every modality of ``mods``, with the pairwise
    products and differences of those predictions.

    Cross-fitting inside the training rows: each inner model predicts its held-out
    training rows (out of fold) and the test rows; test predictions are averaged over
    the inner models, so that training and test predictions come from the same models.
    """
    cols_train, cols_test = [], []
    g_train = groups[train]
    # Grouped inner folds only with enough training subjects: with two or three, each
    # inner model would see one or two subjects and its predictions would mostly code
    # which subject a trial belongs to.
    n_inner = min(5, len(np.unique(g_train)))
    n_inner = n_inner if n_inner >= 4 else 0
    for m in mods:
        Xtr, Xte = features[m][train], features[m][test]
        for y in part_values.values():
            y = y[train]
            model, binary = _part_model(y)
            if n_inner:
                splits = GroupKFold(n_inner).split(Xtr, groups=g_train)
            elif binary:
                splits = StratifiedKFold(5, shuffle=True, random_state=seed).split(Xtr, y)
            else:
                splits = KFold(5, shuffle=True, random_state=seed).split(Xtr)
            method = "decision_function" if binary else "predict"
            oof, pred = np.empty(len(y)), np.zeros(len(test))
            splits = list(splits)
            for inner_train, inner_test in splits:
                fitted = clone(model).fit(Xtr[inner_train], y[inner_train])
                oof[inner_test] = getattr(fitted, method)(Xtr[inner_test])
                pred += getattr(fitted, method)(Xte) / len(splits)
            # on a common scale, set by the training rows
            mu, sd = oof.mean(), oof.std() + 1e-12
            cols_train.append((oof - mu) / sd)
            cols_test.append((pred - mu) / sd)
    out = []
    for cols in (cols_train, cols_test):
        k = len(cols)
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        out.append(
            np.column_stack(
                [
                    *cols,
                    *(cols[i] * cols[j] for i, j in pairs),
                    *(cols[i] - cols[j] for i, j in pairs),
                ]
            )
        )
    return out


# -------------------------------------------------------------------------- checks


def _check_task(task):
    if not isinstance(task, Mapping):
        raise TypeError(
            f"task must be a Bunch from a skpid.datasets maker, got {type(task).__name__}."
        )
    missing = [k for k in ("X", "factors", "info") if k not in task]
    if missing:
        raise TypeError(
            f"task must be a Bunch with X, factors, groups and info (as skpid.datasets "
            f"makers return); it lacks {missing}."
        )
    if not hasattr(task["X"], "keys"):
        raise TypeError("task.X must be a dict or SliceDict of modality arrays.")
    if len(list(task["X"].keys())) < 2:
        raise ValueError("task.X holds fewer than two modalities; placement compares them.")


def _default_factors(table, modalities):
    names = ["R", *(f"U_{m}" for m in modalities), "S"]
    present = [f for f in names if f in table]
    if not present:
        raise ValueError(
            f"task.factors has none of the label columns {names}; pass factors=[...] with "
            "integer label columns to decode."
        )
    return present


def task_placement(task, *, factors=None, cv=5, probes=PLACEMENT_PROBES, random_state=None):
    """Decode each factor of a task from each modality alone and from all together.

    Parameters
    ----------
    task : sklearn.utils.Bunch
        A task of :mod:`skpid.datasets` (:func:`~skpid.datasets.make_eeg_fnirs`,
        :func:`~skpid.datasets.make_eeg_fnirs_forward`,
        :func:`~skpid.datasets.make_paired_xor`,
        :func:`~skpid.datasets.make_multiplicative`, :func:`~skpid.datasets.make_bitwise`)
        or any Bunch with ``X`` (modality -> array, trials first), ``factors``
        (DataFrame), ``groups`` (subject per trial, or None) and ``info`` (per modality
        ``kind``/``sfreq``/``tmin``/``ch_types``; optionally ``task`` and
        ``synergy_parts``).
    factors : sequence of str or None
        Integer label columns to decode; None: ``R``, ``U_<modality>`` and ``S``,
        whichever exist.
    cv : int, default=5
        Number of folds: :class:`~sklearn.model_selection.GroupKFold` over subjects
        (trained on some subjects, scored on others) when there are at least two
        groups, otherwise shuffled stratified folds.
    probes : sequence of {"linear", "nonlinear", "parts"}, default=all three
        ``"linear"``: a ridge classifier on the standardised features (L2 strength
        chosen by leave-one-out cross-validation); ``"nonlinear"``: the histogram
        gradient boosting of :func:`skpid.model_selection.make_probe` on the features;
        ``"parts"``: the same linear classifier on the predicted synergy parts and their
        products and differences (left out when the task names no
        ``info["synergy_parts"]``).
    random_state : int or None
        Seed of the folds (when not grouped) and of the classifiers.

    Returns
    -------
    table : DataFrame, shape (n_factors, (n_modalities + 1) * n_probes_used)
        Chance-normalised balanced accuracy of the pooled out-of-fold predictions.
        Rows are factors; columns a MultiIndex ``(source, probe)`` with sources the
        modality names and ``"both"``. ``table.T.groupby(level="source").max().T`` gives
        the best probe per source.

    Examples
    --------
    >>> from skpid.datasets import make_paired_xor
    >>> from skpid.model_selection._task_placement import task_placement
    >>> data = make_paired_xor(400, n_features=16, n_groups=4, random_state=0)
    >>> table = task_placement(data, cv=4, probes=("linear",), random_state=0)
    >>> list(table.columns.get_level_values("source"))
    ['x1', 'x2', 'both']
    """
    _check_task(task)
    X, info, table = task["X"], task["info"], task["factors"]
    modalities = list(X.keys())
    factors = _default_factors(table, modalities) if factors is None else list(factors)
    for f in factors:
        if f not in table:
            raise ValueError(f"factor {f!r} is not a column of task.factors ({list(table)}).")
    probes = tuple(probes)
    for p in probes:
        if p not in PLACEMENT_PROBES:
            raise ValueError(f"probe {p!r} is unknown; choose among {list(PLACEMENT_PROBES)}.")
    if not isinstance(cv, (int, np.integer)) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an int >= 2 (number of folds), got {cv!r}.")
    n = len(table)
    groups = task.get("groups")
    groups = np.zeros(n, dtype=int) if groups is None else np.asarray(groups)
    seed = 0 if random_state is None else random_state

    task_name = info.get("task")
    features = {
        m: _standardise_within(modality_features(X[m], info.get(m, {}), task=task_name), groups)
        for m in modalities
    }
    both_extra = None
    if task_name in _OLD_SIMULATOR_TASKS:
        both_extra = _standardise_within(_delay_features(task), groups)
    parts = dict(info.get("synergy_parts") or {})
    part_values = {p: table[p].to_numpy() for p in parts.values()}

    n_groups = len(np.unique(groups))
    if n_groups >= 2:
        folds = list(GroupKFold(min(cv, n_groups)).split(np.zeros(n), groups=groups))
    else:
        strat = table[factors[0]].to_numpy()
        splitter = StratifiedKFold(cv, shuffle=True, random_state=seed)
        folds = list(splitter.split(np.zeros(n), strat))

    sources = {m: [m] for m in modalities} | {"both": modalities}
    used = [p for p in probes if p != "parts" or parts]
    columns = pd.MultiIndex.from_product([list(sources), used], names=["source", "probe"])
    out = pd.DataFrame(index=pd.Index(factors, name="factor"), columns=columns, dtype=float)
    with threadpool_limits(1):
        for source, mods in sources.items():
            base = np.hstack([features[m] for m in mods])
            if source == "both" and both_extra is not None:
                base = np.hstack([base, both_extra])
            fold_data = []
            for train, test in folds:
                stacked = (None, None)
                if "parts" in used:
                    stacked = _stacked_parts(features, mods, part_values, groups, train, test, seed)
                fold_data.append((train, test, base[train], base[test], *stacked))
            for factor in factors:
                y = table[factor].to_numpy()
                chance = 1.0 / len(np.unique(y))
                for probe in used:
                    pred = np.empty_like(y)
                    for train, test, a, b, sa, sb in fold_data:
                        if probe == "parts":
                            a, b = sa, sb
                        pred[test] = _probe(probe, seed).fit(a, y[train]).predict(b)
                    bacc = balanced_accuracy_score(y, pred)
                    out.loc[factor, (source, probe)] = (bacc - chance) / (1 - chance)
    return out
