"""Real-data benchmark: single-modality baselines on the recordings in shared/data.

- Shin et al. 2017 dataset B, fNIRS (9 subjects, mental arithmetic vs baseline):
  HemodynamicFeatures (mean and slope of HbO/HbR in 0-5/5-10/10-15 s) + shrinkage LDA,
  and a pyriemann pipeline (Xdawn covariances + tangent space + logistic regression),
  within subject (stratified 5-fold) and across subjects (leave one subject out).
- EEGMAT (10 subjects, rest vs serial subtraction, 4-s windows): band power + shrinkage
  LDA and pyriemann (covariances + tangent space + logistic regression), within subject
  (5-fold over contiguous time blocks, so test windows are apart in time from training
  windows) and across subjects (leave one subject out).

Usage::

    python benchmarks/bench_real_data.py /path/to/shared/data

Prints one table: mean (min-max over subjects/folds) accuracy and the wall time of each
pipeline's whole evaluation. EEGMAT classes are balanced by the loader, so chance is 0.5.
"""

import argparse
import time

import numpy as np
import pandas as pd
from pyriemann.estimation import Covariances, XdawnCovariances
from pyriemann.tangentspace import TangentSpace
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GroupKFold,
    LeaveOneGroupOut,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpid.datasets._real import load_eegmat, load_shin2017_ma_fnirs
from skpid.features import BandPower, HemodynamicFeatures


def shrinkage_lda():
    return LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")


def fnirs_pipelines(info):
    hemo = HemodynamicFeatures(
        sfreq=info["sfreq"],
        windows=[(0, 5), (5, 10), (10, 15)],
        tmin=info["tmin"],
        features=["mean", "slope"],
        ch_types=info["ch_types"],
    )
    return {
        "HemodynamicFeatures + sLDA": make_pipeline(hemo, shrinkage_lda()),
        "Xdawn cov + TS + LR (pyriemann)": make_pipeline(
            XdawnCovariances(nfilter=4, estimator="lwf", xdawn_estimator="lwf"),
            TangentSpace(metric="riemann"),
            LogisticRegression(C=1.0, max_iter=1000),
        ),
    }


def eeg_pipelines(info):
    return {
        "BandPower + sLDA": make_pipeline(
            BandPower(sfreq=info["sfreq"]), StandardScaler(), shrinkage_lda()
        ),
        "Cov + TS + LR (pyriemann)": make_pipeline(
            Covariances(estimator="oas"),
            TangentSpace(metric="riemann"),
            LogisticRegression(C=1.0, max_iter=1000),
        ),
    }


def within_subject(pipe, data, cv_factory):
    scores = []
    for subject in np.unique(data.groups):
        rows = data.groups == subject
        cv, groups = cv_factory(data, rows)
        scores.append(
            cross_val_score(pipe, data.X[rows], data.y[rows], cv=cv, groups=groups).mean()
        )
    return np.array(scores)


def cross_subject(pipe, data):
    return cross_val_score(pipe, data.X, data.y, groups=data.groups, cv=LeaveOneGroupOut())


def run(rows, dataset, data, pipelines, cv_factory):
    for name, pipe in pipelines.items():
        for setting, evaluate in (
            ("within-subject", lambda p: within_subject(p, data, cv_factory)),
            ("cross-subject (LOSO)", lambda p: cross_subject(p, data)),
        ):
            start = time.perf_counter()
            scores = evaluate(pipe)
            seconds = time.perf_counter() - start
            rows.append(
                {
                    "dataset": dataset,
                    "pipeline": name,
                    "evaluation": setting,
                    "accuracy": f"{scores.mean():.3f} ({scores.min():.2f}-{scores.max():.2f})",
                    "seconds": round(seconds, 1),
                }
            )
            print(rows[-1], flush=True)


def main(path):
    rows = []
    start = time.perf_counter()
    shin = load_shin2017_ma_fnirs(path, tmin=0.0, tmax=15.0)
    print(f"Shin 2017 MA fNIRS: X {shin.X.shape}, read in {time.perf_counter() - start:.1f} s")
    run(
        rows,
        "Shin2017 MA fNIRS (9 subj.)",
        shin,
        fnirs_pipelines(shin.info),
        lambda data, rows_: (StratifiedKFold(5, shuffle=True, random_state=0), None),
    )
    start = time.perf_counter()
    eegmat = load_eegmat(path, window=4.0, n_blocks=5)
    print(f"EEGMAT: X {eegmat.X.shape}, read in {time.perf_counter() - start:.1f} s")
    run(
        rows,
        "EEGMAT (10 subj.)",
        eegmat,
        eeg_pipelines(eegmat.info),
        lambda data, rows_: (GroupKFold(5), data.metadata["block"].to_numpy()[rows_]),
    )
    table = pd.DataFrame(rows)
    print()
    print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="folder of the real recordings (shared/data)")
    main(parser.parse_args().path)
