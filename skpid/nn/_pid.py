"""PIDDecomposer's torch side: :class:`PIDNetwork` (one head per PID atom) and its
training objective :class:`PIDObjective`, with the jointly trained critics."""

import copy
from itertools import combinations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._multimodal import SIDE_KEY
from ..losses import club, cross_correlation_penalty, gaussian_nll, info_nce
from ._encoders import modality_encoder
from ._heads import GaussianCritic, ProjectionHead

__all__ = ["DEFAULT_LOSS_WEIGHTS", "PIDNetwork", "PIDObjective", "cross_products"]


def _sphere(z):
    """Rows on the sphere of radius sqrt(size): unit variance per coordinate."""
    return F.normalize(z, dim=1) * z.shape[1] ** 0.5


def _projection(d_model, size, norm="batch"):
    # normalised over the batch: the encoders' representations share a large offset over
    # trials, on which the cross-modal InfoNCE of R could stay at chance for whole fits
    return ProjectionHead(d_model, size, d_model, norm=norm)


def cross_products(blocks):
    """Products of every coordinate of one block with every coordinate of another.

    For blocks ``a_1, ..., a_M`` this is the concatenation, over pairs ``m < n``, of the
    flattened outer products ``a_m[:, i] * a_n[:, j]``: the second-order interaction
    features of tensor fusion [1]_ without the terms within one block. When the blocks
    are centred and independent of each other, every product is uncorrelated with any
    function of a single block, yet the XOR of a sign in ``a_m`` and a sign in ``a_n``
    is a linear function of them.

    Parameters
    ----------
    blocks : list of torch.Tensor or ndarray of shape (batch, k_m)
        At least two.

    Returns
    -------
    products : torch.Tensor or ndarray of shape (batch, sum_{m<n} k_m k_n)

    References
    ----------
    .. [1] Zadeh et al., "Tensor fusion network for multimodal sentiment analysis",
       EMNLP 2017.
    """
    pairs = [
        (a[:, :, None] * b[:, None, :]).reshape(len(a), -1) for a, b in combinations(blocks, 2)
    ]
    if isinstance(pairs[0], torch.Tensor):
        return torch.cat(pairs, dim=1)
    return np.concatenate(pairs, axis=1)


class _FrozenTarget(nn.Module):
    """Reconstruction target of a time-series modality, fixed for the whole fit.

    The summary of a frozen copy of the modality's encoder at initialisation (before
    the layer that pools it into ``H``: a random-feature summary; for EEG, the maximum
    and mean over time of the log power of random spatial filters in the filter bank's
    bands), next to the input averaged in ``n_windows`` equal windows per channel (the
    slow course of the trial, e.g. a haemodynamic response). A target that followed the
    trained encoder could be met by collapsing it.

    Parameters
    ----------
    encoder : module
        The modality's encoder (with ``encode(x) -> (tokens, summary)`` and
        ``summary_size``); a frozen copy is kept.
    n_channels, n_windows : int

    Attributes
    ----------
    size : int
        Width of the target, ``encoder.summary_size + n_channels * n_windows``.

    Notes
    -----
    Shapes: input ``(batch, n_channels, times)``, output ``(batch, size)``.
    """

    def __init__(self, encoder, n_channels, n_windows):
        super().__init__()
        self.encoder = copy.deepcopy(encoder).requires_grad_(False).eval()
        self.n_windows = n_windows
        self.size = encoder.summary_size + n_channels * n_windows

    def train(self, mode=True):  # always in evaluation mode: no batch-norm statistics move
        return super().train(False)

    def forward(self, x):
        with torch.no_grad():
            summary = self.encoder.encode(x)[1]
            pooled = F.adaptive_avg_pool1d(x, self.n_windows).flatten(1)
            return torch.cat([summary, pooled], dim=1)


