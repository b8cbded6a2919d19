"""Benchmark of the EEG + fNIRS simulator: speed, and where each factor can be decoded.

Prints two tables:

1. Time to simulate 1,000 trials at default size (median of ``--repeats`` runs);
   target: under 10 s.
2. Chance-normalised balanced accuracy of each factor from EEG alone, fNIRS alone and
   both (hand-built features, gradient-boosted trees, 5-fold CV), against the bounds of
   the foundation issue: R >= 0.5 from each modality; U_eeg >= 0.5 from EEG and <= 0.1
   from fNIRS; U_fnirs the mirror image; S <= 0.1 from each alone and >= 0.8 from both.

Run: ``python benchmarks/bench_simulator.py [--repeats 3] [--random-state 0]``
"""

import argparse
import time

import numpy as np
import pandas as pd

from skpid.datasets import make_eeg_fnirs
from skpid.model_selection import factor_decodability

BOUNDS = {
    ("R", "eeg"): (0.5, None),
    ("R", "fnirs"): (0.5, None),
    ("U_eeg", "eeg"): (0.5, None),
    ("U_eeg", "fnirs"): (None, 0.1),
    ("U_fnirs", "eeg"): (None, 0.1),
    ("U_fnirs", "fnirs"): (0.5, None),
    ("S", "eeg"): (None, 0.1),
    ("S", "fnirs"): (None, 0.1),
    ("S", "both"): (0.8, None),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()

    times = []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        data = make_eeg_fnirs(n_subjects=10, n_trials=100, random_state=args.random_state + r)
        times.append(time.perf_counter() - t0)
    print("Simulation of 1,000 trials (10 subjects x 100), default size")
    print(f"  EEG {data.X['eeg'].shape}, fNIRS {data.X['fnirs'].shape}")
    print(
        f"  median {np.median(times):.2f} s over {args.repeats} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); target < 10 s\n"
    )

    data = make_eeg_fnirs(random_state=args.random_state)
    t0 = time.perf_counter()
    table = factor_decodability(data, random_state=args.random_state)
    elapsed = time.perf_counter() - t0
    rows = []
    for (factor, source), (low, high) in BOUNDS.items():
        value = table.loc[factor, source]
        ok = (low is None or value >= low) and (high is None or value <= high)
        bound = f">= {low}" if low is not None else f"<= {high}"
        rows.append((factor, source, round(value, 3), bound, "ok" if ok else "MISSED"))
    print("Factor placement: chance-normalised balanced accuracy")
    print(table.round(3).to_string())
    print(f"({elapsed:.0f} s)\n")
    print(
        pd.DataFrame(rows, columns=["factor", "from", "score", "bound", "status"]).to_string(
            index=False
        )
    )


if __name__ == "__main__":
    main()
