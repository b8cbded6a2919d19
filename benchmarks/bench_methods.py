"""Side-by-side comparison of skpid's decomposers (issue 4): recovery, structure, synergy, speed.

a. EEG + fNIRS simulator (10 subjects x 100 trials; fit on 8 subjects, probe on the 2
   others): blocks x factors (R, U_eeg, U_fnirs, S) chance-normalised balanced accuracy
   of a linear probe (:func:`skpid.metrics.component_recovery`, 5-fold CV on the held-out
   trials), for PIDDecomposer, FactorCL, CoMM, HCL, and the raw / hand-built references.
b. ``make_multimodal_gaussian`` with 3 modalities and every structure (global, partial,
   specific): LinearHCL's per-structure loading error (``loading_recovery_error``, relative
   to the truth's norm), and the deep methods' probe of every structure's label per block.
c. Synergy: ``/work/shared/data/bimodal_rus/bimodal_rus.npz`` (labels y_R, y_U1, y_U2,
   y_S = XOR) when present, and ``make_bitwise(kind="xor")``: held-out accuracy of a
   logistic probe on each method's whole output, next to CoMM's published Trifeature
   pattern (Dufumier et al., ICLR 2025, Table 2).
d. Fit seconds per epoch and transform throughput of every fit above.

Run: ``python benchmarks/bench_methods.py [--max-epochs 30] [--rus-train 2000] [--tasks abc]``
"""

import argparse
import importlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.helper import SliceDict

from skpid.datasets import make_bitwise, make_eeg_fnirs, make_multimodal_gaussian
from skpid.decomposition import LinearHCL, loading_recovery_error
from skpid.metrics import component_recovery
from skpid.model_selection import eeg_features, fnirs_features

FACTORS = ["R", "U_eeg", "U_fnirs", "S"]
RUS = Path("/work/shared/data/bimodal_rus/bimodal_rus.npz")
PUBLISHED = pd.DataFrame(
    {"R": [99.9, 99.8, 99.7], "U": [87.8, 62.5, 86.9], "S": [71.9, 46.5, 50.0]},
    index=["CoMM (paper)", "FactorCL (paper)", "Cross+Self (paper)"],
)
METHODS = {
    "PIDDecomposer": ("skpid.decomposition._pid", "PIDDecomposer"),
    "FactorCL": ("skpid.decomposition._factorcl", "FactorCL"),
    "CoMM": ("skpid.decomposition._comm", "CoMM"),
    "HCL": ("skpid.decomposition._hcl", "HCL"),
}
TIMINGS = []


def _available():
    found = {}
    for name, (module, cls) in METHODS.items():
        try:
            found[name] = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError) as exc:
            print(f"note: {name} skipped ({exc})")
    return found


def _subset(X, idx):
    return SliceDict(**{m: np.asarray(x)[idx] for m, x in X.items()})


def _fit(name, cls, X, args, task, groups=None):
    """Fit one method, record its speed; None (with a printed note) when it cannot run."""
    est = cls(max_epochs=args.max_epochs, random_state=args.random_state)
    try:
        t0 = time.perf_counter()
        est.fit(X, groups=groups)
        fit_s = time.perf_counter() - t0
    except ValueError as exc:
        print(f"note: {name} cannot run on {task}: {str(exc).splitlines()[0]}")
        return None
    t0 = time.perf_counter()
    est.transform(X)
    throughput = len(next(iter(X.values()))) / (time.perf_counter() - t0)
    TIMINGS.append(
        {
            "task": task,
            "method": name,
            "trials": len(next(iter(X.values()))),
            "epochs": est.n_epochs_,
            "s/epoch": fit_s / est.n_epochs_,
            "transform trials/s": throughput,
        }
    )
    return est


def _print(title, frame):
    print(f"\n{title}")
    print(frame.round(3).to_string())


def simulator(methods, args):
    data = make_eeg_fnirs(n_subjects=10, n_trials=100, random_state=args.random_state)
    train = np.flatnonzero(data.groups < 8)
    test = np.flatnonzero(data.groups >= 8)
    factors = data.factors.iloc[test].reset_index(drop=True)[FACTORS]
    X_train, X_test = _subset(data.X, train), _subset(data.X, test)
    print("\n== a. EEG + fNIRS simulator: recovery (chance-normalised balanced accuracy) ==")
    for name, cls in methods.items():
        est = _fit(name, cls, X_train, args, "eeg_fnirs", groups=data.groups[train])
        if est is None:
            continue
        Z = est.transform(X_test)
        report = component_recovery(
            Z, factors, blocks=est.component_slices_, cv=5, random_state=args.random_state
        )
        _print(f"{name} blocks x factors", report.scores)
        if name == "HCL":
            print(f"HCL gates: { {k: round(v, 3) for k, v in est.gates_.items()} }")
    raw = {m: data.X[m][test].reshape(len(test), -1) for m in ("eeg", "fnirs")}
    hand = {
        "eeg": eeg_features(data.X["eeg"][test], data.info["eeg"]["sfreq"]).to_numpy(),
        "fnirs": fnirs_features(data.X["fnirs"][test], data.info["fnirs"]["sfreq"]).to_numpy(),
    }
    for title, feats in (("raw inputs", raw), ("hand-built features", hand)):
        Z = np.hstack([feats["eeg"], feats["fnirs"]])
        n_eeg = feats["eeg"].shape[1]
        blocks = {"eeg": slice(0, n_eeg), "fnirs": slice(n_eeg, None), "both": slice(0, None)}
        report = component_recovery(Z, factors, blocks=blocks, cv=5, random_state=args.random_state)
        _print(f"Reference: {title}", report.scores)


