"""Augmentations of multimodal batches, as plain functions on torch tensors.

Each augmentation takes a batch ``x`` of shape ``(batch, channels, times)`` (time series)
or ``(batch, features)`` (tabular), a :class:`torch.Generator` that makes it
reproducible, and keyword parameters; it returns a new tensor of the same shape and never
modifies ``x`` in place. Self-supervised objectives treat two augmented views of a trial as
carrying the same relevant information (I(X; X') ~ I(X; Y)), so an augmentation must stay
mild compared with the effects one wants to keep: amplitude scaling teaches invariance to
amplitude, time shifts to latency.

The input is expected to be standardised (unit variance per channel), as
:class:`skpid.decomposition.PIDDecomposer` does before augmenting, so noise levels are in
units of the signal's standard deviation.

References
----------
.. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025
   (CoMM: Gaussian noise and dropping 0-80 % of time steps for time series).
.. [2] Mohsenvand, Izadi and Maes, "Contrastive representation learning for
   electroencephalogram classification", ML4H 2020 (EEG: amplitude scaling, time
   shift, masking, band-stop filtering, noise).
.. [3] Huppert, "Commentary on the statistical properties of noise and its implication on
   general linear models in functional near-infrared spectroscopy", Neurophotonics
   3(1):010401, 2016 (variable haemodynamic latency and amplitude across trials).
"""

import inspect
from collections.abc import Mapping
from functools import partial

import torch

from ._multimodal import modality_kind

__all__ = [
    "AUGMENTATIONS",
    "Augmenter",
    "BraindecodeTransform",
    "amplitude_scale",
    "band_scale",
    "channel_dropout",
    "common_time_shift",
    "default_augmentations",
    "gaussian_noise",
    "hrf_jitter",
    "time_mask",
    "time_shift",
]


def _uniform(shape, low, high, generator, like):
    u = torch.rand(shape, generator=generator, device=generator.device)
    return (low + (high - low) * u).to(device=like.device, dtype=like.dtype)


def _check_range(name, low, high, minimum=None):
    if not low <= high:
        raise ValueError(f"{name}: low ({low}) must not exceed high ({high}).")
    if minimum is not None and low < minimum:
        raise ValueError(f"{name}: low must be >= {minimum}, got {low}.")


def _require_time_series(name, x):
    if x.ndim != 3:
        raise ValueError(
            f"{name} works on time series (batch, channels, times), got shape "
            f"{tuple(x.shape)}. Use it only for time-series modalities."
        )


def gaussian_noise(x, *, generator, std=0.1):
    """Add white Gaussian noise of standard deviation ``std``.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times) or (batch, features)
    generator : torch.Generator
    std : float, default=0.1

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    if std < 0:
        raise ValueError(f"gaussian_noise: std must be >= 0, got {std}.")
    noise = torch.randn(x.shape, generator=generator, device=generator.device)
    return x + std * noise.to(device=x.device, dtype=x.dtype)


def time_mask(x, *, generator, max_fraction=0.5):
    """Zero a random share of the time steps (features for tabular input) of each trial.

    For each trial a share ``p ~ U(0, max_fraction)`` is drawn and each step of the last
    axis is dropped (set to zero, the standardised mean) with probability ``p``, across
    all channels at once, as CoMM's time-step dropping [1]_.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times) or (batch, features)
    generator : torch.Generator
    max_fraction : float in [0, 1), default=0.5

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    if not 0 <= max_fraction < 1:
        raise ValueError(f"time_mask: max_fraction must be in [0, 1), got {max_fraction}.")
    n, length = x.shape[0], x.shape[-1]
    p = _uniform((n, 1), 0.0, max_fraction, generator, x)
    keep = _uniform((n, length), 0.0, 1.0, generator, x) >= p
    if x.ndim == 3:
        keep = keep[:, None, :]
    return x * keep


def channel_dropout(x, *, generator, p=0.1):
    """Zero whole channels, each with probability ``p`` (a bad electrode or optode).

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times)
    generator : torch.Generator
    p : float in [0, 1), default=0.1

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    _require_time_series("channel_dropout", x)
    if not 0 <= p < 1:
        raise ValueError(f"channel_dropout: p must be in [0, 1), got {p}.")
    keep = _uniform(x.shape[:2], 0.0, 1.0, generator, x) >= p
    return x * keep[..., None]


def amplitude_scale(x, *, generator, low=0.9, high=1.1):
    """Multiply each trial by a gain drawn from ``U(low, high)``.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times) or (batch, features)
    generator : torch.Generator
    low, high : float, default=0.9, 1.1

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    _check_range("amplitude_scale", low, high, minimum=0)
    gain = _uniform((x.shape[0],) + (1,) * (x.ndim - 1), low, high, generator, x)
    return x * gain


