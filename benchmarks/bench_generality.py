"""Generality of the decomposers: recovery on a family of ground-truth tasks.

Protocol (it cannot be tuned to):

- Tasks: skpid's EEG+fNIRS simulator with the coupling delay as synergy and with neural
  efficiency as synergy; a second, independently written EEG+fNIRS simulator (mne forward
  model; kept out of every choice of settings, marked ``HELD-OUT TASK``); paired tabular
  vectors with XOR synergy; a continuous multiplicative interaction; bitwise XOR.
- Data seeds: settings are chosen on :data:`DEV_SEEDS` only (``--dev``); the reported
  tables come from :data:`REPORT_SEEDS`. Each network is fitted ``--fits`` times (network
  seeds 0, 1, ...); tables are medians over fits.
- Subjects: every task has subjects (``groups``); decomposers are fitted on the first
  :data:`TRAIN_SHARE` of them (with ``groups``). The probe is trained on the training
  subjects' outputs and scored on the held-out subjects' (cross-subject: the figure that
  counts); the probe cross-validated within the held-out subjects is printed next to it.
- Probes: linear (standardised logistic regression) and nonlinear (gradient boosting),
  chance-normalised balanced accuracy (0 chance, 1 perfect).
- Rows: PIDDecomposer without priors (the default), its reconstruction targets of time
  series alone (frozen at initialisation; same probe), with all priors, the prior
  features alone (same probe), CoMM, FactorCL, the raw inputs (time series averaged down to
  :data:`RAW_SAMPLES` samples per channel), generic hand-built features (band power in
  the named EEG bands, HbO/HbR window features; the raw vectors for tabular tasks).

Run: ``python benchmarks/bench_generality.py [--fits 3] [--tasks ...] [--dev] [--quick]``
(run it alone: two trainings at once on 2 cores slow both several-fold).
"""

import argparse
import itertools
import time

import numpy as np
import pandas as pd
import torch

from skpid.datasets import (
    make_bitwise,
    make_eeg_fnirs,
    make_eeg_fnirs_forward,
    make_multiplicative,
    make_paired_xor,
)
from skpid.decomposition import CoMM, FactorCL, PIDDecomposer
from skpid.decomposition._priors import PRIORS, check_priors, prior_features
from skpid.decomposition._training import apply_scaling, fit_scaling
from skpid.features import BandPower, HemodynamicFeatures
from skpid.model_selection import transfer_recovery, within_recovery
from skpid.model_selection._protocol import PROBES

DEV_SEEDS = (0,)
REPORT_SEEDS = (1,)
HELD_OUT_TASK = "forward"
TRAIN_SHARE = 0.7
RAW_SAMPLES = 20

TASKS = {
    "delay": lambda seed, quick: make_eeg_fnirs(
        n_subjects=10, n_trials=20 if quick else 40, random_state=seed
    ),
    "efficiency": lambda seed, quick: make_eeg_fnirs(
        n_subjects=10,
        n_trials=20 if quick else 40,
        synergy="efficiency",
        efficiency_strength=1.0,
        random_state=seed,
    ),
    "forward": lambda seed, quick: make_eeg_fnirs_forward(
        n_subjects=10, n_trials=20 if quick else 40, random_state=seed
    ),
    "xor": lambda seed, quick: make_paired_xor(
        n_samples=1000 if quick else 4000, n_groups=10, random_state=seed
    ),
    "multiplicative": lambda seed, quick: make_multiplicative(
        n_samples=1000 if quick else 4000, n_groups=10, random_state=seed
    ),
    "bitwise": lambda seed, quick: make_bitwise(
        n_samples=1000 if quick else 4000, kind="xor", n_groups=10, random_state=seed
    ),
}


def _subset(X, idx):
    return {m: np.asarray(x)[idx] for m, x in X.items()}


def _is_time_series(task):
    return all(np.asarray(x).ndim == 3 for x in task.X.values())


def _factor_table(task):
    cols = ["R", *(f"U_{m}" for m in task.X), "S"]
    return task.factors[[c for c in cols if c in task.factors.columns]].reset_index(drop=True)


