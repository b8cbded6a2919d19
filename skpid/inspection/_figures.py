"""Figures of a decomposition: recovery heatmap, PID bars, block embeddings, training curves.

Each function returns a :class:`matplotlib.figure.Figure` and draws into the given
``ax``/``axes`` when passed (so figures can be composed), or into a new figure.
"""

from collections.abc import Mapping, Sequence
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle
from matplotlib.ticker import LogFormatter, MaxNLocator
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.preprocessing import StandardScaler

from ._blocks import as_blocks, check_target

__all__ = ["plot_embedding", "plot_pid", "plot_recovery", "plot_training_curves"]

ATOMS = ("R", "U1", "U2", "S")
# Colour-blind safe (Okabe & Ito 2002): redundant blue, unique orange/green, synergy purple.
ATOM_COLORS = {"R": "#0072B2", "U1": "#E69F00", "U2": "#009E73", "S": "#CC79A7"}
# Narrower ranges give log axes with few, repeated tick labels (4.853, 4.853, ...).
_LOG_MIN_RATIO = 3.0


def _new_axes(axes, n, *, ncols=None, panel_size=(3.6, 3.2)):
    """``(fig, list of n axes)``: the given ones (checked) or a new grid."""
    if axes is not None:
        flat = list(np.ravel(axes)) if not hasattr(axes, "figure") else [axes]
        if len(flat) != n:
            raise ValueError(f"Got {len(flat)} axes for {n} panels; pass exactly {n} axes.")
        return flat[0].figure, flat
    ncols = min(n, ncols or 3)
    nrows = int(np.ceil(n / ncols))
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
        squeeze=False,
        layout="constrained",
    )
    flat = list(grid.ravel())
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def _expected_cells(index, columns, expected):
    """(row, col) cells where a block is expected to carry a factor."""
    if expected is None:
        cells = [(i, j) for i, b in enumerate(index) for j, f in enumerate(columns) if b == f]
        if not cells and len(index) == len(columns):
            cells = [(i, i) for i in range(len(index))]
        return cells
    if not isinstance(expected, Mapping):
        raise TypeError(
            f"expected must be a dict of block to factor(s), e.g. {{'R': 'R'}}, got "
            f"{type(expected).__name__}."
        )
    cells = []
    for block, factors in expected.items():
        factors = [factors] if isinstance(factors, str) else list(factors)
        missing = [x for x in [block] if x not in index] + [f for f in factors if f not in columns]
        if missing:
            raise ValueError(
                f"expected names {missing} are not blocks ({index}) or factors ({columns}) of "
                "the recovery table."
            )
        cells += [(index.index(block), columns.index(f)) for f in factors]
    return cells


