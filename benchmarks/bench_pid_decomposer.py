"""Benchmark of PIDDecomposer on skpid's EEG + fNIRS simulator: recovery and speed.

Protocol (as ``bench_generality.py``): simulated data, 10 subjects x 100 trials, data seed
``--random-state`` (1 by default: seed 0 is the development seed on which settings were
chosen; report figures from other seeds). Each decomposer is fitted on 8 subjects (with
``groups``) with ``--repeats`` network seeds; a linear probe (standardised logistic
regression) is trained on the 8 training subjects' blocks and scored on the 2 held-out
subjects; tables are medians over seeds of the chance-normalised balanced accuracy. The
probe cross-validated within the held-out subjects is printed next to it (not a transfer).

Rows: PIDDecomposer without priors (the default), with all physiological priors, the
priors' own features alone (same probe), the raw inputs and hand-built features (per
modality and both), and the true factors one-hot (the oracle: the floor that chance
correlations between factors set on the off-diagonal entries).

Targets (issue 18, no priors): diagonal >= 0.85 for R and U, S >= 0.5; off-diagonal
<= 0.15. Speed: fit on 1,000 trials <= 120 s and transform >= 2,000 trials/s on CPU
(medians of ``--repeats`` runs, default settings).

Run: ``python benchmarks/bench_pid_decomposer.py [--repeats 3] [--device cpu]`` (alone).
"""

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from skpid.datasets import make_eeg_fnirs
from skpid.decomposition import PIDDecomposer
from skpid.model_selection import eeg_features, fnirs_features, transfer_recovery, within_recovery

FACTORS = ["R", "U_eeg", "U_fnirs", "S"]
TARGETS = {"R": 0.85, "U_eeg": 0.85, "U_fnirs": 0.85, "S": 0.5}
PRIORS = ("band_power", "haemodynamic_amplitude", "coupling_delay")


def _subset(X, idx):
    return {name: arr[idx] for name, arr in X.items()}


def _check(scores):
    lines = []
    for b in scores.index:
        for f in scores.columns:
            v = scores.loc[b, f]
            if b == f:
                ok = v >= TARGETS[f]
                lines.append(
                    f"  {b:8s} x {f:8s} {v:6.3f}  (>= {TARGETS[f]})  {'ok' if ok else 'MISSED'}"
                )
            elif v > 0.15:
                lines.append(f"  {b:8s} x {f:8s} {v:6.3f}  (<= 0.15)  LEAK")
    return "\n".join(lines) or "  all off-diagonal entries <= 0.15"


def _print(title, table):
    print(f"\n{title}")
    print(table.round(3).to_string())


