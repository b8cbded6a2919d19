"""Physiological auxiliary targets computed from the input itself (no labels).

Each function maps a standardised batch of one modality to a few features that a unique
block should be able to predict: which EEG band carries the strongest transient burst
(the activation mode) and how large the haemodynamic response is (the metabolic cost).
They feed the ``auxiliary`` term of :class:`skpid.decomposition._objective.PIDObjective`
and are computed without gradients.

References
----------
.. [1] Pfurtscheller and Lopes da Silva, "Event-related EEG/MEG synchronization and
   desynchronization: basic principles", Clin. Neurophysiol. 110(11), 1999 (event-related
   band power as the measure of an oscillatory burst).
.. [2] Cui, Bray and Reiss, "Functional near infrared spectroscopy (NIRS) signal
   improvement based on negative correlation between oxygenated and deoxygenated
   hemoglobin dynamics", NeuroImage 49(4), 2010 (CBSI: ``(HbO - HbR) / 2`` on signals of
   equal scale cancels the positively correlated motion and systemic components).
"""

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["TARGETS", "compute_target", "haemodynamic_amplitude", "peak_band_power"]


def peak_band_power(x, *, n_bands=4, window=0.05):
    """Event-related band power: peak over median short-time power, in octave bands.

    The spectrum of each channel is cut into ``n_bands`` octave bands below the Nyquist
    frequency (at 100 Hz: 3-6, 6-12.5, 12.5-25, 25-50 Hz); each band's squared signal is
    averaged over windows of ``window`` times the trial length (half-overlapping). The
    target is the log ratio of the largest window to the median one, i.e. the strongest
    event-related synchronisation relative to the trial's own baseline [1]_, taken on the
    channel where it is largest, so that a short burst counts fully whichever hemisphere
    it appears on while ongoing rhythms and the overall signal level cancel out.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times)
    n_bands : int, default=4
    window : float, default=0.05
        Window length as a share of the trial (0.05 of 10 s is 0.5 s, a burst's length).

    Returns
    -------
    power : torch.Tensor of shape (batch, n_bands)
    """
    length = x.shape[-1]
    spectrum = torch.fft.rfft(x, dim=-1)
    freqs = torch.linspace(0, 1, length // 2 + 1, device=x.device)  # share of Nyquist
    width = max(1, int(window * length))
    ratios = []
    for k in range(n_bands, 0, -1):
        mask = ((freqs >= 2.0**-k) & (freqs < 2.0 ** -(k - 1))).to(x.dtype)
        band = torch.fft.irfft(spectrum * mask, n=length, dim=-1) ** 2
        band = torch.log(F.avg_pool1d(band, width, stride=max(1, width // 2)) + 1e-8)
        ratios.append((band.amax(dim=2) - band.median(dim=2).values).amax(dim=1))
    return torch.stack(ratios, dim=1)


def haemodynamic_amplitude(x, *, smooth=0.05):
    """Log of the largest peak-to-peak CBSI haemodynamic signal over channel pairs.

    Channels are taken as (HbO, HbR) pairs side by side (mne's order for haemoglobin
    data). On standardised channels, ``(HbO - HbR) / 2`` keeps the anti-correlated
    functional response and cancels motion and systemic components that move both the
    same way [2]_; it is smoothed (moving average over ``smooth`` of the trial) and its
    range is taken on the most active pair.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, 2 * n_pairs, times)
    smooth : float, default=0.05
        Moving-average length as a share of the trial (0.05 of 20 s is 1 s).

    Returns
    -------
    amplitude : torch.Tensor of shape (batch, 1)
    """
    if x.shape[1] % 2:
        raise ValueError(
            f"haemodynamic_amplitude needs (HbO, HbR) channel pairs, got {x.shape[1]} "
            "channels. Pass an even number of channels ordered HbO, HbR, HbO, HbR..."
        )
    cbsi = 0.5 * (x[:, 0::2] - x[:, 1::2])
    width = max(1, int(smooth * x.shape[-1])) // 2 * 2 + 1
    cbsi = F.avg_pool1d(cbsi, width, stride=1, padding=width // 2, count_include_pad=False)
    span = cbsi.amax(dim=2) - cbsi.amin(dim=2)
    return torch.log(span.amax(dim=1, keepdim=True) + 1e-8)


#: Auxiliary target of each kind of modality (see :func:`skpid.nn.modality_kind`).
TARGETS = {"eeg": peak_band_power, "nirs": haemodynamic_amplitude}


def compute_target(kind, x, batch_size=256):
    """Auxiliary target of kind ``kind`` for every trial of a float32 array, in batches.

    Parameters
    ----------
    kind : str
        A key of :data:`TARGETS`.
    x : ndarray of shape (n_trials, channels, times)

    Returns
    -------
    target : ndarray of shape (n_trials, n_target_features), float32
    """
    with torch.no_grad():
        parts = [
            TARGETS[kind](torch.as_tensor(x[i : i + batch_size])).numpy()
            for i in range(0, len(x), batch_size)
        ]
    return np.concatenate(parts).astype(np.float32)
