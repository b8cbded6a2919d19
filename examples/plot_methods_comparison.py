"""
.. _ex-methods:

======================================================
Methods compared on ground-truth tasks
======================================================

skpid implements its decomposer next to the published methods it grew from, with the same
API: :class:`~skpid.decomposition.CoMM` :cite:p:`dufumier2025`,
:class:`~skpid.decomposition.FactorCL` :cite:p:`liang2023` and the linear hierarchical
model :class:`~skpid.decomposition.LinearHCL`. Ground-truth tasks tell what each one keeps
and where it puts it. Fits are tiny here, to run in under a minute; the benchmarks compare
the methods at full size.
"""

# %%
# A synergy task: XOR of two bits
# -------------------------------
# :func:`skpid.datasets.make_bitwise` embeds bit ``b1`` in modality ``x1`` and ``b2`` in
# ``x2`` (8 noisy features each); the target ``y = b1 XOR b2`` is pure synergy. A good
# decomposition puts ``b1`` in ``x1``'s unique block, ``b2`` in ``x2``'s, and ``y`` in a
# block of its own, linearly readable.

import matplotlib.pyplot as plt
import pandas as pd

from skpid.datasets import make_bitwise, make_multimodal_gaussian
from skpid.decomposition import CoMM, FactorCL, LinearHCL, PIDDecomposer, loading_recovery_error
from skpid.inspection import plot_recovery
from skpid.metrics import component_recovery

data = make_bitwise(600, kind="xor", n_features=8, noise=0.3, random_state=0)
factors = pd.DataFrame({"b1 (U1)": data.bits["b1"], "b2 (U2)": data.bits["b2"], "XOR (S)": data.y})

# %%
# Fit each method
# ---------------
# All three are fitted without labels on the same trials. Their blocks differ: the
# decomposer has ``R``, ``U_x1``, ``U_x2``, ``S``; FactorCL a shared and two unique blocks;
# CoMM one fused representation. ``component_slices_`` names the columns of each block.

methods = {
    "PIDDecomposer": PIDDecomposer(n_components=4, max_epochs=10, random_state=0),
    "CoMM": CoMM(n_components=8, max_epochs=5, random_state=0),
    "FactorCL": FactorCL(n_components=4, max_epochs=2, random_state=0),
}
reports = {}
for name, method in methods.items():
    Z = method.fit_transform(data.X)
    reports[name] = component_recovery(Z, factors, blocks=method.component_slices_, cv=3)

# %%
# For reference, a probe on the raw features of each modality and of both.

raw = pd.concat([pd.DataFrame(data.X["x1"]), pd.DataFrame(data.X["x2"])], axis=1).to_numpy()
reports["raw input"] = component_recovery(
    raw, factors, blocks={"x1": slice(0, 8), "x2": slice(8, 16), "both": slice(0, 16)}, cv=3
)

# %%
# Recovery matrices
# -----------------
# Chance-normalised balanced accuracy of a linear probe per block (rows) and factor
# (columns). The raw input shows why XOR is hard: a *linear* probe cannot read it even
# from both modalities together, so a block that makes it linearly readable has learned
# the interaction.

fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), layout="constrained")
for ax, (name, report) in zip(axes, reports.items(), strict=True):
    plot_recovery(report, ax=ax, title=name, vmax=1.0)

# %%
# A linear task: global, partial and specific structures
# ------------------------------------------------------
# :func:`skpid.datasets.make_multimodal_gaussian` draws three modalities from latents
# shared by all (global), by a pair (partial) or held by one (specific).
# :class:`~skpid.decomposition.LinearHCL` estimates a loading matrix per (modality,
# structure); :func:`~skpid.decomposition.loading_recovery_error` compares every loading
# product with the truth (no alignment needed). The error is relative to the norm of the
# true product: 0 is perfect, 1 is what estimating zero gives.

gaussian = make_multimodal_gaussian(3000, n_modalities=3, n_features=20, random_state=0)
hcl = LinearHCL(random_state=0).fit(gaussian.X)
errors = loading_recovery_error(gaussian.loadings, hcl.loadings_)
errors["relative error"] = errors["error"] / errors["norm"]
summary = errors.groupby(["kind", "size"])["relative error"].mean().unstack("kind")
summary.index = summary.index.map({1: "specific", 2: "partial", 3: "global"})
summary.round(3)
