"""What the simulator's EEG and fNIRS features carry about each factor: the issue-6 figures.

Simulates the default data set (``make_eeg_fnirs(random_state=0)``, 1,000 trials), computes
the hand-built features of each modality, and saves to a folder (default
``skpid_figures/``; pass another as the first argument):

- ``pid.png``: PID (R, U_EEG, U_fNIRS, S in bits) of each factor from the compact EEG and
  fNIRS sources of ``benchmarks/bench_pid_simulator.py``, one panel per estimator;
- ``pid_synergy.png``: PID of S from the timing features alone, estimated and true times;
- ``recovery.png``: cross-validated (leave-subjects-out) linear-probe recovery of each
  factor from the EEG features, the fNIRS features and both;
- ``embedding.png``: PCA of each source, trials coloured by each factor;
- ``timing.png``: EEG event time against fNIRS onset time, coloured by S, and the
  estimated delay per S level (why S is synergistic);
- ``patterns.png``: forward-model (Haufe) patterns of EEG delta and gamma power per channel
  and of mean HbO per fNIRS channel against each factor;
- ``training_curves.png``: loss curves of a short :class:`skpid.decomposition.PIDDecomposer`
  fit on the features (skipped when the decomposer cannot be imported).

    python examples/plot_pid_simulator.py [out_dir]
"""

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# The PID sources and table are those of the benchmark, so figure and table agree.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_pid_simulator import (
    FACTORS,
    compact_sources,
    pid_table,
    simulate_features,
    standardise_within,
    synergy_table,
)

from skpid.inspection import (
    channel_features,
    haufe_patterns,
    plot_embedding,
    plot_patterns,
    plot_pid,
    plot_recovery,
    plot_training_curves,
)
from skpid.metrics import component_recovery

LEVELS = {
    "R": ("left", "right"),
    "U_eeg": ("alpha", "beta", "gamma"),
    "U_fnirs": ("low cost", "high cost"),
    "S": ("short delay", "long delay"),
}
ESTIMATORS = {
    "gaussian": "Gaussian ~-PID",
    "gaussian copula": "Gaussian-copula ~-PID",
    "discrete": "BROJA PID, 10 k-means clusters/source",
}


def save(fig, path):
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pid_figures(table, synergy, out):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for ax, (estimator, title) in zip(axes, ESTIMATORS.items(), strict=True):
        rows = table.xs(estimator, level="estimator")
        plot_pid(rows, ax=ax, title=title)
        ax.set_xlabel("factor (target)")
        # Gaussian "bits" of a discrete target measure linear separability: not capped by H(Y)
        ax.hlines(rows["H(Y)"], np.arange(len(rows)) - 0.4, np.arange(len(rows)) + 0.4,
                  colors="black", linestyles="--", linewidth=1, label="H(Y)")  # fmt: skip
    for ax in axes[:-1]:
        ax.get_legend().remove()
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.suptitle("PID of each simulated factor from EEG (source 1) and fNIRS (source 2) features")
    paths = [save(fig, out / "pid.png")]

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for ax, timing in zip(axes, synergy.index.unique(level="timing"), strict=True):
        plot_pid(synergy.xs(timing, level="timing"), ax=ax, title=f"S from {timing}")
        ax.set_xlabel("estimator")
    axes[0].get_legend().remove()
    fig.suptitle("PID of the coupling delay S from EEG event time and fNIRS onset time")
    return [*paths, save(fig, out / "pid_synergy.png")]


def recovery_figure(eeg, fnirs, data, out):
    features = standardise_within(
        pd.concat([eeg.add_prefix("eeg_"), fnirs.add_prefix("fnirs_")], axis=1), data.groups
    )
    n_eeg = eeg.shape[1]
    blocks = {
        "eeg": slice(0, n_eeg),
        "fnirs": slice(n_eeg, features.shape[1]),
        "both": slice(0, features.shape[1]),
    }
    report = component_recovery(
        features.to_numpy(), data.factors[list(FACTORS)], blocks=blocks, groups=data.groups
    )
    print("Linear-probe recovery (5-fold leave-subjects-out), hand-built features:")
    print(report.scores.round(3).to_string())
    expected = {"eeg": ["R", "U_eeg"], "fnirs": ["R", "U_fnirs"], "both": list(FACTORS)}
    fig = plot_recovery(
        report,
        expected=expected,
        cbar_label="chance-normalised balanced accuracy",
        title="Factors decoded from the hand-built features\n(outlined: where the simulator "
        "puts them)",
    )
    return [save(fig, out / "recovery.png")]


def embedding_figure(x1, x2, factors, out):
    sources = {"EEG": x1, "fNIRS": x2, "both": pd.concat([x1, x2], axis=1)}
    fig, axes = plt.subplots(
        len(FACTORS), len(sources), figsize=(11.5, 3.0 * len(FACTORS)), layout="constrained"
    )
    for row, factor in zip(axes, FACTORS, strict=True):
        color = np.asarray(LEVELS[factor])[factors[factor].to_numpy()]
        plot_embedding(sources, color, axes=row, color_name=factor)
        for ax, (name, source) in zip(row, sources.items(), strict=True):
            ax.set_title(f"{name} ({source.shape[1]} features), colour: {factor}", fontsize=10)
    fig.suptitle("PCA of each source's standardised features")
    return [save(fig, out / "embedding.png")]