def plot_recovery(
    recovery,
    *,
    ax=None,
    expected=None,
    annotate=True,
    vmax=None,
    cmap="RdBu_r",
    cbar_label="recovery score",
    title="Recovery of factors by blocks",
    fmt=".2f",
):
    """Heatmap of a blocks x factors score table, e.g. probe recovery or R^2.

    Parameters
    ----------
    recovery : DataFrame of shape (n_blocks, n_factors) or RecoveryReport
        Scores, rows are blocks: e.g. the report of ``skpid.metrics.component_recovery``
        (its ``scores``, chance-normalised balanced accuracy, are drawn) or the table of
        :func:`physiological_probes` (R^2).
    ax : matplotlib Axes or None
        Where to draw; None makes a new figure.
    expected : dict of str to str or list of str, or None
        Cells to outline (where a block should carry a factor). None outlines cells whose
        block and factor share a name (``R`` and ``R``...), or the diagonal of a square
        table when no name matches.
    annotate : bool, default=True
        Write each value in its cell.
    vmax : float or None
        Colour range ``[-vmax, vmax]``, centred at 0 (values beyond saturate). None: 1
        when no value exceeds 1 (scores such as R^2 or chance-normalised accuracy), else
        the largest absolute value.
    cmap : str, default="RdBu_r"
        A diverging colormap.
    cbar_label, title : str
    fmt : str, default=".2f"
        Format of the annotations.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skpid.inspection import plot_recovery
    >>> scores = pd.DataFrame(
    ...     [[0.9, 0.1], [0.0, 0.8]], index=["R", "S"], columns=["R", "S"]
    ... )
    >>> fig = plot_recovery(scores, expected={"R": ["R"], "S": ["S"]})
    >>> len(fig.axes)  # the heatmap and its colour bar
    2
    """
    # A RecoveryReport is read through its public ``scores`` (no import of skpid.metrics).
    if not isinstance(recovery, pd.DataFrame) and isinstance(
        getattr(recovery, "scores", None), pd.DataFrame
    ):
        recovery = recovery.scores
    if not isinstance(recovery, pd.DataFrame):
        raise TypeError(
            "recovery must be a DataFrame (blocks x factors) or a RecoveryReport of "
            f"skpid.metrics.component_recovery, got {type(recovery).__name__}."
        )
    if recovery.empty:
        raise ValueError("recovery is empty; pass a table with at least one block and factor.")
    try:
        values = recovery.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("recovery holds non-numeric values; pass scores.") from None
    index, columns = [str(i) for i in recovery.index], [str(c) for c in recovery.columns]
    cells = _expected_cells(index, columns, expected)
    if vmax is None:
        largest = float(np.nanmax(np.abs(values)))
        # Scores bounded by 1 (R^2, chance-normalised accuracy) keep a fixed scale, so one
        # very negative R^2 does not wash out the rest.
        vmax = 1.0 if np.nanmax(values) <= 1 else max(largest, 1e-12)
    n_rows, n_cols = values.shape
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(1.6 + 0.9 * n_cols, 1.4 + 0.6 * n_rows), layout="constrained"
        )
    fig = ax.figure
    norm = Normalize(-vmax, vmax)
    image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
    ax.set_xticks(
        range(n_cols),
        columns,
        rotation=30 if n_cols > 4 else 0,
        ha="right" if n_cols > 4 else "center",
    )
    ax.set_yticks(range(n_rows), index)
    ax.set_xlabel("factor")
    ax.set_ylabel("block")
    ax.set_title(title)
    ax.tick_params(length=0)
    cmap_obj = image.get_cmap()
    if annotate:
        for i in range(n_rows):
            for j in range(n_cols):
                if np.isnan(values[i, j]):
                    continue
                r, g, b, _ = cmap_obj(norm(values[i, j]))
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                ax.text(
                    j,
                    i,
                    format(values[i, j], fmt),
                    ha="center",
                    va="center",
                    color="white" if dark else "black",
                    fontweight="bold" if (i, j) in cells else "normal",
                    fontsize=9,
                )
    for i, j in cells:
        ax.add_patch(
            Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2.2)
        )
    extend = "min" if np.nanmin(values) < -vmax else "neither"
    if np.nanmax(values) > vmax:
        extend = "both" if extend == "min" else "max"
    fig.colorbar(image, ax=ax, label=cbar_label, shrink=0.9, extend=extend)
    return fig


def _as_pid_table(pid):
    if isinstance(pid, pd.DataFrame):
        table = pid
    elif isinstance(pid, Mapping) and pid and all(isinstance(v, Mapping) for v in pid.values()):
        table = pd.DataFrame.from_dict({str(k): dict(v) for k, v in pid.items()}, orient="index")
    elif isinstance(pid, Mapping) and pid:
        table = pd.DataFrame([dict(pid)], index=[""])
    else:
        raise TypeError(
            "pid must be a dict with keys R, U1, U2, S (one decomposition), a dict of name to "
            "such dicts (several targets or methods), or a DataFrame with those columns."
        )
    missing = [a for a in ATOMS if a not in table.columns]
    if missing:
        raise ValueError(
            f"pid lacks the atom(s) {missing}; every decomposition needs R, U1, U2 and S "
            "(in bits), as skpid.metrics.gaussian_pid/discrete_pid return."
        )
    values = table[list(ATOMS)].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("pid holds NaN or infinite atoms; estimate them on valid data.")
    return [str(i) for i in table.index], values


