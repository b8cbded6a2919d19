"""FactorCL: shared and unique representations of two modalities (self-supervised)."""

from numbers import Integral, Real
from typing import ClassVar

import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from .._multimodal import signature
from ..losses import nce_club, nce_lower_bound
from ..nn import ModalityEncoder, ProjectionHead
from ._base import COMMON_CONSTRAINTS, DeepDecomposer

__all__ = ["ConcatCritic", "FactorCL", "FactorCLNetwork", "FactorCLObjective"]


class ConcatCritic(nn.Module):
    """Concat critic ``f(x, y) = h([x, y])``, ``h`` an MLP, scored on every pair of a batch.

    FactorCL uses this design for all its critics (Appendix C of [1]_, after Poole et
    al. [2]_).

    Parameters
    ----------
    x_features, y_features : int
        Sizes of the two inputs.
    hidden : int, default=64
        Width of the two hidden layers of ``h``.

    Shapes
    ------
    input ``x (batch, x_features)``, ``y (batch, y_features)``; output ``(batch, batch)``
    with ``out[i, j] = f(x_i, y_j)``.

    References
    ----------
    .. [1] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.
    .. [2] Poole et al., "On variational bounds of mutual information", ICML 2019.
    """

    def __init__(self, x_features, y_features, hidden=64):
        super().__init__()
        self.h = nn.Sequential(
            nn.Linear(x_features + y_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x, y):
        # h's first layer on [x_i, y_j] is A x_i + B y_j + c: computed per sample and
        # broadcast over the pairs, without materialising the (batch, batch, x + y) input
        first = self.h[0]
        n_x = x.shape[1]
        hidden = (x @ first.weight[:, :n_x].T + first.bias)[:, None] + (
            y @ first.weight[:, n_x:].T
        )[None]
        return self.h[1:](hidden).squeeze(-1)


class FactorCLNetwork(nn.Module):
    """Encoder per modality, then a shared head ``S_m`` and a unique head ``U_m``.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each of the two modalities.
    n_components : int
        Size of every head.
    d_model : int, default=64
        Token size and hidden width.
    n_tokens : int, default=8
        Tokens per time-series modality (half as many for tabular ones).

    Shapes
    ------
    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict of
    ``S_<m>`` and ``U_<m>``, each ``(batch, n_components)``. ``embed(**X)`` returns
    ``[S_<m1>, S_<m2>, U_<m1>, U_<m2>]`` side by side, ``(batch, 4 * n_components)``.
    """

    def __init__(self, shapes, n_components, d_model=64, n_tokens=8):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.shared = nn.ModuleList()
        self.unique = nn.ModuleList()
        for name, shape in shapes.items():
            self.encoders.append(ModalityEncoder(name, shape, d_model=d_model, n_tokens=n_tokens))
            self.shared.append(ProjectionHead(d_model, n_components, d_model))
            self.unique.append(ProjectionHead(d_model, n_components, d_model))

    def forward(self, **X):
        out = {}
        for i, m in enumerate(self.modalities):
            h = self.encoders[i](X[m])[1]
            out[f"S_{m}"] = self.shared[i](h)
            out[f"U_{m}"] = self.unique[i](h)
        return out

    def embed(self, **X):
        out = self(**X)
        keys = [f"S_{m}" for m in self.modalities] + [f"U_{m}" for m in self.modalities]
        return torch.cat([out[k] for k in keys], dim=1)


class FactorCLObjective(nn.Module):
    """FactorCL-SSL objective (Eqs. 97-99 of [1]_) with its critics.

    With ``x`` one augmented view of the batch and ``x'`` the other (representations
    ``out_a`` and ``out_b``), the network maximises

    ``I_NCE(S1; S2) - I_NCE-CLUB(S1; S2 | S1', S2')`` (shared)
    ``+ I_NCE(U1; U1') + I_NCE(U2; U2')`` (unique, within each modality)
    ``- I_NCE-CLUB(U1; U2) + I_NCE(U1; U2 | U1', U2')`` (shared information removed from
    the unique heads, task-relevant shared information given back)

    where ``S_m``, ``U_m`` are the shared and unique heads of modality ``m``. Conditioning
    on the views is done by concatenation: the critic of ``I(S1; S2 | S1', S2')`` scores
    ``[S1(x), S1(x')]`` against ``[S2(x), S2(x')]`` (Sordoni et al., as cited in [1]_).
    The unconditional cross-modal terms are averaged over both views, the conditional ones
    over both orders of the views.

    Every term has its own :class:`ConcatCritic`. The critics are trained in their own
    step to maximise their InfoNCE bound on detached representations
    (:meth:`critic_loss`); the network then maximises the InfoNCE terms and minimises the
    NCE-CLUB terms with the critics fixed. NCE-CLUB plugs the InfoNCE-trained critic into
    the CLUB upper bound (Theorem 2 of [1]_; :func:`skpid.losses.nce_club`).

    Parameters
    ----------
    modalities : list of str
        The two modality names.
    n_components : int
        Size of every head.
    hidden : int, default=64
        Width of the critics.

    References
    ----------
    .. [1] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.
    """

    def __init__(self, modalities, n_components, hidden=64):
        super().__init__()
        self.modalities = list(modalities)
        k = n_components
        self.critics = nn.ModuleDict(
            {
                "shared_nce": ConcatCritic(k, k, hidden),
                "shared_cond_club": ConcatCritic(2 * k, 2 * k, hidden),
                "unique_nce_0": ConcatCritic(k, k, hidden),
                "unique_nce_1": ConcatCritic(k, k, hidden),
                "unique_club": ConcatCritic(k, k, hidden),
                "unique_cond_nce": ConcatCritic(2 * k, 2 * k, hidden),
            }
        )

    def _pairs(self, out_a, out_b):
        """``{critic name: [(x, y), ...]}``, the samples each critic's terms are computed on."""
        m1, m2 = self.modalities

        def cond(out, view, block):
            # the representation of x concatenated with that of its augmented view x'
            # (the public code concatenates the embedding of x with itself here)
            return (
                torch.cat([out[f"{block}_{m1}"], view[f"{block}_{m1}"]], dim=1),
                torch.cat([out[f"{block}_{m2}"], view[f"{block}_{m2}"]], dim=1),
            )

        views = ((out_a, out_b), (out_b, out_a))
        return {
            "shared_nce": [(o[f"S_{m1}"], o[f"S_{m2}"]) for o in (out_a, out_b)],
            "shared_cond_club": [cond(o, v, "S") for o, v in views],
            "unique_nce_0": [(out_a[f"U_{m1}"], out_b[f"U_{m1}"])],
            "unique_nce_1": [(out_a[f"U_{m2}"], out_b[f"U_{m2}"])],
            "unique_club": [(o[f"U_{m1}"], o[f"U_{m2}"]) for o in (out_a, out_b)],
            "unique_cond_nce": [cond(o, v, "U") for o, v in views],
        }

    def critic_loss(self, out_a, out_b):
        """Minus the mean InfoNCE bound of all critics, on detached representations."""
        bounds = [
            nce_lower_bound(self.critics[name](x.detach(), y.detach()))
            for name, pairs in self._pairs(out_a, out_b).items()
            for x, y in pairs
        ]
        return -torch.stack(bounds).mean()

    def forward(self, out_a, out_b, y=None):
        """Return the estimated bounds (nats) and ``loss = -L_FactorCL-SSL``."""
        pairs = self._pairs(out_a, out_b)

        def estimate(name, bound):
            return torch.stack([bound(self.critics[name](x, y)) for x, y in pairs[name]]).mean()

        terms = {
            "shared_nce": estimate("shared_nce", nce_lower_bound),
            "shared_cond_club": estimate("shared_cond_club", nce_club),
            "unique_nce": estimate("unique_nce_0", nce_lower_bound)
            + estimate("unique_nce_1", nce_lower_bound),
            "unique_club": estimate("unique_club", nce_club),
            "unique_cond_nce": estimate("unique_cond_nce", nce_lower_bound),
        }
        objective = (
            terms["shared_nce"]
            - terms["shared_cond_club"]
            + terms["unique_nce"]
            - terms["unique_club"]
            + terms["unique_cond_nce"]
        )
        terms["loss"] = -objective
        return terms


class FactorCL(DeepDecomposer):
    """FactorCL: factorised shared and unique representations of two modalities.

    Implements the self-supervised FactorCL (FactorCL-SSL, Liang et al., NeurIPS 2023)
    [1]_ as a scikit-learn transformer. Each modality is encoded (a compact temporal CNN
    for time series, an MLP for tabular features) into a representation that feeds a
    shared head ``S_m`` and a unique head ``U_m`` (:class:`FactorCLNetwork`). With ``X'``
    an augmented view of ``X``, training maximises (:class:`FactorCLObjective`)

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
    modalities : dict, list of int, int or None, default=None
        Only used when ``X`` is a single array: how axis 1 is split into two modalities
        (see :func:`skpid._multimodal.check_multimodal`); None splits it into halves
        ``m0`` and ``m1``.
    hidden_size : int, default=64
        Width of encoders, heads and critics.
    n_tokens : int, default=8
        Time tokens of the time-series encoders (half as many for tabular ones).
    augmentations : dict or None, default=None
        Modality name to a list of augmentations (see :class:`skpid.augment.Augmenter`).
    max_epochs : int, default=30
    batch_size : int or "auto", default="auto"
        ``"auto"`` uses ``min(128, n_train)`` (32 when ``fit`` gets ``groups``).
    lr : float, default=1e-3
        Learning rate of the network and of the critics.
    weight_decay : float, default=0.0
    validation_fraction : float or None, default=None
        Fraction of trials held out for early stopping; None trains for ``max_epochs``.
    n_iter_no_change : int, default=10
        Patience of early stopping.
    device : str, default="cpu"
        Torch device, or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        The same value gives the same output on CPU.
    verbose : int, default=0
        1 prints the per-epoch terms (bounds in nats), 2 adds a progress bar.

    Attributes
    ----------
    net_ : skpid.decomposition._training.ContrastiveNet
        The trained skorch net; its history holds ``train_<term>`` for ``shared_nce``,
        ``shared_cond_club``, ``unique_nce``, ``unique_club``, ``unique_cond_nce`` and the
        mean critic bound ``train_critic``.
    modalities_ : list of str
    signature_ : dict of str to tuple
    scaling_ : dict of str to (ndarray, ndarray)
    component_slices_ : dict of str to slice
        ``"shared"`` (``[S_<m1>, S_<m2>]``, ``2 * n_components`` columns), ``"U_<m1>"``,
        ``"U_<m2>"`` (``n_components`` each).
    n_epochs_ : int
    n_features_in_ : int
        Only when fitted on a single array.

    References
    ----------
    .. [1] Liang, Deng, Ma, Zou, Morency and Salakhutdinov, "Factorized contrastive
       learning: going beyond multi-view redundancy", NeurIPS 2023.

    Examples
    --------
    >>> from skorch.helper import SliceDict
    >>> X = SliceDict(eeg=eeg_epochs, fnirs=fnirs_epochs)  # doctest: +SKIP
    >>> fcl = FactorCL(n_components=8, random_state=0).fit(X)  # doctest: +SKIP
    >>> shared = fcl.transform(X)[:, fcl.component_slices_["shared"]]  # doctest: +SKIP
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
