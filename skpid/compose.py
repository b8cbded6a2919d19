"""Per-modality routing: a ColumnTransformer for multimodal batches.

:class:`ModalityTransformer` applies one transformer per modality of a multimodal batch
(``skorch.helper.SliceDict(eeg=..., fnirs=...)``) and returns either a SliceDict of the
transformed modalities (for multimodal estimators downstream) or one 2-D array of their
flattened outputs (for classical estimators).
"""

from collections.abc import Mapping
from numbers import Integral
from typing import ClassVar

import numpy as np
import sklearn
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.helper import SliceDict

from ._multimodal import check_multimodal, signature, split_modalities

__all__ = ["ModalityTransformer"]

_SPECIAL = ("drop", "passthrough")


class ModalityTransformer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Apply one transformer per modality of a multimodal batch.

    Parameters
    ----------
    transformers : dict of str to estimator, "passthrough" or "drop"
        Modality name to a transformer (cloned and fitted on that modality's array alone),
        ``"passthrough"`` (kept unchanged) or ``"drop"``. Nested parameters are reachable as
        ``<modality>__<param>``, e.g. ``set_params(eeg__bands={...})`` or
        ``modalitytransformer__eeg__bands`` in a grid search.
    modalities : dict, list of int, int or None
        Only for a single array input ``(n_trials, n_channels, n_times)`` or
        ``(n_trials, n_features)``: how axis 1 splits into modalities, as in
        :func:`skpid._multimodal.check_multimodal` (a dict of name to indices, a list of
        block sizes naming modalities ``m0``, ``m1``, ..., or an int of equal blocks).
    output : {"slicedict", "concat"}, default="slicedict"
        ``"slicedict"``: a :class:`skorch.helper.SliceDict` of transformed modalities (each
        keeps its shape). ``"concat"``: one array ``(n_trials, n_features_out)`` of the
        flattened outputs side by side, named by
        :meth:`~ModalityTransformer.get_feature_names_out`; it honours
        ``set_output(transform="pandas")``.
    remainder : {"drop", "passthrough"} or estimator, default="drop"
        What happens to modalities absent from ``transformers``; an estimator is cloned and
        fitted separately on each of them.

    Attributes
    ----------
    transformers_ : dict of str to fitted estimator, "passthrough" or "drop"
        One entry per input modality, in output order (``transformers`` order, then the
        remaining modalities).
    signature_ : dict of str to tuple
        Trailing shape of each input modality seen in fit.
    output_shapes_ : dict of str to tuple
        Trailing shape of each kept modality's output.
    n_features_in_ : int
        Only for a single array input: the size of its axis 1.
    feature_names_in_ : ndarray of str
        Only for a single pandas DataFrame input.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> from skpid.compose import ModalityTransformer
    >>> from skpid.features import BandPower
    >>> rng = np.random.default_rng(0)
    >>> X = SliceDict(eeg=rng.standard_normal((4, 2, 200)), fnirs=rng.standard_normal((4, 3)))
    >>> mt = ModalityTransformer({"eeg": BandPower(sfreq=100, bands={"alpha": (8, 13)}),
    ...                           "fnirs": "passthrough"}, output="concat")
    >>> mt.fit_transform(X).shape
    (4, 5)
    >>> list(mt.get_feature_names_out())
    ['eeg__ch0_alpha', 'eeg__ch1_alpha', 'fnirs__x0', 'fnirs__x1', 'fnirs__x2']
    """

    _parameter_constraints: ClassVar[dict] = {
        "transformers": [Mapping],
        "modalities": [Mapping, "array-like", Interval(Integral, 1, None, closed="left"), None],
        "output": [StrOptions({"slicedict", "concat"})],
        "remainder": [StrOptions(set(_SPECIAL)), HasMethods(["fit", "transform"])],
    }

    def __init__(self, transformers, *, modalities=None, output="slicedict", remainder="drop"):
        self.transformers = transformers
        self.modalities = modalities
        self.output = output
        self.remainder = remainder

    # -- parameters of the nested transformers (as sklearn's _BaseComposition for lists) --

    def get_params(self, deep=True):
        """Parameters, with each modality's transformer and its parameters when ``deep``.

        Parameters
        ----------
        deep : bool, default=True
            Also return ``<modality>`` (the transformer) and ``<modality>__<param>``.

        Returns
        -------
        params : dict
        """
        out = super().get_params(deep=deep)
        if deep and isinstance(self.transformers, Mapping):
            for name, est in self.transformers.items():
                out[name] = est
                if hasattr(est, "get_params") and not isinstance(est, type):
                    out.update((f"{name}__{k}", v) for k, v in est.get_params(deep=True).items())
        return out

    def set_params(self, **params):
        """Set parameters; ``<modality>=est`` replaces a transformer, ``<modality>__p`` sets
        one of its parameters.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : ModalityTransformer
        """
        if "transformers" in params:
            self.transformers = params.pop("transformers")
        if isinstance(self.transformers, Mapping):
            replaced = {k: params.pop(k) for k in list(params) if k in self.transformers}
            if replaced:  # a new dict, so the caller's dict is left alone
                self.transformers = {**self.transformers, **replaced}
        super().set_params(**params)
        return self

    # -- fitting --

    def _check_transformers(self, data):
        reserved = set(self._get_param_names())
        for name, spec in self.transformers.items():
            if not isinstance(name, str) or "__" in name or name in reserved:
                raise ValueError(
                    f"Modality name {name!r} cannot be used in transformers: names must be str "
                    f"without '__' and differ from the parameters {sorted(reserved)}. Rename "
                    "the modality."
                )
            if name not in data:
                raise ValueError(
                    f"transformers names modality {name!r}, but the input has {list(data)}. "
                    "Use the input's modality names as keys (or pass that modality)."
                )
            if isinstance(spec, str):
                if spec not in _SPECIAL:
                    raise ValueError(
                        f"transformers[{name!r}] = {spec!r}; a string must be 'passthrough' or "
                        "'drop'."
                    )
            elif not (hasattr(spec, "fit") and hasattr(spec, "transform")):
                raise TypeError(
                    f"transformers[{name!r}] is a {type(spec).__name__}, which has no fit and "
                    "transform. Pass a scikit-learn transformer, 'passthrough' or 'drop'."
                )
        plan = {name: self.transformers[name] for name in self.transformers}
        plan.update((name, self.remainder) for name in data if name not in plan)
        if all(isinstance(s, str) and s == "drop" for s in plan.values()):
            raise ValueError(
                f"Every modality ({list(data)}) is dropped, so there is no output. Give at "
                "least one modality a transformer or 'passthrough', or set remainder."
            )
        return plan

    def _validate_input(self, X, *, reset):
        is_mapping = isinstance(X, Mapping) and not issparse(X)  # dok_matrix is a dict
        if not is_mapping:  # a single array: scikit-learn's checks, n_features_in_
            n_blocks = self.modalities if isinstance(self.modalities, Integral) else 1
            X = validate_data(
                self,
                X,
                reset=reset,
                allow_nd=True,
                ensure_min_samples=2 if reset else 1,
                ensure_min_features=n_blocks if reset else 1,
            )
        data = check_multimodal(
            X,
            modalities=self.modalities,
            min_trials=2 if reset else 1,
            reference=None if reset else self.signature_,
        )
        if reset:
            self._is_mapping = is_mapping
        return data

    def fit(self, X, y=None):
        """Fit each modality's transformer on that modality alone.

        Parameters
        ----------
        X : SliceDict or dict of str to array, or array-like
            Multimodal batch: modality name to ``(n_trials, n_channels, n_times)`` or
            ``(n_trials, n_features)``; or one array split by ``modalities``.
        y : array-like of shape (n_trials,) or None
            Passed to every transformer's ``fit`` (e.g. for CSP).

        Returns
        -------
        self : ModalityTransformer
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None):
        """Fit each modality's transformer and return the transformed batch.

        Parameters
        ----------
        X : SliceDict or dict of str to array, or array-like
            See :meth:`fit`.
        y : array-like of shape (n_trials,) or None
            Passed to every transformer's ``fit``.

        Returns
        -------
        Xt : SliceDict or ndarray of shape (n_trials, n_features_out)
            See :meth:`transform`.
        """
        self._validate_params()
        data = self._validate_input(X, reset=True)
        plan = self._check_transformers(data)
        self.signature_ = signature(data)
        self.transformers_ = {}
        outputs = {}
        for name, spec in plan.items():
            if isinstance(spec, str):
                self.transformers_[name] = spec
                if spec == "passthrough":
                    outputs[name] = data[name]
                continue
            est = clone(spec)
            outputs[name] = self._check_output(name, est.fit_transform(data[name], y), data)
            self.transformers_[name] = est
        self.output_shapes_ = {name: out.shape[1:] for name, out in outputs.items()}
        return self._assemble(outputs)

    def transform(self, X):
        """Transform each modality with its fitted transformer.

        Parameters
        ----------
        X : SliceDict or dict of str to array, or array-like
            The modalities (and trailing shapes) seen in fit.

        Returns
        -------
        Xt : SliceDict or ndarray of shape (n_trials, n_features_out)
            With ``output="slicedict"``, a SliceDict of kept modalities (numpy arrays, also
            under ``set_output(transform="pandas")``); with ``output="concat"``, the flattened
            outputs side by side (a DataFrame under ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        data = self._validate_input(X, reset=False)
        outputs = {}
        for name, est in self.transformers_.items():
            if isinstance(est, str):
                if est == "passthrough":
                    outputs[name] = data[name]
                continue
            outputs[name] = self._check_output(name, est.transform(data[name]), data)
        return self._assemble(outputs)

    @staticmethod
    def _check_output(name, out, data):
        out = np.asarray(out)
        n = len(next(iter(data.values())))
        if out.ndim < 2 or out.shape[0] != n:
            raise ValueError(
                f"The transformer of modality {name!r} returned shape {out.shape}; it must "
                f"return one row per trial ({n}), at least 2-D. Use a transformer that keeps "
                "the trial axis first."
            )
        return out

    def _assemble(self, outputs):
        if self.output == "slicedict":
            return SliceDict(**outputs)
        n = len(next(iter(outputs.values())))
        Xt = np.hstack([out.reshape(n, -1) for out in outputs.values()])
        container = getattr(self, "_sklearn_output_config", {}).get("transform", "default")
        if container == "default":
            container = sklearn.get_config()["transform_output"]
        if container == "pandas":
            import pandas as pd

            return pd.DataFrame(Xt, columns=self.get_feature_names_out())
        if container == "polars":
            import polars as pl

            return pl.DataFrame(Xt, schema=list(self.get_feature_names_out()), orient="row")
        return Xt

    def set_output(self, *, transform=None):
        """Choose the container of the ``output="concat"`` array.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            ``"pandas"`` returns a DataFrame with :meth:`get_feature_names_out` as columns;
            None leaves the setting unchanged. A SliceDict output (``output="slicedict"``)
            always holds numpy arrays.

        Returns
        -------
        self : ModalityTransformer
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas", "polars"):
            raise ValueError(
                f"set_output(transform={transform!r}) is not supported; pass 'default', "
                "'pandas' or 'polars'."
            )
        self._sklearn_output_config = {
            **getattr(self, "_sklearn_output_config", {}),
            "transform": transform,
        }
        return self

    def get_feature_names_out(self, input_features=None):
        """Names of the concatenated output, prefixed by modality: ``eeg__Fz_alpha``.

        A transformer's names are used when it has ``get_feature_names_out``; a 3-D output
        ``(n, rows, times)`` is named ``<row>_t<k>``. Passthrough columns are ``x<j>`` (2-D)
        or ``ch<c>_t<k>`` (3-D), or the given input names for a single array input.

        Parameters
        ----------
        input_features : array-like of str or None
            Only for a single array input: names of its axis 1.

        Returns
        -------
        names : ndarray of str objects, shape (n_features_out,)
        """
        check_is_fitted(self)
        sub_names = self._input_names_per_modality(input_features)
        names = []
        for name, est in self.transformers_.items():
            if isinstance(est, str) and est == "drop":
                continue
            shape = self.output_shapes_[name]
            given = sub_names.get(name)
            if isinstance(est, str):  # passthrough
                rows = given if given is not None else _default_rows(shape)
            elif hasattr(est, "get_feature_names_out"):
                rows = list(est.get_feature_names_out(given))
            else:
                raise AttributeError(
                    f"The transformer of modality {name!r} ({type(est).__name__}) does not "
                    "provide get_feature_names_out, so the output cannot be named. Give it "
                    "one, or use output='slicedict'."
                )
            rows = [str(r) for r in rows]
            if len(shape) == 2 and len(rows) == shape[0]:
                rows = [f"{r}_t{k}" for r in rows for k in range(shape[1])]
            elif len(rows) != int(np.prod(shape)):
                raise ValueError(
                    f"The transformer of modality {name!r} names {len(rows)} features but "
                    f"outputs shape {shape}; fix its get_feature_names_out."
                )
            names.extend(f"{name}__{r}" for r in rows)
        return np.asarray(names, dtype=object)

    def _input_names_per_modality(self, input_features):
        """Input names of each modality's part of a single array input, else ``{}``."""
        if self._is_mapping:
            if input_features is not None:
                raise ValueError(
                    "input_features only applies to a single array input; for a mapping of "
                    "modalities pass input_features=None (names come from each transformer)."
                )
            return {}
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", None)
            if input_features is None:
                return {}
        input_features = np.asarray(input_features, dtype=object)
        if len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features should have length equal to number of features "
                f"({self.n_features_in_}), got {len(input_features)}. Pass one name per entry "
                "of axis 1, or input_features=None."
            )
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is not None and not np.array_equal(fitted, input_features):
            raise ValueError(
                "input_features is not equal to feature_names_in_. Pass the names seen in "
                "fit, or input_features=None."
            )
        spec = split_modalities(self.modalities, self.n_features_in_)
        return {name: input_features[idx] for name, idx in spec.items()}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.dict = True
        return tags


def _default_rows(shape):
    if len(shape) == 1:
        return [f"x{j}" for j in range(shape[0])]
    return [f"ch{c}_t{k}" for c in range(shape[0]) for k in range(shape[1])]
