"""Inspection of a decomposition: physiological probes and figures.

Functions read arrays and a fitted estimator's public outputs (``transform``,
``decompose``, ``component_slices_``, ``net_.history``), so they work with any decomposer.

Probes
    :func:`physiological_targets`, :func:`channel_features`, :func:`physiological_probes`,
    :func:`haufe_patterns`, :func:`block_scores`, :func:`block_patterns`.
Figures (each returns a matplotlib Figure)
    :func:`plot_recovery`, :func:`plot_pid`, :func:`plot_embedding`,
    :func:`plot_patterns`, :func:`plot_training_curves`.
"""

from ._figures import plot_embedding, plot_pid, plot_recovery, plot_training_curves
from ._patterns import block_patterns, block_scores, haufe_patterns
from ._probes import physiological_probes
from ._targets import channel_features, physiological_targets
from ._topomaps import plot_patterns

__all__ = [
    "block_patterns",
    "block_scores",
    "channel_features",
    "haufe_patterns",
    "physiological_probes",
    "physiological_targets",
    "plot_embedding",
    "plot_patterns",
    "plot_pid",
    "plot_recovery",
    "plot_training_curves",
]
