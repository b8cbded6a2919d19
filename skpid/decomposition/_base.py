"""Scikit-learn plumbing shared by the deep decomposers (PIDDecomposer, CoMM, FactorCL, HCL).

:class:`DeepDecomposer` checks the input, standardises it, builds and trains the skorch
:class:`~skpid.decomposition._training.ContrastiveNet`, and turns trials into output
columns in batches. A subclass supplies its network and objective through hooks.
"""

import copy
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from pandas import isna as pd_isna
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar
from skorch.helper import predefined_split

from .._multimodal import (
    SIDE_KEY,
    check_ch_types,
    check_multimodal,
    modality_kind,
    n_trials,
    signature,
)
from ..augment import Augmenter
from ..nn import check_encoders
from ._docs import fill_doc
from ._training import (
    ContrastiveNet,
    NestedDataset,
    apply_scaling,
    batching_params,
    check_callbacks,
    check_groups,
    check_optimizer,
    fit_scaling,
    resolve_device,
    split_train_valid,
    take,
    term_callbacks,
)

MIN_TRIALS = 4
MIN_BLOCK_SIZE = 2  # columns per dict-given block (PIDDecomposer and HCL normalise blocks)
N_HEADS = 4  # attention heads of the fusions; hidden_size must be a multiple

#: Parameter constraints common to every deep decomposer.
COMMON_CONSTRAINTS = {
    "modalities": "no_validation",
    "hidden_size": [Interval(Integral, 4, None, closed="left")],
    "n_tokens": [Interval(Integral, 1, None, closed="left")],
    "augmentations": [None, dict],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "validation_fraction": [None, Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "callbacks": [None, list, tuple],
    "optimizer": "no_validation",  # check_optimizer names the fix
    "encoders": [None, dict],
    "ch_types": [None, dict],
}


def check_loss_weights(loss_weights, defaults):
    """Validate ``loss_weights`` overrides against the terms of ``defaults``; return a dict."""
    weights = dict(loss_weights or {})
    unknown = [k for k in weights if k not in defaults]
    if unknown:
        raise ValueError(
            f"loss_weights has unknown terms {unknown}; choose from {sorted(defaults)}."
        )
    for key, value in weights.items():
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"loss_weights[{key!r}] must be a finite number >= 0, got {value!r}.")
    return weights


def check_block_size(name, size):
    """Check one entry of an ``n_components`` dict; return it as an int >= 2."""
    if not isinstance(size, Integral) or isinstance(size, bool) or size < MIN_BLOCK_SIZE:
        raise ValueError(
            f"n_components[{name!r}] must be an int >= {MIN_BLOCK_SIZE}, got {size!r}: the "
            "contrastive heads L2-normalise each block, so a 1-wide block is always +-1 and "
            "carries nothing."
        )
    return int(size)


def check_n_components(n_components, min_size=1):
    """Check an int ``n_components`` parameter (dict entries go through check_block_size).

    ``True`` is refused rather than read as 1. Estimators whose heads L2-normalise each
    block pass ``min_size=2``: a block of one column would be a constant +-1.

    Raises
    ------
    ValueError
        A bool, a non-int, or a size below ``min_size``.
    """
    if isinstance(n_components, Mapping):
        return
    if (
        not isinstance(n_components, Integral)
        or isinstance(n_components, bool)
        or n_components < min_size
    ):
        why = (
            ": the heads L2-normalise each block, so a 1-wide block is always +-1 and "
            "carries nothing"
            if min_size > 1
            else ""
        )
        raise ValueError(
            f"n_components={n_components!r} must be an int >= {min_size} (or a dict of "
            f"block sizes){why}."
        )


