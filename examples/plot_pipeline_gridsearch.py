"""
.. _ex-pipeline:

===========================================================================
The decomposer in a Pipeline: GridSearchCV and leave-one-subject-out
===========================================================================

:class:`skpid.PIDDecomposer` is a scikit-learn transformer, so it goes into a
:class:`~sklearn.pipeline.Pipeline` in front of any classifier and is tuned and evaluated
with scikit-learn's model-selection tools. The one thing to take care of with several
subjects is that every split is by subject, and that the subject of each trial also
reaches the decomposer's ``fit`` (its training batches are drawn within subjects).
"""

# %%
# Data: four subjects, a binary label
# -----------------------------------
# The simulator's ``y`` is its ``R`` factor (which hemisphere activates), a label both
# modalities carry. A :class:`skorch.helper.SliceDict` is sliced by scikit-learn's
# cross-validation like an array, every modality at once.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, cross_val_score
from sklearn.pipeline import make_pipeline

from skpid import PIDDecomposer
from skpid.datasets import make_eeg_fnirs

data = make_eeg_fnirs(n_subjects=4, n_trials=30, random_state=1)
X, y, subject = data.X, data.y, data.groups
print(f"{len(y)} trials, subjects {np.unique(subject)}, classes {np.bincount(y)}")

# %%
# The pipeline
# ------------
# ``make_pipeline`` names the steps after their classes, so the decomposer's parameters
# are ``piddecomposer__<name>``. Few epochs keep the example fast.

pipe = make_pipeline(
    PIDDecomposer(n_components=4, max_epochs=3, random_state=0),
    LogisticRegression(max_iter=1000),
)

# %%
# Leave-one-subject-out evaluation
# --------------------------------
# :class:`~sklearn.model_selection.LeaveOneGroupOut` trains on all subjects but one and
# scores on the one left out, once per subject. ``params`` passes the subjects to the
# decomposer's ``fit``; scikit-learn slices them with the training trials of each split.

scores = cross_val_score(
    pipe, X, y, groups=subject, cv=LeaveOneGroupOut(), params={"piddecomposer__groups": subject}
)
for s, score in zip(np.unique(subject), scores, strict=True):
    print(f"left-out subject {s}: accuracy {score:.2f}")

# %%
# Tuning with GridSearchCV, by subject
# ------------------------------------
# Hold one subject out for the final test, and let
# :class:`~sklearn.model_selection.GridSearchCV` choose the block size by
# leave-one-subject-out over the other three (any step's parameter can join the grid,
# e.g. ``logisticregression__C``). ``groups``
# drives the splits; ``piddecomposer__groups`` is again sliced and passed to the
# decomposer.

test = subject == 3
search = GridSearchCV(
    pipe,
    param_grid={"piddecomposer__n_components": [2, 4]},
    cv=LeaveOneGroupOut(),
)
search.fit(X[~test], y[~test], groups=subject[~test], piddecomposer__groups=subject[~test])
print("best parameters:", search.best_params_)
print(f"held-out subject 3: accuracy {search.score(X[test], y[test]):.2f}")

# %%
# Every candidate's scores per left-out subject are in ``cv_results_``.

results = pd.DataFrame(search.cv_results_)
columns = [c for c in results if c.startswith("split") and c.endswith("test_score")]
table = results.set_index("param_piddecomposer__n_components")
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
table[columns].T.plot(ax=ax, marker="o")
ax.set_xticks(range(len(columns)), [f"subject {i} left out" for i in range(len(columns))])
ax.set(ylabel="accuracy", title="GridSearchCV candidates (n_components)")
ax.legend(frameon=False, fontsize=8)
