"""PID of the EEG + fNIRS simulator's hand-built features, one decomposition per factor.

Run: ``python benchmarks/bench_pid_simulator.py [--random-state 0] [--n-clusters 10]``

Simulates the default data set (``make_eeg_fnirs(random_state=0)``: 10 subjects x 100
trials), computes the simulator's hand-built features (:func:`skpid.datasets.eeg_features`,
:func:`skpid.datasets.fnirs_features`), standardises them within subject and summarises
each modality by a few named features chosen for their physiological meaning (not by
their fit to the factors), because PID estimators need low-dimensional sources:

=============  ======================================  ===================================
quantity       source 1: EEG                           source 2: fNIRS
=============  ======================================  ===================================
timing         ``event_time`` (ERP/burst detector)     ``onset_time`` (HRF template fit)
laterality     ``erp_lat``, ``burst_lat`` (left minus  ``hrf_amplitude`` (signed fit to the
               right spatial filter)                   left-minus-right signal),
                                                       ``hbo_lat`` (mean HbO, left - right)
intensity      ``burst_alpha/beta/gamma`` (log burst   ``hrf_log_amplitude``
               power, mean of both sides)
=============  ======================================  ===================================

For each factor (R, U_eeg, U_fnirs, S) it prints R, U1 (EEG), U2 (fNIRS) and S in bits,
with I(X1;Y), I(X2;Y), I(X1,X2;Y) and the target entropy H(Y), from three estimators:

- ``gaussian``: :func:`skpid.metrics.gaussian_pid` (~-PID, bias-corrected) with the factor
  one-hot coded (first level dropped), i.e. the linear-Gaussian information. It is not
  bounded by H(Y): a well-separated binary label gives a high signal-to-noise ratio,
  hence "Gaussian bits" above 1.
- ``gaussian copula``: the same after a Gaussian-copula transform of every column
  (Ince et al. 2017), robust to non-Gaussian marginals.
- ``discrete``: :func:`skpid.metrics.discrete_pid` (BROJA, Bertschinger et al. 2014) with
  k-means on each source (``--n-clusters``, default 10, so that the 10 x 10 x |Y| table of
  1,000 trials holds about 5 trials per cell for a binary target) and the factor's labels,
  bias-corrected by 100 permutations.

Expected: R in the R atom, U_eeg in U1, U_fnirs in U2, S in the S atom. A second table
isolates the synergy: S from the timing features alone (``event_time`` vs
``onset_time``), and from the simulator's true times (an oracle that separates the
estimators' limits from the feature extractors' errors), with ``--timing-clusters``
(default 20) k-means clusters per 1-D source.

References: Bertschinger, N., et al. (2014). Quantifying unique information. Entropy 16,
2161-2183. Ince, R. A. A., et al. (2017). Human Brain Mapping 38, 1541-1573.
"""

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from skpid.datasets import make_eeg_fnirs
from skpid.metrics import discrete_pid, gaussian_pid
from skpid.model_selection import eeg_features, fnirs_features

FACTORS = ("R", "U_eeg", "U_fnirs", "S")
EXPECTED = {"R": "R", "U_eeg": "U1", "U_fnirs": "U2", "S": "S"}
ATOMS = ["R", "U1", "U2", "S"]
COLUMNS = [*ATOMS, "I1", "I2", "I12"]


def simulate_features(random_state=0):
    """Default simulation and its hand-built features.

    Returns
    -------
    data : Bunch
        Output of :func:`skpid.datasets.make_eeg_fnirs` (1,000 trials).
    eeg, fnirs : DataFrame of shape (n_trials, n_features)
        Hand-built features of each modality, not yet standardised.
    """
    data = make_eeg_fnirs(random_state=random_state)
    eeg = eeg_features(data.X["eeg"], data.info["eeg"]["sfreq"], data.info["eeg"]["ch_names"])
    fnirs = fnirs_features(data.X["fnirs"], data.info["fnirs"]["sfreq"])
    return data, eeg, fnirs


