"""Physiology of EEG and fNIRS in physical units (Hz, seconds), with published parameters.

One home for the physiology that the simulators, the decomposer's opt-in priors,
inspection and placement evidence use:

- haemodynamic response models (:func:`spm_hrf`, :func:`glover_hrf`, :func:`gamma_hrf`,
  :func:`hrf_kernel`) at any sampling rate;
- HbO/HbR pairing from channel names or types in any order (:func:`pair_haemoglobin`);
- EEG bands by name and in Hz (:data:`EEG_BANDS`, :func:`resolve_bands`), event-related
  power change in either direction (:func:`event_related_power`,
  :func:`eeg_event_evidence`);
- haemodynamic amplitude (:func:`cbsi`, :func:`haemodynamic_amplitude`), onset
  (:func:`haemodynamic_onset`), and the neurovascular coupling profile and delay
  (:func:`coupling_profile`, :func:`coupling_delay`, :func:`fit_hrf_stretch`).

Inputs are NumPy arrays of epochs ``(n_trials, n_channels, n_times)``; times are in
seconds on each epoch's axis (``tmin`` is the time of its first sample).
"""

from ._bands import EEG_BANDS, resolve_bands
from ._coupling import (
    COUPLING_DELAY_RANGE,
    FIT_STRETCHES,
    PROFILE_STRETCHES,
    coupling_delay,
    coupling_profile,
    fit_hrf_stretch,
)
from ._events import eeg_event_evidence, event_related_power
from ._haemodynamics import (
    cbsi,
    haemodynamic_amplitude,
    haemodynamic_onset,
    haemodynamic_onset_evidence,
    hrf_peak_time,
)
from ._hrf import HRF_MODELS, gamma_hrf, glover_hrf, hrf_kernel, spm_hrf
from ._pairing import HaemoglobinPairs, pair_haemoglobin

__all__ = [
    "COUPLING_DELAY_RANGE",
    "EEG_BANDS",
    "FIT_STRETCHES",
    "HRF_MODELS",
    "PROFILE_STRETCHES",
    "HaemoglobinPairs",
    "cbsi",
    "coupling_delay",
    "coupling_profile",
    "eeg_event_evidence",
    "event_related_power",
    "fit_hrf_stretch",
    "gamma_hrf",
    "glover_hrf",
    "haemodynamic_amplitude",
    "haemodynamic_onset",
    "haemodynamic_onset_evidence",
    "hrf_kernel",
    "hrf_peak_time",
    "pair_haemoglobin",
    "resolve_bands",
    "spm_hrf",
]
