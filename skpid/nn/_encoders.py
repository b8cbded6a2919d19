"""Per-modality encoders that turn one modality into a short sequence of tokens.

A time series ``(batch, channels, times)`` goes through :class:`TemporalConvEncoder`, a
tabular modality ``(batch, features)`` through :class:`MLPEncoder`; both return tokens of
shape ``(batch, n_tokens, d_model)`` that the fusion module attends over, and
:func:`make_encoder` picks one from the trailing shape.

References
----------
.. [1] Schirrmeister et al., "Deep learning with convolutional neural networks for EEG
   decoding and visualization", Human Brain Mapping 38(11), 2017 (spatial filters,
   temporal filters, squaring nonlinearity and pooling: band power features).
.. [2] Lawhern et al., "EEGNet: a compact convolutional neural network for EEG-based
   brain-computer interfaces", J. Neural Eng. 15(5):056013, 2018 (few spatial filters
   keep the model small).
.. [3] Ang et al., "Filter bank common spatial pattern (FBCSP) in brain-computer
   interface", IJCNN 2008.
.. [4] Ravanelli and Bengio, "Speaker recognition from raw waveform with SincNet", IEEE
   SLT 2018 (band-pass filters as the first layer of a network on raw signals).
"""

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._multimodal import modality_kind

__all__ = [
    "ExternalEncoder",
    "FilterBankEncoder",
    "MLPEncoder",
    "ModalityEncoder",
    "PolyphaseConv1d",
    "TemporalConvEncoder",
    "build_external_encoder",
    "check_encoders",
    "make_encoder",
    "token_summary",
]


class TemporalConvEncoder(nn.Module):
    """Compact convolutional encoder for multichannel time series.

    Spatial filters (a 1x1 convolution mixing the channels into a few virtual channels)
    feed a bank of temporal FIR filters applied with a stride, then a GELU and average
    pooling (or, with ``power=True``, squaring, average pooling and a log,
    :class:`LogPower`): each filter's rectified output pooled over time is a band-power
    envelope, as in ShallowConvNet [1]_ (rectifying after a strided filter still measures
    the power of a narrow band, even above the reduced rate's Nyquist frequency). A second strided
    convolution mixes the envelopes and adaptive pooling leaves ``n_tokens`` time tokens.
    Dense rather than depthwise convolutions are used: on CPU they are an order of
    magnitude faster in PyTorch at these sizes, while the spatial bottleneck keeps the
    model as small as EEGNet's separable design [2]_.

    Parameters
    ----------
    n_channels : int
        Number of input channels.
    n_times : int
        Number of time samples per trial.
    d_model : int, default=64
        Number of temporal filters, which is also the token size.
    n_tokens : int, default=8
        Number of output tokens (time segments).
    power : bool, default=False
        Square-pool-log envelopes (log band power, as ShallowConvNet) instead of
        GELU-pool; used by :class:`skpid.nn.PIDNetwork` for time series other than
        EEG (EEG gets :class:`FilterBankEncoder`).

    Notes
    -----
    Shapes:

    input ``(batch, n_channels, n_times)``, output ``(batch, n_tokens, d_model)``.
    """

    def __init__(self, n_channels, n_times, d_model=64, n_tokens=8, power=False):
        super().__init__()
        self.summary_size = 2 * d_model
        n_spatial = min(n_channels, max(8, d_model // 8))
        stride = max(1, round(n_times / 125))
        kernel = max(7, 2 * stride + 1)
        length = (n_times + 2 * (kernel // 2) - kernel) // stride + 1
        pool = max(1, round(length / 32))
        self.net = nn.Sequential(
            nn.Conv1d(n_channels, n_spatial, 1),
            nn.Conv1d(n_spatial, d_model, kernel, stride=stride, padding=kernel // 2),
            *self._envelope(power, pool),
            nn.Conv1d(d_model, d_model, 5, stride=2, padding=2),
            nn.GELU(),
            nn.AdaptiveAvgPool1d(n_tokens),
        )

    @staticmethod
    def _envelope(power, pool):
        if power:
            return [LogPower(pool)]
        return [nn.GELU(), nn.AvgPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity()]

    def forward(self, x):
        return self.net(x).transpose(1, 2)

    def encode(self, x):
        """Tokens and a shift-invariant summary (see :func:`token_summary`)."""
        tokens = self(x)
        return tokens, token_summary(tokens)


class LogPower(nn.Module):
    """Square, average over ``pool`` samples, log: the log band power of filtered input.

    The square-pool-log nonlinearity of ShallowConvNet [1]_; ``log`` is applied to
    ``power + 1e-2`` (in units of the standardised input) so that silent (e.g. masked)
    stretches stay finite and the gradient stays bounded.

    Notes
    -----
    Shapes:

    input ``(batch, filters, times)``, output ``(batch, filters, ceil(times / pool))``.
    """

    def __init__(self, pool=1):
        super().__init__()
        self.pool = nn.AvgPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity()

    def forward(self, x):
        return torch.log(self.pool(x * x) + 1e-2)


class FilterBankEncoder(nn.Module):
    """Spatial filters, a band-pass filter bank and log band power, for EEG.

    The order of filter-bank common spatial patterns [3]_: a 1x1 convolution mixes the
    channels into ``n_spatial`` virtual channels (spatial filters); each is filtered by
    the same ``n_bands`` temporal FIR filters (a depthwise convolution, applied with a
    stride), initialised as Hann-windowed cosines at centre frequencies spaced
    geometrically from 1/16 to 0.8 of the Nyquist frequency (3.1 to 40 Hz at 100 Hz,
    covering theta to low gamma) and then learned; squaring, averaging over windows of
    about 1/32 of the trial and a log give log band-power envelopes (:class:`LogPower`).

    Two outputs are read from the envelopes (:meth:`encode`): time tokens for the
    fusion (a strided convolution, then adaptive pooling to ``n_tokens``), and a summary
    of each envelope's maximum and mean over time, which does not depend on when in the
    trial an event happened (a transient burst counts by its peak, an ongoing rhythm by
    its mean).

    Without the filter-bank initialisation, a learned temporal convolution fits a few
    hundred EEG trials by memorising their background noise instead of finding the
    band of a short burst; this initialisation is what lets it generalise across trials
    and subjects (a band-limited start, as in SincNet-style EEG models [4]_).

    Parameters
    ----------
    n_channels : int
    n_times : int
    d_model : int, default=64
        Token size.
    n_tokens : int, default=8
    n_spatial : int, default=16
        Spatial filters (at most ``n_channels``); 8 costs about half as much as 16.
    n_bands : int, default=8
        Band-pass filters per spatial filter.

    Attributes
    ----------
    centre_frequencies : ndarray of shape (n_bands,)
        Initial centre frequency of each band, as a share of the Nyquist frequency.
    summary_size : int
        ``2 * n_spatial * n_bands``.

    Notes
    -----
    Shapes:

    ``forward``: input ``(batch, n_channels, n_times)``, output ``(batch, n_tokens,
    d_model)``; ``encode`` also returns the summary ``(batch, summary_size)``.
    """

    def __init__(self, n_channels, n_times, d_model=64, n_tokens=8, n_spatial=16, n_bands=8):
        super().__init__()
        n_spatial = min(n_channels, n_spatial)
        n_filters = n_spatial * n_bands
        self.summary_size = 2 * n_filters
        self.centre_frequencies = np.geomspace(1 / 16, 0.8, n_bands)
        stride = max(1, round(n_times / 250))
        # 1.5 cycles of the lowest centre frequency (cycles per sample = share / 2)
        kernel = int(1.5 * 2 / self.centre_frequencies[0]) // 2 * 2 + 1
        length = (n_times - 1) // stride + 1
        self.spatial = nn.Conv1d(n_channels, n_spatial, 1)
        self.bank = PolyphaseConv1d(
            n_spatial,
            n_filters,
            kernel,
            stride=stride,
            padding=kernel // 2,
            groups=n_spatial,
            bias=False,
        )
        self.envelope = LogPower(max(1, round(length / 32)))
        self.tokens = nn.Sequential(
            nn.Conv1d(n_filters, d_model, 5, stride=2, padding=2),
            nn.GELU(),
            nn.AdaptiveAvgPool1d(n_tokens),
        )
        with torch.no_grad():
            bank = _cosine_bank(self.centre_frequencies, kernel)
            self.bank.weight.copy_(bank.repeat(n_spatial, 1, 1))

    def encode(self, x):
        """Tokens ``(batch, n_tokens, d_model)`` and summary ``(batch, summary_size)``."""
        power = self.envelope(self.bank(self.spatial(x)))
        summary = torch.cat([power.amax(dim=2), power.mean(dim=2)], dim=1)
        return self.tokens(power).transpose(1, 2), summary

    def forward(self, x):
        return self.encode(x)[0]


class PolyphaseConv1d(nn.Conv1d):
    """:class:`torch.nn.Conv1d` whose strided convolution runs on polyphase components.

    With stride ``s``, output ``t`` reads input samples ``s * t + k``; writing the tap
    ``k = s * a + r`` splits the input into its ``s`` phases ``x[s * n + r]`` and the
    kernel into ``s`` sub-kernels ``w[s * a + r]``, and the strided convolution becomes a
    convolution of stride 1 over ``s`` times as many channels and ``ceil(k / s)`` taps.
    The result is the same (same parameters, same output up to rounding); on CPU,
    PyTorch 2.x runs a grouped convolution with a stride (such as the filter bank of
    :class:`FilterBankEncoder`) markedly slower than this form.
    Only zero padding and dilation 1 are supported.

    Notes
    -----
    Shapes:

    As :class:`torch.nn.Conv1d`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.dilation != (1,) or self.padding_mode != "zeros" or isinstance(self.padding, str):
            raise ValueError("PolyphaseConv1d supports dilation=1 and integer zero padding only.")

    def _conv_forward(self, x, weight, bias):
        stride, pad = self.stride[0], self.padding[0]
        if stride == 1:
            return F.conv1d(x, weight, bias, padding=pad, groups=self.groups)
        kernel = weight.shape[-1]
        taps = -(-kernel // stride)
        n_phase = (x.shape[-1] + 2 * pad - kernel) // stride + taps
        # zero-pad (or crop) the input to n_phase whole strides, the kernel to taps strides
        x = F.pad(x, (pad, n_phase * stride - x.shape[-1] - pad))
        x = x.unflatten(-1, (n_phase, stride)).transpose(-1, -2).flatten(1, 2)
        weight = F.pad(weight, (0, taps * stride - kernel))
        weight = weight.unflatten(-1, (taps, stride)).transpose(-1, -2).flatten(1, 2)
        return F.conv1d(x, weight, bias, groups=self.groups)


def _cosine_bank(frequencies, kernel):
    """Unit-norm Hann-windowed cosines ``(n_bands, 1, kernel)``; frequencies: share of Nyquist."""
    t = torch.arange(kernel, dtype=torch.float32) - kernel // 2
    freqs = torch.as_tensor(frequencies, dtype=torch.float32)[:, None]
    bank = torch.cos(torch.pi * freqs * t) * torch.hann_window(kernel + 2, periodic=False)[1:-1]
    return (bank / bank.norm(dim=1, keepdim=True))[:, None, :]


def token_summary(tokens):
    """Mean and maximum of every token feature over the tokens, concatenated.

    Parameters
    ----------
    tokens : torch.Tensor of shape (batch, n_tokens, d_model)

    Returns
    -------
    summary : torch.Tensor of shape (batch, 2 * d_model)
    """
    return torch.cat([tokens.mean(dim=1), tokens.amax(dim=1)], dim=1)


class MLPEncoder(nn.Module):
    """Two-layer perceptron for tabular features, its output cut into tokens.

    Parameters
    ----------
    n_features : int
        Number of input features.
    d_model : int, default=64
        Hidden width and token size.
    n_tokens : int, default=4
        Number of output tokens.

    Notes
    -----
    Shapes:

    input ``(batch, n_features)``, output ``(batch, n_tokens, d_model)``.
    """

    def __init__(self, n_features, d_model=64, n_tokens=4):
        super().__init__()
        self.n_tokens = n_tokens
        self.d_model = d_model
        self.summary_size = n_tokens * d_model
        self.net = nn.Sequential(
            nn.Linear(n_features, 2 * d_model),
            nn.GELU(),
            nn.Linear(2 * d_model, 2 * d_model),
            nn.GELU(),
            nn.Linear(2 * d_model, n_tokens * d_model),
        )

    def forward(self, x):
        return self.net(x).view(x.shape[0], self.n_tokens, self.d_model)

    def encode(self, x):
        """Tokens and, as summary, all of them flattened (features have no time axis)."""
        tokens = self(x)
        return tokens, tokens.flatten(1)


def make_encoder(shape, d_model=64, n_tokens=8, power=False, kind=None, encoder=None):
    """Encoder for one modality from its trailing shape (and kind).

    Parameters
    ----------
    shape : tuple of int
        ``(n_channels, n_times)`` for a time series, ``(n_features,)`` for tabular data.
    d_model : int, default=64
        Token size.
    n_tokens : int, default=8
        Tokens of a time series; tabular modalities get ``max(1, n_tokens // 2)``.
    power : bool, default=False
        Log-power envelopes in the time-series encoder (see :class:`TemporalConvEncoder`).
    kind : str or None, default=None
        ``"eeg"`` gives a time series a :class:`FilterBankEncoder` (see
        :func:`skpid._multimodal.modality_kind`).
    encoder : torch.nn.Module, class, (class, dict) or None, default=None
        A user's encoder replacing the built-in one (see
        :func:`build_external_encoder`), wrapped in an :class:`ExternalEncoder`.

    Returns
    -------
    encoder : FilterBankEncoder, TemporalConvEncoder, MLPEncoder or ExternalEncoder
        Each has ``encode(x) -> (tokens, summary)``, ``summary_size`` and ``n_tokens``.
    """
    if encoder is not None:
        module = build_external_encoder(encoder, shape, d_model)
        return ExternalEncoder(module, shape, d_model=d_model, n_tokens=n_tokens)
    if len(shape) == 2 and kind == "eeg":
        return FilterBankEncoder(shape[0], shape[1], d_model=d_model, n_tokens=n_tokens)
    if len(shape) == 2:
        return TemporalConvEncoder(
            shape[0], shape[1], d_model=d_model, n_tokens=n_tokens, power=power
        )
    if len(shape) == 1:
        return MLPEncoder(shape[0], d_model=d_model, n_tokens=max(1, n_tokens // 2))
    raise ValueError(
        f"Cannot build an encoder for trailing shape {tuple(shape)}: expected (channels, "
        "times) or (features,)."
    )


class ModalityEncoder(nn.Module):
    """Encoder of one modality, chosen from its name and shape, with a pooled vector.

    :func:`make_encoder` gives the tokens and summary (a :class:`FilterBankEncoder` for
    EEG, see :func:`skpid._multimodal.modality_kind`); a linear layer and a GELU map the
    summary to the modality's representation ``H``, which does not depend on where in
    the trial an event happened (the tokens keep the timing, for the fusion).

    Parameters
    ----------
    name : str
        Modality name.
    shape : tuple of int
        Trailing shape, ``(channels, times)`` or ``(features,)``.
    d_model : int, default=64
    n_tokens : int, default=8
    power : bool, default=False
        Log-power envelopes in a :class:`TemporalConvEncoder`.
    kind : {"auto", "eeg", "nirs", None}, default="auto"
        Kind of the modality; ``"auto"`` decides from ``name`` and ``shape`` (see
        :func:`skpid._multimodal.modality_kind`).
    encoder : torch.nn.Module, class, (class, dict) or None, default=None
        A user's encoder replacing the built-in one (see :func:`make_encoder`).

    Attributes
    ----------
    n_tokens : int
        Number of tokens the encoder returns.

    Notes
    -----
    Shapes:

    input ``(batch, *shape)``; output ``(tokens (batch, n_tokens, d_model), H (batch,
    d_model))``.
    """

    def __init__(self, name, shape, d_model=64, n_tokens=8, power=False, kind="auto", encoder=None):
        super().__init__()
        if kind == "auto":
            kind = modality_kind(name, shape)
        self.encoder = make_encoder(
            shape, d_model=d_model, n_tokens=n_tokens, power=power, kind=kind, encoder=encoder
        )
        self.n_tokens = count_tokens(self.encoder, shape)
        self.pool = nn.Sequential(nn.Linear(self.encoder.summary_size, d_model), nn.GELU())

    def forward(self, x):
        tokens, summary = self.encoder.encode(x)
        return tokens, self.pool(summary)


def modality_encoder(name, shape, kinds=None, encoders=None, **kwargs):
    """:class:`ModalityEncoder` of modality ``name`` from a network's ``kinds`` and ``encoders``.

    A name missing from ``kinds`` gets ``kind="auto"``, one missing from ``encoders`` the
    built-in encoder; ``kwargs`` (``d_model``, ``n_tokens``, ``power``) go to
    :class:`ModalityEncoder`.
    """
    return ModalityEncoder(
        name,
        shape,
        kind=(kinds or {}).get(name, "auto"),
        encoder=(encoders or {}).get(name),
        **kwargs,
    )


def count_tokens(encoder, shape):
    """Number of tokens ``encoder`` gives for one trial of trailing shape ``shape``."""
    if isinstance(encoder, ExternalEncoder):
        return encoder.n_tokens  # no dry run through the user's module (batch norm stats)
    with torch.no_grad():
        return encoder(torch.zeros(2, *shape)).shape[1]


class ExternalEncoder(nn.Module):
    """A user's module ``(batch, *shape) -> (batch, d)`` as an encoder of skpid's networks.

    The module's output (flattened past the batch axis) is the summary; a linear layer
    maps it to ``n_tokens`` tokens of size ``d_model`` for the fusion.

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``(batch, *shape)`` to ``(batch, d)`` (or any trailing shape, flattened).
    shape : tuple of int
        Trailing shape of the modality, ``(channels, times)`` or ``(features,)``.
    d_model : int, default=64
    n_tokens : int, default=8

    Attributes
    ----------
    summary_size : int
        ``d``, the size of the module's output.

    Notes
    -----
    Shapes:

    ``forward``: input ``(batch, *shape)``, output ``(batch, n_tokens, d_model)``;
    ``encode`` also returns the summary ``(batch, summary_size)``.

    Raises
    ------
    ValueError
        The module fails on a batch of shape ``(2, *shape)`` or does not keep the batch
        axis.
    """

    def __init__(self, module, shape, d_model=64, n_tokens=8):
        super().__init__()
        self.module = module
        self.n_tokens = n_tokens
        self.d_model = d_model
        training = module.training
        module.eval()  # a dry run in evaluation mode leaves batch-norm statistics alone
        try:
            with torch.no_grad():
                out = module(torch.zeros(2, *shape))
        except (RuntimeError, ValueError, TypeError) as exc:
            raise ValueError(
                f"The encoder {type(module).__name__} fails on a batch of shape "
                f"{(2, *shape)}: {exc}. It must map (batch, channels, times) to (batch, d)."
            ) from exc
        finally:
            module.train(training)
        if not torch.is_tensor(out) or out.ndim < 2 or out.shape[0] != 2:
            got = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            raise ValueError(
                f"The encoder {type(module).__name__} must map (batch, *{tuple(shape)}) to a "
                f"tensor (batch, d); on a batch of 2 it returned {got}."
            )
        self.summary_size = int(out[0].numel())
        self.to_tokens = nn.Linear(self.summary_size, n_tokens * d_model)

    def encode(self, x):
        """Tokens ``(batch, n_tokens, d_model)`` and summary ``(batch, summary_size)``."""
        summary = self.module(x).flatten(1)
        tokens = self.to_tokens(summary).view(len(x), self.n_tokens, self.d_model)
        return tokens, summary

    def forward(self, x):
        return self.encode(x)[0]


def _is_module_class(obj):
    return isinstance(obj, type) and issubclass(obj, nn.Module)


def build_external_encoder(spec, shape, d_model):
    """The user's encoder module of one modality from an ``encoders`` entry.

    Parameters
    ----------
    spec : torch.nn.Module, class or (class, dict)
        A module instance (deep-copied, so that fitting leaves it untouched; its
        initial weights are the user's), or a module class (e.g. a braindecode model
        such as ``ShallowFBCSPNet``) built here with braindecode's keyword arguments
        ``n_chans``, ``n_times`` (time series) and ``n_outputs=d_model``, updated with
        the dict's.
    shape : tuple of int
        Trailing shape of the modality.
    d_model : int

    Returns
    -------
    module : torch.nn.Module
    """
    if isinstance(spec, nn.Module):
        return copy.deepcopy(spec)
    cls, kwargs = spec if isinstance(spec, tuple) else (spec, {})
    defaults = {"n_outputs": d_model}
    if len(shape) == 2:
        defaults.update(n_chans=shape[0], n_times=shape[1])
    return cls(**{**defaults, **kwargs})


def check_encoders(encoders, shapes):
    """Validate an ``encoders`` parameter against the modalities.

    Parameters
    ----------
    encoders : dict of str to spec, or None
        Modality name to a :class:`torch.nn.Module`, a module class, or ``(class,
        kwargs)`` (see :func:`build_external_encoder`).
    shapes : dict of str to tuple

    Raises
    ------
    ValueError
        A modality not in the data.
    TypeError
        An entry of another form.
    """
    for name, spec in (encoders or {}).items():
        if name not in shapes:
            raise ValueError(
                f"encoders names modality {name!r}, which is not one of {list(shapes)}."
            )
        ok = isinstance(spec, nn.Module) or _is_module_class(spec)
        if isinstance(spec, tuple):
            ok = len(spec) == 2 and _is_module_class(spec[0]) and isinstance(spec[1], dict)
        if not ok:
            raise TypeError(
                f"encoders[{name!r}] must be a torch.nn.Module, a module class (e.g. "
                "braindecode.models.ShallowFBCSPNet) or (class, kwargs); got "
                f"{type(spec).__name__}."
            )
