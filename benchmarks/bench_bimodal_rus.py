"""PID blocks on ``bimodal_rus``: what each block reads, and the cost per epoch.

Data: ``../shared/data/bimodal_rus/bimodal_rus.npz`` (10,000 training and 2,000 test
pairs of 100-d vectors; labels ``y_R`` (shared latent), ``y_U1``/``y_U2`` (one modality's
latent), ``y_S`` = XOR of one bit per modality; see the data's README). The benchmark is
skipped with a note when the file is absent.

Protocol: each decomposer is fitted with its default settings on the training split
(``--fits`` network seeds); a linear probe (standardised logistic regression) is
trained on a block's training outputs and scored (accuracy) on the test split. Rows:
every block of PIDDecomposer for every label, ``y_S`` from its R and U blocks together
(should stay near 0.5), CoMM's and FactorCL's whole outputs, and the raw ``[x1, x2]``
reference; medians over fits. Speed: wall and process CPU seconds per epoch of each
fit, and PIDDecomposer's CPU time per epoch as a ratio to CoMM's in the same run; and
the wall time of a default PIDDecomposer fit on 1,000 trials of the default simulator
(``make_eeg_fnirs(n_subjects=10, n_trials=100)``, with ``groups``).

Run: ``python benchmarks/bench_bimodal_rus.py [--fits 3] [--methods PID CoMM FactorCL]``
(run it alone: two trainings at once on 2 cores slow both several-fold).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpid.datasets import make_eeg_fnirs
from skpid.decomposition import CoMM, FactorCL, PIDDecomposer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bimodal_rus" / "bimodal_rus.npz"
LABELS = {"y_R": "R", "y_U1": "U_x1", "y_U2": "U_x2", "y_S": "S"}
METHODS = {"PID": PIDDecomposer, "CoMM": CoMM, "FactorCL": FactorCL}


def probe(Z_train, y_train, Z_test, y_test):
    """Test accuracy of a standardised logistic regression trained on ``Z_train``."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return clf.fit(Z_train, y_train).score(Z_test, y_test)


def _timed_fit(est, X):
    wall, cpu = time.perf_counter(), time.process_time()
    est.fit(X)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "epochs": est.n_epochs_,
        "wall s/epoch": wall / est.n_epochs_,
        "CPU s/epoch": cpu / est.n_epochs_,
    }


def _block_table(Z_train, Z_test, blocks, data):
    table = {}
    for label in LABELS:
        y_tr, y_te = data[f"{label}_train"], data[f"{label}_test"]
        row = {b: probe(Z_train[:, s], y_tr, Z_test[:, s], y_te) for b, s in blocks.items()}
        row["whole"] = probe(Z_train, y_tr, Z_test, y_te)
        table[label] = row
    lower = np.r_[tuple(np.arange(s.start, s.stop) for b, s in blocks.items() if b != "S")]
    table["y_S"]["R+U"] = probe(
        Z_train[:, lower], data["y_S_train"], Z_test[:, lower], data["y_S_test"]
    )
    return pd.DataFrame(table).T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--max-epochs", type=int, default=None, help="default: each's own")
    parser.add_argument("--n-train", type=int, default=10_000)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"note: {DATA} absent, benchmark skipped")
        return
    data = np.load(DATA)
    n = args.n_train
    data = {k: (v[:n] if k.endswith("_train") else v) for k, v in data.items()}
    X_train = {"x1": data["x1_train"], "x2": data["x2_train"]}
    X_test = {"x1": data["x1_test"], "x2": data["x2_test"]}
    raw_tr, raw_te = np.hstack(list(X_train.values())), np.hstack(list(X_test.values()))
    rows = {
        "raw [x1, x2]": {
            y: probe(raw_tr, data[f"{y}_train"], raw_te, data[f"{y}_test"]) for y in LABELS
        }
    }
    speed, tables = [], {}
    for name in args.methods:
        for seed in range(args.fits):
            extra = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
            est = METHODS[name](random_state=seed, **extra)
            speed.append({"method": name, "seed": seed, **_timed_fit(est, X_train)})
            Z_tr, Z_te = est.transform(X_train), est.transform(X_test)
            if name == "PID":
                tables.setdefault(name, []).append(
                    _block_table(Z_tr, Z_te, est.component_slices_, data)
                )
            else:
                row = {y: probe(Z_tr, data[f"{y}_train"], Z_te, data[f"{y}_test"]) for y in LABELS}
                tables.setdefault(name, []).append(pd.DataFrame({"whole": row}).T)
            print(f"  fitted {name}, seed {seed}: {speed[-1]}", flush=True)
    print(
        f"\nbimodal_rus: {n} training / {len(data['y_S_test'])} test pairs; "
        "linear probe test accuracy, median over fits"
    )
    print("\nreference\n" + pd.DataFrame(rows).T.round(3).to_string())
    for name, runs in tables.items():
        median = pd.concat(runs).groupby(level=0, sort=False).median()
        print(f"\n{name} ({len(runs)} fits): rows = labels, columns = blocks")
        print(median.round(3).to_string())
    speed = pd.DataFrame(speed).groupby("method", sort=False).median().drop(columns="seed")
    print("\nspeed (median over fits)\n" + speed.round(2).to_string())
    if {"PID", "CoMM"} <= set(speed.index):
        ratio = speed.loc["PID", "CPU s/epoch"] / speed.loc["CoMM", "CPU s/epoch"]
        print(f"PID / CoMM CPU s per epoch: {ratio:.2f}")
    if "PID" in args.methods:
        sim = make_eeg_fnirs(n_subjects=10, n_trials=100, random_state=1)
        times = []
        for seed in range(args.fits):
            t0 = time.perf_counter()
            PIDDecomposer(random_state=seed).fit(sim.X, groups=sim.groups)
            times.append(time.perf_counter() - t0)
        print(
            f"default PIDDecomposer fit on {len(sim.groups)} simulator trials: "
            f"median {np.median(times):.0f} s over {len(times)} fits"
        )


if __name__ == "__main__":
    main()