def timing_figure(data, eeg, fnirs, out):
    """Why S is synergistic: the delay is the gap between two times, each uniform alone."""
    s = data.factors["S"].to_numpy()
    true = data.factors[["event_time", "onset_time"]].to_numpy().T
    estimated = (eeg["event_time"].to_numpy(), fnirs["onset_time"].to_numpy())
    delay = pd.Series(estimated[1] - estimated[0])
    delay = delay - delay.groupby(data.groups).transform("median")  # per-subject offset
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for ax, (x, y), name in zip(axes, (true, estimated), ("true", "estimated"), strict=False):
        for level in (0, 1):
            ax.scatter(x[s == level], y[s == level], s=6, alpha=0.6, label=LEVELS["S"][level])
        ax.set_xlabel("EEG event time (s)")
        ax.set_ylabel("fNIRS onset time (s)")
        ax.set_title(f"{name} times")
    bins = np.linspace(-2.5, 2.5, 51)
    for level in (0, 1):
        axes[2].hist(delay[s == level], bins=bins, alpha=0.6, label=LEVELS["S"][level])
    outside = np.mean(np.abs(delay) > bins[-1])
    axes[2].set_xlabel("estimated onset - event time, subject-centred (s)")
    axes[2].set_ylabel("trials")
    axes[2].set_title(f"estimated delay ({100 * outside:.0f} % of trials beyond +-2.5 s)")
    axes[2].legend(title="S", frameon=False)
    fig.suptitle("S (coupling delay) needs both times: each alone is uninformative")
    return [save(fig, out / "timing.png")]


def pattern_figure(data, out):
    delta = channel_features(data.X, data.info, band="delta")
    gamma = channel_features({"eeg": data.X["eeg"]}, {"eeg": data.info["eeg"]}, band="gamma")
    features = {
        "EEG delta power": delta["eeg"],
        "EEG gamma power": gamma["eeg"],
        "fNIRS mean HbO": delta["fnirs"],
    }
    # All factors at once: each pattern is the change per SD of a factor's label, the other
    # factors held fixed (Haufe et al. 2014). U_eeg is ordinal: alpha < beta < gamma.
    labels = data.factors[list(FACTORS)].to_numpy(dtype=np.float64)
    labels = (labels - labels.mean(axis=0)) / labels.std(axis=0)
    patterns = {}
    for name, frame in features.items():
        pattern = pd.DataFrame(
            haufe_patterns(frame.to_numpy(), labels).T, index=list(FACTORS), columns=frame.columns
        )
        pattern.attrs["units"] = frame.attrs["units"]
        patterns[name] = pattern
    info = {name: data.info["fnirs" if "fNIRS" in name else "eeg"] for name in features}
    fig = plot_patterns(patterns, info)
    for ax in fig.axes:  # the colour bars: rows are factors here, not learned blocks
        ax.set_xlabel(ax.get_xlabel().replace("block score", "factor label"))
    fig.suptitle("What drives each factor: forward-model patterns (rows: factors)")
    return [save(fig, out / "patterns.png")]


def training_figure(eeg, fnirs, groups, out):
    try:
        from skpid.decomposition import PIDDecomposer
    except ImportError as error:
        print(f"Training curves skipped: PIDDecomposer is not importable ({error}).")
        return []
    X = {
        "eeg": standardise_within(eeg, groups).to_numpy(np.float32),
        "fnirs": standardise_within(fnirs, groups).to_numpy(np.float32),
    }
    start = time.perf_counter()
    decomposer = PIDDecomposer(
        n_components=4, max_epochs=15, validation_fraction=0.2, random_state=0
    ).fit(X)
    print(
        f"PIDDecomposer, 15 epochs on the hand-built features: {time.perf_counter() - start:.1f} s"
    )
    return [save(plot_training_curves(decomposer.net_.history), out / "training_curves.png")]


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data, eeg, fnirs = simulate_features(random_state=0)
    x1, x2 = compact_sources(eeg, fnirs, data.groups)
    table = pid_table(x1, x2, data.factors[list(FACTORS)], random_state=0)
    print(table.to_string(float_format="{:+.3f}".format))
    saved = pid_figures(table, synergy_table(data, eeg, fnirs, random_state=0), out)
    saved += recovery_figure(eeg, fnirs, data, out)
    saved += embedding_figure(x1, x2, data.factors, out)
    saved += timing_figure(data, eeg, fnirs, out)
    saved += pattern_figure(data, out)
    saved += training_figure(eeg, fnirs, data.groups, out)
    print(f"Figures ({time.perf_counter() - start:.0f} s):")
    for path in saved:
        print(f"  {path}")
    return saved


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "skpid_figures")