def _fractional_shift(x, shift):
    """Delay each trial of ``x`` (batch, channels, times) by ``shift`` samples (float).

    Linear interpolation between neighbouring samples; the edges are repeated.
    """
    length = x.shape[-1]
    t = torch.arange(length, device=x.device, dtype=x.dtype)[None, :] - shift[:, None]
    t = t.clamp(0, length - 1)
    lo = t.floor().long()
    hi = (lo + 1).clamp(max=length - 1)
    w = (t - lo.to(x.dtype))[:, None, :]
    idx_lo = lo[:, None, :].expand(-1, x.shape[1], -1)
    idx_hi = hi[:, None, :].expand(-1, x.shape[1], -1)
    return (1 - w) * x.gather(2, idx_lo) + w * x.gather(2, idx_hi)


def time_shift(x, *, generator, max_shift=0.02):
    """Shift each trial in time by up to ``max_shift`` of its length (edges repeated).

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times)
    generator : torch.Generator
    max_shift : float in [0, 0.5], default=0.02
        Largest shift as a share of the trial length (0.02 of 8 s is 160 ms).

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    _require_time_series("time_shift", x)
    if not 0 <= max_shift <= 0.5:
        raise ValueError(f"time_shift: max_shift must be in [0, 0.5], got {max_shift}.")
    length = x.shape[-1]
    limit = max_shift * length
    shift = _uniform((x.shape[0],), -limit, limit, generator, x).round().long()
    t = (torch.arange(length, device=x.device)[None, :] - shift[:, None]).clamp(0, length - 1)
    return x.gather(2, t[:, None, :].expand(-1, x.shape[1], -1))


def band_scale(x, *, generator, low=0.8, high=1.25, bands=None, sfreq=None):
    """Scale one random frequency band of each trial: a band-specific SNR change.

    The spectrum (``torch.fft.rfft`` over time) of each trial is multiplied by a gain from
    ``U(low, high)`` inside one band drawn at random, mimicking trial-to-trial changes of
    rhythm strength (e.g. alpha vs beta) [2]_.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times)
    generator : torch.Generator
    low, high : float, default=0.8, 1.25
        Range of the gain applied to the band.
    bands : sequence of (float, float) or None
        Band edges in Hz (``sfreq`` required). None uses four octave bands below the
        Nyquist frequency (at 125 Hz: about 4-8, 8-16, 16-31, 31-62 Hz).
    sfreq : float or None
        Sampling frequency in Hz, needed only with ``bands``.

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    _require_time_series("band_scale", x)
    _check_range("band_scale", low, high, minimum=0)
    length = x.shape[-1]
    n_freqs = length // 2 + 1
    freqs = torch.linspace(0, 1, n_freqs, device=x.device)  # share of Nyquist
    if bands is None:
        edges = [(2.0**-k, 2.0 ** -(k - 1)) for k in range(4, 0, -1)]
    else:
        if sfreq is None or sfreq <= 0:
            raise ValueError("band_scale: bands in Hz need sfreq (the sampling rate in Hz).")
        edges = [(lo / (sfreq / 2), hi / (sfreq / 2)) for lo, hi in bands]
    masks = torch.stack([(freqs >= lo) & (freqs < hi) for lo, hi in edges]).to(x.dtype)
    choice = torch.randint(len(edges), (x.shape[0],), generator=generator, device=generator.device)
    gain = _uniform((x.shape[0], 1), low, high, generator, x)
    spectrum_gain = 1 + (gain - 1) * masks[choice.to(x.device)]
    spectrum = torch.fft.rfft(x, dim=-1) * spectrum_gain[:, None, :]
    return torch.fft.irfft(spectrum, n=length, dim=-1)


def hrf_jitter(x, *, generator, max_latency=0.005, low=0.9, high=1.1):
    """Jitter the latency and amplitude of a haemodynamic response, trial by trial.

    Each trial is delayed by a fractional shift from ``U(-max_latency, max_latency)``
    times its length (linear interpolation) and scaled by a gain from ``U(low, high)``:
    the haemodynamic response's onset and size vary from trial to trial [3]_.

    Parameters
    ----------
    x : torch.Tensor of shape (batch, channels, times)
    generator : torch.Generator
    max_latency : float in [0, 0.5], default=0.005
        Largest shift as a share of the trial length (0.005 of 16 s is 80 ms). Keep it
        well below the latency effects to be learned (e.g. a neurovascular delay).
    low, high : float, default=0.9, 1.1

    Returns
    -------
    x_aug : torch.Tensor of the shape of ``x``
    """
    _require_time_series("hrf_jitter", x)
    if not 0 <= max_latency <= 0.5:
        raise ValueError(f"hrf_jitter: max_latency must be in [0, 0.5], got {max_latency}.")
    _check_range("hrf_jitter", low, high, minimum=0)
    limit = max_latency * x.shape[-1]
    shift = _uniform((x.shape[0],), -limit, limit, generator, x)
    gain = _uniform((x.shape[0], 1, 1), low, high, generator, x)
    return gain * _fractional_shift(x, shift)