def check_class_labels(y, n_trials):
    """Check that ``y`` holds one class label per trial, refusing continuous or NaN targets.

    Parameters
    ----------
    y : array-like of shape (n_trials,)
        Class labels (int, str, bool, or floats with integral values).
    n_trials : int
        Number of trials in ``X``.

    Returns
    -------
    y : ndarray of shape (n_trials,)

    Raises
    ------
    ValueError
        Missing values (NaN or None), a continuous or multi-output target, or a length
        different from ``n_trials``.
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(
            f"y has shape {arr.shape}; supervised mode needs one class label per trial, "
            f"shape ({n_trials},)."
        )
    if len(arr) != n_trials:
        raise ValueError(
            f"y has {len(arr)} labels but X has {n_trials} trials; pass one per trial."
        )
    missing = pd_isna(arr)
    if missing.any():
        raise ValueError(
            f"y has {int(missing.sum())} missing labels (NaN or None) at trials "
            f"{np.flatnonzero(missing)[:10].tolist()}; drop those trials or label them."
        )
    if arr.dtype.kind == "O" and len({type(v) for v in arr}) > 1:
        raise ValueError(
            f"y mixes label types {sorted({type(v).__name__ for v in arr})}; use one type."
        )
    kind = type_of_target(arr, input_name="y")
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"y looks {kind} (e.g. {arr[:3].tolist()}), but supervised mode needs class "
            "labels. Bin a continuous target into classes (e.g. np.digitize), or set "
            "supervised=False."
        )
    return arr


def block_slices(sizes):
    """Columns of each block, ``{name: slice}``, for blocks ``{name: width}`` side by side."""
    bounds = np.cumsum([0, *sizes.values()])
    return {name: slice(int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(sizes)}


class DeepDecomposer(TransformerMixin, BaseEstimator):
    """Fit/transform plumbing of the two-view contrastive decomposers.

    Subclasses define:

    - ``_net_params(data, y, weights) -> (params, terms, y_encoded)``: the
      ``module``/``criterion`` entries (and their ``module__``/``criterion__`` keyword
      arguments, plus any other :class:`ContrastiveNet` argument that differs), the names
      of the loss terms, and the integer labels (None when unsupervised);
    - ``_fitted_blocks() -> {block name: width}``: the output blocks, in column order,
      called after training (it may set further fitted attributes);
    - ``_embed_batch(module, batch) -> (batch, n_features_out)`` tensor;
    - optionally ``_side_inputs(scaled, groups) -> dict``: arrays passed to the network
      under :data:`skpid._multimodal.SIDE_KEY` (not augmented).

    ``fit`` reads as its steps: validate (:meth:`_validate_fit`), split and check the
    groups, build the data (standardisation, side inputs), build the net
    (:meth:`_build_net`: batching, callbacks, optimiser, augmentation), train, read out
    (:meth:`_fitted_blocks`, :meth:`_fit_readout`).

    Class attributes: ``_max_modalities`` (None: any number >= 2), ``_attention``
    (hidden_size feeds multi-head attention), ``_default_loss_weights`` (None: no
    ``loss_weights`` parameter), ``_critic_terms`` (train-only terms logged by the net),
    ``_embed_float64`` (embed with a float64 copy of the network) and
    ``_feature_name_sep`` (between block name and index in the feature names) and
    ``_min_block_size`` (smallest int ``n_components``; 1-wide blocks that come out
    constant over the training trials are refused in any case).
    """

    _max_modalities = None
    _min_block_size = 1  # 2 where heads L2-normalise each block (a 1-wide one is +-1)
    _attention = False
    _default_loss_weights = None
    _critic_terms = ()
    _embed_float64 = False
    _feature_name_sep = ""

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
                X, min_trials=MIN_TRIALS if reset else 1, min_modalities=2, reference=reference
            )
        else:
            X = validate_data(
                self,
                X,
                reset=reset,
                allow_nd=True,
                dtype=[np.float64, np.float32],
                ensure_min_samples=MIN_TRIALS if reset else 1,
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

    def _batch_size(self, n_train, held_out, grouped):
        if self.batch_size == "auto":
            # within-subject batches: several smaller steps per subject rather than one
            return min(32 if grouped else 128, n_train)
        if self.batch_size > n_train:
            extra = " (after holding out trials for early stopping)" if held_out else ""
            raise ValueError(
                f"batch_size={self.batch_size} is larger than the {n_train} training trials"
                f"{extra}. Lower batch_size, pass more trials, or use batch_size='auto'."
            )
        return int(self.batch_size)

    def _side_inputs(self, scaled, groups):
        """Side inputs of the network (a dict, under ``SIDE_KEY``; not augmented)."""
        return {}

    @fill_doc
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Fit the network on multimodal trials (self-supervised).

        Parameters
        ----------
        %(fit_X)s
        y : array-like of shape (n_trials,) or None
            Ignored, except by :class:`~skpid.decomposition.PIDDecomposer` with
            ``supervised=True``, which needs the labels.
        %(fit_groups)s

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        %(fit_raises)s
        """
        data, y, weights = self._validate_fit(X, y)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        train, valid = split_train_valid(n_trials(data), self.validation_fraction, seed)
        groups = check_groups(groups, n_trials(data), train)
        self.modalities_, self.signature_ = list(data), signature(data)
        self.modality_kinds_ = self._modality_kinds(self.signature_)
        params, terms, y_enc = self._net_params(data, y, weights)
        self.scaling_ = fit_scaling(take(data, train))
        inputs = apply_scaling(data, self.scaling_)
        side = self._side_inputs(inputs, groups)
        if side:
            inputs[SIDE_KEY] = side
        self.net_ = self._build_net(params, terms, inputs, y_enc, groups, train, valid, seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net_.fit(take(inputs, train), take(y_enc, train))
        self.n_epochs_ = len(self.net_.history)
        self.component_slices_ = block_slices(self._fitted_blocks())
        self._fit_readout(take(data, train))
        self._check_narrow_blocks(take(data, train[:256]))
        return self

    def _validate_fit(self, X, y):
        """Check the parameters and the input; return ``(data, y, loss weights)``."""
        if self._attention and self.hidden_size % N_HEADS:
            raise ValueError(
                f"hidden_size={self.hidden_size} must be a multiple of {N_HEADS} (the "
                f"attention heads of the fusion); try "
                f"{N_HEADS * (self.hidden_size // N_HEADS + 1)}."
            )
        weights = None
        if self._default_loss_weights is not None:
            weights = check_loss_weights(self.loss_weights, self._default_loss_weights)
        if hasattr(self, "n_components"):
            check_n_components(self.n_components, self._min_block_size)
        resolve_device(self.device)
        self._check_routed()
        check_optimizer(self.optimizer)
        check_callbacks(self.callbacks)
        data = self._check_input(X, reset=True)
        if getattr(self, "supervised", False) and y is not None:
            y = check_class_labels(y, n_trials(data))
        check_encoders(self.encoders, signature(data))
        return data, y, weights

    def _modality_kinds(self, shapes):
        """Kind of every modality (``"eeg"``, ``"nirs"`` or None), see :func:`modality_kind`."""
        ch_types = check_ch_types(self.ch_types, shapes)
        return {m: modality_kind(m, shape, ch_types.get(m)) for m, shape in shapes.items()}

    def _build_net(self, params, terms, inputs, y_enc, groups, train, valid, seed):
        """The skorch net of this fit: batching, callbacks, optimiser, augmentation."""
        batch_size = self._batch_size(len(train), valid is not None, groups is not None)
        train_split = None
        if valid is not None:
            train_split = predefined_split(NestedDataset(take(inputs, valid), take(y_enc, valid)))
        modality_shapes = {m: x.shape[1:] for m, x in inputs.items() if m != SIDE_KEY}
        return ContrastiveNet(
            **{**params, **self._optimizer_params()},  # optimizer__* override weight_decay
            module__kinds=self.modality_kinds_,
            module__encoders=self.encoders,
            optimizer=check_optimizer(self.optimizer),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            **batching_params(take(groups, train), batch_size, seed + 2),
            iterator_valid__drop_last=(0 if valid is None else len(valid)) % batch_size == 1,
            callbacks=self._callbacks(terms, valid is not None),
            augmenter=Augmenter(self.augmentations, modality_shapes, kinds=self.modality_kinds_),
            seed=seed,
            terms=terms,
            device=resolve_device(self.device),
            verbose=int(self.verbose >= 1),
        )

    def _callbacks(self, terms, validation):
        """The default callbacks (clipping, loss terms, early stopping, progress bar), then
        the ``callbacks`` parameter's."""
        callbacks = [("clip", GradientNormClipping(gradient_clip_value=5.0))]
        callbacks += term_callbacks(terms, validation, train_only=self._critic_terms)
        if validation:
            stopping = EarlyStopping(
                monitor="valid_loss", patience=self.n_iter_no_change, load_best=True
            )
            callbacks.append(("early_stopping", stopping))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks + check_callbacks(self.callbacks)

    def _optimizer_params(self):
        """The ``optimizer__*`` settings, passed through to the optimiser."""
        return {k: getattr(self, k) for k in getattr(self, "_routed", ())}

    def _store_routed(self, kwargs):
        """Store the keyword arguments of ``__init__`` (``optimizer__*`` settings) as
        parameters; ``fit`` refuses any other name."""
        self._routed = (
            *getattr(self, "_routed", ()),
            *(k for k in kwargs if k not in getattr(self, "_routed", ())),
        )
        for key, value in kwargs.items():
            setattr(self, key, value)

    def _check_routed(self):
        unknown = [k for k in getattr(self, "_routed", ()) if not k.startswith("optimizer__")]
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected parameters {unknown}; beyond its "
                "named parameters it takes only optimizer__<name> settings of the optimiser."
            )

    def get_params(self, deep=True):
        """Parameters of this estimator, with the ``optimizer__*`` settings."""
        return {**super().get_params(deep=deep), **self._optimizer_params()}

    def set_params(self, **params):
        """Set parameters; names that are not parameters of ``__init__`` (the
        ``optimizer__<name>`` settings) are stored and passed to the optimiser."""
        named = set(self._get_param_names())
        routed = {
            k: params.pop(k)
            for k in list(params)
            if k.split("__")[0] not in named or k.startswith("optimizer__")
        }
        self._store_routed(routed)
        return super().set_params(**params)

    def _check_narrow_blocks(self, data):
        """Refuse 1-wide blocks that are constant over training trials (an L2-normalised
        1-wide head gives +-1, and usually one sign for every trial)."""
        narrow = {b: sl for b, sl in self.component_slices_.items() if sl.stop - sl.start == 1}
        if not narrow:
            return
        Z = self._readout(self._embed(data))
        constant = [b for b, sl in narrow.items() if np.ptp(Z[:, sl]) == 0]
        if constant:
            raise ValueError(
                f"Blocks {constant} have one column that is the same for every training "
                "trial: a 1-wide block of this estimator carries no information. Use "
                "n_components >= 2."
            )

    def _fit_readout(self, data):
        """Fit what maps the network's outputs to the components (a hook; no-op here)."""

    def _readout(self, Z):
        """Components from the network's outputs of :meth:`_embed` (identity here)."""
        return Z

    def _embed(self, data):
        module = self.net_.module_
        dtype = np.float32
        if self._embed_float64:
            # in float32, matrix products round differently for different batch sizes, so
            # a trial's output would depend on its batch-mates
            module, dtype = copy.deepcopy(module).double(), np.float64
        module.eval()
        step = max(256, self.net_.batch_size)
        chunks = []
        with torch.no_grad():
            for start in range(0, n_trials(data), step):
                batch = apply_scaling(data, self.scaling_, start, start + step, dtype=dtype)
                batch = {m: torch.as_tensor(x, device=self.net_.device) for m, x in batch.items()}
                chunks.append(self._embed_batch(module, batch).cpu().numpy())
        Z = np.concatenate(chunks).astype(np.float64)
        if not np.all(np.isfinite(Z)):
            raise FloatingPointError(
                "The network produced non-finite components; the fitted weights are unusable. "
                "Refit with a lower lr."
            )
        return Z

    def transform(self, X):
        """Components of each trial: the blocks of ``component_slices_`` side by side.

        Runs in evaluation mode without gradients, in batches (memory bounded by the
        batch size).

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
        data = self._check_input(X, reset=False)
        n = n_trials(data)
        step = max(256, self.net_.batch_size)
        Z = None
        # network and readout per batch: memory bounded by the batch, not the whole output
        for start in range(0, n, step):
            batch = {m: x[start : start + step] for m, x in data.items()}
            chunk = self._readout(self._embed(batch))
            if Z is None:
                Z = np.empty((n, chunk.shape[1]), dtype=chunk.dtype)
            Z[start : start + step] = chunk
        return Z

    def _split_blocks(self, Z):
        return {name: Z[:, sl] for name, sl in self.component_slices_.items()}

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, ``<block><sep><i>`` for each block in order.

        Parameters
        ----------
        input_features : array-like of str or None
            Only checked against the input columns when fitted on a single array.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_features_out,)
        """
        check_is_fitted(self)
        if hasattr(self, "n_features_in_"):
            _check_feature_names_in(self, input_features)
        names = [
            f"{block}{self._feature_name_sep}{i}"
            for block, sl in self.component_slices_.items()
            for i in range(sl.stop - sl.start)
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
