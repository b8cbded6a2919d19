"""skpid: partial information decomposition of simultaneous EEG and fNIRS.

Learns what EEG and fNIRS share (redundant), what each alone carries (unique) and what
only appears when both are read together (synergistic), as scikit-learn transformers.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
