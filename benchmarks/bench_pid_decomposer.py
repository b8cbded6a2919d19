"""Benchmark of PIDDecomposer on the EEG + fNIRS simulator: recovery and speed.

Default simulated data, 10 subjects x 100 trials; the decomposer is fitted on 8 subjects
(batches within subjects: ``fit(..., groups=subjects)``) with ``--repeats`` seeds and
probed on the 2 others; the table is the median over seeds. Recovery matrix = blocks x
factors of chance-normalised balanced accuracy of a logistic-regression probe trained on
one block, 5-fold cross-validated over the held-out subjects' trials. Next to it the same
matrix for the raw inputs and for the hand-built features (references), and for the true
factors themselves, one-hot (the oracle: what a perfect decomposition scores, i.e. the
floor of the off-diagonal entries set by chance correlations between the factors of the
200 test trials).

The decomposer gets the sampling rates (``sfreq``), which switch on the neurovascular
coupling profile and delay target of the synergy block.

Targets (issue 3): diagonal R, U_eeg, U_fnirs >= 0.85 and S >= 0.6, every off-diagonal
entry <= 0.15; fit on 1,000 trials <= 120 s and transform >= 2,000 trials/s on CPU
(medians of ``--repeats`` runs).

Run: ``python benchmarks/bench_pid_decomposer.py [--repeats 3] [--device cpu]``
"""

import argparse
import time

import numpy as np
import pandas as pd

from skpid.datasets import eeg_features, fnirs_features, make_eeg_fnirs
from skpid.decomposition import PIDDecomposer
from skpid.metrics import component_recovery

FACTORS = ["R", "U_eeg", "U_fnirs", "S"]
TARGETS = {"R": 0.85, "U_eeg": 0.85, "U_fnirs": 0.85, "S": 0.6}


def _subset(X, idx):
    return {name: arr[idx] for name, arr in X.items()}


def _recovery(Z, blocks, factors, random_state):
    report = component_recovery(Z, factors[FACTORS], blocks=blocks, cv=5, random_state=random_state)
    return report.scores


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--max-epochs", type=int, default=None)
    args = parser.parse_args()
    rs = args.random_state

    data = make_eeg_fnirs(n_subjects=10, n_trials=100, random_state=rs)
    train = np.flatnonzero(data.groups < 8)
    test = np.flatnonzero(data.groups >= 8)
    factors_test = data.factors.iloc[test].reset_index(drop=True)
    params = {
        "random_state": rs,
        "device": args.device,
        "sfreq": {m: data.info[m]["sfreq"] for m in ("eeg", "fnirs")},
    }
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs

    # Recovery: one fit per seed (network, augmentation and batches), same data.
    matrices = []
    for r in range(args.repeats):
        dec = PIDDecomposer(**{**params, "random_state": rs + r})
        t0 = time.perf_counter()
        dec.fit(_subset(data.X, train), groups=data.groups[train])
        print(
            f"seed {rs + r}: fit on {len(train)} trials (8 subjects) in "
            f"{time.perf_counter() - t0:.1f} s, {dec.n_epochs_} epochs"
        )
        Z = dec.transform(_subset(data.X, test))
        matrices.append(_recovery(Z, dec.component_slices_, factors_test, rs))
    stacked = np.stack([m.to_numpy() for m in matrices])
    scores = pd.DataFrame(np.median(stacked, 0), index=matrices[0].index, columns=FACTORS)
    print(
        f"\nRecovery matrix, PIDDecomposer blocks, median of {args.repeats} seeds (probe on "
        "the 2 held-out subjects)"
    )
    print(scores.round(3).to_string())
    diag = pd.DataFrame(
        {
            "min": stacked.min(0).diagonal(),
            "median": np.median(stacked, 0).diagonal(),
            "max": stacked.max(0).diagonal(),
        },
        index=FACTORS,
    )
    print("diagonal over seeds")
    print(diag.round(3).to_string())
    print(_check(scores.loc[FACTORS, FACTORS]))

    # References: raw inputs (flattened) and hand-built features, per modality.
    raw = {m: data.X[m][test].reshape(len(test), -1) for m in ("eeg", "fnirs")}
    hand = {
        "eeg": eeg_features(data.X["eeg"][test], data.info["eeg"]["sfreq"]).to_numpy(),
        "fnirs": fnirs_features(data.X["fnirs"][test], data.info["fnirs"]["sfreq"]).to_numpy(),
    }
    for title, feats in (("raw inputs", raw), ("hand-built features", hand)):
        Zr = np.hstack([feats["eeg"], feats["fnirs"]])
        n_eeg = feats["eeg"].shape[1]
        blocks = {
            "eeg": slice(0, n_eeg),
            "fnirs": slice(n_eeg, Zr.shape[1]),
            "both": slice(0, Zr.shape[1]),
        }
        print(f"\nReference: {title}")
        print(_recovery(Zr, blocks, factors_test, rs).round(3).to_string())
    onehot = [np.eye(factors_test[f].max() + 1)[factors_test[f]] for f in FACTORS]
    bounds = np.cumsum([0] + [o.shape[1] for o in onehot])
    blocks = {f: slice(bounds[i], bounds[i + 1]) for i, f in enumerate(FACTORS)}
    print("\nReference: oracle (true factors, one-hot, as blocks)")
    print(_recovery(np.hstack(onehot), blocks, factors_test, rs).round(3).to_string())

    # Speed on 1,000 trials: fit and transform, medians over repeats.
    fit_s, thr = [], []
    for r in range(args.repeats):
        dec = PIDDecomposer(**{**params, "random_state": rs + r})
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
