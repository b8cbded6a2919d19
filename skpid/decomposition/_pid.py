"""PIDDecomposer: one block of learned components per partial-information atom."""

from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from .._multimodal import check_multimodal, n_trials, signature
from ..augment import Augmenter
from ..nn import PIDNetwork, compute_target, target_kind
from ._objective import DEFAULT_LOSS_WEIGHTS, PIDObjective
from ._training import (
    ContrastiveNet,
    apply_scaling,
    fit_scaling,
    resolve_device,
    split_train_valid,
    term_callbacks,
)

__all__ = ["PIDDecomposer"]

_MIN_TRIALS = 4
_CRITIC_LR_FACTOR = 3.0  # critics must keep up with the representations they bound
_N_HEADS = 4  # attention heads of the fusion; hidden_size must be a multiple


class PIDDecomposer(TransformerMixin, BaseEstimator):
    """Learn redundant, unique and synergistic components of multimodal recordings.

    For modalities ``m = 1..M`` (e.g. EEG and fNIRS), an encoder per modality (a compact
    temporal CNN for time series, an MLP for tabular features) feeds a redundancy head
    ``R_m`` and a unique head ``U_m``; a transformer over the tokens of all modalities
    feeds a synergy head ``S``. Training is self-supervised with two augmented views of
    every trial (see :class:`~skpid.decomposition._objective.PIDObjective`):

    - ``R``: cross-modal InfoNCE aligns ``R_m`` across modalities, so it keeps what all
      modalities share (the redundant atom) [1]_, [2]_.
    - ``U_m``: InfoNCE between views of modality ``m`` alone, minus a CLUB upper bound
      [4]_ of its mutual information with the other modalities' representations (the
      role NCE-CLUB plays in FactorCL [2]_).
    - ``S``: InfoNCE between fused views (as CoMM [3]_), minus CLUB bounds of its
      mutual information with each single modality, so that only what needs the
      modalities together is left.
    - A cross-correlation penalty between blocks keeps them from sharing linear
      directions.
    - Physiological auxiliary targets (``auxiliary_targets=True``): ``U_eeg`` predicts the
      event-related band power of the EEG, ``U_fnirs`` the CBSI haemodynamic amplitude
      [5]_, both computed once from the clean standardised trials (see
      :mod:`skpid.nn._targets`), as the design's physiology table links them.

    The Gaussian critics of the CLUB bounds are trained jointly, by maximum likelihood,
    with their own optimizer (learning rate ``3 * lr``); the network minimises the
    bounds with the critics fixed and the conditioning representations detached.
    ``transform`` returns the concatenated blocks ``[R, U_<m1>, ..., U_<mM>, S]``; ``R``
    is the mean of the aligned per-modality redundancy embeddings. Every block is
    L2-normalised per trial (the geometry of the contrastive losses).

    Parameters
    ----------
    n_components : int or dict, default=8
        Size of each block. An int gives every block that size; a dict may set ``"R"``,
        ``"S"``, ``"U"`` (all unique blocks) and ``"U_<modality>"`` (one of them), with
        the int 8 for blocks it leaves out.
    modalities : dict, list of int, int or None, default=None
        Only used when ``X`` is a single array ``(n, features)`` or ``(n, channels,
        times)``: how axis 1 is split into modalities (see
        :func:`skpid._multimodal.check_multimodal`). With None, axis 1 is split into two
        near-equal halves named ``m0`` and ``m1`` (this makes plain 2-D arrays, as in
        scikit-learn's own checks, usable as two modalities).
    hidden_size : int, default=64
        Width of encoders, tokens, heads and critics (a multiple of 4, the attention
        heads).
    n_tokens : int, default=8
        Time tokens per time-series modality (half as many for tabular ones).
    n_fusion_layers : int, default=1
        Transformer layers of the fusion feeding the synergy head.
    temperature : float, default=0.1
        Temperature of every InfoNCE term (0.1 as CoMM). Higher values (e.g. 0.5) favour
        coarse, high-variance structure over fine detail.
    loss_weights : dict or None, default=None
        Overrides of the term weights ``{"redundant", "unique", "synergy", "mi_unique",
        "mi_synergy", "decorrelation", "auxiliary", "supervised"}``, all 1.0 by default
        except ``auxiliary`` (5.0). Raising the
        penalties (e.g. 5-10) reduces leaks between blocks at the cost of what each block
        recovers.
    augmentations : dict or None, default=None
        Modality name to a list of augmentations: names from
        :data:`skpid.augment.AUGMENTATIONS`, ``(name, params)`` pairs or callables
        ``f(x, *, generator)``; an empty list turns augmentation off for that modality.
        Modalities left out get :func:`skpid.augment.default_augmentations` (chosen from
        the name: ``"eeg"``, ``"nirs"``, other time series, tabular).
    auxiliary_targets : bool, default=True
        Physiological auxiliary targets computed from the input (no labels): the unique
        block of a time-series modality named like ``"eeg"`` learns to predict the
        largest short-time power in octave bands (the dominant rhythm of an event
        burst), that of one named like ``"nirs"`` (HbO, HbR channel pairs) the amplitude
        of the CBSI haemodynamic signal (see :mod:`skpid.nn._targets`), with weight
        ``loss_weights["auxiliary"]``. Other modalities get none.
    supervised : bool, default=False
        When True, ``fit`` needs ``y`` and adds a linear classifier on the concatenated
        blocks, trained with cross-entropy (weight ``loss_weights["supervised"]``) on
        both views together with the self-supervised terms. It pulls label information
        into the components; the classifier is not exposed. When False, ``y`` is ignored.
    max_epochs : int, default=30
        Largest number of passes over the training trials (30 keeps a fit of 1,000
        EEG+fNIRS trials of 32 x 1,000 and 40 x 160 samples near 100 CPU-seconds).
    batch_size : int or "auto", default="auto"
        Trials per batch; ``"auto"`` is ``min(128, n_training_trials)``. InfoNCE
        contrasts every trial with the rest of its batch, so larger is better.
    lr : float, default=2e-3
        AdamW learning rate (network and critics).
    validation_fraction : float or None, default=None
        Share of trials held out (at random) for early stopping on the validation loss
        (e.g. 0.1); None trains for ``max_epochs`` on all trials. Off by default: the
        loss holds adversarial CLUB terms that grow as the critics learn, so its minimum
        often comes early, before the blocks separate.
    n_iter_no_change : int, default=10
        Epochs without improvement of the validation loss before stopping; the best
        epoch's weights are kept.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"`` (``"cuda:0"``...) or ``"auto"`` (CUDA when available).
    random_state : int, RandomState instance or None, default=None
        Seeds network initialisation, augmentation, batch order and the held-out split.
        An int gives identical components on CPU.
    verbose : int, default=0
        0 silent; 1 prints a table of per-epoch losses (skorch PrintLog); 2 adds a
        progress bar over batches.

    Attributes
    ----------
    net_ : ContrastiveNet
        The fitted skorch net (``net_.module_`` is the :class:`skpid.nn.PIDNetwork`,
        ``net_.history`` holds every loss term per epoch).
    modalities_ : list of str
        Modality names, in the order of the blocks.
    signature_ : dict of str to tuple
        Trailing shape of each modality seen in fit.
    scaling_ : dict of str to (ndarray, ndarray)
        Per-channel (or per-feature) mean and standard deviation of each modality.
    n_components_ : dict of str to int
        Size of each block, in output order (``R``, ``U_<m>``..., ``S``).
    component_slices_ : dict of str to slice
        Columns of each block in the output of ``transform``.
    n_epochs_ : int
        Epochs run.
    classes_ : ndarray
        Labels seen in fit (supervised mode only).
    n_features_in_ : int
        Number of columns (axis 1) when fitted on a single array.
    feature_names_in_ : ndarray of str
        Column names when fitted on a DataFrame.

    References
    ----------
    .. [1] van den Oord, Li and Vinyals, "Representation learning with contrastive
       predictive coding", arXiv:1807.03748, 2018.
    .. [2] Liang et al., "Factorized contrastive learning: going beyond multi-view
       redundancy", NeurIPS 2023.
    .. [3] Dufumier et al., "What to align in multimodal contrastive learning?", ICLR 2025.
    .. [4] Cheng et al., "CLUB: a contrastive log-ratio upper bound of mutual
       information", ICML 2020.
    .. [5] Cui, Bray and Reiss, "Functional near infrared spectroscopy (NIRS) signal
       improvement based on negative correlation between oxygenated and deoxygenated
       hemoglobin dynamics", NeuroImage 49(4), 2010.

    Examples
    --------
    >>> from skorch.helper import SliceDict
    >>> X = SliceDict(eeg=eeg_epochs, fnirs=fnirs_epochs)  # doctest: +SKIP
    >>> dec = PIDDecomposer(n_components=8, random_state=0).fit(X)  # doctest: +SKIP
    >>> blocks = dec.decompose(X)  # {"R": ..., "U_eeg": ..., "U_fnirs": ..., "S": ...}
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [Interval(Integral, 1, None, closed="left"), dict],
        "modalities": "no_validation",
        "hidden_size": [Interval(Integral, 4, None, closed="left")],
        "n_tokens": [Interval(Integral, 1, None, closed="left")],
        "n_fusion_layers": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "loss_weights": [None, dict],
        "augmentations": [None, dict],
        "auxiliary_targets": ["boolean"],
        "supervised": ["boolean"],
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
        modalities=None,
        hidden_size=64,
        n_tokens=8,
        n_fusion_layers=1,
        temperature=0.1,
        loss_weights=None,
        augmentations=None,
        auxiliary_targets=True,
        supervised=False,
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
        self.modalities = modalities
        self.hidden_size = hidden_size
        self.n_tokens = n_tokens
        self.n_fusion_layers = n_fusion_layers
        self.temperature = temperature
        self.loss_weights = loss_weights
        self.augmentations = augmentations
        self.auxiliary_targets = auxiliary_targets
        self.supervised = supervised
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
        """Validate ``X`` into ``{modality: float array}`` (see the class docstring)."""
        reference = None if reset else self.signature_
        if sp.issparse(X):
            raise TypeError(
                "PIDDecomposer does not support sparse input; pass dense arrays (X.toarray())."
            )
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

    def _block_sizes(self, modalities):
        names = ["R", *(f"U_{m}" for m in modalities), "S"]
        if not isinstance(self.n_components, dict):
            return dict.fromkeys(names, int(self.n_components))
        allowed = {"R", "S", "U", *names}
        unknown = [k for k in self.n_components if k not in allowed]
        if unknown:
            raise ValueError(
                f"n_components has unknown keys {unknown}; use 'R', 'S', 'U' (every unique "
                f"block) or one of {names[1:-1]}."
            )
        sizes = {}
        for name in names:
            default = self.n_components.get("U", 8) if name.startswith("U_") else 8
            size = self.n_components.get(name, default)
            if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
                raise ValueError(f"n_components[{name!r}] must be a positive int, got {size!r}.")
            sizes[name] = int(size)
        return sizes

    def _check_loss_weights(self):
        weights = dict(self.loss_weights or {})
        unknown = [k for k in weights if k not in DEFAULT_LOSS_WEIGHTS]
        if unknown:
            raise ValueError(
                f"loss_weights has unknown terms {unknown}; choose from "
                f"{sorted(DEFAULT_LOSS_WEIGHTS)}."
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
        """Fit the encoders and heads on multimodal trials.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Modality name to ``(n_trials, n_channels, n_times)`` (time series) or
            ``(n_trials, n_features)`` (tabular); or one array split along axis 1 by
            ``modalities``. At least 2 modalities and 4 trials.
        y : array-like of shape (n_trials,) or None
            Labels, used only when ``supervised=True`` (then required).

        Returns
        -------
        self : PIDDecomposer

        Raises
        ------
        ValueError
            Invalid parameters, fewer than 2 modalities or 4 trials, NaN/inf values,
            ``batch_size`` larger than the training trials, missing labels in supervised
            mode; each message names the fix.
        TypeError
            Sparse input or modality names that are not strings.
        FloatingPointError
            The loss became NaN or infinite (the message names the epoch and the value).
        """
        if self.hidden_size % _N_HEADS:
            raise ValueError(
                f"hidden_size={self.hidden_size} must be a multiple of {_N_HEADS} (the "
                f"attention heads of the fusion); try "
                f"{_N_HEADS * (self.hidden_size // _N_HEADS + 1)}."
            )
        weights = self._check_loss_weights()
        device = resolve_device(self.device)
        data = self._check_input(X, reset=True)
        n = n_trials(data)
        modalities = list(data)
        sizes = self._block_sizes(modalities)
        augmenter = Augmenter(self.augmentations, signature(data))

        y_enc = None
        if self.supervised:
            if y is None:
                raise ValueError(
                    "supervised=True needs labels: call fit(X, y), or set supervised=False "
                    "for self-supervised training."
                )
            y = column_or_1d(y, warn=True)
            if len(y) != n:
                raise ValueError(f"y has {len(y)} labels but X has {n} trials; pass one per trial.")
            encoder = LabelEncoder().fit(y)
            if len(encoder.classes_) < 2:
                raise ValueError(
                    "supervised=True needs at least 2 classes in y, got "
                    f"{encoder.classes_.tolist()}."
                )
            self.classes_ = encoder.classes_
            y_enc = encoder.transform(y).astype(np.int64)

        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        train, valid = split_train_valid(n, self.validation_fraction, seed)
        n_train = len(train)
        if self.batch_size == "auto":
            batch_size = min(128, n_train)
        else:
            batch_size = int(self.batch_size)
            if batch_size > n_train:
                held_out = (
                    " (after holding out trials for early stopping)" if valid is not None else ""
                )
                raise ValueError(
                    f"batch_size={batch_size} is larger than the {n_train} training trials"
                    f"{held_out}. Lower batch_size, pass more trials, or use batch_size='auto'."
                )

        self.scaling_ = fit_scaling({m: x[train] for m, x in data.items()})
        scaled = apply_scaling(data, self.scaling_)

        targets = {}
        if self.auxiliary_targets:
            targets = {m: target_kind(m, shape) for m, shape in signature(data).items()}
            targets = {m: kind for m, kind in targets.items() if kind is not None}
        # targets of the clean trials, computed once (the augmenter leaves these keys alone)
        scaled.update(
            {f"target_{m}": compute_target(kind, scaled[m]) for m, kind in targets.items()}
        )

        def subset(idx):
            return {m: x[idx] for m, x in scaled.items()}, None if y_enc is None else y_enc[idx]

        terms = [
            "redundant",
            "unique",
            "synergy",
            "mi_unique",
            "mi_synergy",
            "decorrelation",
        ]
        if targets:
            terms.append("auxiliary")
        if self.supervised:
            terms.append("supervised")
        callbacks = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        callbacks += term_callbacks(terms, validation=valid is not None)
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
            train_split = predefined_split(Dataset(*subset(valid)))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))

        n_valid = 0 if valid is None else len(valid)
        self.net_ = ContrastiveNet(
            module=PIDNetwork,
            module__shapes=signature(data),
            module__n_components=sizes,
            module__d_model=self.hidden_size,
            module__n_tokens=self.n_tokens,
            module__n_fusion_layers=self.n_fusion_layers,
            module__n_classes=0 if y_enc is None else len(self.classes_),
            module__targets=targets,
            criterion=PIDObjective,
            criterion__modalities=modalities,
            criterion__n_components=sizes,
            criterion__d_model=self.hidden_size,
            criterion__temperature=self.temperature,
            criterion__weights=weights,
            optimizer=torch.optim.AdamW,
            lr=self.lr,
            critic_lr=_CRITIC_LR_FACTOR * self.lr,
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
            self.net_.fit(*subset(train))
        self.modalities_ = modalities
        self.signature_ = signature(data)
        self.n_components_ = sizes
        bounds = np.cumsum([0, *sizes.values()])
        self.component_slices_ = {
            name: slice(int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(sizes)
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
                chunks.append(torch.cat(list(blocks.values()), dim=1).cpu().numpy())
        Z = np.concatenate(chunks).astype(np.float64)
        if not np.all(np.isfinite(Z)):
            raise FloatingPointError(
                "The network produced non-finite components; the fitted weights are unusable. "
                "Refit with a lower lr."
            )
        return Z

    def transform(self, X):
        """Components of each trial: the blocks ``R, U_<m>..., S`` side by side.

        Runs in evaluation mode without gradients, in batches (memory bounded by the
        batch size).

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
        """Components of each trial, one array per block.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Same modalities and trailing shapes as in ``fit``.

        Returns
        -------
        blocks : dict of str to ndarray of shape (n_trials, n_components_[block])
            Keys ``"R"``, ``"U_<modality>"`` for each modality, ``"S"``.
        """
        check_is_fitted(self)
        Z = self._embed(self._check_input(X, reset=False))
        return {name: Z[:, sl] for name, sl in self.component_slices_.items()}

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``R0.., U_<m>0.., S0..``.

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
        names = [f"{block}{i}" for block, k in self.n_components_.items() for i in range(k)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
