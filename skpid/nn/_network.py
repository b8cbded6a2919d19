"""The network of :class:`skpid.decomposition.PIDDecomposer`: one head per PID atom."""

import torch
import torch.nn.functional as F
from torch import nn

from ._encoders import ModalityEncoder
from ._fusion import TokenFusion
from ._heads import ProjectionHead

__all__ = ["PIDNetwork"]


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
        :class:`~skpid.decomposition.PIDDecomposer`). When ``X["target_<m>"]`` is given,
        the forward pass returns it as ``T_<m>`` with a linear prediction ``A_<m>`` from
        the normalised unique block. The network computes no target itself.
    coupling : tuple of int or None, default=None
        Shape ``(n_rows, n_lags)`` of a neurovascular coupling profile (see
        :func:`skpid.physiology.coupling_profile`) that the fusion adds, through a small
        perceptron: ``X["coupling_profile"]`` is then required. When
        ``X["target_synergy"]`` ``(batch, 1)`` is given (e.g. the coupling delay), a
        linear prediction ``A_synergy`` of it from the normalised synergy block is
        returned with it as ``T_synergy``.

    Shapes
    ------
    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict:
    ``H_<m>`` ``(batch, d_model)``, ``R_<m>`` ``(batch, n_components["R"])``, ``U_<m>``
    ``(batch, n_components["U_<m>"])``, ``S`` ``(batch, n_components["S"])`` and, with
    classes, ``logits`` ``(batch, n_classes)``; in training, ``R_<m>_head`` and
    ``U_<m>_head``: the redundancy and unique heads applied to the detached ``H_<m>``
    (same values as ``R_<m>`` and ``U_<m>``; the penalties of
    :class:`~skpid.decomposition._objective.PIDObjective` use them so that they shape the
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
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.redundant = nn.ModuleList()
        self.unique = nn.ModuleList()
        tokens_per_modality = []
        for name, shape in shapes.items():
            encoder = ModalityEncoder(name, shape, d_model=d_model, n_tokens=n_tokens, power=True)
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
            if name in self.targets and f"target_{name}" in X:
                out[f"T_{name}"] = X[f"target_{name}"]
                out[f"A_{name}"] = self.predictors[name](_sphere(out[f"U_{name}"]))
        fused = self.fusion(tokens)
        if self.coupling is not None:
            if "coupling_profile" not in X:
                raise ValueError(
                    "This network fuses a coupling profile: pass X['coupling_profile'] of "
                    f"shape (batch, {self.coupling[0]}, {self.coupling[1]})."
                )
            fused = fused + self.coupling_mlp(X["coupling_profile"])
        out["S"] = self.synergy(fused)
        if self.coupling is not None and "target_synergy" in X:
            out["T_synergy"] = X["target_synergy"]
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
