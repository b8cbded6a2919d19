"""Evaluations of pipelines over subjects and sessions, and the simulator's placement evidence.

Evaluations
    :class:`WithinSubjectEvaluation`, :class:`CrossSessionEvaluation` and
    :class:`CrossSubjectEvaluation` fit a dict of named pipelines on multimodal trials and
    return one tidy DataFrame (one row per pipeline and subject or session, with MOABB's
    column names). Folds run through joblib (``n_jobs``, or any joblib backend such as
    Dask or Ray: see :mod:`skpid.model_selection._evaluation`), finished folds can be
    cached in a folder so that an interrupted run resumes, and a progress bar follows
    the (pipeline, fold) pairs.
Results
    :func:`summarize_results` (mean and spread per pipeline), :func:`compare_pipelines`
    (paired Wilcoxon test), :func:`unit_scores`, :func:`plot_scores`, :func:`plot_paired`.
Recovery of ground-truth factors across subjects
    :func:`transfer_recovery` (probe trained on training subjects, scored on held-out
    ones: the figure that counts), :func:`within_recovery` (within the held-out
    subjects, shown next to it), :func:`make_probe`.
Evidence of each task's factor placement
    :func:`task_placement` (every task of :mod:`skpid.datasets`: each factor from each
    modality alone and from both, with hand-built features and linear and nonlinear
    probes), :func:`modality_features`; for :func:`~skpid.datasets.make_eeg_fnirs`
    also :func:`factor_decodability`, :func:`eeg_features`, :func:`fnirs_features`
    (formerly in :mod:`skpid.datasets`).

Example::

    from skpid.model_selection import CrossSubjectEvaluation

    evaluation = CrossSubjectEvaluation(scoring="balanced_accuracy", n_jobs=2)
    results = evaluation.evaluate(
        {"tangent space": make_tangent_space_lr(("eeg", "fnirs")), "PID + LR": pid_lr},
        data.X,
        data.y,
        groups=data.groups,
        dataset="simulator",
    )
"""

from ._evaluation import (
    CrossSessionEvaluation,
    CrossSubjectEvaluation,
    WithinSubjectEvaluation,
    groups_fit_params,
)
from ._placement import eeg_features, factor_decodability, fnirs_features
from ._protocol import make_probe, transfer_recovery, within_recovery
from ._report import (
    compare_pipelines,
    plot_paired,
    plot_scores,
    summarize_results,
    unit_scores,
)
from ._task_placement import PLACEMENT_PROBES, modality_features, task_placement

__all__ = [
    "PLACEMENT_PROBES",
    "CrossSessionEvaluation",
    "CrossSubjectEvaluation",
    "WithinSubjectEvaluation",
    "compare_pipelines",
    "eeg_features",
    "factor_decodability",
    "fnirs_features",
    "groups_fit_params",
    "make_probe",
    "modality_features",
    "plot_paired",
    "plot_scores",
    "summarize_results",
    "task_placement",
    "transfer_recovery",
    "unit_scores",
    "within_recovery",
]