def plot_pid(
    pid,
    *,
    kind="stacked",
    ax=None,
    source_names=("EEG", "fNIRS"),
    title="Partial information decomposition",
):
    """Bar chart of PID atoms (bits) for one or several targets or methods.

    Parameters
    ----------
    pid : dict, dict of dict, or DataFrame
        ``{"R": r, "U1": u1, "U2": u2, "S": s}`` in bits; or ``{name: that dict}``; or a
        DataFrame with one row per name and columns ``R, U1, U2, S`` (others ignored).
    kind : {"stacked", "grouped"}, default="stacked"
        One bar per name split into atoms (its height is the total ``I(X1, X2; Y)``; any
        negative atom is drawn below 0), or four bars side by side per name.
    ax : matplotlib Axes or None
    source_names : (str, str), default=("EEG", "fNIRS")
        Names of sources 1 and 2 in the legend.
    title : str

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> from skpid.inspection import plot_pid
    >>> pid = {
    ...     "XOR": {"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 1.0},
    ...     "AND": {"R": 0.311, "U1": 0.0, "U2": 0.0, "S": 0.5},
    ... }
    >>> fig = plot_pid(pid, source_names=("x1", "x2"))
    >>> fig.axes[0].get_ylabel()
    'information (bits)'
    """
    if kind not in ("stacked", "grouped"):
        raise ValueError(f"kind must be 'stacked' or 'grouped', got {kind!r}.")
    if isinstance(source_names, str) or len(source_names) != 2:
        raise ValueError(f"source_names must be two names, got {source_names!r}.")
    names, values = _as_pid_table(pid)
    labels = {
        "R": "redundant",
        "U1": f"unique {source_names[0]}",
        "U2": f"unique {source_names[1]}",
        "S": "synergistic",
    }
    if ax is None:
        width = 2.6 + (0.7 if kind == "stacked" else 1.6) * len(names)
        fig, ax = plt.subplots(figsize=(max(width, 6.0), 3.6), layout="constrained")
    fig = ax.figure
    x = np.arange(len(names))
    if kind == "stacked":
        up, down = np.zeros(len(names)), np.zeros(len(names))
        for a, atom in enumerate(ATOMS):
            v = values[:, a]
            bottom = np.where(v >= 0, up, down)
            ax.bar(x, v, 0.6, bottom=bottom, color=ATOM_COLORS[atom], label=labels[atom])
            up, down = up + np.clip(v, 0, None), down + np.clip(v, None, 0)
    else:
        width = 0.8 / len(ATOMS)
        for a, atom in enumerate(ATOMS):
            offset = (a - (len(ATOMS) - 1) / 2) * width
            ax.bar(x + offset, values[:, a], width, color=ATOM_COLORS[atom], label=labels[atom])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, names)
    if len(names) == 1 and not names[0]:
        ax.set_xticks([])
    ax.set_ylabel("information (bits)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _is_discrete(values):
    if not np.issubdtype(values.dtype, np.number) or values.dtype == bool:
        return True
    uniq = np.unique(values)
    return len(uniq) <= 10 and np.allclose(uniq, np.round(uniq))


def _embed(block, method, random_state, perplexity):
    x = StandardScaler().fit_transform(block)
    if block.shape[1] == 1:
        return None, None
    if method == "pca":
        pca = PCA(n_components=2, svd_solver="full").fit(x)
        ratio = 100 * pca.explained_variance_ratio_
        return pca.transform(x), (f"PC1 ({ratio[0]:.0f} % var.)", f"PC2 ({ratio[1]:.0f} % var.)")
    perplexity = min(perplexity, (len(x) - 1) / 3)
    emb = TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=random_state
    ).fit_transform(x)
    return emb, ("t-SNE 1", "t-SNE 2")


