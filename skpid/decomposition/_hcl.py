"""HCL: deep hierarchical contrastive learning of global, partial and specific components.

The deep view of Hierarchical Contrastive Learning (HCL, "Hierarchical Contrastive
Learning for Multimodal Data", arXiv stat.ML 2026). A *structure* is a non-empty subset
of the modalities: all of them (global), two or more (partial) or one (specific). Each
modality ``m`` has an encoder and, for every structure ``s`` containing ``m``, a head
giving the representation ``z_{m,s}``. The objective (:class:`HCLObjective`) has four
terms:

- ``shared``: for a structure with several modalities, InfoNCE between ``z_{m,s}`` and
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
  whose gate falls below ``prune_threshold`` times the largest gate are pruned.
"""

import math
from itertools import combinations
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .._multimodal import signature
from ..losses import cross_correlation_penalty
from ..nn import ModalityEncoder, ProjectionHead
from ._base import COMMON_CONSTRAINTS, DeepDecomposer, check_block_size
from ._linear_hcl import LinearHCL, _structure_name

__all__ = ["DEFAULT_HCL_WEIGHTS", "HCL", "HCLNetwork", "HCLObjective", "gated_info_nce"]

_DEFAULT_SIZE = 8

#: Weight of each term of the HCL objective.
DEFAULT_HCL_WEIGHTS = {"shared": 1.0, "specific": 1.0, "overlap": 1.0, "sparsity": 0.1}