def common_time_shift(batch, *, generator, sfreq, max_shift=2.0):
    """Shift every time-series modality of a trial by the same delay, in seconds.

    One delay per trial is drawn from ``U(-max_shift, max_shift)`` seconds and applied to
    every modality listed in ``sfreq`` (fractional shifts, edges repeated), so the timing
    of one modality relative to another (e.g. the neurovascular delay between an EEG
    event and the haemodynamic onset) is kept while the absolute time of an event stops
    telling two trials apart.

    Parameters
    ----------
    batch : dict of str to torch.Tensor
        Modality name to ``(batch, channels, times)`` (other modalities pass through).
    generator : torch.Generator
    sfreq : dict of str to float
        Sampling rate (Hz) of each modality to shift.
    max_shift : float, default=2.0
        Largest delay in seconds.

    Returns
    -------
    batch_aug : dict of str to torch.Tensor
    """
    if max_shift < 0:
        raise ValueError(f"common_time_shift: max_shift must be >= 0 s, got {max_shift}.")
    unknown = [m for m in sfreq if m not in batch]
    if unknown:
        raise ValueError(
            f"common_time_shift: sfreq names modalities {unknown} that are not in the batch "
            f"({list(batch)}); use the modality names of X."
        )
    n = len(next(iter(batch.values())))
    delay = _uniform((n,), -max_shift, max_shift, generator, torch.zeros(()))
    out = dict(batch)
    for name, rate in sfreq.items():
        x = batch[name]
        _require_time_series("common_time_shift", x)
        out[name] = _fractional_shift(x, (delay * rate).to(device=x.device, dtype=x.dtype))
    return out


AUGMENTATIONS = {
    "gaussian_noise": gaussian_noise,
    "time_mask": time_mask,
    "channel_dropout": channel_dropout,
    "amplitude_scale": amplitude_scale,
    "time_shift": time_shift,
    "band_scale": band_scale,
    "hrf_jitter": hrf_jitter,
}


def default_augmentations(name, ndim, kind="auto"):
    """Default augmentation list of one modality, from its kind and number of axes.

    Parameters
    ----------
    name : str
        Modality name.
    ndim : int
        3 for time series ``(n, channels, times)``, 2 for tabular ``(n, features)``.
    kind : {"auto", "eeg", "nirs", None}, default="auto"
        Kind of the modality (see :func:`skpid._multimodal.modality_kind`); ``"auto"``
        decides from the name (``"eeg"``, ``"nirs"``, case-insensitive). EEG and fNIRS
        get their own lists, other time series a generic one.

    Returns
    -------
    augmentations : list of (str, dict)
        Names from :data:`AUGMENTATIONS` with their parameters, applied in order.

    Notes
    -----
    EEG gets no ``time_mask``: zeroing random samples adds broadband noise in
    proportion to the signal, which buries the weak high-frequency bands (beta, gamma)
    under the low-frequency power of 1/f background; the views would then disagree on
    exactly the band content that the EEG blocks should keep.
    """
    if ndim == 2:
        return [("gaussian_noise", {"std": 0.1}), ("time_mask", {"max_fraction": 0.2})]
    common = [("gaussian_noise", {"std": 0.1}), ("time_mask", {"max_fraction": 0.3})]
    if kind == "auto":
        kind = modality_kind(name, (1, 1))
    if kind == "eeg":
        return [
            ("band_scale", {}),
            ("time_shift", {"max_shift": 0.005}),
            ("channel_dropout", {"p": 0.1}),
            ("gaussian_noise", {"std": 0.1}),
        ]
    if kind == "nirs":
        return [("hrf_jitter", {}), ("channel_dropout", {"p": 0.1}), *common]
    return [("amplitude_scale", {}), ("time_shift", {"max_shift": 0.005}), *common]


class BraindecodeTransform:
    """A braindecode transform (``braindecode.augmentation.Transform``) as an augmentation.

    Calls ``transform(x)`` on the batch of one modality; the transform draws its own
    randomness (its ``random_state`` and torch's generator, which ``fit`` seeds), not
    skpid's ``generator``.

    Parameters
    ----------
    transform : braindecode.augmentation.Transform
    """

    def __init__(self, transform):
        self.transform = transform
        self.__name__ = type(transform).__name__

    def __call__(self, x, *, generator=None):
        out = self.transform(x)
        return out[0] if isinstance(out, tuple) else out

    def __repr__(self):
        return f"BraindecodeTransform({self.transform!r})"


def _is_braindecode_transform(item):
    return type(item).__module__.startswith("braindecode") and isinstance(item, torch.nn.Module)


