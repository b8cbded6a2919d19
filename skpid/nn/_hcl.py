"""HCL's torch side: gated heads per (modality, structure) and the structure-aware objective.

The deep view of Hierarchical Contrastive Learning (HCL, "Hierarchical Contrastive
Learning for Multimodal Data", arXiv stat.ML 2026). A *structure* is a non-empty subset
of the modalities: all of them (global), two or more (partial) or one (specific). Each
modality ``m`` has an encoder and, for every structure ``s`` containing ``m``, a head
giving the representation ``z_{m,s}`` (:class:`HCLNetwork`); :class:`HCLObjective`
trains them.
"""

import math
from itertools import combinations

import torch
import torch.nn.functional as F
from torch import nn

from ..losses import cross_correlation_penalty, gated_info_nce
from ._encoders import modality_encoder
from ._heads import ProjectionHead

__all__ = ["DEFAULT_HCL_WEIGHTS", "HCLNetwork", "HCLObjective"]

#: Weight of each term of the HCL objective.
DEFAULT_HCL_WEIGHTS = {"shared": 1.0, "specific": 1.0, "overlap": 1.0, "sparsity": 0.1}


class HCLNetwork(nn.Module):
    """Encoders per modality and one gated head per (modality, structure) pair.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each modality, ``(channels, times)`` or ``(features,)``.
    structures : list of tuple of int
        Modality indices (into ``shapes``) of each structure.
    n_components : list of int
        Block size of each structure.
    d_model : int, default=64
    n_tokens : int, default=8
    kinds : dict of str to str or None, default=None
        Kind of each modality (``"eeg"``, ``"nirs"`` or None, see
        :func:`skpid._multimodal.modality_kind`); None decides from the names.
    encoders : dict of str to module, class or (class, dict), or None, default=None
        User encoders replacing the built-in ones (see
        :func:`skpid.nn.build_external_encoder`).

    Notes
    -----
    Shapes:

    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict
    with ``"<i>|<m>"`` of shape ``(batch, n_components[i])`` for structure ``i`` and each
    modality ``m`` of it: ``g_i`` times the unit-norm head output.
    """

    def __init__(
        self, shapes, structures, n_components, d_model=64, n_tokens=8, kinds=None, encoders=None
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.structures = [tuple(s) for s in structures]
        self.encoders = nn.ModuleList(
            modality_encoder(name, shape, kinds, encoders, d_model=d_model, n_tokens=n_tokens)
            for name, shape in shapes.items()
        )
        self.heads = nn.ModuleList(
            nn.ModuleList(ProjectionHead(d_model, k, d_model) for _ in s)
            for s, k in zip(self.structures, n_components, strict=True)
        )
        # softplus(log(e - 1)) = 1: every gate starts open
        self.gate_logits = nn.Parameter(torch.full((len(self.structures),), math.log(math.e - 1)))

    def gates(self):
        """Gate ``g_s >= 0`` of each structure, shape ``(n_structures,)``."""
        return F.softplus(self.gate_logits)

    def forward(self, **X):
        hidden = [
            encoder(X[name])[1]
            for name, encoder in zip(self.modalities, self.encoders, strict=True)
        ]
        gates = self.gates()
        out = {}
        for i, (s, heads) in enumerate(zip(self.structures, self.heads, strict=True)):
            for m, head in zip(s, heads, strict=True):
                out[f"{i}|{m}"] = gates[i] * F.normalize(head(hidden[m]), dim=1)
        return out

    def blocks(self, out):
        """Per structure, the mean over its modalities of the unit-norm representations."""
        return [
            torch.stack([F.normalize(out[f"{i}|{m}"], dim=1) for m in s]).mean(0)
            for i, s in enumerate(self.structures)
        ]


class HCLObjective(nn.Module):
    """Structure-aware contrastive loss with overlap and group-sparsity penalties.

    For a network of :class:`HCLNetwork`, the terms are:

    - ``shared``: for a structure with several modalities, InfoNCE [1]_ between ``z_{m,s}`` and
      ``z_{m',s}`` of two augmented views, for every pair ``m, m'`` in ``s``: a block is
      aligned only across the modalities that share it (the structure-aware contrast).
    - ``specific``: for ``s = {m}``, InfoNCE between the two views of ``z_{m,s}``.
    - ``overlap``: mean squared cross-correlation between blocks of different structures
      (of the same or of different modalities), the block of the larger structure held
      fixed, so that a partial or specific block does not copy a wider one.
    - ``sparsity``: a group lasso [2]_ on the structures. ``z_{m,s} = g_s u_{m,s}`` with
      ``u_{m,s}`` on the unit sphere and ``g_s >= 0`` one gate per structure, so ``g_s`` is
      the norm of the block's head outputs; the penalty is ``sum_s w_s g_s / sum_s w_s``
      with Yuan and Lin's weights ``w_s = sqrt(|s| * k_s)`` (``k_s`` the block size). The
      InfoNCE logits are ``z . z' / temperature``, so a gate acts as an inverse temperature:
      it only pays to keep it open when the modalities of ``s`` really agree. Structures
      whose gate falls below ``prune_threshold`` times the largest gate are pruned (by
      :class:`skpid.decomposition.HCL`).

    The loss is
    ``w_shared * shared + w_specific * specific + w_overlap * overlap +
    w_sparsity * sparsity``; ``shared`` and ``specific`` are means over the structures
    concerned, ``overlap`` a mean over the pairs of blocks of different structures.

    Parameters
    ----------
    structures : list of tuple of int
    n_components : list of int
    temperature : float, default=0.1
    weights : dict or None
        Overrides of :data:`DEFAULT_HCL_WEIGHTS`.

    References
    ----------
    .. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive
       predictive coding", arXiv:1807.03748, 2018.
    .. [2] Yuan and Lin, "Model selection and estimation in regression with grouped
       variables", JRSS-B 68(1):49-67, 2006.
    """

    def __init__(self, structures, n_components, temperature=0.1, weights=None):
        super().__init__()
        self.structures = [tuple(s) for s in structures]
        self.temperature = temperature
        self.weights = {**DEFAULT_HCL_WEIGHTS, **(weights or {})}
        group = [math.sqrt(len(s) * k) for s, k in zip(self.structures, n_components, strict=True)]
        self.group_weights = torch.tensor(group) / sum(group)
        blocks = [(i, m) for i, s in enumerate(self.structures) for m in s]
        self.overlap_pairs = [(a, b) for a, b in combinations(blocks, 2) if a[0] != b[0]]

    def _ordered(self, out, i, m, j, n):
        """The two blocks of an overlap pair, the one of the larger structure detached.

        Information shared by several structures belongs to the largest: the penalty moves
        a partial or specific block away from a wider one, never the other way round.
        """
        a, b = out[f"{i}|{m}"], out[f"{j}|{n}"]
        size_a, size_b = len(self.structures[i]), len(self.structures[j])
        if size_a > size_b:
            a = a.detach()
        elif size_b > size_a:
            b = b.detach()
        return a, b

    def forward(self, out_a, out_b, y=None):
        shared, specific = [], []
        for i, s in enumerate(self.structures):
            if len(s) == 1:
                key = f"{i}|{s[0]}"
                specific.append(gated_info_nce(out_a[key], out_b[key], self.temperature))
                continue
            pairs = [
                gated_info_nce(out_a[f"{i}|{m}"], out_b[f"{i}|{n}"], self.temperature)
                for m, n in combinations(s, 2)
            ]
            shared.append(torch.stack(pairs).mean())
        zero = next(iter(out_a.values())).new_zeros(())
        terms = {
            "shared": torch.stack(shared).mean() if shared else zero,
            "specific": torch.stack(specific).mean() if specific else zero,
        }
        overlap = [
            cross_correlation_penalty(*self._ordered(out, i, m, j, n))
            for out in (out_a, out_b)
            for (i, m), (j, n) in self.overlap_pairs
        ]
        terms["overlap"] = torch.stack(overlap).mean() if overlap else zero
        # every row of a block has norm g_s: the group norm of the head outputs
        norms = torch.stack(
            [out_a[f"{i}|{s[0]}"].norm(dim=1).mean() for i, s in enumerate(self.structures)]
        )
        terms["sparsity"] = (self.group_weights.to(norms) * norms).sum()
        terms["loss"] = sum(self.weights[name] * terms[name] for name in DEFAULT_HCL_WEIGHTS)
        return terms
