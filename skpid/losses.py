"""Contrastive objectives and mutual-information bounds, as plain torch functions.

Every function takes batches whose first axis is the sample and returns a scalar tensor
that can be back-propagated. Representations are compared by cosine similarity where
the function says so.

References
----------
.. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive predictive
   coding", arXiv:1807.03748, 2018 (InfoNCE).
.. [2] Radford et al., "Learning transferable visual models from natural language
   supervision", ICML 2021 (symmetric cross-modal InfoNCE).
.. [3] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual information",
   ICML 2020.
.. [4] Liang et al., "Factorized contrastive learning: going beyond multi-view
   redundancy", NeurIPS 2023 (NCE-CLUB: CLUB with the critic learned by InfoNCE).
.. [5] Zbontar et al., "Barlow twins: self-supervised learning via redundancy
   reduction", ICML 2021 (penalty on a batch cross-correlation matrix).
.. [6] Tsai et al., "Conditional contrastive learning with kernel", ICLR 2022
   (negatives weighted by the similarity of a conditioning variable).
"""

import math

import torch
import torch.nn.functional as F

__all__ = [
    "club",
    "correlation_matrix",
    "cross_correlation_penalty",
    "gated_info_nce",
    "gaussian_nll",
    "info_nce",
    "nce_club",
    "nce_lower_bound",
]


def _check_pair(a, b, name_a, name_b):
    if not (torch.is_tensor(a) and torch.is_tensor(b)):
        raise TypeError(
            f"{name_a} and {name_b} must be torch tensors, got {type(a).__name__} and "
            f"{type(b).__name__}. Convert with torch.as_tensor."
        )
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(
            f"{name_a} and {name_b} must be 2-D (batch, features), got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}. Flatten the trailing axes first."
        )
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must hold the same samples (same batch size), got "
            f"{a.shape[0]} and {b.shape[0]} rows. Pair the i-th row of one with the i-th "
            "row of the other."
        )
    if a.shape[0] < 2:
        raise ValueError(
            f"A contrastive loss needs at least 2 samples per batch, got {a.shape[0]}. "
            "Use a larger batch."
        )


