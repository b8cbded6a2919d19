"""Decomposers: scikit-learn transformers that split multimodal data into PID atoms.

- :class:`PIDDecomposer`: one block per atom (redundant, unique per modality, synergistic).
- :class:`LinearHCL`: the linear hierarchical model with global / partial / specific
  loading blocks; :func:`loading_recovery_error` scores estimated loadings.
"""

from ._linear_hcl import LinearHCL, loading_recovery_error
from ._pid import PIDDecomposer

__all__ = ["LinearHCL", "PIDDecomposer", "loading_recovery_error"]
