"""Feature transformers for EEG and fNIRS epochs.

- :class:`BandPower`: band power per channel (Welch or multitaper), 2-D output.
- :class:`BandEnvelope`: time-resolved band power at a low rate, 3-D output.
- :class:`HemodynamicFeatures`: mean, slope, peak, time-to-peak, area of HbO/HbR per window.

Each takes one modality's epochs ``(n_trials, n_channels, n_times)``; route modalities of a
multimodal batch with :class:`skpid.compose.ModalityTransformer`.
"""

from ._eeg import DEFAULT_BANDS, BandEnvelope, BandPower, band_envelope, band_power
from ._fnirs import FEATURES, HemodynamicFeatures, hemodynamic_features, window_slices

__all__ = [
    "DEFAULT_BANDS",
    "FEATURES",
    "BandEnvelope",
    "BandPower",
    "HemodynamicFeatures",
    "band_envelope",
    "band_power",
    "hemodynamic_features",
    "window_slices",
]
