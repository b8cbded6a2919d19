"""
.. _ex-inspection:

====================================================================
Interpret the blocks: probes, embeddings, topomaps and channel maps
====================================================================

A recovery matrix needs the truth, which real recordings do not give. What they do give
is physiology measured from the signals: band power, the haemodynamic amplitude, the
timing of events. :mod:`skpid.inspection` relates each learned block to such quantities
and draws where on the head a block's information lives: EEG topomaps and fNIRS channel
maps of forward-model patterns :cite:p:`haufe2014`.
"""

# %%
# A small decomposition
# ---------------------
# A short fit on simulated trials, as in :ref:`ex-decomposer`.

import pandas as pd

from skpid import PIDDecomposer
from skpid.datasets import make_eeg_fnirs
from skpid.inspection import (
    block_patterns,
    channel_features,
    physiological_probes,
    physiological_targets,
    plot_embedding,
    plot_patterns,
    plot_recovery,
)

data = make_eeg_fnirs(n_subjects=4, n_trials=40, random_state=0)
decomposer = PIDDecomposer(n_components=4, max_epochs=6, random_state=0)
blocks = decomposer.fit(data.X, groups=data.groups).decompose(data.X)

# %%
# Physiological quantities and probes
# -----------------------------------
# :func:`skpid.inspection.physiological_targets` measures per trial, from the signals,
# band power over the motor electrodes, the HbO and HbR amplitude and the timing of the
# EEG event and of the haemodynamic onset. On simulated data we add the simulator's true
# quantities. :func:`skpid.inspection.physiological_probes` then gives the cross-subject
# :math:`R^2` of a ridge probe from every block to every quantity.

targets = physiological_targets(data.X, data.info, eeg_picks=["C3", "C4", "CP5", "CP6"])
truth = data.factors[["amplitude", "burst_freq", "lag"]].add_prefix("true_")
r2 = physiological_probes(blocks, pd.concat([targets, truth], axis=1), groups=data.groups)
fig = plot_recovery(r2, cbar_label="cross-subject $R^2$", title="What each block carries")

# %%
# Each block in two dimensions
# ----------------------------
# :func:`skpid.inspection.plot_embedding` draws the first two principal components of each
# block, trials coloured by a label: here the activated hemisphere, the factor the
# redundant block should carry.

fig = plot_embedding(blocks, data.factors["R"], color_name="R (hemisphere)")

# %%
# Topomaps and fNIRS channel maps
# -------------------------------
# A forward-model pattern is the covariance between a channel feature and a block's score
# across trials: which channels change with the block. Here the features are EEG beta
# power per electrode and mean HbO per fNIRS channel
# (:func:`skpid.inspection.channel_features`), and each block is summarised by the score
# that best predicts the measured HbO amplitude (:func:`skpid.inspection.block_patterns`).
# :func:`skpid.inspection.plot_patterns` draws one row per block: an EEG topomap on the
# electrodes and an fNIRS map on the midpoints of the source-detector pairs. Red means the
# feature rises with the block's score.

features = channel_features(data.X, data.info, band="beta")
patterns = block_patterns(features, blocks, target=targets["hbo_amplitude"])
fig = plot_patterns(patterns, data.info)