def _prior_settings(task):
    """sfreq, tmin and channel names of a time-series task, for the priors."""
    info = task.info
    return {
        "sfreq": {m: info[m]["sfreq"] for m in task.X},
        "tmin": {m: info[m].get("tmin", 0.0) for m in task.X},
        "ch_names": {m: list(info[m]["ch_names"]) for m in task.X if _kind(task, m) == "nirs"},
    }


def _kind(task, m):
    types = set(task.info[m].get("ch_types", []))
    return "nirs" if types & {"hbo", "hbr"} else "eeg"


def _priors(task):
    """Every prior, with the modalities named from the channel types."""
    eeg = next(m for m in task.X if _kind(task, m) == "eeg")
    nirs = next(m for m in task.X if _kind(task, m) == "nirs")
    return {
        "band_power": {"modality": eeg},
        "haemodynamic_amplitude": {"modality": nirs},
        "coupling_delay": {"eeg": eeg, "nirs": nirs},
    }


METHODS = ("PID (no priors)", "PID + priors", "CoMM", "FactorCL")


def _decomposers(task, fit_seed, quick, methods):
    small = {"max_epochs": 3} if quick else {}
    out = {"PID (no priors)": PIDDecomposer(random_state=fit_seed, **small)}
    if _is_time_series(task):
        out["PID + priors"] = PIDDecomposer(
            priors=_priors(task), random_state=fit_seed, **_prior_settings(task), **small
        )
    out["CoMM"] = CoMM(random_state=fit_seed, **small)
    if len(list(task.X)) == 2:  # FactorCL takes two modalities
        out["FactorCL"] = FactorCL(random_state=fit_seed, **small)
    return {name: est for name, est in out.items() if name in methods}


def _pooled(x, n):
    """Average a (trials, channels, times) array down to ``n`` samples per channel."""
    edges = np.linspace(0, x.shape[-1], n + 1).astype(int)
    return np.stack([x[..., a:b].mean(-1) for a, b in itertools.pairwise(edges)], -1)


def _sources(parts, together="both"):
    """Blocks per part and for all of them together, over concatenated features."""
    bounds = np.cumsum([0, *(p.shape[1] for p in parts.values())])
    blocks = {m: slice(int(bounds[i]), int(bounds[i + 1])) for i, m in enumerate(parts)}
    blocks[together] = slice(0, int(bounds[-1]))
    return np.hstack(list(parts.values())), blocks


def _reference_features(task, train, test):
    """Raw, hand-built and prior features of the training and held-out trials."""
    refs = {}
    raw = {}
    for m, x in task.X.items():
        x = np.asarray(x, dtype=np.float64)
        raw[m] = (_pooled(x, RAW_SAMPLES) if x.ndim == 3 else x).reshape(len(x), -1)
    refs["raw inputs"] = _sources(raw)
    if not _is_time_series(task):
        return refs
    hand = {}
    for m, x in task.X.items():
        info = task.info[m]
        if _kind(task, m) == "nirs":
            step = HemodynamicFeatures(
                sfreq=info["sfreq"],
                tmin=info.get("tmin", 0.0),
                ch_types=list(info["ch_types"]),
                features=["mean", "slope", "peak"],
            )
        else:
            step = BandPower(sfreq=info["sfreq"])
        hand[m] = step.fit(np.asarray(x)[train]).transform(np.asarray(x))
    refs["hand-built features"] = _sources(hand)
    # the priors' features, computed as PIDDecomposer computes them (scaling fitted on
    # the training trials; the coupling stretch fitted per subject, without labels)
    priors = check_priors(
        _priors(task), {m: x.shape[1:] for m, x in task.X.items()}, **_prior_settings(task)
    )
    scaled = apply_scaling(task.X, fit_scaling(_subset(task.X, train)))
    features = prior_features(priors, scaled, task.groups)
    parts = {name: v.reshape(len(v), -1) for name, v in features.items()}
    refs["prior features"] = _sources(parts, together="all priors")
    return refs