def hierarchy(methods, args):
    print("\n== b. make_multimodal_gaussian, 3 modalities, every structure ==")
    data = make_multimodal_gaussian(
        args.gauss_train + 1000, n_features=12, labels="all", random_state=args.random_state
    )
    n = args.gauss_train
    X_train = _subset(data.X, np.arange(n))
    X_test = _subset(data.X, np.arange(n, n + 1000))
    factors = data.factors.iloc[n:].reset_index(drop=True)

    linear = LinearHCL().fit(X_train)
    errors = loading_recovery_error(data.loadings, linear.loadings_)
    table = errors.groupby("structure")[["error", "norm"]].sum()
    table["relative"] = table["error"] / table["norm"]
    _print(
        f"LinearHCL loading recovery (Frobenius, summed over modality pairs); "
        f"pruned: {linear.pruned_structures_}",
        table,
    )
    for name, cls in methods.items():
        est = _fit(name, cls, X_train, args, "gaussian_3mod")
        if est is None:
            continue
        report = component_recovery(
            est.transform(X_test),
            factors,
            blocks=est.component_slices_,
            cv=5,
            random_state=args.random_state,
        )
        _print(f"{name}: blocks x structure labels", report.scores)
        if name == "HCL":
            print(f"HCL pruned: {est.pruned_structures_}")


def _probe(Z_train, y_train, Z_test, y_test):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return 100 * clf.fit(Z_train, y_train).score(Z_test, y_test)


def synergy(methods, args):
    print("\n== c. synergy: linear-probe accuracy (%) on each method's whole output ==")
    rows = {}
    if RUS.exists():
        rus = np.load(RUS)
        k = args.rus_train
        X_train = SliceDict(x1=rus["x1_train"][:k], x2=rus["x2_train"][:k])
        X_test = SliceDict(x1=rus["x1_test"], x2=rus["x2_test"])
        labels = {"R": "y_R", "U1": "y_U1", "U2": "y_U2", "S": "y_S"}
        ref_tr = np.hstack([X_train["x1"], X_train["x2"]])
        ref_te = np.hstack([X_test["x1"], X_test["x2"]])
        rows["raw [x1, x2]"] = {
            a: _probe(ref_tr, rus[f"{y}_train"][:k], ref_te, rus[f"{y}_test"])
            for a, y in labels.items()
        }
        for name, cls in methods.items():
            est = _fit(name, cls, X_train, args, "bimodal_rus")
            if est is None:
                continue
            Z_tr, Z_te = est.transform(X_train), est.transform(X_test)
            rows[name] = {
                a: _probe(Z_tr, rus[f"{y}_train"][:k], Z_te, rus[f"{y}_test"])
                for a, y in labels.items()
            }
        table = pd.DataFrame(rows).T
        table["U"] = table[["U1", "U2"]].mean(axis=1)
        _print(
            f"bimodal_rus ({k} training, 2,000 test samples); published Trifeature pattern below",
            pd.concat([table[["R", "U", "S", "U1", "U2"]], PUBLISHED]),
        )
    else:
        print(f"note: {RUS} absent, bimodal_rus table skipped")

    bits = make_bitwise(4000, kind="xor", n_features=8, random_state=args.random_state)
    half = 2000
    X_train, X_test = _subset(bits.X, np.arange(half)), _subset(bits.X, np.arange(half, 4000))
    y_train, y_test = bits.y[:half], bits.y[half:]
    xor = {}
    for name, cls in methods.items():
        est = _fit(name, cls, X_train, args, "bitwise_xor")
        if est is not None:
            xor[name] = _probe(est.transform(X_train), y_train, est.transform(X_test), y_test)
    raw_tr = np.hstack([np.asarray(x) for x in X_train.values()])
    raw_te = np.hstack([np.asarray(x) for x in X_test.values()])
    xor["raw [x1, x2]"] = _probe(raw_tr, y_train, raw_te, y_test)
    _print("make_bitwise(kind='xor'): probe accuracy (%) of y = b1 XOR b2", pd.Series(xor))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=30, help="30: the estimators' default")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--gauss-train", type=int, default=2000)
    parser.add_argument("--rus-train", type=int, default=2000)
    parser.add_argument(
        "--tasks", default="abc", help="which tables to compute, e.g. 'a' or 'bc' (d follows)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    methods = _available()
    print(f"methods: {list(methods)}, max_epochs={args.max_epochs}, default parameters")
    for key, task in (("a", simulator), ("b", hierarchy), ("c", synergy)):
        if key in args.tasks:
            task(methods, args)
    _print("== d. speed (CPU, 1 thread) ==", pd.DataFrame(TIMINGS).set_index(["task", "method"]))


if __name__ == "__main__":
    main()
