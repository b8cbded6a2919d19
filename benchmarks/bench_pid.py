"""Timing and known-case accuracy of the PID estimators of :mod:`skpid.metrics`.

Run: ``python benchmarks/bench_pid.py [--repeats 5] [--no-dit]``

Prints two tables:

1. Timing (median of ``--repeats`` runs): ``gaussian_pid`` on 50 + 50 + 2 dimensions with
   n = 2,000, and ``discrete_pid`` on 1,000 samples with 10 k-means clusters per source;
   plus one run of dit's ``PID_BROJA`` and of ours on a random 3 x 3 x 2 table.
2. Atoms (R, U1, U2, S in bits) on known cases from ``make_bitwise`` (XOR, AND, unique,
   redundant) and on independent noise, for both estimators, next to the truth. The
   Gaussian PID only sees linear-Gaussian structure, so on bitwise targets it is a
   different (and for XOR, blind) quantity; it is shown for contrast.
"""

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from skpid.metrics import broja_pid, discrete_pid, gaussian_pid

ATOMS = ["R", "U1", "U2", "S"]


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.min(times)), float(np.max(times))


def timing_table(repeats, with_dit):
    rng = np.random.default_rng(0)
    n = 2000
    x1, x2 = rng.normal(size=(n, 50)), rng.normal(size=(n, 50))
    y = x1[:, :2] + x2[:, :2] + rng.normal(size=(n, 2))
    d1, d2 = rng.normal(size=(1000, 4)), rng.normal(size=(1000, 4))
    dy = (d1[:, 0] + d2[:, 0] + rng.normal(size=1000) > 0).astype(int)
    cases = {
        "gaussian_pid tilde, bias-corrected (30 bootstraps), 50+50+2, n=2000": lambda: gaussian_pid(
            x1, x2, y, random_state=0
        ),
        "gaussian_pid tilde, plug-in, 50+50+2, n=2000": lambda: gaussian_pid(
            x1, x2, y, bias_correction=False
        ),
        "gaussian_pid mmi, bias-corrected, 50+50+2, n=2000": lambda: gaussian_pid(
            x1, x2, y, measure="mmi"
        ),
        "discrete_pid 10+10 clusters, binary y, n=1000, 100 permutations": lambda: discrete_pid(
            d1, d2, dy, n_clusters=10, n_permutations=100, random_state=0
        ),
        "discrete_pid 10+10 clusters, 10-cluster y, n=1000, 100 permutations": lambda: discrete_pid(
            d1, d2, y[:1000, 0], n_clusters=10, random_state=0
        ),
        "discrete_pid 10+10 clusters, binary y, n=1000, plug-in only": lambda: discrete_pid(
            d1, d2, dy, n_clusters=10, n_permutations=0, random_state=0
        ),
    }
    rows = []
    for name, fn in cases.items():
        med, lo, hi = _median_time(fn, repeats)
        rows.append({"case": name, "median_s": med, "min_s": lo, "max_s": hi, "runs": repeats})
    table = rng.dirichlet(np.ones(18)).reshape(3, 3, 2)
    med, lo, hi = _median_time(lambda: broja_pid(table), 1)
    rows.append({"case": "broja_pid (ours) 3x3x2 table", "median_s": med, "min_s": lo,
                 "max_s": hi, "runs": 1})  # fmt: skip
    if with_dit:
        import dit
        from dit.pid import PID_BROJA

        outcomes = [tuple(int(v) for v in idx) for idx in np.ndindex(table.shape)]
        dist = dit.Distribution(outcomes, table.ravel())
        med, lo, hi = _median_time(lambda: PID_BROJA(dist, [[0], [1]], [2]), 1)
        rows.append({"case": "dit PID_BROJA 3x3x2 table", "median_s": med, "min_s": lo,
                     "max_s": hi, "runs": 1})  # fmt: skip
    return pd.DataFrame(rows).set_index("case")


def _known_cases(n):
    """(name, x1, x2, y, true atoms) for bitwise cases and independent noise."""
    try:
        from skpid.datasets._generic import make_bitwise
    except ImportError:  # the dataset module is written by another engineer
        make_bitwise = None
    cases = []
    if make_bitwise is not None:
        for kind in ("xor", "and", "unique", "redundant", "unique_redundant", "copy"):
            data = make_bitwise(n, kind=kind, random_state=0)
            cases.append((kind, data.X["x1"], data.X["x2"], data.y, data.pid))
    rng = np.random.default_rng(1)
    noise = (rng.normal(size=(n, 8)), rng.normal(size=(n, 8)), rng.integers(0, 2, n))
    cases.append(("independent noise", *noise, dict.fromkeys(ATOMS, 0.0)))
    return cases


def atoms_table(n):
    rows = []
    for name, x1, x2, y, truth in _known_cases(n):
        disc = discrete_pid(x1, x2, y, n_clusters=10, random_state=0)
        gauss = gaussian_pid(x1, x2, y, random_state=0)
        for estimator, pid in (
            ("truth", truth),
            ("discrete_pid (corrected)", disc),
            ("discrete_pid (plug-in)", {k: disc[f"{k}_plugin"] for k in ATOMS}),
            ("gaussian_pid tilde", gauss),
        ):
            rows.append({"case": name, "estimator": estimator} | {k: pid[k] for k in ATOMS})
    return pd.DataFrame(rows).set_index(["case", "estimator"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timing runs per case")
    parser.add_argument("--n", type=int, default=1000, help="samples per known case")
    parser.add_argument("--no-dit", action="store_true", help="skip the dit timing")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 140)
    print("Timing (seconds)")
    print(timing_table(args.repeats, not args.no_dit).to_string(float_format="{:.3f}".format))
    print(f"\nAtoms in bits on known cases (n = {args.n}, 10 clusters per source)")
    print(atoms_table(args.n).to_string(float_format="{:+.3f}".format))


if __name__ == "__main__":
    main()
