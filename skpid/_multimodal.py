"""Validation of multimodal input: one entry point for every estimator.

A multimodal batch is a mapping from modality name to an array whose first axis is
the trial, such as ``skorch.helper.SliceDict(eeg=(n, 32, 1000), fnirs=(n, 40, 160))``.
Modalities may differ in channel count, sampling rate and length. A single array
``(n, channels, times)`` or ``(n, features)`` is accepted together with a
``modalities`` specification that says which channels (axis 1) belong to which
modality, as pyriemann's block sizes do.
"""

from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as np

__all__ = [
    "SIDE_KEY",
    "check_ch_types",
    "check_modality_name",
    "check_multimodal",
    "check_signature",
    "modality_kind",
    "n_trials",
    "signal_kind",
    "signature",
    "split_modalities",
]

#: Reserved batch key under which the deep decomposers pass side inputs (physiological
#: targets, the coupling profile) to their networks, as a dict; no modality may take it.
SIDE_KEY = "__side__"


def check_modality_name(name):
    """Refuse a modality name that is not a str or is the reserved :data:`SIDE_KEY`.

    Raises
    ------
    TypeError
        ``name`` is not a str.
    ValueError
        ``name`` is :data:`SIDE_KEY`.
    """
    if not isinstance(name, str):
        raise TypeError(f"Modality names must be str, got {name!r}.")
    if name == SIDE_KEY:
        raise ValueError(
            f"{SIDE_KEY!r} is reserved for the side inputs of the networks and cannot name a "
            "modality; rename it."
        )
    return name


def split_modalities(modalities, n_columns):
    """Turn a ``modalities`` specification into ``{name: index array}`` along axis 1.

    Parameters
    ----------
    modalities : mapping, sequence of int or int
        As for :func:`check_multimodal`.
    n_columns : int
        Size of axis 1.

    Returns
    -------
    spec : dict of str to ndarray of int
    """
    if isinstance(modalities, Integral) and not isinstance(modalities, bool):
        if not 1 <= modalities <= n_columns:
            raise ValueError(
                f"modalities={modalities} asks for {modalities} equal blocks of axis 1, "
                f"which has {n_columns} entries. Pass an int between 1 and {n_columns}, "
                "a list of block sizes, or a mapping of name to indices."
            )
        blocks = np.array_split(np.arange(n_columns), modalities)
        return {f"m{i}": b for i, b in enumerate(blocks)}
    if isinstance(modalities, Mapping):
        spec = {}
        for name, idx in modalities.items():
            check_modality_name(name)
            if isinstance(idx, slice):
                idx = np.arange(n_columns)[idx]
            idx = np.asarray(idx)
            if idx.dtype == bool:
                if idx.shape != (n_columns,):
                    raise ValueError(
                        f"Boolean mask of modality {name!r} has shape {idx.shape}; it must "
                        f"have one entry per channel/column ({n_columns})."
                    )
                idx = np.flatnonzero(idx)
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(
                    f"Modality {name!r} must map to a non-empty slice, list of integer "
                    f"indices or boolean mask of axis 1, got {modalities[name]!r}."
                )
            if idx.min() < -n_columns or idx.max() >= n_columns:
                raise ValueError(
                    f"Indices of modality {name!r} fall outside axis 1, which has "
                    f"{n_columns} entries."
                )
            spec[name] = idx
        return spec
    if isinstance(modalities, np.ndarray) and modalities.ndim == 1:  # block sizes as an array
        modalities = modalities.tolist()
    if isinstance(modalities, (Sequence, np.ndarray)) and not isinstance(modalities, str):
        sizes = list(modalities)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes) or sum(sizes) != n_columns:
            raise ValueError(
                f"modalities={sizes!r} is read as block sizes along axis 1; they must be "
                f"positive integers summing to {n_columns}."
            )
        bounds = np.cumsum([0, *sizes])
        return {f"m{i}": np.arange(bounds[i], bounds[i + 1]) for i in range(len(sizes))}
    raise TypeError(
        "modalities must be a mapping of name to channel/column indices, a list of block "
        f"sizes or an int number of equal blocks, got {type(modalities).__name__}."
    )


