"""Information-theoretic metrics: PID estimators and recovery of ground-truth factors.

- :func:`gaussian_pid`: PID of continuous (Gaussian) sources and target, MMI or ~-PID,
  with finite-sample bias correction.
- :func:`discrete_pid`: BROJA PID after k-means clustering, with a per-atom permutation-null
  bias correction; :func:`broja_pid` for a joint probability table.
- :func:`component_recovery`: blocks x factors table of cross-validated linear-probe scores.
"""

from ._discrete_pid import SmallSampleWarning, broja_pid, broja_union, discrete_pid
from ._gaussian_pid import gaussian_mi, gaussian_pid, logdet_bias, union_information
from ._recovery import RecoveryReport, component_recovery, infer_blocks

__all__ = [
    "RecoveryReport",
    "SmallSampleWarning",
    "broja_pid",
    "broja_union",
    "component_recovery",
    "discrete_pid",
    "gaussian_mi",
    "gaussian_pid",
    "infer_blocks",
    "logdet_bias",
    "union_information",
]