class PIDNetwork(nn.Module):
    """Encoders per modality, redundancy and unique heads, a decoder per modality.

    For each modality ``m`` two encoders of the same architecture (chosen from its name
    and trailing shape, see :class:`ModalityEncoder`; the second a copy of the first,
    trained apart) give shift-invariant representations ``H_m`` and ``G_m`` (a filter
    bank with log band power for EEG); a head maps ``H_m`` to the redundancy embedding
    ``R_m``, another maps ``G_m`` to the unique embedding ``U_m``. A decoder maps the
    other modalities' ``R_n`` and ``U_m`` to a reconstruction target of the
    modality: the standardised input for tabular data; for time series, the summary
    of a frozen copy of the encoder at initialisation and the input averaged in
    ``n_tokens`` windows per channel (see :class:`PIDObjective`).
    The synergy block is the cross-modal products of the unique blocks
    (:func:`cross_products`): it has no parameters of its own.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each modality, ``(channels, times)`` or ``(features,)``.
    n_components : dict of str to int
        Size of each block: ``"R"`` and ``"U_<modality>"`` for every modality.
    d_model : int, default=64
        Representation and hidden size.
    n_tokens : int, default=8
        Tokens per time-series modality (half as many for tabular ones).
    n_classes : int, default=0
        When > 0, a linear classifier on the concatenated blocks (supervised mode).
    targets : dict of str to int or None, default=None
        Modality name to the number of features of a physiological target of its
        unique block (an opt-in prior of
        :class:`~skpid.decomposition.PIDDecomposer`). When the side inputs (see Shapes)
        hold ``targets[m]``, the forward pass returns it as ``T_<m>`` with a linear
        prediction ``A_<m>`` from the normalised unique block. The network computes no
        target itself.
    coupling : tuple of int or None, default=None
        Shape ``(n_rows, n_lags)`` of a neurovascular coupling profile (see
        :func:`skpid.physiology.coupling_profile`): a coupling head (a perceptron of the
        profile alone, of width ``n_components["R"]``) then gives the block ``C``, and the
        side input ``coupling_profile`` is required. When the side input
        ``synergy_target`` ``(batch, 1)`` is given (e.g. the coupling delay), a linear
        prediction ``A_synergy`` of it from the normalised ``C`` is returned with it as
        ``T_synergy``.
    kinds : dict of str to str or None, default=None
        Kind of each modality (``"eeg"``, ``"nirs"`` or None, see
        :func:`skpid._multimodal.modality_kind`); None decides from the names.
    encoders : dict of str to module, class or (class, dict), or None, default=None
        User encoders replacing the built-in ones (see
        :func:`skpid.nn.build_external_encoder`).

    Notes
    -----
    Shapes:

    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and, optionally,
    side inputs under the reserved key :data:`skpid._multimodal.SIDE_KEY`: a dict with
    ``targets`` (modality name to ``(batch, n_target_features)``), ``synergy_target``
    ``(batch, 1)`` and ``coupling_profile`` ``(batch, n_rows, n_lags)``. It returns a
    dict: ``H_<m>`` and ``G_<m>`` ``(batch, d_model)``, ``R_<m>`` ``(batch,
    n_components["R"])``, ``U_<m>`` ``(batch, n_components["U_<m>"])``, with the
    coupling head ``C`` ``(batch, n_components["R"])`` and, with classes, ``logits``
    ``(batch, n_classes)``. In
    training also ``R_<m>_head`` and ``U_<m>_head``, the heads applied to the detached
    ``H_<m>`` and ``G_<m>`` (same values; the penalties of :class:`PIDObjective` use them
    so that they shape the heads, not the encoders). Always: ``Y_<m>`` and ``Yhat_<m>``,
    the reconstruction target ``(batch, n_target)`` and the decoder's output (not from
    :meth:`embed`, which gives the rest, for transforming new trials); with targets,
    ``T_<m>`` and ``A_<m>`` ``(batch, n_target_features)``; with the synergy target,
    ``T_synergy`` and ``A_synergy`` ``(batch, 1)``.
    """

    def __init__(
        self,
        shapes,
        n_components,
        d_model=64,
        n_tokens=8,
        n_classes=0,
        targets=None,
        coupling=None,
        kinds=None,
        encoders=None,
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.unique_encoders = nn.ModuleList()
        self.redundant = nn.ModuleList()
        self.unique = nn.ModuleList()
        self.decoders = nn.ModuleList()
        self.recon_targets = nn.ModuleList()
        n_r = n_components["R"]
        for name, shape in shapes.items():
            encoder = modality_encoder(
                name, shape, kinds, encoders, d_model=d_model, n_tokens=n_tokens, power=True
            )
            self.encoders.append(encoder)
            # its own copy for the unique path: sharing one encoder with the redundancy
            # path lets the cross-modal term crowd the private factors out of it
            self.unique_encoders.append(copy.deepcopy(encoder))
            self.redundant.append(_projection(d_model, n_r))
            # centring only: with unit variance for every hidden unit, the within-modality
            # InfoNCE tends to spread U over trial-specific noise
            n_u = n_components[f"U_{name}"]
            self.unique.append(_projection(d_model, n_u, norm="center"))
            tabular = len(shape) == 1
            if tabular:
                target, n_target = nn.Flatten(), int(shape[0])
            else:
                target = _FrozenTarget(encoder.encoder, int(shape[0]), n_tokens)
                n_target = target.size
            self.recon_targets.append(target)
            self.decoders.append(
                nn.Sequential(
                    nn.Linear(n_r * (len(shapes) - 1) + n_u, d_model),
                    nn.GELU(),
                    nn.Linear(d_model, n_target),
                )
            )
        self.sizes = {"R": n_r, **{f"U_{m}": n_components[f"U_{m}"] for m in self.modalities}}
        self.coupling = tuple(coupling) if coupling else None
        if self.coupling is not None:
            n_profile = int(torch.Size(self.coupling).numel())
            self.coupling_mlp = nn.Sequential(
                nn.Flatten(),
                nn.LayerNorm(n_profile),
                nn.Linear(n_profile, d_model),
                nn.GELU(),
                nn.Linear(d_model, d_model),
            )
            self.coupling_head = _projection(d_model, n_r)
            self.synergy_predictor = nn.Linear(n_r, 1)
        n_out = sum(self.block_sizes().values())
        self.classifier = nn.Linear(n_out, n_classes) if n_classes > 0 else None
        self.targets = dict(targets or {})
        self.predictors = nn.ModuleDict(
            {m: nn.Linear(n_components[f"U_{m}"], int(k)) for m, k in self.targets.items()}
        )

    def block_sizes(self):
        """Width of each block of :meth:`blocks`: ``R``, ``U_<m>``..., ``S`` (and ``C``)."""
        sizes = dict(self.sizes)
        units = [sizes[f"U_{m}"] for m in self.modalities]
        sizes["S"] = sum(a * b for a, b in combinations(units, 2))
        if self.coupling is not None:
            sizes["C"] = self.sizes["R"]
        return sizes

    def forward(self, **X):
        out = self.embed(**X)
        for i, name in enumerate(self.modalities):
            out[f"Y_{name}"] = self.recon_targets[i](X[name])
            # what the other modalities' redundancy embeddings give, and U_m
            shared = [_sphere(out[f"R_{n}"]) for n in self.modalities if n != name]
            code = torch.cat([*shared, _sphere(out[f"U_{name}"])], dim=1)
            out[f"Yhat_{name}"] = self.decoders[i](code)
        if self.classifier is not None:
            out["logits"] = self.classifier(torch.cat(list(self.blocks(out).values()), dim=1))
        return out

    def embed(self, **X):
        """``forward`` without the reconstruction and the classifier (what
        :meth:`blocks` needs: the embedding of new trials)."""
        side = X.get(SIDE_KEY, {})
        targets = side.get("targets", {})
        out = {}
        for i, name in enumerate(self.modalities):
            _, h = self.encoders[i](X[name])
            out[f"H_{name}"] = h
            out[f"R_{name}"] = self.redundant[i](h)
            _, g = self.unique_encoders[i](X[name])
            out[f"G_{name}"] = g
            out[f"U_{name}"] = self.unique[i](g)
            if self.training:
                # the heads alone, for the penalties that keep each block off the others
                out[f"R_{name}_head"] = self.redundant[i](h.detach())
                out[f"U_{name}_head"] = self.unique[i](g.detach())
            if name in self.targets and name in targets:
                out[f"T_{name}"] = targets[name]
                out[f"A_{name}"] = self.predictors[name](_sphere(out[f"U_{name}"]))
        if self.coupling is not None:
            if "coupling_profile" not in side:
                raise ValueError(
                    "This network fuses a coupling profile: pass "
                    f"X[{SIDE_KEY!r}]['coupling_profile'] of shape "
                    f"(batch, {self.coupling[0]}, {self.coupling[1]})."
                )
            # the profile alone: with the representations, the head also copies what
            # both modalities share, which then reads as synergy across subjects
            out["C"] = self.coupling_head(self.coupling_mlp(side["coupling_profile"]))
            if "synergy_target" in side:
                out["T_synergy"] = side["synergy_target"]
                out["A_synergy"] = self.synergy_predictor(_sphere(out["C"]))
        return out

    def blocks(self, out):
        """The PID blocks from a ``forward`` or ``embed`` output.

        ``R`` is the mean of the normalised per-modality redundancy embeddings (they are
        aligned by the cross-modal loss); ``U_<m>`` are the normalised unique embeddings
        and ``S`` their cross-modal products (:func:`cross_products`); with a coupling
        head, ``C`` its normalised output. Returns a dict in the order R, U_<m>..., S, C.
        """
        blocks = {
            "R": torch.stack([F.normalize(out[f"R_{m}"], dim=1) for m in self.modalities]).mean(0)
        }
        for m in self.modalities:
            blocks[f"U_{m}"] = F.normalize(out[f"U_{m}"], dim=1)
        blocks["S"] = cross_products([blocks[f"U_{m}"] for m in self.modalities])
        if "C" in out:
            blocks["C"] = F.normalize(out["C"], dim=1)
        return blocks


#: Weight of each term of the objective; ``supervised`` is used only in supervised mode,
#: ``auxiliary`` only for modalities with physiological targets.
DEFAULT_LOSS_WEIGHTS = {
    "redundant": 1.0,
    "unique": 1.0,
    "reconstruction": 10.0,
    "mi_unique": 10.0,
    "decorrelation": 10.0,
    "supervised": 1.0,
    # the targets are a few standardised numbers, whose squared error is small next to
    # the InfoNCE terms (log batch size at chance); a large weight lets them shape the
    # unique blocks
    "auxiliary": 15.0,
}


def _standardise(t):
    """Zero mean, unit variance per column over the batch (constant columns stay 0)."""
    return (t - t.mean(0)) / t.std(0).clamp_min(1e-6)


def _head(out, name):
    """Block ``name`` computed by its head on the detached representation, if given."""
    return out.get(f"{name}_head", out[name])


def _detach(out):
    return {k: v.detach() for k, v in out.items()}


class PIDObjective(nn.Module):
    """Loss terms that push each head of :class:`skpid.nn.PIDNetwork` onto one PID atom.

    With two augmented views ``a`` and ``b`` of a batch:

    - ``redundant``: cross-modal InfoNCE between ``R_m`` of one view and ``R_n`` of the
      other, for every pair of modalities: only what both modalities carry aligns.
    - ``reconstruction``: mean squared error of each modality's decoder, from the other
      modalities' ``R_n`` and ``U_m`` of one view, predicting the reconstruction target of
      modality ``m`` in the other view, standardised over the batch (a denoising
      auto-encoder across views [3]_). What ``R_n`` can contribute is only what modality
      ``n`` shares with ``m`` (its private factors do not predict ``m``), so the term
      makes the redundancy embeddings a complete code of the shared content, and ``U_m``
      takes up what ``m`` holds beyond it: every private factor, not only the few that
      tell trials apart most easily (which is all that a contrastive term needs).
    - ``unique``: InfoNCE between ``U_m(a)`` and ``U_m(b)``, mean over modalities, with
      the negatives weighted towards trials whose other modalities' ``R_n`` resemble the
      anchor's (conditional InfoNCE, see :func:`skpid.losses.info_nce`): telling trials
      apart by what other modalities also carry does not lower it.
    - ``mi_unique``: CLUB estimate of I(U_m; H_{-m}), H_{-m} the representations of all
      other modalities (detached), so ``U_m`` drops what other modalities also carry.
      ``U_m`` is here the output of its head on the detached representation of its own
      encoder (``U_<m>_head`` of the network in training): the penalty reshapes the
      head, while the reconstruction keeps the encoder's representation complete.
    - ``decorrelation``: mean squared cross-correlation between ``R_m`` (held fixed) and
      every ``U_n``, and between the ``U`` of different modalities (both from their
      heads). With physiological targets, also between every ``R_n`` (from its head)
      and each target ``T_m``: the targets measure what one modality alone carries.
    - ``auxiliary`` (only with opt-in physiological priors, see
      :mod:`skpid.decomposition._priors`): mean squared error of the linear prediction
      ``A_m`` from ``U_m`` of the target ``T_m`` computed from the input, standardised
      over the batch. With a synergy target (``T_synergy``, e.g. the neurovascular
      coupling delay) the same error of its prediction from the coupling head joins the
      mean.
    - ``supervised`` (only when the network has a classifier): cross-entropy of its
      logits on both views.

    The synergy block (the cross-modal products of the unique blocks) has no term of
    its own: it holds the interactions of whatever the unique blocks learned.

    The Gaussian critics ``q(U_m | H_{-m})`` of the CLUB terms [1]_ are parameters of
    this module. They are trained apart, by maximum likelihood on detached
    representations (:meth:`critic_loss`); the network minimises the CLUB estimate with
    the critics held fixed. A Gaussian CLUB penalises how much of the block's variance
    ``H`` explains, so at its minimum ``E[block | H]`` is constant and a linear probe on
    the block reads nothing of ``H``. (:func:`skpid.losses.nce_club`, the FactorCL
    variant [2]_, bounds the same quantity with a contrastive critic.)

    Parameters
    ----------
    modalities : list of str
    n_components : dict of str to int
        Block sizes, as for :class:`skpid.nn.PIDNetwork`.
    d_model : int
        Size of the representations ``H_m``.
    temperature : float, default=0.1
    weights : dict of str to float or None
        Overrides of :data:`DEFAULT_LOSS_WEIGHTS`.

    References
    ----------
    .. [1] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual
       information", ICML 2020.
    .. [2] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.
    .. [3] Vincent et al., "Extracting and composing robust features with denoising
       autoencoders", ICML 2008.
    """

    def __init__(self, modalities, n_components, d_model, temperature=0.1, weights=None):
        super().__init__()
        self.modalities = list(modalities)
        self.temperature = temperature
        self.weights = {**DEFAULT_LOSS_WEIGHTS, **(weights or {})}
        n_other = d_model * (len(self.modalities) - 1)
        self.unique_critics = nn.ModuleList(
            GaussianCritic(n_other, n_components[f"U_{m}"], hidden=d_model) for m in self.modalities
        )

    def _other(self, out, m):
        return torch.cat([out[f"H_{n}"].detach() for n in self.modalities if n != m], dim=1)

    def _shared(self, out, m):
        """The other modalities' redundancy embeddings (normalised, side by side): the
        condition of the unique InfoNCE of ``m``."""
        return torch.cat([F.normalize(out[f"R_{n}"], dim=1) for n in self.modalities if n != m], 1)

    def _critic_pairs(self, out):
        """(critic, conditioning x, bounded y) of every CLUB term on one view.

        ``y`` is the normalised block that ``transform`` returns, scaled by the square root
        of its size so that each coordinate has about unit variance; ``x`` is detached.
        """
        return [
            (self.unique_critics[i], self._other(out, m), _sphere(_head(out, f"U_{m}")))
            for i, m in enumerate(self.modalities)
        ]

    def critic_loss(self, out_a, out_b):
        """Mean Gaussian negative log-likelihood of the critics, on detached inputs."""
        losses = [
            gaussian_nll(*critic(x), y.detach())
            for out in (out_a, out_b)
            for critic, x, y in self._critic_pairs(out)
        ]
        return torch.stack(losses).mean()

    def _decorrelation(self, out):
        """Mean over block pairs of the mean squared cross-correlation.

        Between ``R_m`` and ``U_n`` the redundancy embedding is held fixed (detached):
        the penalty moves the unique head off what the redundancy carries, never the
        other way round, so it cannot erase the redundancy from ``R_m`` to make room for
        a ``U_m`` that also holds it. The ``U_m`` of different modalities both move; the
        ``R_m`` are not compared (they should agree). Each ``R_n`` (from its head, on the
        detached representation) is also paired with every auxiliary target ``T_m``
        (fixed): a target is unique to its modality by construction (burst band power,
        haemodynamic amplitude), and without this pair a redundancy head can carry its
        modality's target along with what the modalities share, which the linear readout
        then passes to the ``R`` block.
        """
        shared = [f"R_{m}" for m in self.modalities]
        unique = [f"U_{m}" for m in self.modalities]
        pairs = [(out[a].detach(), _head(out, b)) for a in shared for b in unique]
        pairs += [(_head(out, a), _head(out, b)) for a, b in combinations(unique, 2)]
        targets = [out[f"T_{m}"] for m in self.modalities if f"T_{m}" in out]
        pairs += [(t, _head(out, r)) for t in targets for r in shared]
        return torch.stack([cross_correlation_penalty(a, b) for a, b in pairs]).mean()

    def forward(self, out_a, out_b, y=None):
        """Return a dict of the loss terms and their weighted sum under ``"loss"``."""
        tau, mods = self.temperature, self.modalities
        terms = {}
        terms["redundant"] = torch.stack(
            [
                0.5
                * (
                    info_nce(out_a[f"R_{m}"], out_b[f"R_{n}"], tau)
                    + info_nce(out_b[f"R_{m}"], out_a[f"R_{n}"], tau)
                )
                for m, n in combinations(mods, 2)
            ]
        ).mean()
        terms["reconstruction"] = torch.stack(
            [
                F.mse_loss(one[f"Yhat_{m}"], _standardise(other[f"Y_{m}"]))
                for one, other in ((out_a, out_b), (out_b, out_a))
                for m in mods
            ]
        ).mean()
        terms["unique"] = torch.stack(
            [
                info_nce(out_a[f"U_{m}"], out_b[f"U_{m}"], tau, condition=self._shared(out_a, m))
                for m in mods
            ]
        ).mean()
        mi_unique, decorrelation = [], []
        for out in (out_a, out_b):
            mi_unique += [club(*critic(x), y) for critic, x, y in self._critic_pairs(out)]
            decorrelation.append(self._decorrelation(out))
        terms["mi_unique"] = torch.stack(mi_unique).mean()
        terms["decorrelation"] = torch.stack(decorrelation).mean()
        auxiliary = [
            F.mse_loss(out[f"A_{m}"], _standardise(out[f"T_{m}"]))
            for out in (out_a, out_b)
            for m in [*mods, "synergy"]
            if f"T_{m}" in out
        ]
        if auxiliary:
            terms["auxiliary"] = torch.stack(auxiliary).mean()
        if "logits" in out_a and y is not None:
            y = y.long()
            terms["supervised"] = 0.5 * (
                F.cross_entropy(out_a["logits"], y) + F.cross_entropy(out_b["logits"], y)
            )
        terms["loss"] = sum(self.weights[k] * v for k, v in terms.items())
        return terms
