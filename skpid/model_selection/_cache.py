"""A folder of finished (pipeline, fold) results, so that an interrupted evaluation resumes.

Every finished pair is one small JSON file named by a key that hashes what determines its
result: the pipeline's parameters (recursively, class names included), the fold's training
and test trials, a fingerprint of the data (every array's bytes, dtype and shape), the
scorers, how groups reach ``fit``, and the skpid and scikit-learn versions. The key does
not see changes to the code of a pipeline's classes: empty the folder after changing them.
Files are written atomically (a temporary file renamed into place), so a run killed while
writing leaves no half-written result, and several processes may share one folder.
"""

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import joblib
import numpy as np

__all__ = ["ResultCache", "data_fingerprint", "estimator_fingerprint"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _hash_array(h, arr):
    arr = np.ascontiguousarray(arr)
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    if arr.dtype == object:
        h.update(joblib.hash(arr).encode())
    else:
        h.update(memoryview(arr).cast("B"))


def data_fingerprint(*arrays):
    """Hash of the content of arrays and mappings of arrays.

    Parameters
    ----------
    *arrays : array-like, mapping of str to array-like, or None
        For instance ``X`` (a SliceDict of modality arrays), ``y`` and ``groups``.

    Returns
    -------
    digest : str
        Hexadecimal BLAKE2b digest; equal content (values, dtypes, shapes, modality
        names) gives an equal digest.
    """
    h = hashlib.blake2b(digest_size=20)
    for i, value in enumerate(arrays):
        h.update(f"|{i}|".encode())
        if value is None:
            h.update(b"None")
        elif isinstance(value, Mapping):
            for name in sorted(value):
                h.update(f"<{name}>".encode())
                _hash_array(h, np.asarray(value[name]))
        elif hasattr(value, "to_numpy") and hasattr(value, "columns"):  # DataFrame
            h.update(joblib.hash(value).encode())
        else:
            _hash_array(h, np.asarray(value))
    return h.hexdigest()


def _canonical(obj):
    """A structure equal for estimators with equal parameters (class names included)."""
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        params = obj.get_params(deep=False)
        kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
        return (kind, tuple((k, _canonical(params[k])) for k in sorted(params)))
    if isinstance(obj, Mapping):
        return ("mapping", tuple((repr(k), _canonical(obj[k])) for k in sorted(obj, key=repr)))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_canonical(v) for v in obj))
    return obj


def estimator_fingerprint(estimator):
    """Hash of an estimator's parameters, recursively through nested estimators.

    Parameters
    ----------
    estimator : estimator or any object
        Usually a scikit-learn pipeline.

    Returns
    -------
    digest : str
        Equal for two unfitted estimators of the same classes with equal parameters.
    """
    canonical = _canonical(estimator)
    try:
        return joblib.hash(canonical)
    except Exception:  # unpicklable leaves (lambdas...): fall back on their repr
        return hashlib.blake2b(
            _ADDRESS.sub("", repr(canonical)).encode(), digest_size=20
        ).hexdigest()


class ResultCache:
    """Finished (pipeline, fold) results stored as one JSON file per pair.

    Parameters
    ----------
    folder : str or Path
        Created when missing.
    """

    def __init__(self, folder):
        self.folder = Path(folder)

    def key(self, *parts):
        """Key of one pair from strings that determine its result."""
        return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=20).hexdigest()

    def _path(self, key):
        return self.folder / f"{key}.json"

    def load(self, key):
        """The stored result of ``key``, or None (missing or unreadable file)."""
        try:
            with open(self._path(key), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def save(self, key, result):
        """Store ``result`` (a JSON-serialisable dict) under ``key``, atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result, f)
            os.replace(tmp, self._path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
