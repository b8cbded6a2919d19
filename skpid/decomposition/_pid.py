"""PIDDecomposer: one block of learned components per partial-information atom."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._multimodal import SIDE_KEY, check_ch_types, n_trials, signature
from ..nn import DEFAULT_LOSS_WEIGHTS, PIDNetwork, PIDObjective
from ._base import COMMON_CONSTRAINTS, DeepDecomposer, check_block_size
from ._docs import fill_doc
from ._priors import check_priors, coupling_profile, network_inputs, prior_features
from ._readout import fit_lattice_readout, lattice_blocks
from ._training import apply_scaling, check_groups

__all__ = ["PIDDecomposer"]

_CRITIC_LR_FACTOR = 3.0  # critics must keep up with the representations they bound
_DEFAULT_SIZE = 16  # block size left out of a dict n_components


@fill_doc
class PIDDecomposer(DeepDecomposer):
    """Learn redundant, unique and synergistic components of multimodal recordings.

    For modalities ``m = 1..M`` (e.g. EEG and fNIRS), two encoders per modality of the
    same architecture (for EEG, spatial filters and a band-pass filter bank giving log
    band power; a compact temporal CNN for other time series; an MLP for tabular
    features; see :class:`skpid.nn.ModalityEncoder`), each summarising the trial so that
    the summary does not depend on when in the trial an event happened, feed a
    redundancy head ``R_m`` and a unique head ``U_m`` (perceptrons normalised over the
    batch: batch norm for ``R``, as SimCLR's projection heads, centring only for ``U``;
    see :class:`skpid.nn.ProjectionHead`). Pass the subject of every trial to ``fit(X,
    groups=...)`` when trials come from several subjects: batches are then drawn within
    subjects, so that the shared signature of a subject is not what the cross-modal terms
    align. Training is self-supervised with two augmented views of every trial (see
    :class:`skpid.nn.PIDObjective`):

    - ``R``: cross-modal InfoNCE aligns ``R_m`` across modalities, so it keeps what all
      modalities share (the redundant atom) [1]_, [2]_.
    - ``U_m``: a decoder that is given the other modalities' ``R_n`` and ``U_m`` of one
      view reconstructs modality ``m`` in the other view (the standardised features of
      tabular data; for time series, the summary of a frozen copy of the encoder at
      initialisation, a fixed random-feature summary, and the input averaged in
      ``n_tokens`` windows per channel), so ``U_m`` must take up everything the modality
      holds beyond what the others share with it, and each ``R_n`` becomes a complete
      code of what it shares with ``m`` (its private factors cannot help to predict
      ``m``) [7]_. InfoNCE between the views of ``U_m``, its negatives weighted towards
      trials whose other modalities' ``R_n`` resemble the anchor's (conditional InfoNCE
      [6]_), joins it; a CLUB upper bound [4]_ of its mutual information with the other
      modalities' representations (the role NCE-CLUB plays in FactorCL [2]_) and a
      cross-correlation penalty against every ``R_n`` keep what is shared out of it.
    - ``S``: the products of every component of ``U_m`` with every component of
      ``U_n``, for every pair of modalities (tensor fusion [8]_ without the terms within
      one modality). Nothing is trained for it: a product of two centred, independent
      unique components is uncorrelated with anything a single modality carries, yet the
      XOR of a binary factor in each modality, or any bilinear interaction, is a linear
      function of the products. Interactions of three or more modalities that no pair
      shows are not represented.

    By default nothing but the data shapes the blocks. Physiological priors are opt-in
    (``priors``): each makes one block predict a quantity that :mod:`skpid.physiology`
    computes from the input in physical units, as the design's physiology table links
    them, with weight ``loss_weights["auxiliary"]``. Always report the prior's features
    alone next to a model that uses them (a model that does no better than its own
    priors has learned nothing from the data).

    The Gaussian critics of the CLUB bounds are trained jointly, by maximum likelihood,
    with their own optimizer (learning rate ``3 * lr``); the network minimises the
    bounds with the critics fixed and the conditioning representations detached.
    ``transform`` returns the concatenated blocks ``[R, U_<m1>, ..., U_<mM>, S]``, from
    the L2-normalised heads, peeled apart linearly by default (see ``orthogonalize``).

    Parameters
    ----------
    n_components : int or dict, default=16
        Size of ``R`` and of every unique block. An int gives each that size; a dict may
        set ``"R"``, ``"U"`` (all unique blocks) and ``"U_<modality>"`` (one of them),
        with 16 for blocks it leaves out. ``S`` has ``sum_{m<n} k_m k_n`` components for
        unique blocks of sizes ``k_m`` (256 for two modalities with the default). A
        unique block must be wide enough for every private factor of its modality
        (nuisance included): a reconstruction squeezed through too few components keeps
        the strongest factors only.
    %(modalities)s
    hidden_size : int, default=64
        Width of encoders, heads, decoders and critics.
    %(n_tokens)s
    temperature : float, default=0.1
        Temperature of every InfoNCE term (0.1 as CoMM). Higher values (e.g. 0.5) favour
        coarse, high-variance structure over fine detail.
    loss_weights : dict or None, default=None
        Overrides of the term weights ``{"redundant", "reconstruction", "unique",
        "mi_unique", "decorrelation", "auxiliary", "supervised"}``: 10 for
        ``reconstruction``, ``mi_unique`` and ``decorrelation``, 15 for ``auxiliary``, 1
        for the others. Raising the penalties reduces leaks between blocks at the cost of
        what each block recovers.
    %(augmentations)s
    priors : None, str, sequence of str or dict, default=None
        Physiological priors to turn on (see :mod:`skpid.decomposition._priors`); None
        learns from the data alone. Names, or a dict of name to settings:

        - ``"band_power"``: ``U_eeg`` predicts the event-related power change (either
          direction: synchronisation or desynchronisation) in each named EEG band
          (:func:`skpid.physiology.event_related_power`). Assumes the EEG modality's
          activation mode shows as a transient band-power change within the epoch.
          Needs ``sfreq`` of the EEG. Settings: ``modality``, ``bands`` (names or
          ``(lo, hi)`` Hz; default every band of :data:`skpid.physiology.EEG_BANDS`
          below Nyquist), ``window`` (s), ``direction``.
        - ``"haemodynamic_amplitude"``: ``U_<fnirs>`` predicts the peak-to-peak
          amplitude of the CBSI signal [5]_ (or of HbO alone, ``method="hbo"``) on the
          most active channel pair (:func:`skpid.physiology.haemodynamic_amplitude`).
          Assumes HbO and HbR are anti-correlated in the functional response. Needs
          ``sfreq`` and ``ch_names`` of the fNIRS (to pair HbO with HbR in any order).
          Settings: ``modality``, ``method``, ``smooth`` (s).
        - ``"coupling_delay"``: a coupling head reads the neurovascular coupling profile
          (:func:`skpid.physiology.coupling_profile`: evidence for each delay between an
          EEG event and the onset of a haemodynamic response) and nothing else, and
          predicts the coupling delay (:func:`skpid.physiology.coupling_delay`, the
          response's latency fitted per group of ``fit``); its ``n_components["R"]``
          outputs join ``S`` after the products. Assumes one event per trial, EEG and
          fNIRS epochs locked to the same trial onset (``tmin``), and a response of the
          ``model`` shape. Needs ``sfreq`` of both and ``ch_names`` of the fNIRS.
          Settings: ``eeg``, ``nirs``, ``model``, ``band``, ``delay_range``,
          ``stretches``, ``direction`` (of the EEG event's power change: ``"both"`` by
          default; ``"increase"`` for evoked bursts, ``"decrease"`` for
          desynchronisation as in motor tasks).

        A prior that cannot be computed from the input raises a ``ValueError`` naming
        what is missing; none is switched off silently. The EEG and fNIRS modalities are
        found by kind (``ch_types``, else the name: ``"eeg"``, ``"nirs"``/``"fnirs"``)
        unless the settings name them.
    sfreq : dict or None, default=None
        Sampling rate (Hz) of each time-series modality, e.g. ``{"eeg": 100.0, "fnirs":
        10.0}`` (``info["sfreq"]`` of mne epochs). Only used by ``priors``.
    tmin : dict or None, default=None
        Time (s) of the first sample of each modality's epochs, relative to the same
        trial onset (mne's ``epochs.tmin``); modalities left out start at 0. Only used
        by ``priors``.
    ch_names : dict or None, default=None
        Channel names of time-series modalities, e.g. ``{"fnirs": info["fnirs"]
        ["ch_names"]}`` from :func:`skpid.io.from_epochs`. Only used by ``priors``.
    supervised : bool, default=False
        When True, ``fit`` needs ``y`` and adds a linear classifier on the concatenated
        blocks, trained with cross-entropy (weight ``loss_weights["supervised"]``) on
        both views together with the self-supervised terms. It pulls label information
        into the components; the classifier is not exposed. When False, ``y`` is ignored.
    orthogonalize : bool, default=True
        After training, read the blocks out linearly in the order of the PID lattice,
        with maps fitted on the training trials' outputs (stored in ``readout_``; see
        :mod:`skpid.decomposition._readout`): ``R`` holds the canonical directions on
        which the redundancy heads ``R_m`` of all modalities agree (mean correlation
        between modalities at least 0.5, in ``redundancy_correlation_``), averaged over
        modalities, so a modality's private content in its own head is left out; each
        ``U_m`` minus its ridge prediction from ``R``; ``S`` the products of the peeled
        ``U_m``, each standardised on the training trials, minus their ridge prediction
        from ``R`` and every ``U_m`` (penalties by leave-one-out). What a linear probe
        could read of a lower atom from a higher block is removed, as far as the training
        subjects' relation holds for new ones. Blocks are then no longer on the unit
        sphere. False returns the normalised heads, ``R`` their mean, ``S`` the products of
        the normalised unique heads.
    %(max_epochs)s
    batch_size : int or "auto", default="auto"
        Trials per batch; ``"auto"`` is ``min(128, n_training_trials)``, or 32 when
        ``fit`` gets ``groups``. InfoNCE contrasts every trial with the rest of its
        batch; within subjects, batches smaller than a subject give several optimiser
        steps per subject.
    lr : float, default=2e-3
        AdamW learning rate (network and critics).
    validation_fraction : float or None, default=None
        Share of trials held out (at random) for early stopping on the validation loss
        (e.g. 0.1); None trains for ``max_epochs`` on all trials. Off by default: the
        loss holds adversarial CLUB terms that grow as the critics learn, so its minimum
        often comes early, before the blocks separate.
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
    n_components_ : dict of str to int
        Size of each block, in output order (``R``, ``U_<m>``..., ``S``).
    component_slices_ : dict of str to slice
        Columns of each block in the output of ``transform``.
    readout_ : LatticeReadout
        With ``orthogonalize=True``: the linear maps of the readout (``shared`` and
        ``unique`` per modality, ``synergy``) and the ``correlation`` of the ``R``
        components (see ``orthogonalize`` and
        :class:`skpid.decomposition._readout.LatticeReadout`).
    redundancy_correlation_ : ndarray of shape (n_components_["R"],)
        With ``orthogonalize=True``: mean correlation between modalities of each
        component of ``R`` on the training trials, in decreasing order; 0 for the
        components past the last direction that the modalities share (those columns are
        0).
    priors_ : dict of str to Prior
        The priors in use, with their modalities and settings resolved (empty without
        ``priors``).
    classes_ : ndarray
        Labels seen in fit (supervised mode only).

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
    .. [6] Tsai et al., "Conditional contrastive learning with kernel", ICLR 2022.
    .. [7] Vincent et al., "Extracting and composing robust features with denoising
       autoencoders", ICML 2008.
    .. [8] Zadeh et al., "Tensor fusion network for multimodal sentiment analysis",
       EMNLP 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> X = SliceDict(
    ...     eeg=rng.standard_normal((64, 4, 100)).astype("float32"),
    ...     fnirs=rng.standard_normal((64, 4, 20)).astype("float32"),
    ... )
    >>> dec = PIDDecomposer(n_components=2, hidden_size=16, max_epochs=2, random_state=0)
    >>> dec.fit(X).transform(X).shape  # R 2, U_eeg 2, U_fnirs 2, S 2 x 2
    (64, 10)
    >>> list(dec.decompose(X))
    ['R', 'U_eeg', 'U_fnirs', 'S']
    """

    _parameter_constraints: ClassVar[dict] = {
        **COMMON_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left"), dict],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "loss_weights": [None, dict],
        "priors": [None, str, list, tuple, dict],
        "sfreq": [None, dict],
        "tmin": [None, dict],
        "ch_names": [None, dict],
        "supervised": ["boolean"],
        "orthogonalize": ["boolean"],
    }
    _min_block_size = 2  # an L2-normalised block of width 1 is a constant sign
    _default_loss_weights = DEFAULT_LOSS_WEIGHTS
    _critic_terms = ("critic",)

    def __init__(
        self,
        n_components=16,
        *,
        modalities=None,
        hidden_size=64,
        n_tokens=8,
        temperature=0.1,
        loss_weights=None,
        augmentations=None,
        priors=None,
        sfreq=None,
        tmin=None,
        ch_names=None,
        supervised=False,
        orthogonalize=True,
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
        self.modalities = modalities
        self.hidden_size = hidden_size
        self.n_tokens = n_tokens
        self.temperature = temperature
        self.loss_weights = loss_weights
        self.augmentations = augmentations
        self.priors = priors
        self.sfreq = sfreq
        self.tmin = tmin
        self.ch_names = ch_names
        self.supervised = supervised
        self.orthogonalize = orthogonalize
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

    def _block_sizes(self, modalities):
        """Sizes of ``R`` and every ``U_<m>``, from ``n_components``."""
        names = ["R", *(f"U_{m}" for m in modalities)]
        if not isinstance(self.n_components, dict):
            return dict.fromkeys(names, int(self.n_components))
        if "S" in self.n_components:
            raise ValueError(
                "n_components sets 'R' and the unique blocks; the S block holds the "
                "products of the unique blocks of every pair of modalities, so its size "
                "follows from theirs. Remove 'S' (set 'U' to change it)."
            )
        allowed = {"R", "U", *names}
        unknown = [k for k in self.n_components if k not in allowed]
        if unknown:
            raise ValueError(
                f"n_components has unknown keys {unknown}; use 'R', 'U' (every unique "
                f"block) or one of {names[1:]}."
            )
        sizes = {}
        for name in names:
            default = self.n_components.get("U", _DEFAULT_SIZE) if name != "R" else _DEFAULT_SIZE
            sizes[name] = check_block_size(name, self.n_components.get(name, default))
        return sizes

    def _check_priors(self, shapes):
        return check_priors(
            self.priors,
            shapes,
            sfreq=self.sfreq,
            tmin=self.tmin,
            ch_names=self.ch_names,
            ch_types=check_ch_types(self.ch_types, shapes),
        )

    def _encode_labels(self, y, n):
        if not self.supervised:
            return None
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
                f"supervised=True needs at least 2 classes in y, got {encoder.classes_.tolist()}."
            )
        self.classes_ = encoder.classes_
        return encoder.transform(y).astype(np.int64)

    def _net_params(self, data, y, weights):
        modalities = list(data)
        sizes = self._block_sizes(modalities)
        y_enc = self._encode_labels(y, n_trials(data))
        self.priors_ = self._check_priors(signature(data))
        # the size of each prior's output, from the first trials
        first = network_inputs(
            self.priors_, prior_features(self.priors_, {m: x[:2] for m, x in data.items()})
        )
        targets = {m: t.shape[1] for m, t in first.get("targets", {}).items()}
        coupling = first["coupling_profile"].shape[1:] if "coupling_profile" in first else None
        params = {
            "module": PIDNetwork,
            "module__shapes": signature(data),
            "module__n_components": sizes,
            "module__d_model": self.hidden_size,
            "module__n_tokens": self.n_tokens,
            "module__n_classes": 0 if y_enc is None else len(self.classes_),
            "module__targets": targets,
            "module__coupling": coupling,
            "criterion": PIDObjective,
            "criterion__modalities": modalities,
            "criterion__n_components": sizes,
            "criterion__d_model": self.hidden_size,
            "criterion__temperature": self.temperature,
            "criterion__weights": weights,
            "critic_lr": _CRITIC_LR_FACTOR * self.lr,
        }
        terms = ["redundant", "reconstruction", "unique", "mi_unique", "decorrelation"]
        if self.priors_:
            terms.append("auxiliary")
        if self.supervised:
            terms.append("supervised")
        return params, terms, y_enc

    def _side_inputs(self, scaled, groups):
        # computed once on the clean trials (the augmenter leaves these keys alone)
        return network_inputs(self.priors_, prior_features(self.priors_, scaled, groups))

    def _fitted_blocks(self):
        sizes = self.net_.module_.block_sizes()
        if "C" in sizes:  # the coupling head's components join the synergy block
            sizes["S"] += sizes.pop("C")
        self.n_components_ = sizes
        return sizes

    def _embed_batch(self, module, batch):
        # every R_m apart (the readout combines them), then U_<m>..., C; unit rows
        prior = self.priors_.get("coupling_delay")
        if prior is not None:
            profile = coupling_profile(prior, {m: x.cpu().numpy() for m, x in batch.items()})
            like = next(iter(batch.values()))
            batch = {**batch, SIDE_KEY: {"coupling_profile": torch.as_tensor(profile).to(like)}}
        out = module.embed(**batch)
        names = [f"R_{m}" for m in module.modalities] + [f"U_{m}" for m in module.modalities]
        names += ["C"] if "C" in out else []
        return torch.cat([F.normalize(out[n], dim=1) for n in names], dim=1)

    def _raw_blocks(self, Z):
        """Split :meth:`_embed` output into ``R_<m>``..., ``U_<m>``... (and ``C``)."""
        sizes = self.net_.module_.block_sizes()
        names = [f"R_{m}" for m in self.modalities_] + [f"U_{m}" for m in self.modalities_]
        widths = [sizes["R"]] * len(self.modalities_)
        widths += [sizes[f"U_{m}"] for m in self.modalities_]
        if "C" in sizes:
            names.append("C")
            widths.append(sizes["C"])
        bounds = np.cumsum([0, *widths])
        return {n: Z[:, bounds[i] : bounds[i + 1]] for i, n in enumerate(names)}

    def _fit_readout(self, data):
        if self.orthogonalize:
            raw = self._raw_blocks(self._embed(data))
            self.readout_ = fit_lattice_readout(raw, self.modalities_)
            self.redundancy_correlation_ = self.readout_.correlation

    def _readout(self, Z):
        maps = self.readout_ if self.orthogonalize else None
        blocks = lattice_blocks(self._raw_blocks(Z), self.modalities_, maps)
        return np.hstack(list(blocks.values()))

    def prior_features(self, X, groups=None):
        """The features of the fitted priors on ``X``, computed as in ``fit``.

        Report these alone, with the same probe, next to the decomposer that uses them:
        a decomposer that does no better than its own priors has learned nothing.

        Parameters
        ----------
        X : dict or SliceDict of str to array-like, or array-like
            Same modalities and trailing shapes as in ``fit``.
        groups : array-like of shape (n_trials,) or None
            Subject of every trial, for the coupling delay's response stretch (fitted per
            group, without labels).

        Returns
        -------
        features : dict of str to ndarray
            One 2-D array ``(n_trials, n_features)`` per feature of the priors
            (``"band_power"``, ``"haemodynamic_amplitude"``, ``"coupling_delay"``,
            ``"coupling_profile"`` flattened); empty without priors.
        """
        check_is_fitted(self)
        data = self._check_input(X, reset=False)
        groups = check_groups(groups, n_trials(data))
        features = prior_features(self.priors_, apply_scaling(data, self.scaling_), groups)
        return {name: f.reshape(len(f), -1) for name, f in features.items()}

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
        return self._split_blocks(self.transform(X))
