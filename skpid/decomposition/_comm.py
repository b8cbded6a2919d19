"""CoMM: one fused multimodal representation trained by contrastive modality masking.

The module also holds :class:`_SelfSupervisedTransformer`, the scikit-learn plumbing
(input checks, scaling, the skorch net, transform, feature names) shared by the paper
baselines :class:`CoMM` and :class:`~skpid.decomposition._factorcl.FactorCL`.
"""

import copy
from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
import torch
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
from ..losses import info_nce
from ..nn import TokenFusion, make_encoder
from ._training import (
    ContrastiveNet,
    apply_scaling,
    fit_scaling,
    resolve_device,
    split_train_valid,
    term_callbacks,
)

__all__ = ["CoMM", "CoMMNetwork", "CoMMObjective"]

_MIN_TRIALS = 4
_N_HEADS = 4  # attention heads of the fusion; hidden_size must be a multiple

_COMMON_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "modalities": "no_validation",
    "hidden_size": [Interval(Integral, 4, None, closed="left")],
    "n_tokens": [Interval(Integral, 1, None, closed="left")],
    "augmentations": [None, dict],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class _SelfSupervisedTransformer(TransformerMixin, BaseEstimator):
    """Fit/transform plumbing of the two-view contrastive baselines.

    Subclasses define ``_max_modalities``, ``_make_net_parts(data) -> (module, module
    kwargs, criterion, criterion kwargs, terms, critic_terms)``, ``_blocks(modalities) ->
    {block name: width}`` and the module's ``embed(out) -> (batch, total)`` tensor.
    """

    _max_modalities = None
    _attention = False  # whether hidden_size feeds multi-head attention

    def _check_input(self, X, reset):
        """Validate ``X`` into ``{modality: float array}`` (see the class docstring)."""
        name = type(self).__name__
        reference = None if reset else self.signature_
        if sp.issparse(X):
            raise TypeError(
                f"{name} does not support sparse input; pass dense arrays (X.toarray())."
            )
        if isinstance(X, Mapping):
            if self.modalities is not None:
                raise ValueError(
                    "modalities is only used to split a single array, but X is already a "
                    "mapping of modality name to array. Leave modalities=None."
                )
            data = check_multimodal(
                X, min_trials=_MIN_TRIALS if reset else 1, min_modalities=2, reference=reference
            )
        else:
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
            data = check_multimodal(
                X, modalities=spec, min_trials=1, min_modalities=2, reference=reference
            )
        if self._max_modalities is not None and len(data) > self._max_modalities:
            raise ValueError(
                f"{name} handles exactly {self._max_modalities} modalities, got {len(data)} "
                f"({list(data)}). Pass two of them (e.g. {{'eeg': ..., 'fnirs': ...}}), or use "
                "CoMM or PIDDecomposer, which take any number of modalities."
            )
        return data

    def _batch_size(self, n_train, held_out):
        if self.batch_size == "auto":
            return min(128, n_train)
        if self.batch_size > n_train:
            extra = " (after holding out trials for early stopping)" if held_out else ""
            raise ValueError(
                f"batch_size={self.batch_size} is larger than the {n_train} training trials"
                f"{extra}. Lower batch_size, pass more trials, or use batch_size='auto'."
            )
        return int(self.batch_size)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the network on multimodal trials (self-supervised; ``y`` is ignored).

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Modality name to ``(n_trials, n_channels, n_times)`` (time series) or
            ``(n_trials, n_features)`` (tabular); or one array split along axis 1 by
            ``modalities``. At least 4 trials.
        y : None
            Ignored; present for pipelines.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            Invalid parameters, wrong number of modalities, fewer than 4 trials, NaN/inf
            values, ``batch_size`` larger than the training trials; each message names
            the fix.
        TypeError
            Sparse input or modality names that are not strings.
        FloatingPointError
            The loss became NaN or infinite (the message names the epoch and the value).
        """
        if self._attention and self.hidden_size % _N_HEADS:
            raise ValueError(
                f"hidden_size={self.hidden_size} must be a multiple of {_N_HEADS} (the "
                f"attention heads of the fusion); try "
                f"{_N_HEADS * (self.hidden_size // _N_HEADS + 1)}."
            )
        device = resolve_device(self.device)
        data = self._check_input(X, reset=True)
        n = n_trials(data)
        augmenter = Augmenter(self.augmentations, signature(data))
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        train, valid = split_train_valid(n, self.validation_fraction, seed)
        batch_size = self._batch_size(len(train), valid is not None)

        self.scaling_ = fit_scaling({m: x[train] for m, x in data.items()})
        scaled = apply_scaling(data, self.scaling_)

        def subset(idx):
            return {m: x[idx] for m, x in scaled.items()}

        module, module_kw, criterion, criterion_kw, terms, critic_terms = self._make_net_parts(data)
        callbacks = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        callbacks += term_callbacks(terms, valid is not None, train_only=critic_terms)
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
            module=module,
            **{f"module__{k}": v for k, v in module_kw.items()},
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_kw.items()},
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay,
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
            augmenter=augmenter,
            seed=seed,
            terms=terms,
            device=device,
            verbose=int(self.verbose >= 1),
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_.fit(subset(train), None)
        self.modalities_ = list(data)
        self.signature_ = signature(data)
        sizes = self._blocks(self.modalities_)
        bounds = np.cumsum([0, *sizes.values()])
        self.component_slices_ = {
            name: slice(int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(sizes)
        }
        self.n_epochs_ = len(self.net_.history)
        return self

    def _embed(self, data):
        # a float64 copy of the network: in float32, matrix products round differently
        # for different batch sizes, so a trial's output would depend on its batch-mates
        module = copy.deepcopy(self.net_.module_).double().eval()
        step = max(256, self.net_.batch_size)
        chunks = []
        with torch.no_grad():
            for start in range(0, n_trials(data), step):
                batch = {}
                for m, x in data.items():
                    mean, scale = self.scaling_[m]
                    scaled = (np.asarray(x[start : start + step], dtype=np.float64) - mean) / scale
                    batch[m] = torch.as_tensor(scaled, device=self.net_.device)
                chunks.append(module.embed(**batch).cpu().numpy())
        Z = np.concatenate(chunks)
        if not np.all(np.isfinite(Z)):
            raise FloatingPointError(
                "The network produced non-finite components; the fitted weights are unusable. "
                "Refit with a lower lr."
            )
        return Z

    def transform(self, X):
        """Learned representation of each trial.

        Runs in evaluation mode without gradients, in float64 (so that a trial's output
        does not depend on the other trials of its batch), in batches (memory bounded by
        the batch size).

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Same modalities and trailing shapes as in ``fit``.

        Returns
        -------
        Z : ndarray of shape (n_trials, n_features_out)
            Columns named by :meth:`get_feature_names_out`; see ``component_slices_``.
        """
        check_is_fitted(self)
        return self._embed(self._check_input(X, reset=False))

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, ``<block><i>`` for each block in order.

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
        names = [
            f"{block}{i}"
            for block, sl in self.component_slices_.items()
            for i in range(sl.stop - sl.start)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class CoMMNetwork(nn.Module):
    """Per-modality encoders, a token fusion transformer with CLS, a projection head.

    Encoders (chosen from each modality's trailing shape) turn every modality into
    tokens; :class:`skpid.nn.TokenFusion` attends over the tokens of all modalities and
    returns the CLS token, which a linear map turns into the representation ``Z``. A
    3-layer MLP projection head ``g`` (as SimCLR's, used by CoMM for its critics) maps
    ``Z`` into the space where the InfoNCE terms are computed. For each modality ``m``,
    the same network is also run with the tokens of every other modality replaced by a
    learned ``[MSK]`` token, giving ``P_<m>``, CoMM's ``Z_i`` [1]_.

    Parameters
    ----------
    shapes : dict of str to tuple
        Trailing shape of each modality, ``(channels, times)`` or ``(features,)``.
    n_components : int
        Size of the representation ``Z``.
    d_model : int, default=64
        Token size and hidden width.
    n_tokens : int, default=8
        Tokens per time-series modality (half as many for tabular ones).
    n_fusion_layers : int, default=1
        Transformer layers.
    projection_size : int, default=64
        Output size of the projection head.

    Shapes
    ------
    ``forward(**X)`` takes ``X[m]`` of shape ``(batch, *shapes[m])`` and returns a dict:
    ``Z`` ``(batch, n_components)``, ``P`` and ``P_<m>`` ``(batch, projection_size)``.
    ``embed(**X)`` returns ``Z`` alone, without the masked passes.

    References
    ----------
    .. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.
    """

    def __init__(
        self, shapes, n_components, d_model=64, n_tokens=8, n_fusion_layers=1, projection_size=64
    ):
        super().__init__()
        self.modalities = list(shapes)
        self.encoders = nn.ModuleList()
        self.n_tok = []
        for shape in shapes.values():
            encoder = make_encoder(shape, d_model=d_model, n_tokens=n_tokens)
            with torch.no_grad():
                self.n_tok.append(encoder(torch.zeros(2, *shape)).shape[1])
            self.encoders.append(encoder)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d_model))
        self.fusion = TokenFusion(self.n_tok, d_model, n_layers=n_fusion_layers)
        self.representation = nn.Linear(d_model, n_components)
        self.projection = _mlp([n_components, d_model, d_model, projection_size])

    def _tokens(self, X):
        return [enc(X[m]) for enc, m in zip(self.encoders, self.modalities, strict=True)]

    def embed(self, **X):
        return self.representation(self.fusion(self._tokens(X)))

    def forward(self, **X):
        tokens = self._tokens(X)
        batch = tokens[0].shape[0]
        passes = [tokens]
        for keep in range(len(tokens)):
            passes.append(
                [
                    tok if i == keep else self.mask_token.expand(batch, self.n_tok[i], -1)
                    for i, tok in enumerate(tokens)
                ]
            )
        # all (M + 1) passes through the fusion as one batch
        stacked = [torch.cat([p[i] for p in passes]) for i in range(len(tokens))]
        Z = self.representation(self.fusion(stacked))
        P = self.projection(Z).split(batch)
        out = {"Z": Z[:batch], "P": P[0]}
        for i, m in enumerate(self.modalities):
            out[f"P_{m}"] = P[i + 1]
        return out


class CoMMObjective(nn.Module):
    """CoMM's loss: ``L = L_fused + sum_m L_m`` (Algorithm 1 of [1]_).

    With two augmented views ``a`` and ``b`` of a batch, ``L_fused`` is the InfoNCE
    loss between the projected fused views ``P(a)`` and ``P(b)``, and ``L_m`` is
    ``(InfoNCE(P_m(a), P(b)) + InfoNCE(P_m(b), P(a))) / 2``: the representation with only
    modality ``m`` visible against the full representation of the *other* view. The
    InfoNCE is one-directional on cosine similarity divided by the temperature, as in the
    paper's Eq. (6).

    Parameters
    ----------
    modalities : list of str
    temperature : float, default=0.1

    References
    ----------
    .. [1] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.
    """

    def __init__(self, modalities, temperature=0.1):
        super().__init__()
        self.modalities = list(modalities)
        self.temperature = temperature

    def forward(self, out_a, out_b, y=None):
        """Return a dict of the loss terms and their sum under ``"loss"``."""
        tau = self.temperature
        terms = {"fused": info_nce(out_a["P"], out_b["P"], tau, symmetric=False)}
        for m in self.modalities:
            terms[f"masked_{m}"] = 0.5 * (
                info_nce(out_a[f"P_{m}"], out_b["P"], tau, symmetric=False)
                + info_nce(out_b[f"P_{m}"], out_a["P"], tau, symmetric=False)
            )
        terms["loss"] = sum(terms.values())
        return terms


class CoMM(_SelfSupervisedTransformer):
    """CoMM: a fused multimodal representation learned by contrastive modality masking.

    Implements CoMM (Dufumier et al., ICLR 2025) [1]_ as a scikit-learn transformer for
    any number ``M >= 2`` of modalities. Each modality is encoded into tokens (a compact
    temporal CNN for time series, an MLP for tabular features; CoMM uses one encoder per
    modality followed by a linear "latent converter"), a transformer fuses the tokens of
    all modalities through a CLS token into one representation ``Z``, and a projection
    head maps ``Z`` to the space of the contrastive terms (:class:`CoMMNetwork`). Training
    maximises ``M + 1`` InfoNCE terms (:class:`CoMMObjective`): one between two augmented
    views of the fused representation, which by the paper's Lemma 2 targets
    ``R + sum U + S`` when augmentations keep the task information, and one per modality
    between the representation computed with every other modality masked and the full
    augmented one, which targets ``R + U_m`` (Lemma 3). Redundant, unique and synergistic
    information all end up *in* ``Z``; CoMM does not separate them (use
    :class:`~skpid.decomposition.PIDDecomposer` for explicit blocks).

    Defaults and deviations from the paper [1]_:

    - ``temperature=0.1``: the paper's value.
    - AdamW with ``lr=1e-3``, ``weight_decay=1e-2``: the paper's setting for its
      time-series + tabular data (MIMIC, Appendix B); it uses ``3e-4``/``1e-4`` on
      Trifeature.
    - ``max_epochs=30`` instead of the paper's 100, and ``hidden_size=64`` tokens with a
      projection head of width 64 (64-d output) instead of 512-d hidden / 256-d output:
      smaller networks that train on CPU.
    - The masked passes ``Z_m`` reuse the two training views (``Z_m`` of view ``a`` is
      contrasted with the full view ``b`` and vice versa) instead of drawing a third
      augmentation per modality; a masked modality is replaced by a learned ``[MSK]``
      token per position, as the paper's ``([MSK], ..., X_i, ..., [MSK])``.
    - Augmentations: :func:`skpid.augment.default_augmentations` (noise, time masking and
      physiologically motivated transforms for EEG/fNIRS); the paper uses Gaussian noise
      and random dropping of time steps for time series.

    Parameters
    ----------
    n_components : int, default=64
        Size of the fused representation ``Z`` returned by ``transform``.
    modalities : dict, list of int, int or None, default=None
        Only used when ``X`` is a single array ``(n, features)`` or ``(n, channels,
        times)``: how axis 1 is split into modalities (see
        :func:`skpid._multimodal.check_multimodal`); None splits it into two halves
        ``m0`` and ``m1``.
    hidden_size : int, default=64
        Token size and width of the networks (a multiple of 4, the attention heads).
    n_tokens : int, default=8
        Time tokens per time-series modality (half as many for tabular ones).
    n_fusion_layers : int, default=1
        Transformer layers of the fusion.
    projection_size : int, default=64
        Output size of the projection head.
    temperature : float, default=0.1
        InfoNCE temperature (the paper's value).
    augmentations : dict or None, default=None
        Modality name to a list of augmentations (see
        :class:`skpid.augment.Augmenter`); modalities left out get
        :func:`skpid.augment.default_augmentations`.
    max_epochs : int, default=30
    batch_size : int or "auto", default="auto"
        ``"auto"`` uses ``min(128, n_train)``.
    lr : float, default=1e-3
    weight_decay : float, default=1e-2
    validation_fraction : float or None, default=None
        Fraction of trials held out for early stopping on the validation loss; None
        trains on all trials for ``max_epochs``.
    n_iter_no_change : int, default=10
        Patience of early stopping.
    device : str, default="cpu"
        Torch device, or ``"auto"`` for CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batching, augmentation and the validation split; the same
        value gives the same output on CPU.
    verbose : int, default=0
        1 prints the per-epoch losses, 2 adds a progress bar.

    Attributes
    ----------
    net_ : skpid.decomposition._training.ContrastiveNet
        The trained skorch net (``net_.history`` holds every loss term per epoch).
    modalities_ : list of str
    signature_ : dict of str to tuple
        Trailing shape of each modality seen in fit.
    scaling_ : dict of str to (ndarray, ndarray)
        Fitted per-modality standardisation.
    component_slices_ : dict of str to slice
        ``{"CoMM": slice(0, n_components)}``.
    n_epochs_ : int
        Epochs run.
    n_features_in_ : int
        Only when fitted on a single array.

    References
    ----------
    .. [1] Dufumier, Castillo-Navetty, Spiess, Schölkopf and Grinsztajn, "What to align in
       multimodal contrastive learning?", ICLR 2025.

    Examples
    --------
    >>> from skorch.helper import SliceDict
    >>> X = SliceDict(eeg=eeg_epochs, fnirs=fnirs_epochs)  # doctest: +SKIP
    >>> Z = CoMM(n_components=32, random_state=0).fit_transform(X)  # doctest: +SKIP
    """

    _parameter_constraints: ClassVar[dict] = {
        **_COMMON_CONSTRAINTS,
        "n_fusion_layers": [Interval(Integral, 1, None, closed="left")],
        "projection_size": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
    }
    _attention = True

    def __init__(
        self,
        n_components=64,
        *,
        modalities=None,
        hidden_size=64,
        n_tokens=8,
        n_fusion_layers=1,
        projection_size=64,
        temperature=0.1,
        augmentations=None,
        max_epochs=30,
        batch_size="auto",
        lr=1e-3,
        weight_decay=1e-2,
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
        self.n_fusion_layers = n_fusion_layers
        self.projection_size = projection_size
        self.temperature = temperature
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

    def _blocks(self, modalities):
        return {"CoMM": int(self.n_components)}

    def _make_net_parts(self, data):
        modalities = list(data)
        module_kw = {
            "shapes": signature(data),
            "n_components": int(self.n_components),
            "d_model": self.hidden_size,
            "n_tokens": self.n_tokens,
            "n_fusion_layers": self.n_fusion_layers,
            "projection_size": self.projection_size,
        }
        criterion_kw = {"modalities": modalities, "temperature": self.temperature}
        terms = ["fused", *(f"masked_{m}" for m in modalities)]
        return CoMMNetwork, module_kw, CoMMObjective, criterion_kw, terms, ()
