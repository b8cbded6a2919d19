"""Decomposers: scikit-learn transformers that split multimodal data into PID atoms.

- :class:`PIDDecomposer`: one block per atom (redundant, unique per modality, synergistic).
- :class:`CoMM` (Dufumier et al. 2025) and :class:`FactorCL` (Liang et al. 2023): the
  published methods in the same API, for comparison.
- :class:`HCL`: deep hierarchical contrastive learning, one block per subset of modalities
  (global, partial, specific) with group-sparse gates.
- :class:`LinearHCL`: the linear hierarchical model with global / partial / specific
  loading blocks; :func:`loading_recovery_error` scores estimated loadings.

Estimators only: the networks, objectives and critics of the deep decomposers are in
:mod:`skpid.nn`, their losses in :mod:`skpid.losses`.
"""

from ._comm import CoMM
from ._factorcl import FactorCL
from ._hcl import HCL
from ._linear_hcl import LinearHCL, loading_recovery_error
from ._pid import PIDDecomposer

__all__ = ["HCL", "CoMM", "FactorCL", "LinearHCL", "PIDDecomposer", "loading_recovery_error"]
