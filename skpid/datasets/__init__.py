"""Simulators with known ground truth and loaders of real recordings.

Simulators
    :func:`make_eeg_fnirs` (paired EEG + fNIRS trials with redundant, unique and
    synergistic factors), :func:`make_multimodal_gaussian` (global / partial / specific
    latent structures over M modalities), :func:`make_bitwise` (AND / OR / XOR and other
    bit targets with known PID).
Evidence of the simulator's factor placement
    Moved to :mod:`skpid.model_selection` (:func:`~skpid.model_selection.factor_decodability`,
    :func:`~skpid.model_selection.eeg_features`,
    :func:`~skpid.model_selection.fnirs_features`); the old names here still work, with a
    ``FutureWarning``.
Real recordings
    :func:`load_shin2017` (TU Berlin hybrid EEG+NIRS BCI, downloaded after licence
    acceptance), :func:`load_shin2017_ma_fnirs`, :func:`load_eegmat`,
    :func:`load_finemi_fnirs`.
"""

from ._eeg_fnirs import EEG_CHANNELS, FNIRS_OPTODE_PAIRS, canonical_hrf, make_eeg_fnirs
from ._forward import FORWARD_EEG_CHANNELS, FORWARD_OPTODE_PAIRS, make_eeg_fnirs_forward
from ._generic import make_bitwise, make_multimodal_gaussian
from ._real import load_eegmat, load_finemi_fnirs, load_shin2017_ma_fnirs
from ._shin2017 import LICENCE as SHIN2017_LICENCE
from ._shin2017 import fetch_shin2017, load_shin2017, read_shin2017_raw
from ._tabular import make_multiplicative, make_paired_xor

__all__ = [
    "EEG_CHANNELS",
    "FNIRS_OPTODE_PAIRS",
    "FORWARD_EEG_CHANNELS",
    "FORWARD_OPTODE_PAIRS",
    "SHIN2017_LICENCE",
    "canonical_hrf",
    "fetch_shin2017",
    "load_eegmat",
    "load_finemi_fnirs",
    "load_shin2017",
    "load_shin2017_ma_fnirs",
    "make_bitwise",
    "make_eeg_fnirs",
    "make_eeg_fnirs_forward",
    "make_multimodal_gaussian",
    "make_multiplicative",
    "make_paired_xor",
    "read_shin2017_raw",
]

# Moved to skpid.model_selection (they are evaluations, not datasets). Imported lazily and by
# name, so that skpid.datasets never imports evaluation code when it is imported itself.
_MOVED_TO_MODEL_SELECTION = ("eeg_features", "factor_decodability", "fnirs_features")


def __getattr__(name):
    if name in _MOVED_TO_MODEL_SELECTION:
        import importlib
        import warnings

        warnings.warn(
            f"skpid.datasets.{name} moved to skpid.model_selection.{name}; import it from "
            "there (the old name will be removed in a future release).",
            FutureWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("skpid.model_selection"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