def info_nce(z1, z2, temperature=0.1, symmetric=True, condition=None):
    """InfoNCE loss between two paired batches, on cosine similarity.

    Row ``i`` of ``z1`` and row ``i`` of ``z2`` are a positive pair; every other row of
    the batch is a negative. ``log(batch) - info_nce`` is a lower bound of the mutual
    information between the two representations [1]_; the symmetric form averages the
    two directions as in CLIP [2]_.

    With a ``condition``, the ``n - 1`` negatives of anchor ``i`` count with weights
    ``(n - 1) * softmax_j(cos(c_i, c_j) / temperature)`` (``j != i``) instead of 1: a
    kernel estimate of contrasting against trials that share the anchor's condition
    [3]_. What the condition determines then no longer tells the positive from the
    negatives, so the representation gains nothing by encoding it (conditioned on the
    other modalities' redundant representations, a modality's own block keeps what is
    unique to it). A constant condition gives the plain loss.

    Parameters
    ----------
    z1, z2 : torch.Tensor of shape (batch, dim1) and (batch, dim2)
        Paired representations; ``dim1`` must equal ``dim2``.
    temperature : float, default=0.1
        Softmax temperature (> 0); 0.1 is the value used by CoMM. It also scales the
        similarities of ``condition``.
    symmetric : bool, default=True
        Average the ``z1 -> z2`` and ``z2 -> z1`` cross-entropies.
    condition : torch.Tensor of shape (batch, dim_c) or None, default=None
        Conditioning variable of each pair, compared by cosine similarity; no gradient
        flows into it.

    Returns
    -------
    loss : torch.Tensor of shape ()
        Mean cross-entropy of identifying the positive among the (weighted) batch.

    References
    ----------
    .. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive
       predictive coding", arXiv:1807.03748, 2018.
    .. [2] Radford et al., "Learning transferable visual models from natural language
       supervision", ICML 2021.
    .. [3] Tsai et al., "Conditional contrastive learning with kernel", ICLR 2022.

    Examples
    --------
    Aligned pairs give a lower loss than shuffled ones:

    >>> import torch
    >>> from skpid.losses import info_nce
    >>> g = torch.Generator().manual_seed(0)
    >>> z = torch.randn(32, 8, generator=g)
    >>> aligned = info_nce(z, z + 0.1 * torch.randn(32, 8, generator=g))
    >>> shuffled = info_nce(z, z[torch.randperm(32, generator=g)])
    >>> aligned.shape, bool(aligned < shuffled)
    (torch.Size([]), True)
    """
    _check_pair(z1, z2, "z1", "z2")
    if z1.shape[1] != z2.shape[1]:
        raise ValueError(
            f"z1 and z2 must have the same dimension to be compared by cosine similarity, "
            f"got {z1.shape[1]} and {z2.shape[1]}. Project them to a common size first."
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature
    shift = 0.0
    if condition is not None:
        _check_pair(z1, condition, "z1", "condition")
        shift = _log_negative_weights(condition.detach(), temperature)
    target = torch.arange(len(z1), device=z1.device)
    loss = F.cross_entropy(logits + shift, target)
    if symmetric:
        # anchor i of z2 weighs its negatives as anchor i of z1 does
        loss = 0.5 * (loss + F.cross_entropy(logits.T + shift, target))
    return loss


def gated_info_nce(z1, z2, temperature=0.1):
    """Symmetric InfoNCE on dot products, so the norm of the rows sets the sharpness.

    Unlike :func:`info_nce` (cosine similarity), the rows are not normalised: with
    ``z = g u``, ``|u| = 1``, the logits are ``g^2 cos / temperature`` and a gate ``g``
    near 0 makes the loss ``log(batch)`` whatever the pairing. The deep HCL
    (:class:`skpid.nn.HCLObjective`) uses it so that a structure's gate acts as an
    inverse temperature.

    Parameters
    ----------
    z1, z2 : torch.Tensor of shape (batch, dim)
        Paired representations (row ``i`` of each is a positive pair).
    temperature : float, default=0.1

    Returns
    -------
    loss : torch.Tensor of shape ()

    Examples
    --------
    A closed gate gives chance, ``log(batch)``; a wider one sharpens the contrast:

    >>> import math
    >>> import torch
    >>> from skpid.losses import gated_info_nce
    >>> z = torch.nn.functional.normalize(torch.eye(8), dim=1)
    >>> round(float(gated_info_nce(0 * z, 0 * z)), 4) == round(math.log(8), 4)
    True
    >>> bool(gated_info_nce(2 * z, 2 * z) < gated_info_nce(z, z))
    True
    """
    logits = z1 @ z2.T / temperature
    target = torch.arange(len(z1), device=z1.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def _log_negative_weights(condition, temperature):
    """``(batch, batch)`` log weights of the negatives of each row (0 on the diagonal)."""
    n = len(condition)
    c = F.normalize(condition, dim=1)
    diagonal = torch.eye(n, dtype=torch.bool, device=c.device)
    kernel = (c @ c.T / temperature).masked_fill(diagonal, -torch.inf)
    log_w = torch.log_softmax(kernel, dim=1) + math.log(n - 1)
    return log_w.masked_fill(diagonal, 0.0)


def _check_scores(scores):
    if not torch.is_tensor(scores) or scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        shape = tuple(scores.shape) if torch.is_tensor(scores) else type(scores).__name__
        raise ValueError(
            "scores must be a square tensor (batch, batch) of critic values f(x_i, y_j), "
            f"got {shape}. Evaluate the critic on every pair of the batch."
        )
    if scores.shape[0] < 2:
        raise ValueError(
            f"A contrastive bound needs at least 2 samples per batch, got {scores.shape[0]}."
        )


def nce_lower_bound(scores):
    """InfoNCE lower bound of I(X; Y) from a matrix of critic scores.

    ``scores[i, j] = f(x_i, y_j)``; the diagonal holds the jointly drawn pairs. The bound is
    ``log(batch) + mean_i log softmax_j(scores[i, :])[i]`` [1]_. A critic is trained by
    maximising it.

    Parameters
    ----------
    scores : torch.Tensor of shape (batch, batch)
        Critic values of every pair.

    Returns
    -------
    bound : torch.Tensor of shape ()
        Lower bound in nats, at most ``log(batch)``.

    References
    ----------
    .. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive
       predictive coding", arXiv:1807.03748, 2018.

    Examples
    --------
    A critic that scores the jointly drawn pairs far above the others reaches the ceiling
    ``log(batch)``:

    >>> import math
    >>> import torch
    >>> from skpid.losses import nce_lower_bound
    >>> scores = 20.0 * torch.eye(16)
    >>> round(nce_lower_bound(scores).item(), 3), round(math.log(16), 3)
    (2.773, 2.773)
    >>> nce_lower_bound(torch.zeros(16, 16)).item()  # a critic that sees no difference
    0.0
    """
    _check_scores(scores)
    n = scores.shape[0]
    return math.log(n) + torch.diagonal(F.log_softmax(scores, dim=1)).mean()


def nce_club(scores):
    """NCE-CLUB upper-bound estimate of I(X; Y) from a matrix of critic scores.

    CLUB [1]_ bounds mutual information from above by the gap between the (log-)density
    ratio on joint pairs and on independent pairs. NCE-CLUB [2]_ uses for that ratio a
    critic trained separately by :func:`nce_lower_bound`, so this is
    ``mean_i f(x_i, y_i) - mean_{i != j} f(x_i, y_j)``. Minimise it with respect to the
    representations while the critic is held fixed (train the critic in its own step).

    Parameters
    ----------
    scores : torch.Tensor of shape (batch, batch)
        Critic values of every pair; the diagonal holds the jointly drawn pairs.

    Returns
    -------
    estimate : torch.Tensor of shape ()
        Zero when the critic scores joint and independent pairs alike.

    References
    ----------
    .. [1] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual
       information", ICML 2020.
    .. [2] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.

    Examples
    --------
    >>> import torch
    >>> from skpid.losses import nce_club
    >>> nce_club(torch.ones(8, 8)).item()  # joint and independent pairs scored alike
    0.0
    >>> nce_club(torch.eye(8)).item()  # joint pairs 1 above the others
    1.0
    """
    _check_scores(scores)
    n = scores.shape[0]
    positive = torch.diagonal(scores).mean()
    negative = (scores.sum() - torch.diagonal(scores).sum()) / (n * (n - 1))
    return positive - negative


def _check_gaussian(mu, logvar, y):
    _check_pair(mu, y, "mu", "y")
    if mu.shape != y.shape or logvar.shape != y.shape:
        raise ValueError(
            f"mu, logvar and y must have the same shape (batch, dim), got {tuple(mu.shape)}, "
            f"{tuple(logvar.shape)} and {tuple(y.shape)}."
        )


def gaussian_nll(mu, logvar, y):
    """Negative log-likelihood of ``y`` under ``N(mu, exp(logvar))``, up to a constant.

    Trains the variational network ``q(y | x) = N(mu(x), diag(exp(logvar(x))))`` of
    :func:`club` by maximum likelihood [1]_.

    Parameters
    ----------
    mu, logvar, y : torch.Tensor of shape (batch, dim)
        Predicted mean and log-variance of ``y`` given ``x``, and the observed ``y``.

    Returns
    -------
    nll : torch.Tensor of shape ()
        Mean over the batch of ``sum_d ((y - mu)^2 / exp(logvar) + logvar) / 2``.

    References
    ----------
    .. [1] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual
       information", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> from skpid.losses import gaussian_nll
    >>> y = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    >>> gaussian_nll(y, torch.zeros_like(y), y).item()  # exact means, unit variance
    0.0
    >>> gaussian_nll(torch.zeros_like(y), torch.zeros_like(y), y).item()  # mean sum of y^2 / 2
    1.5
    """
    _check_gaussian(mu, logvar, y)
    return 0.5 * ((y - mu).pow(2) / logvar.exp() + logvar).sum(1).mean()


def club(mu, logvar, y):
    """CLUB upper-bound estimate of I(X; Y) with a Gaussian variational ``q(y | x)``.

    CLUB [1]_ is ``E_p(x,y)[log q(y|x)] - E_p(x)E_p(y)[log q(y|x)]``, the second
    expectation over every pair of the batch. With the mean fixed by a trained regressor
    ``mu(x)``, it grows with how much of ``y``'s variance ``x`` explains: it is zero when
    ``E[y | x]`` does not depend on ``x`` (then no linear probe on ``y`` can read anything
    about ``x`` from its mean). Minimise it with respect to ``y`` while ``q`` is trained by
    :func:`gaussian_nll`.

    Parameters
    ----------
    mu, logvar : torch.Tensor of shape (batch, dim)
        Output of the variational network on ``x``.
    y : torch.Tensor of shape (batch, dim)
        The representation whose information about ``x`` is bounded.

    Returns
    -------
    estimate : torch.Tensor of shape ()
        In nats; zero in expectation when ``q`` ignores ``x``.

    References
    ----------
    .. [1] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual
       information", ICML 2020.

    Examples
    --------
    A regressor that predicts ``y`` from ``x`` (here: ``mu = x``) gives a positive estimate
    when ``y`` depends on ``x`` and about zero when it does not:

    >>> import torch
    >>> from skpid.losses import club
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(256, 2, generator=g)
    >>> logvar = torch.zeros(256, 2)
    >>> dependent = club(x, logvar, x + 0.1 * torch.randn(256, 2, generator=g))
    >>> independent = club(torch.zeros(256, 2), logvar, torch.randn(256, 2, generator=g))
    >>> bool(dependent > 1.0), abs(independent.item()) < 1e-6
    (True, True)
    """
    _check_gaussian(mu, logvar, y)
    inv_var = (-logvar).exp()
    positive = -0.5 * ((y - mu).pow(2) * inv_var).sum(1)
    # mean over j of (y_j - mu_i)^2, from the first two moments of y over the batch
    y_mean, y_sq_mean = y.mean(0, keepdim=True), y.pow(2).mean(0, keepdim=True)
    all_pairs = y_sq_mean - 2 * mu * y_mean + mu.pow(2)
    negative = -0.5 * (all_pairs * inv_var).sum(1)
    return (positive - negative).mean()


def correlation_matrix(z, eps=1e-5):
    """Correlation matrix of the columns of ``z`` over the batch.

    Parameters
    ----------
    z : torch.Tensor of shape (batch, dim)
    eps : float, default=1e-5
        Added to the variance so that constant features do not divide by zero.

    Returns
    -------
    corr : torch.Tensor of shape (dim, dim)

    Examples
    --------
    >>> import torch
    >>> from skpid.losses import correlation_matrix
    >>> z = torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.5]])
    >>> corr = correlation_matrix(z)
    >>> corr.shape, torch.allclose(corr.diagonal(), torch.ones(2), atol=1e-4)
    (torch.Size([2, 2]), True)
    """
    if not torch.is_tensor(z) or z.ndim != 2 or z.shape[0] < 2:
        raise ValueError("z must be a (batch, dim) tensor with at least 2 rows.")
    z = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + eps)
    return z.T @ z / z.shape[0]


def cross_correlation_penalty(a, b, eps=1e-5):
    """Mean squared cross-correlation between the features of two batches.

    Each feature is standardised over the batch, then the (dim_a, dim_b) correlation
    matrix ``a_std.T @ b_std / batch`` is formed as in Barlow Twins [1]_; its mean square
    is zero when no feature of ``a`` is linearly correlated with a feature of ``b``.

    Parameters
    ----------
    a, b : torch.Tensor of shape (batch, dim_a) and (batch, dim_b)
        Two blocks computed from the same samples.
    eps : float, default=1e-5
        Added to the variance so that constant features do not divide by zero.

    Returns
    -------
    penalty : torch.Tensor of shape ()
        Mean of the squared correlations, in [0, 1].

    References
    ----------
    .. [1] Zbontar et al., "Barlow twins: self-supervised learning via redundancy
       reduction", ICML 2021.

    Examples
    --------
    >>> import torch
    >>> from skpid.losses import cross_correlation_penalty
    >>> g = torch.Generator().manual_seed(0)
    >>> a = torch.randn(512, 3, generator=g)
    >>> round(cross_correlation_penalty(a, a[:, :1]).item(), 2)  # 1 of 3 pairs correlated
    0.33
    >>> cross_correlation_penalty(a, torch.randn(512, 2, generator=g)).item() < 0.01
    True
    """
    _check_pair(a, b, "a", "b")
    corr = correlation_matrix(torch.cat([a, b], dim=1), eps)[: a.shape[1], a.shape[1] :]
    return corr.pow(2).mean()
