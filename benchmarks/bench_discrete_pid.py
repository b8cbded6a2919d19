"""Small-sample accuracy of :func:`skpid.metrics.discrete_pid` against known atoms.

Prints, for XOR, AND, a unique copy (y = x1), a redundant copy (x1 = x2 = y), a bit seen
by x1 only against 10-cluster noise in x2, independent bits, and a noisy 4-ary copy (x1
is y with probability 0.7 and uniform otherwise, x2 independent; true atoms from
:func:`~skpid.metrics.broja_pid` of the population table), the true atoms and the
mean (and standard deviation) over ``--repeats`` seeds of the corrected and plug-in
estimates at n = 60, 200 and 1,000.

    python benchmarks/bench_discrete_pid.py [--repeats 10] [--permutations 50]
"""

import argparse
import time
import warnings

import numpy as np

from skpid.metrics import SmallSampleWarning, broja_pid, discrete_pid

ATOMS = ("R", "U1", "U2", "S")
AND_R = 1.5 - 0.75 * np.log2(3)


NOISE = 0.3  # share of the noisy 4-ary copy's x1 drawn at random


def _noisy_copy_table(k=4):
    """P(x1, x2, y) of the noisy k-ary copy: y uniform, x1 a noisy copy, x2 independent."""
    table = np.zeros((k, k, k))
    for y in range(k):
        x1 = np.full(k, NOISE / k)
        x1[y] += 1 - NOISE
        table[:, :, y] = np.outer(x1, np.full(k, 1 / k)) / k
    return table


NOISY_TRUE = tuple(broja_pid(_noisy_copy_table())[k] for k in ATOMS)


def cases(n, rng):
    """``(name, x1, x2, y, true atoms, n_clusters)`` of each known case."""
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    return [
        ("xor", a, b, a ^ b, (0, 0, 0, 1)),
        ("and", a, b, a & b, (AND_R, 0, 0, 0.5)),
        ("unique-copy", a, b, a, (0, 1, 0, 0)),
        ("redundant-copy", a, a, a, (1, 0, 0, 0)),
        ("x1-bit-vs-noise", a, rng.normal(size=(n, 2)), a, (0, 1, 0, 0)),
        ("independent", a, b, rng.integers(0, 2, n), (0, 0, 0, 0)),
        ("noisy-4ary-copy", *_noisy_copy(n, rng), NOISY_TRUE),
    ]


def _noisy_copy(n, rng, k=4):
    y = rng.integers(0, k, n)
    x1 = np.where(rng.random(n) < NOISE, rng.integers(0, k, n), y)
    return x1, rng.integers(0, k, n), y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--permutations", type=int, default=50)
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 200, 1000])
    args = parser.parse_args()
    start = time.perf_counter()
    print("| case | n | true R/U1/U2/S | corrected mean (sd) | plug-in mean | max abs err |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        rows = {}
        for seed in range(args.repeats):
            for name, x1, x2, y, true in cases(n, np.random.default_rng(seed)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SmallSampleWarning)
                    pid = discrete_pid(
                        x1, x2, y, n_permutations=args.permutations, random_state=seed
                    )
                row = rows.setdefault(name, (true, [], []))
                row[1].append([pid[k] for k in ATOMS])
                row[2].append([pid[f"{k}_plugin"] for k in ATOMS])
        for name, (true, est, plug) in rows.items():
            est, plug = np.asarray(est), np.asarray(plug)
            mean, sd = est.mean(0), est.std(0, ddof=1) if len(est) > 1 else np.zeros(4)
            fmt = "/".join
            print(
                f"| {name} | {n} | {fmt(f'{v:.2f}' for v in true)} | "
                f"{fmt(f'{m:.3f} ({s:.3f})' for m, s in zip(mean, sd, strict=True))} | "
                f"{fmt(f'{v:.3f}' for v in plug.mean(0))} | "
                f"{np.max(np.abs(mean - np.asarray(true))):.3f} |"
            )
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