def gated_info_nce(z1, z2, temperature=0.1):
    """Symmetric InfoNCE on dot products, so the norm of the rows sets the sharpness.

    Unlike :func:`skpid.losses.info_nce` (cosine similarity), the rows are not
    normalised: with ``z = g u``, ``|u| = 1``, the logits are ``g^2 cos / temperature``
    and a gate ``g`` near 0 makes the loss ``log(batch)`` whatever the pairing.

    Parameters
    ----------
    z1, z2 : torch.Tensor of shape (batch, dim)
        Paired representations (row ``i`` of each is a positive pair).
    temperature : float, default=0.1

    Returns
    -------
    loss : torch.Tensor of shape ()
    """
    logits = z1 @ z2.T / temperature
    target = torch.arange(len(z1), device=z1.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


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

    Shapes
    ------
    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict
    with ``"<i>|<m>"`` of shape ``(batch, n_components[i])`` for structure ``i`` and each
    modality ``m`` of it: ``g_i`` times the unit-norm head output.
    """

    def __init__(self, shapes, structures, n_components, d_model=64, n_tokens=8):
        super().__init__()
        self.modalities = list(shapes)
        self.structures = [tuple(s) for s in structures]
        self.encoders = nn.ModuleList(
            ModalityEncoder(name, shape, d_model=d_model, n_tokens=n_tokens)
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

    See the module docstring for the terms. The loss is
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


class HCL(DeepDecomposer):
    """Learn global, partially shared and modality-specific components (deep HCL).

    Every non-empty subset of modalities is a candidate *structure* (for EEG and fNIRS:
    ``eeg+fnirs``, ``eeg``, ``fnirs``; for three modalities also the three pairs). Each
    modality has an encoder (a compact temporal CNN for time series, an MLP for tabular
    features) and one head per structure that contains it. Training is self-supervised
    on two augmented views of every trial, with the structure-aware objective of HCL
    (see :class:`HCLObjective` and the module docstring): a structure's block is aligned
    by InfoNCE [1]_ only across the modalities of that structure, specific blocks across
    views of their modality; an overlap penalty decorrelates the blocks of different
    structures;
    a group lasso [2]_ on per-structure gates (the norm of the block's head outputs)
    closes the structures the modalities do not really share, which are then pruned.

    ``transform`` returns, for each kept structure, the mean over its modalities of the
    unit-norm representations ``z_{m,s} / g_s``.

    Deviations from the paper: the paper states no network, temperature or penalty
    weights for the deep view; the encoders are those of :class:`PIDDecomposer`, the
    temperature is CoMM's 0.1 [3]_, and the sparsity is a group lasso on gates rather
    than on loading matrices (there are none in a deep model).

    Parameters
    ----------
    n_components : int or dict, default=8
        Size of each structure's block: one int for all, or a mapping from structure
        name (``"eeg+fnirs"``, ``"m0+m1+m2"``) to size, 8 for structures left out. At
        least 2 (blocks are L2-normalised, so one column would be a constant +-1).
    structure : "auto", "hierarchical" or list, default="auto"
        Candidate structures. ``"auto"``: every non-empty subset, pruning those whose
        gate closes. ``"hierarchical"``: every subset, none pruned. A list: those subsets
        (names such as ``"m0+m1"`` or tuples of modality names), none pruned.
    modalities : dict, list of int, int or None, default=None
        Only used when ``X`` is a single array: how axis 1 is split into modalities (see
        :func:`skpid._multimodal.check_multimodal`); None splits it into halves ``m0``
        and ``m1``.
    hidden_size : int, default=64
        Width of encoders and heads.
    n_tokens : int, default=8
        Time tokens per time-series modality (half as many for tabular ones).
    temperature : float, default=0.1
        InfoNCE temperature at gate 1 (0.1 as CoMM [3]_).
    loss_weights : dict or None, default=None
        Overrides of the term weights ``{"shared", "specific", "overlap", "sparsity"}``
        (1, 1, 1 and 0.1). A larger ``sparsity`` prunes more.
    prune_threshold : float in (0, 1), default=0.25
        With ``structure="auto"``, a structure is pruned when its gate is below this
        fraction of the largest gate.
    augmentations : dict or None, default=None
        Modality name to a list of augmentations (see :class:`PIDDecomposer`); modalities
        left out get :func:`skpid.augment.default_augmentations`.
    max_epochs : int, default=30
    batch_size : int or "auto", default="auto"
        ``"auto"`` is ``min(128, n_training_trials)`` (32 when ``fit`` gets ``groups``).
    lr : float, default=2e-3
        AdamW learning rate.
    validation_fraction : float or None, default=None
        Share of trials held out for early stopping on the validation loss.
    n_iter_no_change : int, default=10
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        An int gives identical components on CPU.
    verbose : int, default=0
        0 silent; 1 per-epoch loss table; 2 adds a progress bar.

    Attributes
    ----------
    net_ : ContrastiveNet
        The fitted skorch net (``net_.module_`` is the :class:`HCLNetwork`).
    modalities_ : list of str
    signature_ : dict of str to tuple
        Trailing shape of each modality seen in fit.
    scaling_ : dict of str to (ndarray, ndarray)
        Per-channel (or per-feature) mean and standard deviation of each modality.
    gates_ : dict of str to float
        Final gate of every candidate structure.
    structures_ : list of str
        Kept structures, largest subsets first, in output order.
    pruned_structures_ : list of str
        Candidate structures whose gate closed (only with ``structure="auto"``).
    n_components_ : dict of str to int
        Block size of each kept structure.
    component_slices_ : dict of str to slice
        Columns of each kept structure in the output of ``transform``.
    n_epochs_ : int
    n_features_in_ : int
        Number of columns (axis 1) when fitted on a single array.
    feature_names_in_ : ndarray of str
        Column names when fitted on a DataFrame.

    References
    ----------
    .. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive
       predictive coding", arXiv:1807.03748, 2018.
    .. [2] Yuan and Lin, "Model selection and estimation in regression with grouped
       variables", JRSS-B 68(1):49-67, 2006.
    .. [3] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.

    Examples
    --------
    >>> from skpid.datasets import make_multimodal_gaussian  # doctest: +SKIP
    >>> data = make_multimodal_gaussian(1000, random_state=0)  # doctest: +SKIP
    >>> hcl = HCL(n_components=2, random_state=0).fit(data.X)  # doctest: +SKIP
    >>> hcl.structures_, hcl.pruned_structures_  # doctest: +SKIP
    """

    _min_block_size = 2
    _parameter_constraints: ClassVar[dict] = {
        **COMMON_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left"), dict],
        "structure": [StrOptions({"auto", "hierarchical"}), list, tuple],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "loss_weights": [None, dict],
        "prune_threshold": [Interval(Real, 0, 1, closed="neither")],
    }
    _default_loss_weights = DEFAULT_HCL_WEIGHTS
    _feature_name_sep = "_"

    def __init__(
        self,
        n_components=8,
        *,
        structure="auto",
        modalities=None,
        hidden_size=64,
        n_tokens=8,
        temperature=0.1,
        loss_weights=None,
        prune_threshold=0.25,
        augmentations=None,
        max_epochs=30,
        batch_size="auto",
        lr=2e-3,
        validation_fraction=None,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.structure = structure
        self.modalities = modalities
        self.hidden_size = hidden_size
        self.n_tokens = n_tokens
        self.temperature = temperature
        self.loss_weights = loss_weights
        self.prune_threshold = prune_threshold
        self.augmentations = augmentations
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _structures(self, names):
        """Candidate structures (index tuples) and the block size of each."""
        # LinearHCL's parser of ``structure`` reads only self.structure
        subsets = LinearHCL._candidates(self, names)
        structure_names = [_structure_name(s, names) for s in subsets]
        if not isinstance(self.n_components, dict):
            return subsets, [int(self.n_components)] * len(subsets)
        unknown = [k for k in self.n_components if k not in structure_names]
        if unknown:
            raise ValueError(
                f"n_components has entries {unknown} that are not structures of these data; "
                f"use names from {structure_names}."
            )
        sizes = [
            check_block_size(name, self.n_components.get(name, _DEFAULT_SIZE))
            for name in structure_names
        ]
        return subsets, sizes

    def _net_params(self, data, y, weights):
        subsets, sizes = self._structures(list(data))
        params = {
            "module": HCLNetwork,
            "module__shapes": signature(data),
            "module__structures": subsets,
            "module__n_components": sizes,
            "module__d_model": self.hidden_size,
            "module__n_tokens": self.n_tokens,
            "criterion": HCLObjective,
            "criterion__structures": subsets,
            "criterion__n_components": sizes,
            "criterion__temperature": self.temperature,
            "criterion__weights": weights,
        }
        return params, list(DEFAULT_HCL_WEIGHTS), None

    def _fitted_blocks(self):
        """Prune the structures whose gate closed; the kept ones are the output blocks."""
        subsets, sizes = self._structures(self.modalities_)
        all_names = [_structure_name(s, self.modalities_) for s in subsets]
        gates = self.net_.module_.gates().detach().cpu().numpy().astype(np.float64)
        if self.structure == "auto":
            kept = np.flatnonzero(gates >= self.prune_threshold * gates.max())
        else:
            kept = np.arange(len(subsets))
        self.gates_ = dict(zip(all_names, gates.tolist(), strict=True))
        self._kept = kept.tolist()
        self.structures_ = [all_names[i] for i in kept]
        self.pruned_structures_ = [s for i, s in enumerate(all_names) if i not in self._kept]
        self.n_components_ = {all_names[i]: sizes[i] for i in kept}
        return self.n_components_

    def _embed_batch(self, module, batch):
        blocks = module.blocks(module(**batch))
        return torch.cat([blocks[i] for i in self._kept], dim=1)

    def decompose(self, X):
        """Components of each trial, one array per kept structure.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Same modalities and trailing shapes as in ``fit``.

        Returns
        -------
        blocks : dict of str to ndarray of shape (n_trials, n_components_[structure])
            Keys are ``structures_`` (e.g. ``"m0+m1+m2"``, ``"m0+m1"``, ``"m0"``).
        """
        return self._split_blocks(self.transform(X))
