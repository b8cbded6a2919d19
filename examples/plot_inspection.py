"""Inspect a decomposition of simulated EEG + fNIRS: probes, patterns and figures.

Simulates paired EEG/fNIRS trials with known redundant (R), unique (U_eeg, U_fnirs) and
synergistic (S) factors, learns a decomposition with :class:`skpid.decomposition.PIDDecomposer`
(a short training, to keep the example quick), then draws every inspection figure and saves
it as a PNG (default folder: ``inspection_figures``; pass another as the first argument).

    python examples/plot_inspection.py [out_dir]
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from skpid.datasets._eeg_fnirs import make_eeg_fnirs
from skpid.decomposition import PIDDecomposer
from skpid.inspection import (
    block_patterns,
    channel_features,
    physiological_probes,
    physiological_targets,
    plot_embedding,
    plot_patterns,
    plot_pid,
    plot_recovery,
    plot_training_curves,
)
from skpid.metrics import gaussian_pid

out = Path(sys.argv[1] if len(sys.argv) > 1 else "inspection_figures")
out.mkdir(parents=True, exist_ok=True)

data = make_eeg_fnirs(n_subjects=4, n_trials=40, random_state=0)
decomposer = PIDDecomposer(n_components=4, max_epochs=8, random_state=0)
decomposer.fit(data.X, groups=data.groups)  # batches within subjects
blocks = decomposer.decompose(data.X)  # {"R": (n, 4), "U_eeg": ..., "U_fnirs": ..., "S": ...}

# Physiological quantities measured from the signals, plus the simulator's true values.
targets = physiological_targets(data.X, data.info, eeg_picks=["C3", "C4", "CP5", "CP6"])
truth = data.factors[["amplitude", "burst_freq", "lag"]].add_prefix("true_")
r2 = physiological_probes(blocks, pd.concat([targets, truth], axis=1), groups=data.groups)
print("Cross-subject R^2 of a ridge probe, blocks x quantities:\n", r2.round(2))
plot_recovery(r2, cbar_label="cross-subject $R^2$", title="What each block carries").savefig(
    out / "probes.png", dpi=120
)

# Training curves of the skorch net.
plot_training_curves(decomposer.net_.history).savefig(out / "training_curves.png", dpi=120)

# Each block in 2-D, coloured by the factor it should carry.
for factor in ("R", "U_eeg", "U_fnirs", "S"):
    fig = plot_embedding(blocks, data.factors[factor])
    fig.savefig(out / f"embedding_{factor}.png", dpi=120)

# Which channels go with each block: forward-model patterns of the block that best
# predicts the HbO amplitude, on beta power (EEG) and mean HbO (fNIRS).
features = channel_features(data.X, data.info, band="beta")
patterns = block_patterns(features, blocks, target=targets["hbo_amplitude"])
plot_patterns(patterns, data.info).savefig(out / "patterns.png", dpi=120)

# PID of each continuous simulated quantity from the EEG-unique and fNIRS-unique blocks
# (Gaussian ~-PID in bits): amplitude should be unique to fNIRS, burst frequency to EEG.
pid = {
    name: gaussian_pid(blocks["U_eeg"], blocks["U_fnirs"], data.factors[name], random_state=0)
    for name in ("amplitude", "burst_freq", "lag")
}
plot_pid(pid, title="PID of simulated quantities from U_eeg and U_fnirs").savefig(
    out / "pid.png", dpi=120
)
print(f"Figures saved in {out.resolve()}")
