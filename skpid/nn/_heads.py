"""Projection heads and critics.

References
----------
.. [1] Chen et al., "A simple framework for contrastive learning of visual
   representations", ICML 2020 (non-linear projection heads).
.. [2] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual information",
   ICML 2020 (Gaussian variational network with a tanh-bounded log-variance).
.. [3] Poole et al., "On variational bounds of mutual information", ICML 2019
   (separable critics f(x, y) = a(x)^T b(y)).
"""

import math

import torch
from torch import nn

__all__ = ["BatchCentering", "GaussianCritic", "ProjectionHead", "SeparableCritic"]


class ProjectionHead(nn.Module):
    """Linear -> GELU -> Linear map from a representation to one block of components.

    Parameters
    ----------
    in_features : int
    out_features : int
    hidden : int, default=64
    norm : {None, "batch", "center"}, default=None
        Normalisation of the hidden layer over the batch, before the GELU: ``"batch"``
        is batch normalisation, as in SimCLR's projection head [1]_; ``"center"`` only
        subtracts the batch mean (:class:`BatchCentering`). A contrastive head needs one
        of them when its input has a large component common to all trials: without it,
        every trial's output starts out pointing the same way (mean cosine similarity
        ~0.99), and an InfoNCE term on a weak signal can stay at chance for the whole
        fit. In evaluation mode both use running statistics of training.

    Notes
    -----
    Shapes:

    input ``(batch, in_features)``, output ``(batch, out_features)``.
    """

    def __init__(self, in_features, out_features, hidden=64, norm=None):
        super().__init__()
        layers = {None: [], "batch": [nn.BatchNorm1d(hidden)], "center": [BatchCentering(hidden)]}
        if norm not in layers:
            raise ValueError(f"norm must be None, 'batch' or 'center', got {norm!r}.")
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            *layers[norm],
            nn.GELU(),
            nn.Linear(hidden, out_features),
        )

    def forward(self, x):
        return self.net(x)


class BatchCentering(nn.Module):
    """Subtract each feature's mean over the batch (in evaluation, its running mean).

    Batch normalisation without the division by the standard deviation: it removes the
    offset that all trials share and leaves the relative scale of the features as
    learned, so features that vary little (e.g. noise) are not amplified to unit
    variance.

    Parameters
    ----------
    n_features : int
    momentum : float, default=0.1
        Weight of the current batch in the running mean (as :class:`torch.nn.BatchNorm1d`).

    Notes
    -----
    Shapes:

    input and output ``(batch, n_features)``.
    """

    def __init__(self, n_features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(n_features))

    def forward(self, x):
        if not self.training:
            return x - self.running_mean
        mean = x.mean(0)
        with torch.no_grad():
            self.running_mean.lerp_(mean, self.momentum)
        return x - mean


class SeparableCritic(nn.Module):
    """Critic ``f(x, y) = a(x)^T b(y) / sqrt(k)`` scored on every pair of a batch [3]_.

    Used with :func:`skpid.losses.nce_lower_bound` (the critic maximises it) and
    :func:`skpid.losses.nce_club` (the representation minimises it).

    Parameters
    ----------
    x_features, y_features : int
        Sizes of the two inputs.
    hidden : int, default=64
        Width of the two embedding networks.
    embed : int, default=32
        Size ``k`` of the embeddings whose inner product is the score.

    Notes
    -----
    Shapes:

    input ``x (batch, x_features)``, ``y (batch, y_features)``; output ``(batch, batch)``
    with ``out[i, j] = f(x_i, y_j)``.
    """

    def __init__(self, x_features, y_features, hidden=64, embed=32):
        super().__init__()
        self.a = ProjectionHead(x_features, embed, hidden)
        self.b = ProjectionHead(y_features, embed, hidden)
        self.scale = 1 / math.sqrt(embed)

    def forward(self, x, y):
        return self.a(x) @ self.b(y).T * self.scale


class GaussianCritic(nn.Module):
    """Variational ``q(y | x) = N(mu(x), diag(exp(logvar(x))))`` for CLUB [2]_.

    Used with :func:`skpid.losses.gaussian_nll` (the critic minimises it) and
    :func:`skpid.losses.club` (the representation ``y`` minimises it).

    Parameters
    ----------
    x_features, y_features : int
        Sizes of the conditioning input and of the predicted representation.
    hidden : int, default=64

    Notes
    -----
    Shapes:

    input ``x (batch, x_features)``; output ``(mu, logvar)``, each ``(batch, y_features)``.
    """

    def __init__(self, x_features, y_features, hidden=64):
        super().__init__()
        self.mu = ProjectionHead(x_features, y_features, hidden)
        self.logvar = nn.Sequential(ProjectionHead(x_features, y_features, hidden), nn.Tanh())

    def forward(self, x):
        return self.mu(x), self.logvar(x)