def plot_embedding(
    Z,
    color,
    *,
    blocks=None,
    method="pca",
    axes=None,
    color_name=None,
    random_state=0,
    perplexity=30.0,
    ncols=4,
):
    """2-D embedding of each block, trials coloured by a factor; one panel per block.

    Parameters
    ----------
    Z, blocks
        As for :func:`physiological_probes`: a dict of blocks, a DataFrame with columns
        ``R0, U_eeg0, ...``, or an array with ``blocks={name: columns}``.
    color : array-like of shape (n_trials,)
        Factor to colour trials by: integer labels or strings (up to 10 values; a legend)
        or continuous values (a colour bar).
    method : {"pca", "tsne"}, default="pca"
        PCA of the standardised block (axes give the explained variance) or
        :class:`sklearn.manifold.TSNE` (seeded by ``random_state``). A one-component
        block is drawn against random vertical jitter.
    axes : array of matplotlib Axes or None
        One per block.
    color_name : str or None
        Legend / colour bar title (the Series name when ``color`` is one).
    random_state : int, default=0
        Seeds t-SNE and the jitter of one-component blocks.
    perplexity : float, default=30.0
        t-SNE perplexity (lowered to ``(n_trials - 1) / 3`` for few trials).
    ncols : int, default=4
        Panels per row of a new figure.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skpid.inspection import plot_embedding
    >>> rng = np.random.default_rng(0)
    >>> label = np.repeat([0, 1], 30)
    >>> blocks = {
    ...     "R": rng.standard_normal((60, 4)) + label[:, None],  # separates the labels
    ...     "S": rng.standard_normal((60, 4)),
    ... }
    >>> fig = plot_embedding(blocks, label, color_name="R")
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['R (4 comp.)', 'S (4 comp.)']
    """
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}.")
    blocks = as_blocks(Z, blocks, min_trials=3)
    n_trials = len(next(iter(blocks.values())))
    if color_name is None:
        color_name = str(color.name) if isinstance(color, pd.Series) else "factor"
    color = check_target(color, n_trials, "color")
    discrete = _is_discrete(color)
    fig, axes = _new_axes(axes, len(blocks), ncols=ncols)
    rng = np.random.default_rng(random_state)
    if not discrete:
        color = color.astype(np.float64)
        norm = Normalize(color.min(), color.max())
    for ax, (name, block) in zip(axes, blocks.items(), strict=True):
        emb, labels = _embed(block, method, random_state, perplexity)
        if emb is None:
            emb = np.column_stack(
                [StandardScaler().fit_transform(block)[:, 0], rng.uniform(-1, 1, n_trials)]
            )
            labels = (f"{name} (standardised)", "jitter")
            ax.set_yticks([])
        if discrete:
            for k, level in enumerate(np.unique(color)):
                sel = color == level
                ax.scatter(*emb[sel].T, s=12, alpha=0.8, color=f"C{k}", label=str(level))
        else:
            points = ax.scatter(*emb.T, c=color, s=12, alpha=0.8, cmap="viridis", norm=norm)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(f"{name} ({block.shape[1]} comp.)")
    if discrete:
        axes[-1].legend(title=color_name, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    else:
        fig.colorbar(points, ax=axes, label=color_name, shrink=0.8)
    return fig


def _history_records(history):
    records = getattr(history, "history", history)  # a skorch net, or its History
    if isinstance(records, (str, bytes)) or not isinstance(records, Sequence):
        raise TypeError(
            "history must be a list of per-epoch dicts (a skorch History, e.g. "
            f"decomposer.net_.history), got {type(history).__name__}."
        )
    if not records:
        raise ValueError("history is empty: the model was not trained for any epoch.")
    if not all(isinstance(r, Mapping) for r in records):
        raise TypeError("history must hold one dict per epoch (a skorch History).")
    return records


def _numeric_series(records, key):
    out = np.full(len(records), np.nan)
    for i, r in enumerate(records):
        v = r.get(key)
        if isinstance(v, Real) and not isinstance(v, bool):
            out[i] = float(v)
    return out


def plot_training_curves(history, *, terms=None, axes=None, logy="auto", ncols=3):
    """Training and validation losses per epoch: the total, then one panel per loss term.

    Parameters
    ----------
    history : skorch History or list of dict
        One dict per epoch with ``train_loss``/``valid_loss`` and per-term entries
        ``train_<term>``/``valid_<term>`` (e.g. ``decomposer.net_.history``); a skorch net
        is read through its ``history``. Batch counts and ``*_best`` flags are ignored.
    terms : list of str or None
        Terms to draw after the total (names without the ``train_``/``valid_`` prefix);
        None draws every term found.
    axes : array of matplotlib Axes or None
        One per panel (``1 + len(terms)``).
    logy : {"auto"} or bool, default="auto"
        Logarithmic y axis; "auto" uses it on panels whose values are all positive and
        span at least a factor of 3 (a narrower range reads better on a linear axis).
    ncols : int, default=3
        Panels per row of a new figure.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    Any list of per-epoch dicts works, as a skorch history does:

    >>> from skpid.inspection import plot_training_curves
    >>> history = [
    ...     {"epoch": e, "train_loss": 2 / e, "valid_loss": 2.2 / e, "train_redundant": 1 / e}
    ...     for e in range(1, 6)
    ... ]
    >>> fig = plot_training_curves(history)
    >>> [ax.get_title() for ax in fig.axes]  # the total, then one panel per term
    ['total loss', 'redundant']
    """
    records = _history_records(history)
    keys = list(dict.fromkeys(k for r in records for k in r))
    found = []
    for key in keys:
        for prefix in ("train_", "valid_"):
            term = key[len(prefix) :]
            if (
                key.startswith(prefix)
                and term not in ("loss", "batch_count")
                and not term.endswith("_best")
                and np.isfinite(_numeric_series(records, key)).any()
                and term not in found
            ):
                found.append(term)
    if "train_loss" not in keys and "valid_loss" not in keys:
        raise ValueError(
            "history has no 'train_loss' or 'valid_loss'; pass a skorch History (one dict "
            f"per epoch). Keys found: {keys[:10]}."
        )
    if terms is None:
        terms = found
    else:
        terms = [terms] if isinstance(terms, str) else list(terms)
        unknown = [t for t in terms if t not in found]
        if unknown:
            raise ValueError(f"Unknown loss term(s) {unknown}; the history records {found}.")
    if logy not in ("auto", True, False):
        raise ValueError(f"logy must be 'auto', True or False, got {logy!r}.")
    epochs = _numeric_series(records, "epoch")
    if not np.isfinite(epochs).all():
        epochs = np.arange(1, len(records) + 1, dtype=float)
    valid = _numeric_series(records, "valid_loss")
    best = int(np.nanargmin(valid)) if np.isfinite(valid).any() else None
    fig, axes = _new_axes(axes, 1 + len(terms), ncols=ncols, panel_size=(3.8, 2.9))
    for ax, term in zip(axes, ["loss", *terms], strict=True):
        plotted = []
        for split, style in (("train", "-"), ("valid", "--")):
            y = _numeric_series(records, f"{split}_{term}")
            if np.isfinite(y).any():
                ax.plot(epochs, y, style, marker="." if len(y) < 30 else None, label=split)
                plotted.append(y[np.isfinite(y)])
        values = np.concatenate(plotted)
        positive = bool(np.all(values > 0))
        wide = positive and values.max() >= _LOG_MIN_RATIO * values.min()
        use_log = logy is True or (logy == "auto" and wide)
        if logy is True and not positive:
            raise ValueError(
                f"logy=True but the {term!r} curve has values <= 0; pass logy='auto' or False."
            )
        if best is not None:
            ax.axvline(epochs[best], color="grey", linestyle=":", linewidth=1)
        ax.set_title("total loss" if term == "loss" else term)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("loss" + (" (log scale)" if use_log else ""))
        if use_log:
            ax.set_yscale("log")
            # plain numbers; minor ticks labelled when the curve spans under a decade,
            # so that short ranges (10 to 14) still get several labels
            ax.yaxis.set_major_formatter(LogFormatter())
            ax.yaxis.set_minor_formatter(
                LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.5))
            )
    axes[0].legend(frameon=False, fontsize=8)
    if best is not None:
        fig.suptitle(f"Training curves (dotted: best validation epoch, {epochs[best]:g})")
    else:
        fig.suptitle("Training curves")
    return fig
