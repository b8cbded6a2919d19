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

from torch import nn

__all__ = ["GaussianCritic", "ProjectionHead", "SeparableCritic"]


class ProjectionHead(nn.Module):
    """Linear -> GELU -> Linear map from a representation to one block of components.

    Parameters
    ----------
    in_features : int
    out_features : int
    hidden : int, default=64
    batch_norm : bool, default=False
        Batch normalisation of the hidden layer, before the GELU, as in SimCLR's
        projection head [1]_. A contrastive head needs it when its input has a large
        component common to all trials: without it, every trial's output starts out
        pointing the same way (mean cosine similarity ~0.99), and an InfoNCE term on a
        weak signal can stay at chance for the whole fit. In evaluation mode it uses the
        running statistics of training.

    Shapes
    ------
    input ``(batch, in_features)``, output ``(batch, out_features)``.
    """

    def __init__(self, in_features, out_features, hidden=64, batch_norm=False):
        super().__init__()
        norm = [nn.BatchNorm1d(hidden)] if batch_norm else []
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden), *norm, nn.GELU(), nn.Linear(hidden, out_features)
        )

    def forward(self, x):
        return self.net(x)


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

    Shapes
    ------
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

    Shapes
    ------
    input ``x (batch, x_features)``; output ``(mu, logvar)``, each ``(batch, y_features)``.
    """

    def __init__(self, x_features, y_features, hidden=64):
        super().__init__()
        self.mu = ProjectionHead(x_features, y_features, hidden)
        self.logvar = nn.Sequential(ProjectionHead(x_features, y_features, hidden), nn.Tanh())

    def forward(self, x):
        return self.mu(x), self.logvar(x)
