"""Simulators with known ground truth and loaders of real recordings.

Simulators
    :func:`make_eeg_fnirs` (paired EEG + fNIRS trials with redundant, unique and
    synergistic factors), :func:`make_multimodal_gaussian` (global / partial / specific
    latent structures over M modalities), :func:`make_bitwise` (AND / OR / XOR and other
    bit targets with known PID).
Evidence of the simulator's factor placement
    :func:`factor_decodability`, :func:`eeg_features`, :func:`fnirs_features`.
Real recordings
    :func:`load_shin2017` (TU Berlin hybrid EEG+NIRS BCI, downloaded after licence
    acceptance), :func:`load_shin2017_ma_fnirs`, :func:`load_eegmat`,
    :func:`load_finemi_fnirs`.
"""

from ._eeg_fnirs import EEG_CHANNELS, FNIRS_OPTODE_PAIRS, canonical_hrf, make_eeg_fnirs
from ._generic import make_bitwise, make_multimodal_gaussian
from ._placement import eeg_features, factor_decodability, fnirs_features
from ._real import load_eegmat, load_finemi_fnirs, load_shin2017_ma_fnirs
from ._shin2017 import LICENCE as SHIN2017_LICENCE
from ._shin2017 import fetch_shin2017, load_shin2017, read_shin2017_raw

__all__ = [
    "EEG_CHANNELS",
    "FNIRS_OPTODE_PAIRS",
    "SHIN2017_LICENCE",
    "canonical_hrf",
    "eeg_features",
    "factor_decodability",
    "fetch_shin2017",
    "fnirs_features",
    "load_eegmat",
    "load_finemi_fnirs",
    "load_shin2017",
    "load_shin2017_ma_fnirs",
    "make_bitwise",
    "make_eeg_fnirs",
    "make_multimodal_gaussian",
    "read_shin2017_raw",
]