def standardise_within(frame, groups):
    """Zero mean and unit variance of every column within each group (subject)."""
    grouped = frame.groupby(np.asarray(groups))
    return (frame - grouped.transform("mean")) / grouped.transform("std")


def _log_total_burst(eeg, side):
    return np.log(sum(np.exp(eeg[f"burst_{b}_{side}"]) for b in ("alpha", "beta", "gamma")))


def compact_sources(eeg, fnirs, groups):
    """Few-feature summary of each modality (see the module docstring), within-subject z.

    Parameters
    ----------
    eeg, fnirs : DataFrame
        Outputs of :func:`skpid.datasets.eeg_features` and
        :func:`skpid.datasets.fnirs_features`.
    groups : array-like of shape (n_trials,)
        Subject of each trial.

    Returns
    -------
    eeg_source : DataFrame of shape (n_trials, 6)
    fnirs_source : DataFrame of shape (n_trials, 4)
    """

    def hbo_mean(side):
        return fnirs.filter(regex=rf"^hbo_{side}_mean_w\d+$").mean(axis=1)

    eeg_source = pd.DataFrame(
        {
            "event_time": eeg["event_time"],
            "erp_lat": eeg["erp_left"] - eeg["erp_right"],
            "burst_lat": _log_total_burst(eeg, "left") - _log_total_burst(eeg, "right"),
            **{
                f"burst_{b}": (eeg[f"burst_{b}_left"] + eeg[f"burst_{b}_right"]) / 2
                for b in ("alpha", "beta", "gamma")
            },
        }
    )
    fnirs_source = pd.DataFrame(
        {
            "onset_time": fnirs["onset_time"],
            "hrf_amplitude": fnirs["hrf_amplitude"],
            "hbo_lat": hbo_mean("left") - hbo_mean("right"),
            "hrf_log_amplitude": fnirs["hrf_log_amplitude"],
        }
    )
    return standardise_within(eeg_source, groups), standardise_within(fnirs_source, groups)


def one_hot(labels):
    """One-hot code of integer labels without the first level, shape (n, n_levels - 1)."""
    return pd.get_dummies(np.asarray(labels), drop_first=True).to_numpy(dtype=np.float64)


def entropy_bits(labels):
    p = np.unique(np.asarray(labels), return_counts=True)[1] / len(labels)
    return float(-np.sum(p * np.log2(p)))


def estimate(x1, x2, labels, *, n_clusters, n_permutations=100, random_state=0):
    """PID of ``labels`` from two sources by the three estimators, ``{estimator: dict}``."""
    y = one_hot(labels)
    return {
        "gaussian": gaussian_pid(x1, x2, y, random_state=random_state),
        "gaussian copula": gaussian_pid(x1, x2, y, copula=True, random_state=random_state),
        "discrete": discrete_pid(
            x1,
            x2,
            labels,
            n_clusters=n_clusters,
            n_permutations=n_permutations,
            random_state=random_state,
        ),
    }


def pid_table(x1, x2, factors, *, n_clusters=10, n_permutations=100, random_state=0):
    """PID of each factor from the two sources by each estimator.

    Parameters
    ----------
    x1, x2 : array-like of shape (n_trials, d1) and (n_trials, d2)
        EEG and fNIRS sources.
    factors : DataFrame
        Integer-labelled factor columns (e.g. ``data.factors[list(FACTORS)]``).
    n_clusters, n_permutations, random_state
        Passed to :func:`skpid.metrics.discrete_pid` (and the seed to the Gaussian
        bootstrap).

    Returns
    -------
    table : DataFrame indexed by (factor, estimator)
        Columns ``R, U1, U2, S, I1, I2, I12`` (bits), ``H(Y)`` (bits), ``expected`` (the
        atom the simulator puts the factor in), ``share`` (that atom / ``I12``) and
        ``largest`` (the largest atom).
    """
    rows = []
    for factor in factors.columns:
        labels = factors[factor].to_numpy()
        pids = estimate(
            x1,
            x2,
            labels,
            n_clusters=n_clusters,
            n_permutations=n_permutations,
            random_state=random_state,
        )
        for name, pid in pids.items():
            atoms = {k: pid[k] for k in COLUMNS}
            rows.append(
                {"factor": factor, "estimator": name}
                | atoms
                | {
                    "H(Y)": entropy_bits(labels),
                    "expected": EXPECTED[factor],
                    "share": atoms[EXPECTED[factor]] / atoms["I12"],
                    "largest": max(ATOMS, key=atoms.get),
                }
            )
    return pd.DataFrame(rows).set_index(["factor", "estimator"])


