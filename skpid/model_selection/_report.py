"""Summaries, a paired test and figures of an evaluation's results table.

They read the tidy table of the evaluations (columns ``dataset``, ``pipeline``,
``subject``, ``session``, ``score``), so they also read MOABB's results. Scores are first
averaged per unit: per subject when there are several, per session (or fold) of the one
subject otherwise, so that every unit counts once in means, standard deviations and the
paired test.
"""

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon
from sklearn.utils import Bunch

__all__ = ["compare_pipelines", "plot_paired", "plot_scores", "summarize_results", "unit_scores"]


def _check_results(results, column):
    if not isinstance(results, pd.DataFrame):
        raise TypeError(
            f"results must be the DataFrame of an evaluation, got {type(results).__name__}."
        )
    missing = [c for c in ("pipeline", "subject", column) if c not in results.columns]
    if missing:
        raise ValueError(
            f"results lacks the columns {missing}; pass the table returned by an "
            "evaluation's evaluate (or MOABB's results)."
        )
    if results.empty:
        raise ValueError("results is empty; run an evaluation first.")


def unit_scores(results, column="score"):
    """Scores per unit (rows) and pipeline (columns), averaged over sessions or folds.

    Parameters
    ----------
    results : DataFrame
        Table of an evaluation.
    column : str, default="score"
        Score column.

    Returns
    -------
    table : DataFrame, shape (n_units, n_pipelines)
        Index: ``(dataset, subject)`` when the table holds several subjects, else
        ``(dataset, subject, session)`` (and ``fold`` when the sessions do not tell the
        rows of a pipeline apart). Columns in the order the pipelines first appear.
    """
    _check_results(results, column)
    df = results.copy()
    if "dataset" not in df:
        df["dataset"] = "dataset"
    units = ["dataset", "subject"]
    if df["subject"].nunique() == 1:
        for extra in ("session", "fold"):
            if extra in df and df.groupby("pipeline")[extra].nunique().max() > 1:
                units.append(extra)
                if df.groupby(["pipeline", *units]).size().max() == 1:
                    break
    table = df.pivot_table(index=units, columns="pipeline", values=column, aggfunc="mean")
    return table[list(dict.fromkeys(df["pipeline"]))]


def summarize_results(results, column="score"):
    """Mean, standard deviation, min and max over units of every pipeline, best first.

    Parameters
    ----------
    results : DataFrame
        Table of an evaluation.
    column : str, default="score"
        Score column.

    Returns
    -------
    summary : DataFrame
        One row per pipeline, sorted by decreasing mean: ``mean``, ``std`` (sample
        standard deviation over units, ddof=1), ``min``, ``max``, ``n`` (units) and,
        when the table has them, ``fit_time`` (mean seconds per fit).
    """
    scores = unit_scores(results, column)
    summary = pd.DataFrame(
        {
            "mean": scores.mean(),
            "std": scores.std(ddof=1),
            "min": scores.min(),
            "max": scores.max(),
            "n": scores.count(),
        }
    )
    if "fit_time" in results:
        summary["fit_time"] = results.groupby("pipeline")["fit_time"].mean()
    summary.index.name = "pipeline"
    return summary.sort_values("mean", ascending=False, kind="stable")


def compare_pipelines(results, a=None, b=None, column="score"):
    """Paired Wilcoxon signed-rank test between two pipelines over the same units.

    Parameters
    ----------
    results : DataFrame
        Table of an evaluation.
    a, b : str or None
        Pipelines to compare; None takes the best and second-best by mean score.
    column : str, default="score"
        Score column.

    Returns
    -------
    comparison : Bunch
        ``a``, ``b``, ``n`` (units scored by both), ``mean_difference`` (a - b),
        ``wins`` (units where a scores higher), ``losses``, ``statistic`` and
        ``pvalue`` of :func:`scipy.stats.wilcoxon` (two-sided; NaN when fewer than two
        units or when all differences are zero), and ``scores`` (the paired table).
    """
    scores = unit_scores(results, column)
    if a is None or b is None:
        ranked = list(summarize_results(results, column).index)
        if len(ranked) < 2:
            raise ValueError(
                f"compare_pipelines needs two pipelines; the results hold {len(ranked)} ({ranked})."
            )
        a = ranked[0] if a is None else a
        b = next(p for p in ranked if p != a) if b is None else b
    for name in (a, b):
        if name not in scores.columns:
            raise ValueError(f"Pipeline {name!r} is not in the results ({list(scores.columns)}).")
    paired = scores[[a, b]].dropna()
    diff = (paired[a] - paired[b]).to_numpy()
    statistic = pvalue = np.nan
    if len(diff) >= 2 and np.any(diff != 0):
        test = wilcoxon(paired[a], paired[b])
        statistic, pvalue = float(test.statistic), float(test.pvalue)
    return Bunch(
        a=a,
        b=b,
        n=len(diff),
        mean_difference=float(diff.mean()) if len(diff) else np.nan,
        wins=int((diff > 0).sum()),
        losses=int((diff < 0).sum()),
        statistic=statistic,
        pvalue=pvalue,
        scores=paired,
    )


