"""HCL: deep hierarchical contrastive learning of global, partial and specific components.

The estimator over :class:`skpid.nn.HCLNetwork` and :class:`skpid.nn.HCLObjective`
(see the latter for the terms of the objective).
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .._multimodal import signature
from .._utils import candidate_structures, structure_name
from ..nn import DEFAULT_HCL_WEIGHTS, HCLNetwork, HCLObjective
from ._base import COMMON_CONSTRAINTS, DeepDecomposer, check_block_size
from ._docs import fill_doc

__all__ = ["HCL"]

_DEFAULT_SIZE = 8


@fill_doc
class HCL(DeepDecomposer):
    """Learn global, partially shared and modality-specific components (deep HCL).

    Every non-empty subset of modalities is a candidate *structure* (for EEG and fNIRS:
    ``eeg+fnirs``, ``eeg``, ``fnirs``; for three modalities also the three pairs). Each
    modality has an encoder (a compact temporal CNN for time series, an MLP for tabular
    features) and one head per structure that contains it. Training is self-supervised
    on two augmented views of every trial, with the structure-aware objective of HCL
    (see :class:`skpid.nn.HCLObjective`): a structure's block is aligned by InfoNCE [1]_
    only across the modalities of that structure, specific blocks across views of their
    modality; an overlap penalty decorrelates the blocks of different structures; a
    group lasso [2]_ on per-structure gates (the norm of the block's head outputs) closes
    the structures the modalities do not really share, which are then pruned.

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
    %(modalities)s
    hidden_size : int, default=64
        Width of encoders and heads.
    %(n_tokens)s
    temperature : float, default=0.1
        InfoNCE temperature at gate 1 (0.1 as CoMM [3]_).
    loss_weights : dict or None, default=None
        Overrides of the term weights ``{"shared", "specific", "overlap", "sparsity"}``
        (1, 1, 1 and 0.1). A larger ``sparsity`` prunes more.
    prune_threshold : float in (0, 1), default=0.25
        With ``structure="auto"``, a structure is pruned when its gate is below this
        fraction of the largest gate.
    %(augmentations)s
    %(max_epochs)s
    %(batch_size)s
    lr : float, default=2e-3
        AdamW learning rate.
    %(validation_fraction)s
    %(n_iter_no_change)s
    %(device)s
    %(random_state)s
    %(verbose)s
    %(callbacks)s
    %(optimizer)s
    %(encoders)s
    %(ch_types)s
    %(optimizer__)s

    Attributes
    ----------
    %(attributes)s
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

    References
    ----------
    .. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive
       predictive coding", arXiv:1807.03748, 2018.
    .. [2] Yuan and Lin, "Model selection and estimation in regression with grouped
       variables", JRSS-B 68(1):49-67, 2006.
    .. [3] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> X = SliceDict(
    ...     eeg=rng.standard_normal((64, 4, 100)).astype("float32"),
    ...     fnirs=rng.standard_normal((64, 4, 20)).astype("float32"),
    ... )
    >>> hcl = HCL(n_components=2, hidden_size=16, max_epochs=2, random_state=0).fit(X)
    >>> hcl.transform(X).shape[0]
    64
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
        callbacks=None,
        optimizer=None,
        encoders=None,
        ch_types=None,
        **kwargs,
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
        self.callbacks = callbacks
        self.optimizer = optimizer
        self.encoders = encoders
        self.ch_types = ch_types
        self._store_routed(kwargs)

    def _structures(self, names):
        """Candidate structures (index tuples) and the block size of each."""
        subsets = candidate_structures(self.structure, names)
        structure_names = [structure_name(s, names) for s in subsets]
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
        all_names = [structure_name(s, self.modalities_) for s in subsets]
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