def synergy_table(data, eeg, fnirs, *, n_clusters=20, random_state=0):
    """PID of S from timing alone: estimated times, then the simulator's true times."""
    groups = data.groups
    times = {
        "features": (eeg[["event_time"]], fnirs[["onset_time"]]),
        "true times (oracle)": (data.factors[["event_time"]], data.factors[["onset_time"]]),
    }
    rows = []
    labels = data.factors["S"].to_numpy()
    for source, (t1, t2) in times.items():
        t1, t2 = standardise_within(t1, groups), standardise_within(t2, groups)
        pids = estimate(t1, t2, labels, n_clusters=n_clusters, random_state=random_state)
        for name, pid in pids.items():
            rows.append({"timing": source, "estimator": name} | {k: pid[k] for k in COLUMNS})
    return pd.DataFrame(rows).set_index(["timing", "estimator"])


def gross_delay_errors(data, eeg, fnirs, threshold=1.0):
    """Fraction of trials whose estimated delay (onset - event, subject-centred) is off by
    more than ``threshold`` seconds."""
    groups = data.groups
    estimated = fnirs["onset_time"] - eeg["event_time"]
    true = data.factors["onset_time"] - data.factors["event_time"]
    error = estimated - true
    error = error - error.groupby(groups).transform("median")
    return float(np.mean(np.abs(error) > threshold))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--n-clusters", type=int, default=10, help="k-means clusters/source")
    parser.add_argument("--timing-clusters", type=int, default=20, help="clusters, timing table")
    parser.add_argument("--n-permutations", type=int, default=100)
    args = parser.parse_args(argv)
    pd.set_option("display.width", 160)
    timings = {}
    start = time.perf_counter()
    data, eeg, fnirs = simulate_features(args.random_state)
    timings["simulation + features"] = time.perf_counter() - start

    start = time.perf_counter()
    x1, x2 = compact_sources(eeg, fnirs, data.groups)
    table = pid_table(
        x1,
        x2,
        data.factors[list(FACTORS)],
        n_clusters=args.n_clusters,
        n_permutations=args.n_permutations,
        random_state=args.random_state,
    )
    timings["PID table"] = time.perf_counter() - start
    print(
        f"PID (bits) of each factor, source 1 = EEG {list(x1.columns)}, "
        f"source 2 = fNIRS {list(x2.columns)}; n = {len(x1)} trials, "
        f"{args.n_clusters} k-means clusters per source for 'discrete'"
    )
    print(table.to_string(float_format="{:+.3f}".format))
    hits = (table["largest"] == table["expected"]).groupby(level="estimator").sum()
    print(
        f"factors (of {len(FACTORS)}) whose largest atom is the expected one: {hits.to_dict()}; "
        "read it with I12: a tiny I12 (S by 'discrete') means the factor was not seen at all"
    )

    start = time.perf_counter()
    synergy = synergy_table(
        data, eeg, fnirs, n_clusters=args.timing_clusters, random_state=args.random_state
    )
    timings["synergy table"] = time.perf_counter() - start
    print(
        f"\nPID (bits) of S from timing alone (event_time vs onset_time), "
        f"{args.timing_clusters} clusters per source for 'discrete'"
    )
    print(synergy.to_string(float_format="{:+.3f}".format))
    print(
        "trials whose estimated delay is off by > 1 s: "
        f"{100 * gross_delay_errors(data, eeg, fnirs):.1f} %"
    )
    print("\nTiming (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return table, synergy


if __name__ == "__main__":
    main()
