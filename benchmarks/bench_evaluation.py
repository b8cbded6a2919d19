"""Benchmark of skpid.model_selection: speed-up on Dask workers and evaluation overhead.

1. Speed-up: a leave-one-subject-out :class:`~skpid.model_selection.CrossSubjectEvaluation`
   of ``PIDDecomposer`` (small ``max_epochs``) + standardisation + logistic regression on
   :func:`~skpid.datasets.make_eeg_fnirs` subjects, run once with one worker (joblib
   runs a single worker's tasks in the calling process, so this is the sequential run, on
   one torch and one BLAS thread) and once on a :class:`distributed.LocalCluster` of
   ``--workers`` single-threaded worker processes (one torch thread each) through
   ``joblib.parallel_config(backend="dask")``. The workers are started and have imported
   skpid before the clock starts; sending the data to them is timed. Both runs must give
   the same scores.
2. Overhead: for baseline pipelines (fast to fit), the sequential evaluation's wall time
   minus the time spent in the pipelines' own ``fit`` and scoring, per fold, as a share of
   the mean fit time; without and with a results cache (``cache_dir``, a fresh folder:
   hashing the data and writing one file per fold), next to the same folds run by
   :func:`sklearn.model_selection.cross_validate`.

Usage::

    python benchmarks/bench_evaluation.py [--n-subjects 10] [--n-trials 40] [--max-epochs 2]
        [--workers 2] [--repeats 1]

Needs ``dask[distributed]``. Prints two tables.
"""

import argparse
import os
import tempfile
import time

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneGroupOut, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skpid.baselines import make_hemodynamic_lda, make_tangent_space_lr
from skpid.datasets import make_eeg_fnirs
from skpid.decomposition import PIDDecomposer
from skpid.model_selection import CrossSubjectEvaluation

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _one_thread():
    """Run in every worker: one torch and one BLAS thread, skpid imported."""
    import torch
    from threadpoolctl import threadpool_limits

    import skpid.decomposition  # noqa: F401

    torch.set_num_threads(1)
    threadpool_limits(1)
    return torch.get_num_threads()


def pid_pipeline(data, max_epochs):
    dec = PIDDecomposer(
        max_epochs=max_epochs,
        random_state=0,
        sfreq={m: data.info[m]["sfreq"] for m in ("eeg", "fnirs")},
    )
    return make_pipeline(dec, StandardScaler(), LogisticRegression(max_iter=1000))


def speedup(data, args):
    import distributed

    pipelines = {"PIDDecomposer + LR": pid_pipeline(data, args.max_epochs)}
    evaluation = CrossSubjectEvaluation(verbose=0)
    rows, tables = [], {}
    for workers in (1, args.workers):
        walls = []
        for _ in range(args.repeats):
            if workers == 1:
                start = time.perf_counter()
                table = evaluation.evaluate(pipelines, data.X, data.y, data.groups)
                walls.append(time.perf_counter() - start)
                continue
            with (
                distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    env=dict.fromkeys(_THREAD_VARS, "1"),
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                client.run(_one_thread)
                with joblib.parallel_config(backend="dask"):
                    start = time.perf_counter()
                    table = evaluation.evaluate(pipelines, data.X, data.y, data.groups)
                    walls.append(time.perf_counter() - start)
        tables[workers] = table
        wall = min(walls)
        rows.append(
            {
                "workers": workers,
                "folds": len(table),
                "wall s": wall,
                "sum of fit s": table["fit_time"].sum(),
                "speed-up": rows[0]["wall s"] / wall if rows else 1.0,
            }
        )
    same = np.array_equal(tables[1]["score"], tables[args.workers]["score"])
    return pd.DataFrame(rows), same


def overhead(data, args):
    fnirs = data.info["fnirs"]
    baselines = {
        "make_hemodynamic_lda (fNIRS)": make_hemodynamic_lda(
            fnirs["sfreq"], tmin=fnirs["tmin"], ch_types=fnirs["ch_types"]
        ),
        "make_tangent_space_lr (EEG+fNIRS)": make_tangent_space_lr(("eeg", "fnirs")),
    }
    rows = []
    for name, pipe in baselines.items():
        n_folds = len(np.unique(data.groups))
        start = time.perf_counter()
        cv = cross_validate(pipe, data.X, data.y, groups=data.groups, cv=LeaveOneGroupOut())
        cv_wall = time.perf_counter() - start
        cv_overhead = (cv_wall - cv["fit_time"].sum() - cv["score_time"].sum()) / n_folds
        row = {"pipeline": name, "folds": n_folds, "mean fit s": cv["fit_time"].mean()}
        row["cross_validate overhead/fold"] = cv_overhead / cv["fit_time"].mean()
        for label, cache in (("no cache", False), ("with cache", True)):
            with tempfile.TemporaryDirectory() as folder:
                evaluation = CrossSubjectEvaluation(
                    verbose=0, cache_dir=os.path.join(folder, "c") if cache else None
                )
                start = time.perf_counter()
                table = evaluation.evaluate({name: pipe}, data.X, data.y, data.groups)
                wall = time.perf_counter() - start
            spent = table["fit_time"].sum() + table["score_time"].sum()
            per_fold = (wall - spent) / n_folds
            row[f"overhead/fold s, {label}"] = per_fold
            row[f"overhead/fit, {label}"] = per_fold / table["fit_time"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-subjects", type=int, default=10)
    parser.add_argument("--n-trials", type=int, default=40, help="trials per subject")
    parser.add_argument("--max-epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="runs per setting; best kept")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    data = make_eeg_fnirs(
        n_subjects=args.n_subjects, n_trials=args.n_trials, random_state=args.random_state
    )
    print(
        f"{args.n_subjects} subjects x {args.n_trials} trials, leave one subject out; "
        f"PIDDecomposer max_epochs={args.max_epochs}; {os.cpu_count()} CPU cores"
    )
    with threadpool_limits(1):
        table, same = speedup(data, args)
        print("\n1. Dask workers against one worker (best of --repeats)")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(f"same scores with 1 and {args.workers} workers: {same}")
        table = overhead(data, args)
    print("\n2. Evaluation overhead per fold (wall - fit - score), sequential")
    print(table.T.to_string(float_format=lambda v: f"{v:.4f}"))
    print(
        "overhead/fit: overhead per fold divided by the mean fit time of the pipeline "
        "(target < 0.05)"
    )


if __name__ == "__main__":
    main()
