"""skpid: partial information decomposition of simultaneous EEG and fNIRS.

Learns what EEG and fNIRS share (redundant), what each alone carries (unique) and what
only appears when both are read together (synergistic), as scikit-learn transformers.

Subpackages follow the data's way through the library: :mod:`skpid.io` (mne Epochs <->
multimodal batches), :mod:`skpid.datasets` (simulators with ground truth, loaders),
:mod:`skpid.preprocessing` and :mod:`skpid.features` (mne chains, band power, haemodynamic
features), :mod:`skpid.compose` (per-modality routing), :mod:`skpid.baselines` (classical
pipelines), :mod:`skpid.decomposition` (the decomposers), :mod:`skpid.metrics` (PID
estimators, component recovery) and :mod:`skpid.inspection` (probes and figures).
:mod:`skpid.model_selection` evaluates pipelines within and across subjects and sessions.
"""

__version__ = "0.1.0.dev0"

from .compose import ModalityTransformer
from .decomposition import LinearHCL, PIDDecomposer

__all__ = ["LinearHCL", "ModalityTransformer", "PIDDecomposer", "__version__"]
