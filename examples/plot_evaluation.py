"""
.. _ex-evaluation:

======================================================================
Cross-subject evaluation of several pipelines, with a results figure
======================================================================

A decomposition only matters if what it gives transfers to people it was not trained on.
:mod:`skpid.model_selection` runs the evaluation that answers it in one call:
:class:`~skpid.model_selection.CrossSubjectEvaluation` fits every pipeline of a dict on
all subjects but one, scores it on the one left out, and returns a tidy table with one row
per pipeline and subject. This example compares three classical baselines of
:mod:`skpid.baselines` and a small :class:`~skpid.PIDDecomposer` pipeline on simulated
EEG+fNIRS subjects, then summarises, tests and draws the results.
"""

# %%
# Data: six simulated subjects
# ----------------------------
# :func:`skpid.datasets.make_eeg_fnirs` draws paired EEG (32 channels, 100 Hz, 10 s) and
# fNIRS (20 HbO/HbR pairs, 10 Hz, 20 s) trials; subjects differ in gains, topographies and
# haemodynamic responses, so leaving a subject out is a real test. ``y`` is the factor
# ``R``: which hemisphere activates, seen by both modalities; ``redundant_strength=0.15``
# makes the lateralisation faint, so that the pipelines differ. ``groups`` holds the
# subject of every trial.

import tempfile
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpid import PIDDecomposer
from skpid.baselines import make_hemodynamic_lda, make_tangent_space_lr
from skpid.datasets import make_eeg_fnirs
from skpid.model_selection import (
    CrossSubjectEvaluation,
    compare_pipelines,
    plot_paired,
    plot_scores,
    summarize_results,
)

data = make_eeg_fnirs(n_subjects=6, n_trials=40, redundant_strength=0.15, random_state=0)
X, y, subjects = data.X, data.y, data.groups
print({m: x.shape for m, x in X.items()}, "classes", np.bincount(y))

# %%
# The pipelines
# -------------
# A dict of name to unfitted estimator; every pipeline takes the same multimodal batch
# (:class:`skorch.helper.SliceDict`) and picks its modalities itself.
#
# - EEG alone: spatial covariance matrices in the Riemannian tangent space, then logistic
#   regression (:func:`~skpid.baselines.make_tangent_space_lr`).
# - fNIRS alone: mean and slope of HbO and HbR in 0-5, 5-10 and 10-15 s, then shrinkage
#   LDA (:func:`~skpid.baselines.make_hemodynamic_lda`).
# - Both: the tangent vectors of the two modalities side by side.
# - The decomposer's blocks, then logistic regression. Two epochs keep the example fast,
#   and leave the decomposer far from trained: expect it near chance here. The figures
#   show how to read an evaluation, not what a full-size fit reaches (the scripts in
#   ``benchmarks/`` measure that).

