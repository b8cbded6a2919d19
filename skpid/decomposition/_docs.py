"""Documentation of the parameters and attributes that the deep decomposers share.

Written once here and filled into the docstrings of :class:`PIDDecomposer`,
:class:`CoMM`, :class:`FactorCL` and :class:`HCL` by :func:`fill_doc`: a line that holds
only ``%(name)s`` is replaced by ``docdict[name]``, indented as that line (as mne's
``fill_doc`` does).
"""

import re

__all__ = ["docdict", "fill_doc"]

docdict = {}

docdict["modalities"] = """\
modalities : dict, list of int, int or None, default=None
    Only used when ``X`` is a single array ``(n, features)`` or ``(n, channels,
    times)``: how axis 1 is split into modalities (see
    :func:`skpid._multimodal.check_multimodal`). With None, axis 1 is split into two
    near-equal halves named ``m0`` and ``m1`` (this makes plain 2-D arrays, as in
    scikit-learn's own checks, usable as two modalities)."""

docdict["n_tokens"] = """\
n_tokens : int, default=8
    Time tokens per time-series modality (half as many for tabular ones)."""

docdict["augmentations"] = """\
augmentations : dict or None, default=None
    Modality name to a list of augmentations: names from
    :data:`skpid.augment.AUGMENTATIONS`, ``(name, params)`` pairs (a 2-item list, as
    read from JSON, also works), braindecode transforms (e.g.
    ``braindecode.augmentation.FTSurrogate(probability=0.5)``) or callables ``f(x, *,
    generator)``; an empty list turns augmentation off for that modality. Modalities
    left out get :func:`skpid.augment.default_augmentations` (chosen from the kind of
    the modality, see ``ch_types``: EEG, fNIRS, other time series, tabular)."""

docdict["max_epochs"] = """\
max_epochs : int, default=30
    Largest number of passes over the training trials."""

docdict["batch_size"] = """\
batch_size : int or "auto", default="auto"
    Trials per batch; ``"auto"`` is ``min(128, n_training_trials)``, or 32 when
    ``fit`` gets ``groups``. Every contrastive term contrasts a trial with the rest of
    its batch."""

docdict["validation_fraction"] = """\
validation_fraction : float or None, default=None
    Share of trials held out (at random) for early stopping on the validation loss
    (e.g. 0.1); None trains for ``max_epochs`` on all trials."""

docdict["n_iter_no_change"] = """\
n_iter_no_change : int, default=10
    Epochs without improvement of the validation loss before stopping; the best
    epoch's weights are kept."""

docdict["device"] = """\
device : str, default="cpu"
    ``"cpu"``, ``"cuda"`` (``"cuda:0"``...) or ``"auto"`` (CUDA when available)."""

docdict["random_state"] = """\
random_state : int, RandomState instance or None, default=None
    Seeds network initialisation, augmentation, batch order and the held-out split.
    An int gives identical components on CPU."""

docdict["verbose"] = """\
verbose : int, default=0
    0 silent; 1 prints a table of per-epoch losses (skorch PrintLog); 2 adds a
    progress bar over batches."""

docdict["callbacks"] = """\
callbacks : list or None, default=None
    skorch callbacks (instances, or ``(name, callback)`` pairs) added after the
    defaults (gradient clipping, the loss terms, early stopping with
    ``validation_fraction``, the progress bar), e.g.
    ``skorch.callbacks.LRScheduler``, ``Checkpoint`` or a logger. A fit works on deep
    copies; the fitted ones are in ``net_.callbacks_``."""

docdict["optimizer"] = """\
optimizer : torch optimiser class or None, default=None
    Optimiser of the network (and of the critics, when the objective has any); None
    is :class:`torch.optim.AdamW`. Its settings are passed as keyword arguments
    ``optimizer__<name>=value`` (e.g. ``optimizer=torch.optim.SGD,
    optimizer__momentum=0.9``), which ``get_params``/``set_params`` and ``clone`` keep;
    they override the estimator's own ``weight_decay``. The learning rate is ``lr``."""

docdict["encoders"] = """\
encoders : dict or None, default=None
    Modality name to an encoder replacing the built-in one for that modality: a
    :class:`torch.nn.Module` mapping ``(batch, channels, times)`` to ``(batch, d)``
    (deep-copied at each fit, so its initial weights are the user's), a module class
    (e.g. ``braindecode.models.ShallowFBCSPNet``) or ``(class, kwargs)``: the class is
    built at each fit, seeded by ``random_state``, with braindecode's ``n_chans``,
    ``n_times`` and ``n_outputs=hidden_size`` updated by ``kwargs``. A linear layer
    turns its output into the tokens the network needs (see
    :class:`skpid.nn.ExternalEncoder`)."""