def _concat(parts):
    bounds = np.cumsum([0, *(p.shape[1] for p in parts.values())])
    blocks = {n: slice(int(bounds[i]), int(bounds[i + 1])) for i, n in enumerate(parts)}
    return np.hstack(list(parts.values())), blocks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--random-state", type=int, default=1, help="data seed (0: dev)")
    parser.add_argument("--max-epochs", type=int, default=None)
    args = parser.parse_args()
    rs = args.random_state

    data = make_eeg_fnirs(n_subjects=10, n_trials=100, random_state=rs)
    train = np.flatnonzero(data.groups < 8)
    test = np.flatnonzero(data.groups >= 8)
    f_train = data.factors.iloc[train][FACTORS].reset_index(drop=True)
    f_test = data.factors.iloc[test][FACTORS].reset_index(drop=True)
    params = {"device": args.device}
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    priors = {
        "priors": PRIORS,
        "sfreq": {m: data.info[m]["sfreq"] for m in data.X},
        "tmin": {m: data.info[m]["tmin"] for m in data.X},
        "ch_names": {"fnirs": data.info["fnirs"]["ch_names"]},
    }
    variants = {"no priors (default)": {}, "with priors": priors}
    X_train, X_test = _subset(data.X, train), _subset(data.X, test)

    for variant, extra in variants.items():
        cross, within = [], []
        for r in range(args.repeats):
            dec = PIDDecomposer(**params, **extra, random_state=r)
            t0 = time.perf_counter()
            dec.fit(X_train, groups=data.groups[train])
            print(
                f"{variant}, seed {r}: fit on {len(train)} trials (8 subjects) in "
                f"{time.perf_counter() - t0:.1f} s, {dec.n_epochs_} epochs"
            )
            Z_train, Z_test = dec.transform(X_train), dec.transform(X_test)
            cross.append(transfer_recovery(Z_train, f_train, Z_test, f_test, dec.component_slices_))
            within.append(within_recovery(Z_test, f_test, dec.component_slices_))
        stacked = np.stack([m.to_numpy() for m in cross])
        scores = pd.DataFrame(np.median(stacked, 0), index=cross[0].index, columns=FACTORS)
        _print(f"PIDDecomposer, {variant}: cross-subject, median of {args.repeats} seeds", scores)
        print("diagonal over seeds (min / median / max):")
        for f in FACTORS:
            d = stacked[:, FACTORS.index(f), FACTORS.index(f)]
            print(f"  {f:8s} {d.min():.3f} / {np.median(d):.3f} / {d.max():.3f}")
        print(_check(scores.loc[FACTORS, FACTORS]))
        wstack = np.median(np.stack([m.to_numpy() for m in within]), 0)
        _print(
            f"PIDDecomposer, {variant}: within the held-out subjects (5-fold CV; not a transfer)",
            pd.DataFrame(wstack, index=within[0].index, columns=FACTORS),
        )
        if extra:
            Z, blocks = _concat(dec.prior_features(X_train, groups=data.groups[train]))
            Zt, _ = _concat(dec.prior_features(X_test, groups=data.groups[test]))
            _print(
                "The priors' features alone, same probe, cross-subject",
                transfer_recovery(Z, f_train, Zt, f_test, blocks),
            )

    # References: raw inputs (averaged to 20 samples per channel) and hand-built features.
    def pooled(x):
        edges = np.linspace(0, x.shape[-1], 21).astype(int)
        return np.stack([x[..., a:b].mean(-1) for a, b in itertools.pairwise(edges)], -1)

    raw = {m: pooled(x).reshape(len(x), -1) for m, x in data.X.items()}
    hand = {
        "eeg": eeg_features(data.X["eeg"], data.info["eeg"]["sfreq"]).to_numpy(),
        "fnirs": fnirs_features(data.X["fnirs"], data.info["fnirs"]["sfreq"]).to_numpy(),
    }
    for title, feats in (("raw inputs", raw), ("hand-built features", hand)):
        Z, blocks = _concat(feats)
        blocks["both"] = slice(0, Z.shape[1])
        _print(
            f"Reference: {title}, cross-subject",
            transfer_recovery(Z[train], f_train, Z[test], f_test, blocks),
        )
    onehot = {f: np.eye(data.factors[f].max() + 1)[data.factors[f]] for f in FACTORS}
    Z, blocks = _concat(onehot)
    _print(
        "Reference: oracle (true factors, one-hot, as blocks), cross-subject",
        transfer_recovery(Z[train], f_train, Z[test], f_test, blocks),
    )

    # Speed on 1,000 trials: fit and transform, medians over repeats.
    fit_s, thr = [], []
    for r in range(args.repeats):
        dec = PIDDecomposer(**params, random_state=r)
        t0 = time.perf_counter()
        dec.fit(data.X, groups=data.groups)
        fit_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        dec.transform(data.X)
        thr.append(len(data.y) / (time.perf_counter() - t0))
    speed = pd.DataFrame(
        {
            "median": [np.median(fit_s), np.median(thr)],
            "min": [min(fit_s), min(thr)],
            "max": [max(fit_s), max(thr)],
            "target": ["<= 120 s", ">= 2000 trials/s"],
        },
        index=["fit 1,000 trials (s)", "transform (trials/s)"],
    )
    print(f"\nSpeed on {args.device}, {args.repeats} runs, default settings")
    print(speed.round(1).to_string())


if __name__ == "__main__":
    main()
