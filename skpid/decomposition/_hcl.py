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
from collections.abc import Mapping
from itertools import combinations
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from torch import nn

from .._multimodal import check_multimodal, n_trials, signature
from ..augment import Augmenter
from ..losses import cross_correlation_penalty
from ..nn import ProjectionHead, make_encoder
from ._linear_hcl import LinearHCL, _structure_name
from ._training import (
    ContrastiveNet,
    apply_scaling,
    fit_scaling,
    resolve_device,
    split_train_valid,
    term_callbacks,
)

__all__ = ["DEFAULT_HCL_WEIGHTS", "HCL", "HCLNetwork", "HCLObjective", "gated_info_nce"]

_MIN_TRIALS = 4
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
        self.encoders = nn.ModuleList()
        self.pools = nn.ModuleList()
        for shape in shapes.values():
            encoder = make_encoder(shape, d_model=d_model, n_tokens=n_tokens)
            with torch.no_grad():
                n_tok = encoder(torch.zeros(2, *shape)).shape[1]
            self.encoders.append(encoder)
            self.pools.append(
                nn.Sequential(nn.Flatten(), nn.Linear(n_tok * d_model, d_model), nn.GELU())
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
            pool(encoder(X[name]))
            for name, encoder, pool in zip(self.modalities, self.encoders, self.pools, strict=True)
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


class HCL(TransformerMixin, BaseEstimator):
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
        name (``"eeg+fnirs"``, ``"m0+m1+m2"``) to size, 8 for structures left out.
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
        ``"auto"`` is ``min(128, n_training_trials)``.
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

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [Interval(Integral, 1, None, closed="left"), dict],
        "structure": [StrOptions({"auto", "hierarchical"}), list, tuple],
        "modalities": "no_validation",
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_tokens": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "loss_weights": [None, dict],
        "prune_threshold": [Interval(Real, 0, 1, closed="neither")],
        "augmentations": [None, dict],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

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

    # -- input -----------------------------------------------------------------------

    def _check_input(self, X, reset):
        """Validate ``X`` into ``{modality: float array}`` (see :class:`PIDDecomposer`)."""
        reference = None if reset else self.signature_
        if sp.issparse(X):
            raise TypeError("HCL does not support sparse input; pass dense arrays (X.toarray()).")
        if isinstance(X, Mapping):
            if self.modalities is not None:
                raise ValueError(
                    "modalities is only used to split a single array, but X is already a "
                    "mapping of modality name to array. Leave modalities=None."
                )
            return check_multimodal(
                X, min_trials=_MIN_TRIALS if reset else 1, min_modalities=2, reference=reference
            )
        X = validate_data(
            self,
            X,
            reset=reset,
            allow_nd=True,
            dtype=[np.float64, np.float32],
            ensure_min_samples=_MIN_TRIALS if reset else 1,
            ensure_min_features=2 if reset else 1,
        )
        spec = 2 if self.modalities is None else self.modalities
        return check_multimodal(
            X, modalities=spec, min_trials=1, min_modalities=2, reference=reference
        )

    def _block_sizes(self, subsets, names):
        structure_names = [_structure_name(s, names) for s in subsets]
        if not isinstance(self.n_components, dict):
            return [int(self.n_components)] * len(subsets)
        unknown = [k for k in self.n_components if k not in structure_names]
        if unknown:
            raise ValueError(
                f"n_components has entries {unknown} that are not structures of these data; "
                f"use names from {structure_names}."
            )
        sizes = []
        for name in structure_names:
            size = self.n_components.get(name, _DEFAULT_SIZE)
            if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
                raise ValueError(f"n_components[{name!r}] must be a positive int, got {size!r}.")
            sizes.append(int(size))
        return sizes

    def _check_loss_weights(self):
        weights = dict(self.loss_weights or {})
        unknown = [k for k in weights if k not in DEFAULT_HCL_WEIGHTS]
        if unknown:
            raise ValueError(
                f"loss_weights has unknown terms {unknown}; choose from "
                f"{sorted(DEFAULT_HCL_WEIGHTS)}."
            )
        for key, value in weights.items():
            if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
                raise ValueError(
                    f"loss_weights[{key!r}] must be a finite number >= 0, got {value!r}."
                )
        return weights

    # -- fit -------------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit encoders, heads and gates; prune the structures whose gate closed.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Modality name to ``(n_trials, n_channels, n_times)`` or ``(n_trials,
            n_features)``; or one array split along axis 1 by ``modalities``. At least 2
            modalities and 4 trials.
        y : None
            Ignored.

        Returns
        -------
        self : HCL

        Raises
        ------
        ValueError
            Invalid parameters, fewer than 2 modalities or 4 trials, NaN/inf values,
            unknown structures, ``batch_size`` larger than the training trials.
        TypeError
            Sparse input or modality names that are not strings.
        FloatingPointError
            The loss became NaN or infinite.
        """
        weights = self._check_loss_weights()
        device = resolve_device(self.device)
        data = self._check_input(X, reset=True)
        names = list(data)
        # LinearHCL's parser of ``structure`` reads only self.structure
        subsets = LinearHCL._candidates(self, names)
        sizes = self._block_sizes(subsets, names)
        n = n_trials(data)

        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        train, valid = split_train_valid(n, self.validation_fraction, seed)
        n_train = len(train)
        if self.batch_size == "auto":
            batch_size = min(128, n_train)
        else:
            batch_size = int(self.batch_size)
            if batch_size > n_train:
                raise ValueError(
                    f"batch_size={batch_size} is larger than the {n_train} training trials. "
                    "Lower batch_size, pass more trials, or use batch_size='auto'."
                )

        self.scaling_ = fit_scaling({m: x[train] for m, x in data.items()})
        scaled = apply_scaling(data, self.scaling_)

        def subset(idx):
            return {m: x[idx] for m, x in scaled.items()}

        terms = list(DEFAULT_HCL_WEIGHTS)
        callbacks = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        callbacks += term_callbacks(terms, validation=valid is not None, train_only=())
        train_split = None
        if valid is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss", patience=self.n_iter_no_change, load_best=True
                    ),
                )
            )
            train_split = predefined_split(Dataset(subset(valid), None))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))

        n_valid = 0 if valid is None else len(valid)
        self.net_ = ContrastiveNet(
            module=HCLNetwork,
            module__shapes=signature(data),
            module__structures=subsets,
            module__n_components=sizes,
            module__d_model=self.hidden_size,
            module__n_tokens=self.n_tokens,
            criterion=HCLObjective,
            criterion__structures=subsets,
            criterion__n_components=sizes,
            criterion__temperature=self.temperature,
            criterion__weights=weights,
            optimizer=torch.optim.AdamW,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            iterator_train__shuffle=True,
            # a batch of one trial has no negatives; drop the short last batch
            iterator_train__drop_last=True,
            iterator_train__generator=torch.Generator().manual_seed(seed + 2),
            iterator_valid__drop_last=n_valid % batch_size == 1,
            callbacks=callbacks,
            augmenter=Augmenter(self.augmentations, signature(data)),
            seed=seed,
            terms=terms,
            device=device,
            verbose=int(self.verbose >= 1),
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_.fit(subset(train), None)

        all_names = [_structure_name(s, names) for s in subsets]
        gates = self.net_.module_.gates().detach().cpu().numpy().astype(np.float64)
        if self.structure == "auto":
            kept = np.flatnonzero(gates >= self.prune_threshold * gates.max())
        else:
            kept = np.arange(len(subsets))
        self.modalities_ = names
        self.signature_ = signature(data)
        self.gates_ = dict(zip(all_names, gates.tolist(), strict=True))
        self._kept = kept.tolist()
        self.structures_ = [all_names[i] for i in kept]
        self.pruned_structures_ = [s for i, s in enumerate(all_names) if i not in self._kept]
        self.n_components_ = {all_names[i]: sizes[i] for i in kept}
        bounds = np.cumsum([0, *self.n_components_.values()])
        self.component_slices_ = {
            name: slice(int(bounds[j]), int(bounds[j + 1]))
            for j, name in enumerate(self.n_components_)
        }
        self.n_epochs_ = len(self.net_.history)
        return self

    # -- transform -------------------------------------------------------------------

    def _embed(self, data):
        module = self.net_.module_
        module.eval()
        n = n_trials(data)
        step = max(256, self.net_.batch_size)
        chunks = []
        with torch.no_grad():
            for start in range(0, n, step):
                batch = apply_scaling(data, self.scaling_, start, start + step)
                batch = {m: torch.as_tensor(x, device=self.net_.device) for m, x in batch.items()}
                blocks = module.blocks(module(**batch))
                chunks.append(torch.cat([blocks[i] for i in self._kept], dim=1).cpu().numpy())
        Z = np.concatenate(chunks).astype(np.float64)
        if not np.all(np.isfinite(Z)):
            raise FloatingPointError(
                "The network produced non-finite components; the fitted weights are unusable. "
                "Refit with a lower lr."
            )
        return Z

    def transform(self, X):
        """Components of each trial: the kept structures' blocks side by side.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Same modalities and trailing shapes as in ``fit``.

        Returns
        -------
        Z : ndarray of shape (n_trials, n_components_total)
            Columns named by :meth:`get_feature_names_out`; see ``component_slices_``.
        """
        check_is_fitted(self)
        return self._embed(self._check_input(X, reset=False))

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
        Z = self.transform(X)
        return {name: Z[:, sl] for name, sl in self.component_slices_.items()}

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``<structure>_<i>``, e.g. ``"m0+m1+m2_0"``.

        Parameters
        ----------
        input_features : array-like of str or None
            Only checked against the input columns when fitted on a single array.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        if hasattr(self, "n_features_in_"):
            _check_feature_names_in(self, input_features)
        names = [f"{s}_{i}" for s, k in self.n_components_.items() for i in range(k)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