docdict["ch_types"] = """\
ch_types : dict or None, default=None
    mne channel types of time-series modalities (one per channel, or one str for
    all), e.g. ``{"m0": info["m0"]["ch_types"]}`` from :func:`skpid.io.from_epochs`:
    they decide the kind of a modality (EEG: all ``"eeg"``; fNIRS: ``"hbo"``/
    ``"hbr"``/``"fnirs_od"``...), which chooses its encoder and default augmentations.
    Modalities left out are judged by name (``"eeg"``, ``"nirs"``; see
    :func:`skpid._multimodal.modality_kind`)."""

docdict["optimizer__"] = """\
**optimizer__params
    Settings of ``optimizer`` (see above)."""

docdict["attributes"] = """\
net_ : skpid.decomposition._training.ContrastiveNet
    The fitted skorch net (``net_.module_`` is the network, ``net_.history`` holds
    every loss term per epoch, ``net_.callbacks_`` the callbacks).
modalities_ : list of str
    Modality names, in the order of the blocks.
modality_kinds_ : dict of str to str or None
    Kind of each modality (``"eeg"``, ``"nirs"`` or None), see ``ch_types``.
signature_ : dict of str to tuple
    Trailing shape of each modality seen in fit.
scaling_ : dict of str to (ndarray, ndarray)
    Per-channel (or per-feature) mean and standard deviation of each modality.
n_epochs_ : int
    Epochs run.
n_features_in_ : int
    Number of columns (axis 1) when fitted on a single array.
feature_names_in_ : ndarray of str
    Column names when fitted on a DataFrame."""

docdict["fit_X"] = """\
X : dict or SliceDict of str to array-like, or array-like
    Modality name to ``(n_trials, n_channels, n_times)`` (time series) or
    ``(n_trials, n_features)`` (tabular); or one array split along axis 1 by
    ``modalities``. At least 2 modalities and 4 trials."""

docdict["fit_groups"] = """\
groups : array-like of shape (n_trials,) or None
    Subject (or session) of every trial. When given, every training batch holds
    trials of one group, so that the contrastive losses cannot be lowered by telling
    subjects apart (see :class:`~skpid.decomposition._training.GroupBatchSampler`);
    pass it whenever trials come from several subjects. ``batch_size`` is then the
    largest batch (a group with fewer trials makes one batch) and ``"auto"`` means 32.
    Through a Pipeline: ``pipe.fit(X, step__groups=subjects)``; in
    ``cross_validate``: ``params={"step__groups": subjects}``."""

docdict["fit_raises"] = """\
ValueError
    Invalid parameters (including a bool ``n_components``, or one that gives
    constant 1-wide blocks), wrong number of modalities, fewer than 4 trials,
    NaN/inf values, ``batch_size`` larger than the training trials, missing, NaN or
    continuous labels in supervised mode, groups of the wrong length or with a single
    (training) trial; each message names the fix.
TypeError
    Sparse input, modality names that are not strings, a bad ``callbacks``,
    ``optimizer`` or ``encoders`` entry, or a keyword argument that is not an
    ``optimizer__<name>`` setting.
FloatingPointError
    The loss became NaN or infinite, or training diverged before that (an output or
    loss term grown by orders of magnitude); the message names the epoch, the term
    and the value, and whether the input scale or the learning rate is the likely
    cause."""

_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)%\((?P<name>\w+)\)s$")


def fill_doc(obj):
    """Fill the ``%(name)s`` lines of ``obj.__doc__`` from :data:`docdict`.

    Parameters
    ----------
    obj : class or function

    Returns
    -------
    obj
        The same object, its docstring filled.

    Raises
    ------
    KeyError
        A placeholder that :data:`docdict` does not define.
    """
    lines = []
    for line in (obj.__doc__ or "").splitlines():
        match = _PLACEHOLDER.match(line)
        if match is None:
            lines.append(line)
            continue
        indent = match["indent"]
        entry = docdict[match["name"]]
        lines += [indent + part if part else part for part in entry.splitlines()]
    obj.__doc__ = "\n".join(lines)
    return obj
