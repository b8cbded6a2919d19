"""
.. _ex-decomposer:

==============================================================
Fit the decomposer and read its recovery matrix
==============================================================

:class:`skpid.PIDDecomposer` learns one block of components per partial-information atom
from unlabelled paired trials: ``R`` for what EEG and fNIRS share, ``U_eeg`` and
``U_fnirs`` for what each alone carries and ``S`` for what only the pair holds. On
simulated data the truth is known, so we can ask which block carries which factor: the
*recovery matrix*.

The fit below is deliberately small (six training subjects of 40 trials, 20 epochs) so
the example runs in well under a minute; its figures show how to read the output, not
what a full fit reaches (``benchmarks/`` measures that).
"""

# %%
# Simulate and split by subject
# -----------------------------
# The decomposer is fitted on some subjects and judged on others, as it would be used on
# a new participant.

import numpy as np

from skpid import PIDDecomposer
from skpid.datasets import make_eeg_fnirs
from skpid.inspection import plot_recovery, plot_training_curves
from skpid.metrics import component_recovery

data = make_eeg_fnirs(n_subjects=8, n_trials=40, random_state=0)
train = np.isin(data.groups, [0, 1, 2, 3, 4, 5])
X_train, X_test = data.X[train], data.X[~train]  # a SliceDict slices every modality
print({name: x.shape for name, x in X_train.items()})

# %%
# Fit without labels
# ------------------
# ``groups`` gives the subject of every trial: training batches are then drawn within one
# subject, so the contrastive losses cannot be lowered by telling subjects apart. ``y``
# is not needed; the decomposition is self-supervised.

decomposer = PIDDecomposer(n_components=4, max_epochs=20, random_state=0)
decomposer.fit(X_train, groups=data.groups[train])
print(decomposer.get_feature_names_out())

# %%
# The loss of every term, per epoch, is in the skorch history.

fig = plot_training_curves(decomposer.net_.history)

# %%
# Blocks of held-out subjects
# ---------------------------
# ``transform`` returns the concatenated blocks; ``decompose`` returns them by name.

blocks = decomposer.decompose(X_test)
{name: block.shape for name, block in blocks.items()}

# %%
# The recovery matrix
# -------------------
# :func:`skpid.metrics.component_recovery` trains a linear probe from each block to each
# factor and scores it on other subjects (here: trained on one held-out subject, scored on
# the other, so neither the decomposer nor the probe saw the scored trials). Scores are
# chance-normalised balanced accuracy: 0 is chance, 1 is perfect. A block *recovers* a
# factor when its cell on the diagonal is high; it *leaks* when a cell off the diagonal
# is high. See :ref:`recovery-matrix` in the user guide.

Z = decomposer.transform(X_test)
report = component_recovery(
    Z,
    data.factors.loc[~train, ["R", "U_eeg", "U_fnirs", "S"]],
    blocks=decomposer.component_slices_,
    groups=data.groups[~train],
    cv=2,
)
print(report)
fig = plot_recovery(report, expected={b: [b] for b in decomposer.component_slices_})

# %%
# Read the table row by row (what a block carries) and column by column (where a factor
# went). With so short a fit on so few trials, expect some factors to be weak and some
# leaks; ``decomposer.redundancy_correlation_`` tells how many directions the redundancy
# heads of EEG and fNIRS agree on (columns of ``R`` past those are 0). Longer fits on
# more subjects, the settings the benchmarks use, are what to report.

print(decomposer.redundancy_correlation_.round(2))