def _as_float_array(name, value):
    """Convert one modality to a float array, refusing non-numeric content."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":  # numpy has no bfloat16
            value = value.float()
        value = value.numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(
            f"Modality {name!r} could not be read as one array ({exc}). Give every trial "
            "the same shape (crop or resample trials to a common length)."
        ) from exc
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Modality {name!r} holds non-numeric values; pass numbers (float arrays)."
            ) from exc
    if np.iscomplexobj(arr):
        raise ValueError(
            f"Modality {name!r} is complex-valued; pass real signals (e.g. np.abs or the "
            "real part)."
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(
            f"Modality {name!r} has dtype {arr.dtype}, which is not numeric; pass numbers."
        )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    return arr


def check_multimodal(X, *, modalities=None, min_trials=2, min_modalities=1, reference=None):
    """Validate multimodal input and return ``{modality: float array}``.

    Parameters
    ----------
    X : mapping of str to array-like, or array-like
        Either a mapping (``dict`` or :class:`skorch.helper.SliceDict`) from modality
        name to an array of shape ``(n_trials, n_channels, n_times)`` (time series) or
        ``(n_trials, n_features)`` (tabular); or one array of either shape, split along
        axis 1 by ``modalities``.
    modalities : mapping, list of int, int or None
        Only for a single array. A mapping of name to channel/column indices (slice,
        integer list or boolean mask of axis 1); a list of block sizes (modalities
        named ``m0``, ``m1``, ...); or an int number of near-equal contiguous blocks.
        Ignored (must be None) when ``X`` is already a mapping.
    min_trials : int, default=2
        Smallest acceptable number of trials.
    min_modalities : int, default=1
        Smallest acceptable number of modalities.
    reference : dict of str to tuple or None
        The :func:`signature` recorded at fit time. When given, the input must have
        exactly these modalities with these trailing shapes.

    Returns
    -------
    data : dict of str to ndarray
        Float arrays (float32 kept, anything else as float64) in the input's modality
        order, each with the trial axis first.

    Raises
    ------
    ValueError
        With a message naming the problem and its fix: unequal trial counts, non-numeric
        or non-finite values, wrong number of dimensions, an empty channel/time/feature
        axis, too few trials or modalities, or modalities/shapes that differ from
        ``reference``.
    """
    if isinstance(X, Mapping):
        if modalities is not None:
            raise ValueError(
                "modalities is only used to split a single array; X is already a mapping "
                "of modality name to array. Leave modalities=None."
            )
        if len(X) == 0:
            raise ValueError("X is an empty mapping; pass at least one modality.")
        data = {}
        for name, value in X.items():
            check_modality_name(name)
            data[name] = _as_float_array(name, value)
    else:
        arr = _as_float_array("X", X)
        if arr.ndim not in (2, 3):
            raise ValueError(
                f"X has shape {arr.shape}; a single array must be (n_trials, n_features) or "
                "(n_trials, n_channels, n_times). For modalities of different lengths pass a "
                "dict/SliceDict of arrays instead."
            )
        if modalities is None:
            raise ValueError(
                f"X is a single array of shape {arr.shape} but modalities=None, so it cannot "
                "be split into modalities. Pass modalities={'eeg': [...], 'fnirs': [...]} "
                "(channel/column indices), a list of block sizes, or a dict/SliceDict of "
                "arrays."
            )
        data = {
            name: arr[:, idx] for name, idx in split_modalities(modalities, arr.shape[1]).items()
        }
        if not data:
            raise ValueError(
                f"modalities={modalities!r} selects no modality from X of shape {arr.shape}; "
                "name at least one block of channels/columns."
            )

    for name, arr in data.items():
        if arr.ndim not in (2, 3):
            raise ValueError(
                f"Modality {name!r} has shape {arr.shape}; expected (n_trials, n_features) "
                "or (n_trials, n_channels, n_times). Add a trailing axis for a single "
                "channel (x[:, None, :]) or reshape your features to 2-D."
            )
        empty = [ax for ax in range(1, arr.ndim) if arr.shape[ax] == 0]
        if empty:
            axes = ["channels", "times"] if arr.ndim == 3 else ["features"]
            raise ValueError(
                f"Modality {name!r} has shape {arr.shape}: its "
                f"{' and '.join(axes[ax - 1] for ax in empty)} axis is empty. Every modality "
                "needs at least one channel (feature) and one time sample; drop the modality "
                "or check how it was selected."
            )
        if not np.all(np.isfinite(arr)):
            n_bad = int(np.sum(~np.isfinite(arr)))
            bad_trials = np.flatnonzero(~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1))
            raise ValueError(
                f"Modality {name!r} contains {n_bad} NaN or infinite values (trials "
                f"{bad_trials[:10].tolist()}{'...' if len(bad_trials) > 10 else ''}). Drop "
                "or interpolate bad trials/channels before fitting."
            )
    counts = {name: arr.shape[0] for name, arr in data.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"Modalities have different numbers of trials: {counts}. Every modality must "
            "hold the same trials in the same order (trial axis first)."
        )
    n = next(iter(counts.values()))
    if n < min_trials:
        raise ValueError(f"Got {n} trial(s); at least {min_trials} are needed. Pass more trials.")
    if len(data) < min_modalities:
        raise ValueError(
            f"Got {len(data)} modality(ies) ({list(data)}); at least {min_modalities} are "
            "needed. Pass a dict/SliceDict with one array per modality, or a modalities "
            "specification that splits the array."
        )
    if reference is not None:
        check_signature(data, reference)
        data = {name: data[name] for name in reference}
    return data


def signature(data):
    """Modality names and trailing shapes, ``{name: shape[1:]}``, to check later input."""
    return {name: tuple(int(s) for s in arr.shape[1:]) for name, arr in data.items()}


def check_signature(data, reference):
    """Raise a ``ValueError`` unless ``data`` has the modalities and shapes of ``reference``."""
    got = signature(data)
    if set(got) != set(reference):
        missing = [m for m in reference if m not in got]
        extra = [m for m in got if m not in reference]
        raise ValueError(
            f"Modalities differ from those seen in fit: expected {list(reference)}, got "
            f"{list(got)} (missing {missing}, unexpected {extra}). Pass the same modalities "
            "as at fit time."
        )
    for name, shape in reference.items():
        if got[name] != tuple(shape):
            raise ValueError(
                f"Modality {name!r} has trailing shape {got[name]} but {tuple(shape)} was seen "
                "in fit. Use the same channels and epoch length (and sampling rate) as at "
                "fit time."
            )


def n_trials(data):
    """Number of trials of a validated multimodal dict."""
    return next(iter(data.values())).shape[0]


#: mne channel types of each modality kind (fNIRS: haemoglobin, optical density, raw
#: intensity, as mne names them).
KIND_CH_TYPES = {
    "eeg": frozenset({"eeg"}),
    "nirs": frozenset({"hbo", "hbr", "fnirs_od", "fnirs_cw_amplitude", "fnirs_fd_phase"}),
}


def modality_kind(name, shape, ch_types=None):
    """Kind of a modality: ``"eeg"``, ``"nirs"`` or None (generic treatment).

    The single rule of skpid (encoders, default augmentations, priors). Only a time
    series ``(channels, times)`` has a kind. When its channel types are known (mne's
    names, e.g. ``info[m]["ch_types"]`` of :func:`skpid.io.from_epochs`), they decide:
    all ``"eeg"`` is EEG, all fNIRS types (``"hbo"``, ``"hbr"``, ``"fnirs_od"``...) is
    fNIRS, anything else (mixed, MEG...) has no kind. Otherwise the name decides: one
    containing ``"eeg"`` (any case) is EEG, one containing ``"nirs"`` is fNIRS, whatever
    its channel count.

    Parameters
    ----------
    name : str
        Modality name.
    shape : tuple of int
        Trailing shape, ``(channels, times)`` or ``(features,)``.
    ch_types : sequence of str or None, default=None
        mne channel type of every channel.

    Returns
    -------
    kind : {"eeg", "nirs"} or None

    Examples
    --------
    >>> from skpid._multimodal import modality_kind
    >>> modality_kind("EEG", (32, 1000)), modality_kind("fnirs", (41, 100))
    ('eeg', 'nirs')
    >>> modality_kind("m0", (4, 100), ch_types=["hbo", "hbr", "hbo", "hbr"])
    'nirs'
    >>> modality_kind("eeg", (32,)) is None  # tabular
    True
    """
    if len(shape) != 2:
        return None
    return signal_kind(name, ch_types)


def signal_kind(name, ch_types=None):
    """The rule of :func:`modality_kind` without the shape: channel types, else the name.

    Parameters
    ----------
    name : str
    ch_types : sequence of str or None, default=None

    Returns
    -------
    kind : {"eeg", "nirs"} or None
    """
    if ch_types is not None:
        types = set(ch_types)
        for kind, known in KIND_CH_TYPES.items():
            if types and types <= known:
                return kind
        return None
    lowered = name.lower()
    if "eeg" in lowered:
        return "eeg"
    if "nirs" in lowered:
        return "nirs"
    return None


def check_ch_types(ch_types, shapes):
    """Validate a ``ch_types`` parameter: modality name to one mne type per channel.

    Parameters
    ----------
    ch_types : dict of str to sequence of str, or None
    shapes : dict of str to tuple
        Trailing shape of each modality.

    Returns
    -------
    ch_types : dict of str to list of str

    Raises
    ------
    ValueError
        An unknown modality, a tabular one, or a count different from its channels.
    """
    if ch_types is None:
        return {}
    out = {}
    for name, types in ch_types.items():
        if name not in shapes:
            raise ValueError(
                f"ch_types names modality {name!r}, which is not one of {list(shapes)}."
            )
        types = [types] * shapes[name][0] if isinstance(types, str) else list(types)
        if len(shapes[name]) != 2 or len(types) != shapes[name][0]:
            raise ValueError(
                f"ch_types[{name!r}] must give one mne channel type per channel of a time "
                f"series; the modality has trailing shape {shapes[name]} and got "
                f"{len(types)} types. Pass info[{name!r}]['ch_types'] of "
                "skpid.io.from_epochs."
            )
        out[name] = types
    return out