def plot_scores(results, column="score", *, chance=None, label=None, ax=None):
    """Scores of every pipeline across units: one dot per unit, mean and spread.

    Parameters
    ----------
    results : DataFrame
        Table of an evaluation.
    column : str, default="score"
        Score column.
    chance : float or None
        Draws a dashed line at chance level.
    label : str or None
        Name of the score on the axis (e.g. the scorer); None uses ``column``.
    ax : matplotlib Axes or None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    scores = unit_scores(results, column)
    order = list(summarize_results(results, column).index)[::-1]  # best on top
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 1.0 + 0.55 * len(order)))
    else:
        fig = ax.figure
    rng = np.random.default_rng(0)  # jitter only, fixed so figures are reproducible
    for i, name in enumerate(order):
        values = scores[name].dropna().to_numpy()
        ax.boxplot(
            values,
            positions=[i],
            orientation="horizontal",
            widths=0.5,
            showfliers=False,
            medianprops={"color": "0.3"},
        )
        ax.scatter(values, i + rng.uniform(-0.12, 0.12, len(values)), s=18, alpha=0.8, zorder=3)
        ax.plot(values.mean(), i, marker="D", color="k", ms=6, zorder=4)
    if chance is not None:
        ax.axvline(chance, color="0.5", ls="--", lw=1)
        ax.annotate("chance", (chance, -0.55), color="0.4", fontsize=8, ha="left", va="bottom")
    ax.set_yticks(range(len(order)), order)
    ax.set_ylim(-0.6, len(order) - 0.4)
    unit = "subject" if "session" not in scores.index.names else "session"
    ax.set_xlabel(f"{label or column} (one dot per {unit}; diamond: mean)")
    datasets = results["dataset"].unique() if "dataset" in results else []
    ax.set_title(", ".join(map(str, datasets)))
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_paired(results, a=None, b=None, column="score", *, label=None, ax=None):
    """Per-unit scores of two pipelines against each other, with the paired test.

    Parameters
    ----------
    results : DataFrame
        Table of an evaluation.
    a, b : str or None
        Pipelines (x and y axes); None takes the two best by mean score.
    column : str, default="score"
        Score column.
    label : str or None
        Name of the score on the axes (e.g. the scorer); None uses ``column``.
    ax : matplotlib Axes or None
        Where to draw; None makes a new figure.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    comp = compare_pipelines(results, a, b, column)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    else:
        fig = ax.figure
    x, y = comp.scores[comp.a].to_numpy(), comp.scores[comp.b].to_numpy()
    low = min(x.min(), y.min())
    high = max(x.max(), y.max())
    pad = 0.05 * (high - low or 1.0)
    lims = (low - pad, high + pad)
    ax.plot(lims, lims, color="0.6", lw=1, ls="--")
    ax.scatter(x, y, s=30, zorder=3)
    for unit, xi, yi in zip(comp.scores.index, x, y, strict=True):
        text = unit[1] if isinstance(unit, tuple) and len(unit) == 2 else unit[1:]
        ax.annotate(str(text), (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(lims)
    ax.set_ylim(lims)
    ax.set_aspect("equal")
    ax.set_xlabel(f"{comp.a} ({label or column})")
    ax.set_ylabel(f"{comp.b} ({label or column})")
    p = "n/a" if np.isnan(comp.pvalue) else f"{comp.pvalue:.3g}"
    ax.set_title(
        f"{comp.a} better on {comp.wins}/{comp.n}, mean diff {comp.mean_difference:+.3f}\n"
        f"paired Wilcoxon p = {p}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig
