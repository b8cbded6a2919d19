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
"""

import torch
from torch import nn

__all__ = ["MLPEncoder", "TemporalConvEncoder", "make_encoder"]


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
        GELU-pool; used by :class:`skpid.nn.PIDNetwork`, where it lets the EEG encoder
        read band power and lateralisation more directly.

    Shapes
    ------
    input ``(batch, n_channels, n_times)``, output ``(batch, n_tokens, d_model)``.
    """

    def __init__(self, n_channels, n_times, d_model=64, n_tokens=8, power=False):
        super().__init__()
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


class LogPower(nn.Module):
    """Square, average over ``pool`` samples, log: the log band power of filtered input.

    The square-pool-log nonlinearity of ShallowConvNet [1]_; ``log`` is applied to
    ``power + 1e-2`` (in units of the standardised input) so that silent (e.g. masked)
    stretches stay finite and the gradient stays bounded.

    Shapes
    ------
    input ``(batch, filters, times)``, output ``(batch, filters, ceil(times / pool))``.
    """

    def __init__(self, pool=1):
        super().__init__()
        self.pool = nn.AvgPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity()

    def forward(self, x):
        return torch.log(self.pool(x * x) + 1e-2)


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

    Shapes
    ------
    input ``(batch, n_features)``, output ``(batch, n_tokens, d_model)``.
    """

    def __init__(self, n_features, d_model=64, n_tokens=4):
        super().__init__()
        self.n_tokens = n_tokens
        self.d_model = d_model
        self.net = nn.Sequential(
            nn.Linear(n_features, 2 * d_model),
            nn.GELU(),
            nn.Linear(2 * d_model, 2 * d_model),
            nn.GELU(),
            nn.Linear(2 * d_model, n_tokens * d_model),
        )

    def forward(self, x):
        return self.net(x).view(x.shape[0], self.n_tokens, self.d_model)


def make_encoder(shape, d_model=64, n_tokens=8, power=False):
    """Encoder for one modality from its trailing shape.

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

    Returns
    -------
    encoder : TemporalConvEncoder or MLPEncoder
    """
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