fnirs_info = data.info["fnirs"]
pipelines = {
    "EEG tangent space": make_tangent_space_lr(("eeg",)),
    "fNIRS mean+slope LDA": make_hemodynamic_lda(
        fnirs_info["sfreq"], tmin=fnirs_info["tmin"], ch_types=fnirs_info["ch_types"]
    ),
    "EEG+fNIRS tangent space": make_tangent_space_lr(("eeg", "fnirs")),
    "PID blocks + LR": make_pipeline(
        PIDDecomposer(n_components=4, max_epochs=2, random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    ),
}

# %%
# Leave one subject out
# ---------------------
# With ``cv=None`` (the default) :class:`~skpid.model_selection.CrossSubjectEvaluation`
# makes one fold per subject: every pipeline is fitted on the five other subjects and
# scored on the one left out, so no subject is ever in both the training and the test
# trials (``cv=k`` gives :class:`~sklearn.model_selection.GroupKFold` over whole
# subjects instead). The subject of every training trial also reaches the ``fit`` of the
# steps that take ``groups``, here the decomposer, which then draws its training batches
# within subjects.
#
# ``cache_dir`` keeps every finished (pipeline, fold) pair in a folder, one small file
# each. Run the same evaluation again with the same folder and the pairs already there are
# read instead of fitted: an interrupted run (a crash, a killed job) resumes where it
# stopped, and adding a pipeline to the dict fits only the new one. The key of a pair
# hashes the pipeline's parameters, the fold, the data and the versions, not the code of
# your own classes: empty the folder after changing them. ``verbose=1`` (the default)
# shows a progress bar over the pairs.

cache = tempfile.mkdtemp(prefix="skpid_evaluation_")
evaluation = CrossSubjectEvaluation(
    scoring="balanced_accuracy", n_jobs=1, cache_dir=cache, verbose=0
)
start = time.perf_counter()
results = evaluation.evaluate(pipelines, X, y, groups=subjects, dataset="simulator")
print(f"first run: {time.perf_counter() - start:.1f} s")

start = time.perf_counter()
again = evaluation.evaluate(pipelines, X, y, groups=subjects, dataset="simulator")
print(f"same run again, from the cache: {time.perf_counter() - start:.2f} s")
print("same scores:", np.allclose(results["score"], again["score"]))

# %%
# The results table
# -----------------
# One row per pipeline and held-out subject. The columns are named as the results of MOABB
# (Jayaram and Barachant, J. Neural Eng. 15(6):066011, 2018), so that ``moabb.analysis``
# reads the table as it is:
#
# - ``dataset``, ``pipeline``, ``subject``, ``session`` (``"all"`` when no sessions are
#   given);
# - ``score``: the scorer on the held-out subject's trials (balanced accuracy here; with
#   several scorers, one more column each);
# - ``time``: seconds to fit and score, split into ``fit_time`` and ``score_time``;
# - ``samples``: training trials of the fold; ``n_train`` and ``n_test``: trials fitted
#   and scored; ``channels``: channels summed over modalities; ``n_sessions``;
# - ``fold``: the fold's number (the left-out subject here).

columns = ["pipeline", "subject", "score", "fit_time", "n_train", "n_test", "fold"]
print(results[columns].round(3).head(7).to_string())

# %%
# Summary and paired test
# -----------------------
# :func:`~skpid.model_selection.summarize_results` averages each pipeline over subjects
# (every subject counts once), best first.
# :func:`~skpid.model_selection.compare_pipelines` pairs two pipelines subject by subject
# and runs a two-sided Wilcoxon signed-rank test on the differences; without names it
# compares the two best. With six subjects the smallest p-value this test can give is
# 0.031 (2 in 64), and subjects on which both pipelines score the same are left out of
# it: report the wins and the mean difference with the p-value, and evaluate more
# subjects before claiming a difference.

print(summarize_results(results).round(3).to_string())
comparison = compare_pipelines(results)
print(
    f"{comparison.a} vs {comparison.b}: better on {comparison.wins}/{comparison.n} subjects, "
    f"mean difference {comparison.mean_difference:+.3f}, p = {comparison.pvalue:.3g}"
)

# %%
# The figures
# -----------
# :func:`~skpid.model_selection.plot_scores` draws one dot per held-out subject for every
# pipeline, with its box and mean (diamond), best on top. The spread over subjects tells
# as much as the means: a pipeline that is good on average can still fail one person.

fig = plot_scores(results, chance=0.5, label="balanced accuracy")

# %%
# :func:`~skpid.model_selection.plot_paired` puts two pipelines against each other, one
# dot per held-out subject (labelled with its id), with the paired test in the title:
# dots under the diagonal are subjects where the pipeline on the x axis scores higher.
# Here it asks whether reading both modalities beats the better single one.

fig = plot_paired(results, "EEG+fNIRS tangent space", "fNIRS mean+slope LDA", label="bal. acc.")

# %%
# Running the folds in parallel, on one machine or a cluster
# ----------------------------------------------------------
# The (pipeline, fold) pairs are independent and run through joblib. ``n_jobs=4`` runs
# them on four processes of this machine. Give every worker one thread of BLAS and torch
# (``OMP_NUM_THREADS=1`` in its environment): threads of one fit mostly wait for each
# other when every core already runs a fit.
#
# On a Dask cluster (``pip install "dask[distributed]"``), connect a client and evaluate
# inside joblib's Dask backend; the data are sent to the cluster once, the workers' cores
# run the pairs, and ``n_jobs`` is ignored::
#
#     import joblib
#     from dask.distributed import Client
#
#     client = Client("tcp://scheduler-address:8786")  # or Client(LocalCluster())
#     with joblib.parallel_config(backend="dask"):
#         results = evaluation.evaluate(pipelines, X, y, groups=subjects)
#
# Results come back to this process as pairs finish and go to ``cache_dir`` at once, so a
# cluster job that is killed halfway loses only the pairs that were running. Use
# process-based workers when scores must be reproducible: threads of one process share
# torch's random generator.
#
# :class:`~skpid.model_selection.WithinSubjectEvaluation` (folds within every subject)
# and :class:`~skpid.model_selection.CrossSessionEvaluation` (leave one session out)
# take the same pipelines and return the same table; :ref:`evaluation` says which figures
# to report.
