"""FactorCL: shared and unique representations of two modalities (self-supervised)."""

from numbers import Integral, Real
from typing import ClassVar

from sklearn.utils._param_validation import Interval

from .._multimodal import signature
from ..nn import FactorCLNetwork, FactorCLObjective
from ._base import COMMON_CONSTRAINTS, DeepDecomposer
from ._docs import fill_doc

__all__ = ["FactorCL"]


@fill_doc
class FactorCL(DeepDecomposer):
    """FactorCL: factorised shared and unique representations of two modalities.

    Implements the self-supervised FactorCL (FactorCL-SSL, Liang et al., NeurIPS 2023)
    [1]_ as a scikit-learn transformer. Each modality is encoded (a compact temporal CNN
    for time series, an MLP for tabular features) into a representation that feeds a
    shared head ``S_m`` and a unique head ``U_m`` (:class:`skpid.nn.FactorCLNetwork`). With ``X'``
    an augmented view of ``X``, training maximises (:class:`skpid.nn.FactorCLObjective`)

    - shared: ``I_NCE(X1; X2) - I_NCE-CLUB(X1; X2 | X1', X2')``, a lower bound of the
      task-relevant shared information ``I(X1; X2; Y)`` under the optimal augmentation
      assumption ``I(X; X') = I(X; Y)``;
    - unique ``i``: ``I_NCE(Xi; Xi') - I_NCE-CLUB(X1; X2) + I_NCE(X1; X2 | X1', X2')``, a
      lower bound of ``I(Xi; Y | X-i)``,

    where InfoNCE gives lower bounds and NCE-CLUB (CLUB with the InfoNCE-trained critic
    plugged in) upper bounds of mutual information; all critics are MLPs on concatenated
    pairs. Conditioning on the views concatenates the representations of ``X`` and of its
    augmented view ``X'``, as the paper specifies; FactorCL's public code instead
    concatenates the embedding of ``X`` with itself in the self-supervised conditional
    NCE-CLUB term (so that term conditions on nothing new); this is done correctly here.
    FactorCL has no synergy term: its conditional-MI split cannot tell synergy from
    redundancy (co-information is ``R - S``).

    Two modalities only (a ``ValueError`` otherwise; use
    :class:`~skpid.decomposition.CoMM` or :class:`~skpid.decomposition.PIDDecomposer` for
    more).

    Defaults and deviations from the paper [1]_:

    - Concat critics ``h([x, y])`` (paper, Appendix C), one per term; here two hidden
      layers of width ``hidden_size``.
    - The paper adds one MLP head per term on each encoder and concatenates the heads of
      the shared terms into ``Z_S`` and of the unique terms into ``Z_U``; here one shared
      and one unique head per modality carry all their terms, so that each block is one
      representation of size ``n_components``.
    - Optimiser: AdamW with ``lr=1e-3`` and ``weight_decay=0`` for ``max_epochs=30``,
      instead of the paper's Adam at ``1e-4`` for 100 epochs, to train in a few CPU
      minutes; ``hidden_size=64`` (smaller networks).
    - The two views ``X`` and ``X'`` are both augmented (the paper's ``X`` is the clean
      input); the conditional and cross-modal terms are averaged over both orders.
    - Augmentations: :func:`skpid.augment.default_augmentations` per modality.

    Parameters
    ----------
    n_components : int, default=16
        Size of every head; ``transform`` returns ``4 * n_components`` columns.
    %(modalities)s
    hidden_size : int, default=64
        Width of encoders, heads and critics.
    %(n_tokens)s
    %(augmentations)s
    %(max_epochs)s
    %(batch_size)s
    lr : float, default=1e-3
        Learning rate of the network and of the critics.
    weight_decay : float, default=0.0
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
    component_slices_ : dict of str to slice
        ``"shared"`` (``[S_<m1>, S_<m2>]``, ``2 * n_components`` columns), ``"U_<m1>"``,
        ``"U_<m2>"`` (``n_components`` each).

    References
    ----------
    .. [1] Liang, Deng, Ma, Zou, Morency and Salakhutdinov, "Factorized contrastive
       learning: going beyond multi-view redundancy", NeurIPS 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> X = SliceDict(
    ...     eeg=rng.standard_normal((64, 4, 100)).astype("float32"),
    ...     fnirs=rng.standard_normal((64, 4, 20)).astype("float32"),
    ... )
    >>> fcl = FactorCL(n_components=2, hidden_size=16, max_epochs=1, random_state=0).fit(X)
    >>> list(fcl.component_slices_)
    ['shared', 'U_eeg', 'U_fnirs']
    """

    _parameter_constraints: ClassVar[dict] = {
        **COMMON_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
    }
    _max_modalities = 2
    _critic_terms = ("critic",)
    _embed_float64 = True

    def __init__(
        self,
        n_components=16,
        *,
        modalities=None,
        hidden_size=64,
        n_tokens=8,
        augmentations=None,
        max_epochs=30,
        batch_size="auto",
        lr=1e-3,
        weight_decay=0.0,
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
        self.modalities = modalities
        self.hidden_size = hidden_size
        self.n_tokens = n_tokens
        self.augmentations = augmentations
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
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

    def _fitted_blocks(self):
        k = int(self.n_components)
        return {"shared": 2 * k, **{f"U_{m}": k for m in self.modalities_}}

    def _net_params(self, data, y, weights):
        k = int(self.n_components)
        params = {
            "module": FactorCLNetwork,
            "module__shapes": signature(data),
            "module__n_components": k,
            "module__d_model": self.hidden_size,
            "module__n_tokens": self.n_tokens,
            "criterion": FactorCLObjective,
            "criterion__modalities": list(data),
            "criterion__n_components": k,
            "criterion__hidden": self.hidden_size,
            "optimizer__weight_decay": self.weight_decay,
        }
        terms = ["shared_nce", "shared_cond_club", "unique_nce", "unique_club", "unique_cond_nce"]
        return params, terms, None

    def _embed_batch(self, module, batch):
        return module.embed(**batch)
