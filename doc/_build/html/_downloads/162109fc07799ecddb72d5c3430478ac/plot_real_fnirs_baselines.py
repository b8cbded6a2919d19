"""
.. _ex-real-fnirs:

=========================================================
Classical baselines on real fNIRS (mental arithmetic)
=========================================================

Before a decomposition is worth anything on real recordings, it has to be compared with
what classical pipelines already read from them. This example runs two of
:mod:`skpid.baselines` on the fNIRS half of the TU Berlin hybrid BCI dataset B
:cite:p:`shin2017`: mental arithmetic against rest, within subject.
"""

# %%
# Getting the data
# ----------------
# :func:`skpid.datasets.load_shin2017_ma_fnirs` reads preprocessed arrays of the
# mental-arithmetic task, one ``subjectNN.npz`` per subject (HbO and HbR of 36 channels,
# 60 trials, band-passed 0.01-0.1 Hz, baseline -5 to -2 s). The original recordings come
# from the dataset's authors after accepting its licence; skpid downloads them with::
#
#     from skpid.datasets import SHIN2017_LICENCE, fetch_shin2017, load_shin2017
#     print(SHIN2017_LICENCE)  # read it first
#     fetch_shin2017([1, 2, 3], accept=True)  # EEG and NIRS files, into mne's data folder
#     data = load_shin2017([1, 2, 3], dataset="B", accept=True)  # paired EEG + fNIRS
#
# Here we look for the preprocessed arrays in ``$SKPID_SHARED_DATA`` (by default
# ``../shared/data`` next to the skpid checkout) and skip the rest of the example when
# they are not there.

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score
from skorch.helper import SliceDict

import skpid
from skpid.baselines import make_hemodynamic_lda, make_xdawn_tangent_space_lr
from skpid.datasets import load_shin2017_ma_fnirs

default = Path(skpid.__file__).resolve().parents[2] / "shared" / "data"
path = Path(os.environ.get("SKPID_SHARED_DATA", default)) / "shin2017_ma_fnirs"
found = path.is_dir() and any(path.glob("subject*.npz"))
if found:
    data = load_shin2017_ma_fnirs(path, subjects=[1, 2, 3, 4], tmin=-2.0, tmax=20.0)
    print(data.X.shape, "(trials, HbO/HbR channels, samples)")
else:
    print(f"Shin 2017 MA arrays not found in {path}: the rest of this example is skipped.")

# %%
# The average responses
# ---------------------
# Mental arithmetic raises HbO and lowers HbR over the prefrontal channels a few seconds
# after the task starts; rest does not. The arrays store each channel's HbO then HbR.

if found:
    sfreq = 10.0
    times = -2.0 + np.arange(data.X.shape[-1]) / sfreq
    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    for label, name in ((1, "mental arithmetic"), (0, "rest")):
        trials = data.X[data.y == label]
        ax.plot(times, trials[:, 0::2].mean(axis=(0, 1)), label=f"HbO, {name}")
        ax.plot(times, trials[:, 1::2].mean(axis=(0, 1)), "--", label=f"HbR, {name}")
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel="time from task onset (s)", ylabel="mean over channels (mM mm)")
    ax.legend(frameon=False, fontsize=8)

# %%
# Two classical pipelines
# -----------------------
# - :func:`skpid.baselines.make_hemodynamic_lda`: mean and slope of HbO and HbR in
#   0-5, 5-10 and 10-15 s, then shrinkage LDA (the features of Shin et al.).
# - :func:`skpid.baselines.make_xdawn_tangent_space_lr`: Xdawn spatial filters of the
#   evoked responses, their covariance matrices in the Riemannian tangent space
#   (pyriemann), then logistic regression.
#
# Both take a multimodal batch: a :class:`skorch.helper.SliceDict` with one ``"fnirs"``
# entry, which cross-validation slices like an array. Each is scored by 5-fold
# cross-validation within every subject.

if found:
    ch_types = ["hbo", "hbr"] * (data.X.shape[1] // 2)
    pipelines = {
        "HbO/HbR mean+slope, LDA": make_hemodynamic_lda(sfreq, tmin=-2.0, ch_types=ch_types),
        "Xdawn tangent space, LR": make_xdawn_tangent_space_lr(("fnirs",)),
    }
    rows = []
    for subject in np.unique(data.groups):
        mask = data.groups == subject
        X = SliceDict(fnirs=data.X[mask])
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        for name, pipeline in pipelines.items():
            score = cross_val_score(pipeline, X, data.y[mask], cv=cv).mean()
            rows.append({"subject": subject, "pipeline": name, "accuracy": score})
    results = pd.DataFrame(rows)
    print(results.pivot(index="subject", columns="pipeline", values="accuracy").round(2))

# %%
# Per-subject accuracies
# ----------------------
# Each line is one subject: how much a subject's accuracy depends on the pipeline is as
# telling as the means.

if found:
    table = results.pivot(index="pipeline", columns="subject", values="accuracy")
    fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    ax.plot(table.index, table.to_numpy(), marker="o", color="grey", alpha=0.7)
    ax.plot(table.index, table.mean(axis=1), marker="s", color="k", lw=2, label="mean")
    ax.axhline(0.5, ls=":", color="k", label="chance")
    ax.set(ylabel="5-fold CV accuracy", ylim=(0.3, 1.02))
    ax.legend(frameon=False)
