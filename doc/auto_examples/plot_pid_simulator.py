"""
.. _ex-simulator:

=====================================================
Simulated EEG+fNIRS trials and their known factors
=====================================================

skpid's simulator draws paired EEG and fNIRS trials from four labelled factors, one per
partial-information atom, so that what a decomposition learns can be checked against the
truth. This example simulates a few subjects, looks at the raw trials, shows the
physiology each factor drives, and shows why the coupling delay ``S`` is synergistic: it
is read from the *pair* of an EEG time and an fNIRS time, never from either alone.
"""

# %%
# Simulate a few subjects
# -----------------------
# :func:`skpid.datasets.make_eeg_fnirs` returns a Bunch: ``X`` maps each modality to its
# trials (EEG in volts, fNIRS as HbO/HbR concentration changes), ``factors`` holds the
# labels ``R``, ``U_eeg``, ``U_fnirs``, ``S`` and the continuous quantities behind them,
# ``groups`` the subject of every trial and ``info`` the channel names, sampling rates
# and an :class:`mne.Info` with sensor positions per modality.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpid.datasets import make_eeg_fnirs
from skpid.inspection import channel_features, haufe_patterns, plot_patterns

data = make_eeg_fnirs(n_subjects=4, n_trials=40, random_state=0)
for name, trials in data.X.items():
    sfreq = data.info[name]["sfreq"]
    print(f"{name}: {trials.shape} (trials, channels, samples) at {sfreq:g} Hz")
data.factors[["subject", "R", "U_eeg", "U_fnirs", "S"]].head()

# %%
# The four factors
# ----------------
# =======  =======================  ================================  ===================
# factor   meaning                  EEG                               fNIRS
# =======  =======================  ================================  ===================
# R        activation (hemisphere)  lateralised ERP and burst         HbO rise / HbR fall
# U_eeg    activation mode          burst frequency (alpha to gamma)  nothing
# U_fnirs  metabolic cost           nothing                           response amplitude
# S        coupling delay           time of the neural event          time of the onset
# =======  =======================  ================================  ===================
#
# The average fNIRS response over the left and right hemisphere's channels shows ``R``
# (which side activates) and ``U_fnirs`` (how strongly). The simulator stores HbO and HbR
# of each channel pair interleaved; the first channel of every pair is HbO.

fnirs_info = data.info["fnirs"]
fnirs_times = np.arange(data.X["fnirs"].shape[-1]) / fnirs_info["sfreq"]
hbo = data.X["fnirs"][:, 0::2]  # (trials, channel pairs, samples)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True, layout="constrained")
levels = {"R": ("left", "right"), "U_fnirs": ("low", "high")}
for ax, (factor, names) in zip(axes, levels.items(), strict=True):
    for level, label in enumerate(names):
        trials = hbo[data.factors[factor].to_numpy() == level]
        ax.plot(fnirs_times, 1e6 * trials.mean(axis=(0, 1)), label=f"{factor} = {label}")
    ax.set(xlabel="time in trial (s)", title=f"mean HbO by {factor}")
    ax.legend(frameon=False)
axes[0].set_ylabel("HbO change (µM, mean over channels)")

# %%
# Where each factor shows on the head
# -----------------------------------
# A forward-model (Haufe) pattern says how each channel's feature changes with a label,
# the other labels held fixed. EEG beta power and mean HbO per channel are computed by
# :func:`skpid.inspection.channel_features`; :func:`skpid.inspection.plot_patterns` draws
# them as an EEG topomap and an fNIRS channel map per factor. ``R`` lateralises both
# modalities, ``U_eeg`` changes EEG power only and ``U_fnirs`` changes HbO only; ``S``
# leaves no mark on either map.

factors = ["R", "U_eeg", "U_fnirs", "S"]
labels = data.factors[factors].to_numpy(dtype=float)
labels = (labels - labels.mean(axis=0)) / labels.std(axis=0)
features = channel_features(data.X, data.info, band="beta")
patterns = {}
for modality, frame in features.items():
    pattern = haufe_patterns(frame.to_numpy(), labels).T  # (factors, channels)
    patterns[modality] = frame.iloc[: len(factors)].copy()
    patterns[modality].iloc[:, :] = pattern
    patterns[modality].index = factors
    patterns[modality].attrs["units"] = frame.attrs.get("units", "")
fig = plot_patterns(patterns, data.info)
fig.suptitle("Forward-model patterns of each factor (rows) on each modality")

# %%
# Why the coupling delay is synergistic
# -------------------------------------
# ``S`` sets the delay between the neural event (seen in the EEG) and the onset of the
# haemodynamic response (seen in the fNIRS). The event happens at a random time in each
# trial, so the EEG event time alone says nothing about ``S``, and neither does the fNIRS
# onset time; their difference does.

times = data.factors[["event_time", "onset_time"]]
s = data.factors["S"].to_numpy()
fig, ax = plt.subplots(figsize=(4.8, 4), layout="constrained")
for level, label in enumerate(("short delay", "long delay")):
    ax.scatter(times["event_time"][s == level], times["onset_time"][s == level], s=8,
               label=f"S = {label}")  # fmt: skip
ax.set(xlabel="EEG event time (s)", ylabel="fNIRS onset time (s)")
ax.legend(frameon=False)

# %%
# A logistic regression with subject-wise cross-validation confirms it: either time alone
# gives chance-level accuracy, the pair (through their difference) nearly perfect.

candidates = {
    "EEG event time": times[["event_time"]].to_numpy(),
    "fNIRS onset time": times[["onset_time"]].to_numpy(),
    "both": times.to_numpy(),
}
probe = make_pipeline(StandardScaler(), LogisticRegression())
for name, x in candidates.items():
    if name == "both":  # a linear probe needs the difference made available
        x = np.column_stack([x, x[:, 1] - x[:, 0]])
    score = cross_val_score(probe, x, s, groups=data.groups, cv=GroupKFold(4)).mean()
    print(f"S from {name:>16}: accuracy {score:.2f}")

# %%
# The decomposer never sees these true times: it has to find the event and the onset in
# the raw signals. :ref:`ex-decomposer` fits it and reads which block learned which factor.