def _reconstruction_targets(est, X):
    """The reconstruction targets of a fitted PIDDecomposer's time series (frozen at
    initialisation), per modality and together: an engineered input, reported alone."""
    net = est.net_.module_
    data = apply_scaling(X, est.scaling_)
    parts = {}
    with torch.no_grad():
        for target, m in zip(net.recon_targets, net.modalities, strict=True):
            parts[m] = target(torch.as_tensor(data[m])).numpy().astype(np.float64)
    return _sources(parts)


def _tables(Z, blocks, factors, train, test, seed):
    tables = {}
    for probe in PROBES:
        tables[f"cross-subject, {probe}"] = transfer_recovery(
            Z[train],
            factors.iloc[train],
            Z[test],
            factors.iloc[test],
            blocks,
            probe=probe,
            random_state=seed,
        )
    tables["within held-out, linear"] = within_recovery(
        Z[test], factors.iloc[test].reset_index(drop=True), blocks, random_state=seed
    )
    return tables


def _median(list_of_tables):
    keys = list_of_tables[0]
    return {
        k: pd.concat([t[k] for t in list_of_tables]).groupby(level=0, sort=False).median()
        for k in keys
    }


def run_task(name, seed, fits, quick, methods=METHODS, references=True):
    task = TASKS[name](seed, quick)
    factors = _factor_table(task)
    subjects = np.unique(task.groups)
    n_train = round(TRAIN_SHARE * len(subjects))
    train = np.flatnonzero(np.isin(task.groups, subjects[:n_train]))
    test = np.flatnonzero(~np.isin(task.groups, subjects[:n_train]))
    title = f"Task {name!r}, data seed {seed}"
    if name == HELD_OUT_TASK:
        title += "  [HELD-OUT TASK: kept out of every choice of settings]"
    print(f"\n{'=' * len(title)}\n{title}\n{'=' * len(title)}")
    print(
        f"{len(factors)} trials, {len(subjects)} subjects ({n_train} train / "
        f"{len(subjects) - n_train} held out); factors {list(factors.columns)}"
    )
    refs = _reference_features(task, train, test) if references else {}
    for ref, (Z, blocks) in refs.items():
        for kind, table in _tables(Z, blocks, factors, train, test, seed).items():
            print(f"\n{ref} ({kind})")
            print(table.round(2).to_string())
    results = {}
    for fit_seed in range(fits):
        for method, est in _decomposers(task, fit_seed, quick, methods).items():
            t0 = time.perf_counter()
            est.fit(_subset(task.X, train), groups=task.groups[train])
            elapsed = time.perf_counter() - t0
            Z = est.transform(task.X)
            tables = _tables(Z, est.component_slices_, factors, train, test, seed)
            results.setdefault(method, []).append(tables)
            print(f"  fit {method}, seed {fit_seed}: {elapsed:.1f} s")
            if method == "PID (no priors)" and _is_time_series(task):
                Z, blocks = _reconstruction_targets(est, task.X)
                tables = _tables(Z, blocks, factors, train, test, seed)
                results.setdefault("PID reconstruction targets alone", []).append(tables)
    for method, runs in results.items():
        for kind, table in _median(runs).items():
            print(f"\n{method} ({kind}, median of {len(runs)} fits)")
            print(table.round(2).to_string())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--dev", action="store_true", help="development seeds (for tuning)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument(
        "--no-references", action="store_true", help="skip the raw, hand-built and prior rows"
    )
    args = parser.parse_args()
    seeds = DEV_SEEDS if args.dev else REPORT_SEEDS
    print(f"{'DEVELOPMENT' if args.dev else 'REPORT'} data seeds {seeds}; priors: {sorted(PRIORS)}")
    t0 = time.perf_counter()
    tasks = args.tasks
    if args.dev and HELD_OUT_TASK in tasks:
        # development runs choose settings: the held-out task stays out of them
        print(f"--dev: task {HELD_OUT_TASK!r} skipped (held out of every choice)")
        tasks = [t for t in tasks if t != HELD_OUT_TASK]
    for name in tasks:
        for seed in seeds:
            run_task(name, seed, args.fits, args.quick, args.methods, not args.no_references)
    print(f"\nTotal time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
