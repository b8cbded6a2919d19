"""PIDDecomposer's torch side: :class:`PIDNetwork` (one head per PID atom) and its
training objective :class:`PIDObjective`, with the jointly trained critics."""

from itertools import combinations

import torch
import torch.nn.functional as F
from torch import nn

from .._multimodal import SIDE_KEY
from ..losses import club, cross_correlation_penalty, gaussian_nll, info_nce
from ._encoders import modality_encoder
from ._fusion import TokenFusion
from ._heads import GaussianCritic, ProjectionHead

__all__ = ["DEFAULT_LOSS_WEIGHTS", "PIDNetwork", "PIDObjective"]


def _sphere(z):
    """Rows on the sphere of radius sqrt(size): unit variance per coordinate."""
    return F.normalize(z, dim=1) * z.shape[1] ** 0.5


def _projection(d_model, size, norm="batch"):
    # normalised over the batch: the encoders' representations share a large offset over
    # trials, on which the cross-modal InfoNCE of R could stay at chance for whole fits
    return ProjectionHead(d_model, size, d_model, norm=norm)


class PIDNetwork(nn.Module):
    """Encoders per modality, redundancy/unique heads per modality, a fused synergy head.

    For each modality ``m`` an encoder (chosen from its name and trailing shape, see
    :class:`ModalityEncoder`) gives tokens and a shift-invariant representation ``H_m``
    (a filter bank with log band power for EEG); heads map ``H_m`` to the
    redundancy embedding ``R_m`` and the unique embedding ``U_m``. A transformer over the
    tokens of all modalities (:class:`TokenFusion`) feeds the synergy head ``S``.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each modality, ``(channels, times)`` or ``(features,)``.
    n_components : dict of str to int
        Size of each block: ``"R"``, ``"S"`` and ``"U_<modality>"`` for every modality.
    d_model : int, default=64
        Token, representation and hidden size.
    n_tokens : int, default=8
        Tokens per time-series modality (half as many for tabular ones).
    n_fusion_layers : int, default=1
        Transformer layers of the fusion.
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
        :func:`skpid.physiology.coupling_profile`) that the fusion adds, through a small
        perceptron: the side input ``coupling_profile`` is then required. When the side
        input ``synergy_target`` ``(batch, 1)`` is given (e.g. the coupling delay), a
        linear prediction ``A_synergy`` of it from the normalised synergy block is
        returned with it as ``T_synergy``.
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
    dict: ``H_<m>`` ``(batch, d_model)``, ``R_<m>`` ``(batch, n_components["R"])``, ``U_<m>``
    ``(batch, n_components["U_<m>"])``, ``S`` ``(batch, n_components["S"])`` and, with
    classes, ``logits`` ``(batch, n_classes)``; in training, ``R_<m>_head`` and
    ``U_<m>_head``: the redundancy and unique heads applied to the detached ``H_<m>``
    (same values as ``R_<m>`` and ``U_<m>``; the penalties of
    :class:`PIDObjective` use them so that they shape the
    heads, not the shared encoder); with targets, ``T_<m>`` and ``A_<m>``
    ``(batch, n_target_features)``; with the synergy target, ``T_synergy`` and
    ``A_synergy`` ``(batch, 1)``.
    """

    def __init__(
        self,
        shapes,
        n_components,
        d_model=64,
        n_tokens=8,
        n_fusion_layers=1,
        n_classes=0,
        targets=None,
        coupling=None,
        kinds=None,
        encoders=None,
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.redundant = nn.ModuleList()
        self.unique = nn.ModuleList()
        tokens_per_modality = []
        for name, shape in shapes.items():
            encoder = modality_encoder(
                name, shape, kinds, encoders, d_model=d_model, n_tokens=n_tokens, power=True
            )
            tokens_per_modality.append(encoder.n_tokens)
            self.encoders.append(encoder)
            self.redundant.append(_projection(d_model, n_components["R"]))
            # centring only: with unit variance for every hidden unit, the within-modality
            # InfoNCE tends to spread U over trial-specific noise
            self.unique.append(_projection(d_model, n_components[f"U_{name}"], norm="center"))
        self.fusion = TokenFusion(tokens_per_modality, d_model, n_layers=n_fusion_layers)
        self.synergy = _projection(d_model, n_components["S"])
        n_out = n_components["R"] + n_components["S"]
        n_out += sum(n_components[f"U_{m}"] for m in self.modalities)
        self.classifier = nn.Linear(n_out, n_classes) if n_classes > 0 else None
        self.targets = dict(targets or {})
        self.predictors = nn.ModuleDict(
            {m: nn.Linear(n_components[f"U_{m}"], int(k)) for m, k in self.targets.items()}
        )
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
            self.synergy_predictor = nn.Linear(n_components["S"], 1)

    def forward(self, **X):
        side = X.get(SIDE_KEY, {})
        targets = side.get("targets", {})
        out, tokens = {}, []
        for i, name in enumerate(self.modalities):
            tok, h = self.encoders[i](X[name])
            tokens.append(tok)
            out[f"H_{name}"] = h
            out[f"R_{name}"] = self.redundant[i](h)
            out[f"U_{name}"] = self.unique[i](h)
            if self.training:
                # the heads alone, for the penalties that keep each block off the others
                out[f"R_{name}_head"] = self.redundant[i](h.detach())
                out[f"U_{name}_head"] = self.unique[i](h.detach())
            if name in self.targets and name in targets:
                out[f"T_{name}"] = targets[name]
                out[f"A_{name}"] = self.predictors[name](_sphere(out[f"U_{name}"]))
        fused = self.fusion(tokens)
        if self.coupling is not None:
            if "coupling_profile" not in side:
                raise ValueError(
                    "This network fuses a coupling profile: pass "
                    f"X[{SIDE_KEY!r}]['coupling_profile'] of shape "
                    f"(batch, {self.coupling[0]}, {self.coupling[1]})."
                )
            fused = fused + self.coupling_mlp(side["coupling_profile"])
        out["S"] = self.synergy(fused)
        if self.coupling is not None and "synergy_target" in side:
            out["T_synergy"] = side["synergy_target"]
            out["A_synergy"] = self.synergy_predictor(_sphere(out["S"]))
        if self.classifier is not None:
            out["logits"] = self.classifier(torch.cat(list(self.blocks(out).values()), dim=1))
        return out

    def blocks(self, out):
        """The PID blocks from a ``forward`` output, each row on the unit sphere.

        ``R`` is the mean of the normalised per-modality redundancy embeddings (they are
        aligned by the cross-modal loss); ``U_<m>`` and ``S`` are the normalised unique
        and synergy embeddings. Returns a dict in the order R, U_<m>..., S.
        """
        blocks = {
            "R": torch.stack([F.normalize(out[f"R_{m}"], dim=1) for m in self.modalities]).mean(0)
        }
        for m in self.modalities:
            blocks[f"U_{m}"] = F.normalize(out[f"U_{m}"], dim=1)
        blocks["S"] = F.normalize(out["S"], dim=1)
        return blocks


#: Weight of each term of the objective; ``supervised`` is used only in supervised mode,
#: ``auxiliary`` only for modalities with physiological targets.
DEFAULT_LOSS_WEIGHTS = {
    "redundant": 1.0,
    "unique": 1.0,
    "synergy": 1.0,
    "mi_unique": 1.0,
    "mi_synergy": 1.0,
    "decorrelation": 1.0,
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
    - ``unique``: InfoNCE between ``U_m(a)`` and ``U_m(b)``, mean over modalities, with
      the negatives weighted towards trials whose other modalities' ``R_n`` resemble the
      anchor's (conditional InfoNCE, see :func:`skpid.losses.info_nce`): telling trials
      apart by what other modalities also carry does not lower it, so ``U_m`` has no
      reason to encode it.
    - ``synergy``: InfoNCE between the fused ``S(a)`` and ``S(b)`` (as CoMM).
    - ``mi_unique``: CLUB estimate of I(U_m; H_{-m}), H_{-m} the representations of all
      other modalities (detached), so ``U_m`` drops what other modalities also carry.
      ``U_m`` is here the output of its head on the detached ``H_m`` (``U_<m>_head`` of
      the network in training), so the penalty reshapes the head and cannot erase the
      shared content from the encoder, which the redundancy head needs.
    - ``mi_synergy``: CLUB estimate of I(S; H_m) for each single modality (detached), so
      ``S`` keeps only what needs several modalities at once.
    - ``decorrelation``: mean squared cross-correlation between blocks (R_m, U_m, S),
      except between the R_m of different modalities, which should agree; in a pair
      from two levels of the lattice the lower block is held fixed (see
      ``_decorrelation``) and ``U_m`` is taken from its head as for ``mi_unique``.
      With physiological targets, also between every ``R_n`` (from its head) and each
      target ``T_m``: the targets measure what one modality alone carries.
    - ``auxiliary`` (only with opt-in physiological priors, see
      :mod:`skpid.decomposition._priors`): mean squared error of the linear prediction ``A_m`` from
      ``U_m`` of the target ``T_m`` computed from the input, standardised over the batch;
      it anchors ``U_m`` on a physiological quantity that the contrastive terms alone
      may trade for trial-identifying detail. With a synergy target (``T_synergy``,
      e.g. the neurovascular coupling delay) the same error of its prediction from
      ``S`` joins the mean.
    - ``supervised`` (only when the network has a classifier): cross-entropy of its
      logits on both views.

    The Gaussian critics ``q(block | H)`` of the CLUB terms [1]_ are parameters of this
    module. They are trained apart, by maximum likelihood on detached representations
    (:meth:`critic_loss`); the network minimises the CLUB estimate with the critics held
    fixed. A Gaussian CLUB penalises how much of the block's variance ``H`` explains, so
    at its minimum ``E[block | H]`` is constant and a linear probe on the block reads
    nothing of ``H``. Detaching ``H`` keeps the penalty from erasing the information from
    the other modality's representation instead. (:func:`skpid.losses.nce_club`, the
    FactorCL variant [2]_, bounds the same quantity with a contrastive critic.)

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
        self.synergy_critics = nn.ModuleList(
            GaussianCritic(d_model, n_components["S"], hidden=d_model) for _ in self.modalities
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

        pairs = []
        for i, m in enumerate(self.modalities):
            pairs.append(
                (self.unique_critics[i], self._other(out, m), _sphere(_head(out, f"U_{m}")))
            )
        for i, m in enumerate(self.modalities):
            pairs.append((self.synergy_critics[i], out[f"H_{m}"].detach(), _sphere(out["S"])))
        return pairs

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

        In a pair from different levels of the lattice (``R_m`` below ``U_m`` below
        ``S``) the lower block is held fixed (detached): the penalty moves a higher block
        off what a lower one carries, never the other way round, so it cannot erase the
        redundancy from ``R_m`` to make room for a ``U_m`` that also holds it. The
        ``U_m`` of different modalities both move; the ``R_m`` are not compared (they
        should agree). Each ``R_n`` (from its head, on the detached representation) is
        also paired with every auxiliary target ``T_m`` (fixed): a target is unique to
        its modality by construction (burst band power, haemodynamic amplitude), and
        without this pair a redundancy head can carry its modality's target along with
        what the modalities share, which the linear readout then passes to the ``R``
        block.
        """
        levels = [[f"R_{m}" for m in self.modalities], [f"U_{m}" for m in self.modalities]]
        levels.append(["S"])
        pairs = [
            (out[a].detach(), _head(out, b))
            for i, lower in enumerate(levels)
            for higher in levels[i + 1 :]
            for a in lower
            for b in higher
        ]
        pairs += [(_head(out, a), _head(out, b)) for a, b in combinations(levels[1], 2)]
        targets = [out[f"T_{m}"] for m in self.modalities if f"T_{m}" in out]
        pairs += [(t, _head(out, r)) for t in targets for r in levels[0]]
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
        terms["unique"] = torch.stack(
            [
                info_nce(out_a[f"U_{m}"], out_b[f"U_{m}"], tau, condition=self._shared(out_a, m))
                for m in mods
            ]
        ).mean()
        terms["synergy"] = info_nce(out_a["S"], out_b["S"], tau)
        n_mod = len(mods)
        mi_unique, mi_synergy, decorrelation = [], [], []
        for out in (out_a, out_b):
            bounds = [club(*critic(x), y) for critic, x, y in self._critic_pairs(out)]
            mi_unique += bounds[:n_mod]
            mi_synergy += bounds[n_mod:]
            decorrelation.append(self._decorrelation(out))
        terms["mi_unique"] = torch.stack(mi_unique).mean()
        terms["mi_synergy"] = torch.stack(mi_synergy).mean()
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