def _resolve_one(modality, item):
    if _is_braindecode_transform(item):
        return BraindecodeTransform(item)
    if callable(item):
        return item
    if isinstance(item, str):
        item = (item, {})
    if (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], Mapping)
    ):
        name, params = item
        if name not in AUGMENTATIONS:
            raise ValueError(
                f"Unknown augmentation {name!r} for modality {modality!r}; choose from "
                f"{sorted(AUGMENTATIONS)} or pass a callable f(x, *, generator)."
            )
        fn = AUGMENTATIONS[name]
        accepted = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "generator"
        ]
        unknown = [k for k in params if k not in accepted]
        if unknown:
            raise ValueError(
                f"Augmentation {name!r} of modality {modality!r} has no parameter(s) "
                f"{unknown}; it accepts {accepted}."
            )
        # a partial (not a closure) so that fitted estimators can be pickled
        return partial(fn, **params)
    raise TypeError(
        f"Augmentation {item!r} of modality {modality!r} must be a name, a (name, params) "
        "pair, a braindecode transform or a callable f(x, *, generator) -> tensor."
    )


def _trial_run(modality, pipeline, shape):
    """Run a pipeline on two zero trials, so that bad parameters fail when it is built."""
    x = torch.zeros((2, *shape))
    generator = torch.Generator().manual_seed(0)
    for fn in pipeline:
        label = getattr(getattr(fn, "func", fn), "__name__", repr(fn))
        try:
            x = fn(x, generator=generator)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(
                f"Augmentation {label!r} of modality {modality!r} fails on a batch of shape "
                f"{tuple(x.shape)}: {exc}. Fix its parameters."
            ) from exc


class Augmenter:
    """Per-modality augmentation pipelines applied to a multimodal batch.

    Parameters
    ----------
    augmentations : mapping of str to list, or None
        Modality name to a list of augmentations, each a name from :data:`AUGMENTATIONS`,
        a ``(name, params)`` pair, a braindecode transform (e.g.
        ``braindecode.augmentation.FTSurrogate``, see :class:`BraindecodeTransform`) or a
        callable ``f(x, *, generator) -> tensor``. An empty list disables augmentation of
        that modality; modalities not listed (or all, when None) get
        :func:`default_augmentations`.
    shapes : mapping of str to tuple
        Trailing shape of each modality (``(channels, times)`` or ``(features,)``).
    shared : list of callable or None, default=None
        Augmentations of the whole batch dict ``f(batch, *, generator) -> batch`` (e.g.
        :func:`common_time_shift`), applied first, before the per-modality ones.
    kinds : mapping of str to str or None, default=None
        Kind of each modality (``"eeg"``, ``"nirs"`` or None), which chooses its default
        augmentations; None decides from the names (see
        :func:`skpid._multimodal.modality_kind`).
    """

    def __init__(self, augmentations, shapes, shared=None, kinds=None):
        augmentations = {} if augmentations is None else augmentations
        if not isinstance(augmentations, Mapping):
            raise TypeError(
                "augmentations must be a dict of modality name -> list of augmentations "
                f"(or None for the defaults), got {type(augmentations).__name__}."
            )
        unknown = [m for m in augmentations if m not in shapes]
        if unknown:
            raise ValueError(
                f"augmentations names modalities {unknown} that are not in the data "
                f"({list(shapes)}). Use the modality names of X."
            )
        self.shared = list(shared or [])
        for fn in self.shared:
            if not callable(fn):
                raise TypeError(f"shared augmentations must be callables, got {fn!r}.")
        self.pipelines = {}
        for name, shape in shapes.items():
            spec = augmentations.get(name)
            if spec is None:
                kind = "auto" if kinds is None else kinds.get(name)
                spec = default_augmentations(name, len(shape) + 1, kind=kind)
            if isinstance(spec, (str, tuple)) or callable(spec):  # one augmentation
                spec = [spec]
            self.pipelines[name] = [_resolve_one(name, item) for item in spec]
            _trial_run(name, self.pipelines[name], shape)

    def __call__(self, batch, generator):
        """Return an augmented copy of ``batch`` (dict of str to tensor)."""
        for fn in self.shared:
            batch = fn(batch, generator=generator)
        out = {}
        for name, x in batch.items():
            for fn in self.pipelines.get(name, []):
                x = fn(x, generator=generator)
            out[name] = x
        return out

    def __repr__(self):
        names = {
            m: [getattr(getattr(f, "func", f), "__name__", repr(f)) for f in fns]
            for m, fns in self.pipelines.items()
        }
        shared = [getattr(getattr(f, "func", f), "__name__", repr(f)) for f in self.shared]
        return f"Augmenter({names}, shared={shared})" if shared else f"Augmenter({names})"
