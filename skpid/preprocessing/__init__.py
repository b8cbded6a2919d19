"""Preprocessing chains for EEG and fNIRS recordings (mne Raw in, mne Raw out)."""

from ._eeg import preprocess_eeg
from ._fnirs import preprocess_fnirs

__all__ = ["preprocess_eeg", "preprocess_fnirs"]
