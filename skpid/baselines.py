"""Classical EEG/fNIRS decoding baselines as scikit-learn pipelines on multimodal input.

Every factory returns an unfitted estimator whose first step picks its modality (or
modalities) out of a multimodal batch ``SliceDict(eeg=(n, c, t), fnirs=(n, c', t'))`` with
:class:`skpid.compose.ModalityTransformer`, so all baselines take the same input as the
decomposers and run under the same cross-validation. The hybrid references follow Shin et
al., "Open Access Dataset for EEG+NIRS Single-Trial Classification", IEEE TNSRE
25(10):1735-1745, 2017 (doi:10.1109/TNSRE.2016.2628057): CSP log-variance features for EEG,
mean and slope of HbO/HbR for fNIRS, shrinkage LDA for each, combined by a shrinkage-LDA
meta-classifier (the scheme of Fazli et al., NeuroImage 59(1):519-529, 2012).
"""

from pyriemann.estimation import BlockCovariances, Covariances, XdawnCovariances
from pyriemann.spatialfilters import CSP
from pyriemann.tangentspace import TangentSpace
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from .compose import ModalityTransformer
from .features import BandPower, HemodynamicFeatures

__all__ = [
    "make_bandpower_lda",
    "make_block_tangent_space_lr",
    "make_csp_lda",
    "make_hemodynamic_lda",
    "make_shin2017_hybrid",
    "make_tangent_space_lr",
    "make_xdawn_tangent_space_lr",
    "shrinkage_lda",
]

#: fNIRS windows of the Shin et al. (2017) style features, in seconds after task onset
#: (the haemodynamic response builds up over several seconds after onset; Scholkmann et al.,
#: NeuroImage 85:6-27, 2014).
SHIN2017_WINDOWS = ((0.0, 5.0), (5.0, 10.0), (10.0, 15.0))


def shrinkage_lda():
    """LDA with Ledoit-Wolf shrinkage of the covariance (``solver="lsqr", shrinkage="auto"``).

    The standard BCI classifier for few trials and many features (Blankertz et al.,
    NeuroImage 56(2):814-825, 2011).

    Examples
    --------
    >>> from skpid.baselines import shrinkage_lda
    >>> shrinkage_lda()
    LinearDiscriminantAnalysis(shrinkage='auto', solver='lsqr')
    """
    return LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")


def _select(modality, transformer):
    return ModalityTransformer({modality: transformer}, output="concat")


def make_bandpower_lda(sfreq, *, modality="eeg", bands=None, method="welch", relative=False):
    """Log band power per channel and band, then shrinkage LDA.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the modality in Hz.
    modality : str, default="eeg"
        Modality of the batch to use.
    bands : dict of str to (float, float) or None
        Bands in Hz; None gives :data:`skpid.features.DEFAULT_BANDS`.
    method : {"welch", "multitaper"}, default="welch"
        Spectrum estimator.
    relative : bool, default=False
        Use log relative band power.

    Returns
    -------
    pipeline : Pipeline
        ``modalitytransformer`` (BandPower on ``modality``) -> ``lineardiscriminantanalysis``.
        Input: a SliceDict/dict holding ``modality`` as ``(n_trials, n_channels, n_times)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> t = np.arange(200) / 100.0  # 2 s at 100 Hz
    >>> eeg = rng.standard_normal((40, 4, 200))
    >>> eeg[y == 1, 0] += 2 * np.sin(2 * np.pi * 10 * t)  # alpha on channel 0 in class 1
    >>> X = SliceDict(eeg=eeg)
    >>> from skpid.baselines import make_bandpower_lda
    >>> pipe = make_bandpower_lda(100.0, bands={"alpha": (8, 13), "beta": (13, 30)})
    >>> pipe.fit(X, y).score(X, y) > 0.9
    True
    """
    bp = BandPower(sfreq=sfreq, bands=bands, method=method, relative=relative)
    return make_pipeline(_select(modality, bp), shrinkage_lda())


def make_hemodynamic_lda(
    sfreq,
    *,
    modality="fnirs",
    windows=SHIN2017_WINDOWS,
    tmin=0.0,
    features=("mean", "slope"),
    ch_types=None,
):
    """Mean and slope of HbO/HbR per time window, then shrinkage LDA (Shin et al., 2017).

    Parameters
    ----------
    sfreq : float
        fNIRS sampling rate in Hz.
    modality : str, default="fnirs"
        Modality of the batch to use.
    windows : sequence of (float, float), default=((0, 5), (5, 10), (10, 15))
        Windows in seconds relative to task onset.
    tmin : float, default=0.0
        Time of the first sample of the epochs in seconds.
    features : sequence of str, default=("mean", "slope")
        See :class:`skpid.features.HemodynamicFeatures`.
    ch_types : list of str, str or None
        ``"hbo"``/``"hbr"`` per channel.

    Returns
    -------
    pipeline : Pipeline
        ``modalitytransformer`` (HemodynamicFeatures) -> ``lineardiscriminantanalysis``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> fnirs = rng.standard_normal((40, 4, 150))  # 15 s at 10 Hz; channels HbO, HbR, ...
    >>> fnirs[y == 1, 0] += np.linspace(0, 3, 150)  # HbO rises in class 1
    >>> X = SliceDict(fnirs=fnirs)
    >>> from skpid.baselines import make_hemodynamic_lda
    >>> pipe = make_hemodynamic_lda(10.0, ch_types=["hbo", "hbr", "hbo", "hbr"])
    >>> pipe.fit(X, y).score(X, y) > 0.9
    True
    """
    hf = HemodynamicFeatures(
        sfreq=sfreq,
        windows=[tuple(w) for w in windows],
        tmin=tmin,
        features=list(features),
        ch_types=ch_types,
    )
    return make_pipeline(_select(modality, hf), shrinkage_lda())


def make_csp_lda(*, modality="eeg", n_components=6, estimator="lwf"):
    """Common spatial patterns (log-variance of the spatially filtered EEG) + shrinkage LDA.

    CSP (Ramoser et al., IEEE Trans. Rehabil. Eng. 8(4):441-446, 2000) computed by
    pyriemann from shrinkage covariance matrices (:class:`~pyriemann.estimation.Covariances`
    then :class:`~pyriemann.spatialfilters.CSP`, multiclass by approximate joint
    diagonalisation). Shin et al. (2017) used the log-variances of the first and last three
    filters (``n_components=6``). Band-pass the EEG beforehand (e.g. 8-30 Hz for motor
    imagery).

    Parameters
    ----------
    modality : str, default="eeg"
        Modality of the batch to use.
    n_components : int, default=6
        Number of CSP filters kept.
    estimator : {"lwf", "oas", "scm", ...}, default="lwf"
        Covariance estimator of pyriemann.

    Returns
    -------
    pipeline : Pipeline
        ``modalitytransformer`` (Covariances -> CSP) -> ``lineardiscriminantanalysis``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> t = np.arange(200) / 100.0  # 2 s at 100 Hz
    >>> eeg = rng.standard_normal((40, 4, 200))
    >>> eeg[y == 1, 0] += 2 * np.sin(2 * np.pi * 10 * t)  # alpha on channel 0 in class 1
    >>> X = SliceDict(eeg=eeg)
    >>> from skpid.baselines import make_csp_lda
    >>> pipe = make_csp_lda(n_components=2)
    >>> pipe.fit(X, y).predict(X).shape
    (40,)
    """
    csp = make_pipeline(Covariances(estimator=estimator), CSP(nfilter=n_components, log=True))
    return make_pipeline(_select(modality, csp), shrinkage_lda())


def make_tangent_space_lr(modalities=("eeg",), *, estimator="oas", metric="riemann", C=1.0):
    """Per-modality covariance matrices in tangent space, then logistic regression.

    Each modality's spatial covariance (pyriemann :class:`~pyriemann.estimation.Covariances`
    with a shrinkage ``estimator``) is mapped to the tangent space at its Riemannian mean
    (Barachant et al., IEEE Trans. Biomed. Eng. 59(4):920-928, 2012). With several
    modalities the tangent vectors are concatenated (a hybrid that allows each modality
    its own sampling rate and length).

    Parameters
    ----------
    modalities : str or sequence of str, default=("eeg",)
        Modalities to use, each ``(n_trials, n_channels, n_times)``.
    estimator : {"oas", "lwf", "scm", ...}, default="oas"
        Covariance estimator of pyriemann.
    metric : str, default="riemann"
        Tangent-space metric.
    C : float, default=1.0
        Inverse L2 regularisation of the logistic regression.

    Returns
    -------
    pipeline : Pipeline
        ``modalitytransformer`` (Covariances -> TangentSpace per modality, concatenated) ->
        ``logisticregression``. Tune e.g. ``modalitytransformer__eeg__covariances__estimator``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> t = np.arange(200) / 100.0  # 2 s at 100 Hz
    >>> eeg = rng.standard_normal((40, 4, 200))
    >>> eeg[y == 1, 0] += 2 * np.sin(2 * np.pi * 10 * t)  # alpha on channel 0 in class 1
    >>> X = SliceDict(eeg=eeg)
    >>> from skpid.baselines import make_tangent_space_lr
    >>> pipe = make_tangent_space_lr(("eeg",))
    >>> pipe.fit(X, y).score(X, y) > 0.9
    True
    """
    return _tangent_space_lr(modalities, lambda: Covariances(estimator=estimator), metric, C)


def make_xdawn_tangent_space_lr(
    modalities=("fnirs",), *, nfilter=4, estimator="lwf", metric="riemann", C=1.0
):
    """Xdawn covariance matrices of evoked responses in tangent space, then logistic regression.

    For responses time-locked to the trial onset (ERPs, the haemodynamic response of
    fNIRS), where the class lies in the time course more than in the spatial covariance.
    Each trial is stacked with the class prototypes (averages) filtered by xDAWN (Rivet
    et al., IEEE Trans. Biomed. Eng. 56(8):2035-2043, 2009) and the covariance of the
    stack is mapped to the tangent space (Barachant and Congedo, arXiv:1409.0107, 2014),
    by pyriemann :class:`~pyriemann.estimation.XdawnCovariances`. Covariances of size
    ``2 * nfilter * n_classes`` keep the tangent space small whatever the channel count.

    Parameters
    ----------
    modalities : str or sequence of str, default=("fnirs",)
        Modalities to use, each ``(n_trials, n_channels, n_times)``; with several, their
        tangent vectors are concatenated.
    nfilter : int, default=4
        xDAWN filters per class.
    estimator : {"lwf", "oas", "scm", ...}, default="lwf"
        Covariance estimator of pyriemann, for the xDAWN filters and the trial covariances.
    metric : str, default="riemann"
        Tangent-space metric.
    C : float, default=1.0
        Inverse L2 regularisation of the logistic regression.

    Returns
    -------
    pipeline : Pipeline
        ``modalitytransformer`` (XdawnCovariances -> TangentSpace per modality,
        concatenated) -> ``logisticregression``. Tune e.g.
        ``modalitytransformer__fnirs__xdawncovariances__nfilter``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> fnirs = rng.standard_normal((40, 4, 150))  # 15 s at 10 Hz; channels HbO, HbR, ...
    >>> fnirs[y == 1, 0] += np.linspace(0, 3, 150)  # HbO rises in class 1
    >>> X = SliceDict(fnirs=fnirs)
    >>> from skpid.baselines import make_xdawn_tangent_space_lr
    >>> pipe = make_xdawn_tangent_space_lr(("fnirs",), nfilter=2)
    >>> pipe.fit(X, y).score(X, y) > 0.9
    True
    """
    return _tangent_space_lr(
        modalities,
        lambda: XdawnCovariances(nfilter=nfilter, estimator=estimator, xdawn_estimator=estimator),
        metric,
        C,
    )


def _tangent_space_lr(modalities, covariances, metric, C):
    """Per-modality ``covariances()`` -> TangentSpace, concatenated, then logistic regression."""
    modalities = (modalities,) if isinstance(modalities, str) else tuple(modalities)
    per_modality = {
        m: make_pipeline(covariances(), TangentSpace(metric=metric)) for m in modalities
    }
    return make_pipeline(
        ModalityTransformer(per_modality, output="concat"),
        LogisticRegression(C=C, max_iter=1000),
    )


def make_block_tangent_space_lr(block_size, *, estimator="oas", metric="riemann", C=1.0):
    """Block-diagonal covariance of modalities on a common time grid, tangent space, LR.

    For a single array ``(n_trials, n_eeg + n_fnirs, n_times)`` whose channel blocks were
    resampled to one rate: pyriemann :class:`~pyriemann.estimation.BlockCovariances` keeps
    within-modality covariances and zeroes the cross-modality ones, then tangent space and
    logistic regression. For modalities of different rates use
    :func:`make_tangent_space_lr` with several modalities.

    Parameters
    ----------
    block_size : int or list of int
        Channels per block along axis 1, in order (e.g. ``[n_eeg, n_fnirs]``).
    estimator : str, default="oas"
        Covariance estimator of each block.
    metric : str, default="riemann"
        Tangent-space metric.
    C : float, default=1.0
        Inverse L2 regularisation of the logistic regression.

    Returns
    -------
    pipeline : Pipeline
        ``blockcovariances`` -> ``tangentspace`` -> ``logisticregression``; input a single
        array ``(n_trials, n_channels, n_times)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpid.baselines import make_block_tangent_space_lr
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> X = rng.standard_normal((40, 6, 100))  # 4 EEG then 2 fNIRS channels, one time grid
    >>> X[y == 1, 0] *= 3  # class 1: more power on the first EEG channel
    >>> pipe = make_block_tangent_space_lr([4, 2])
    >>> pipe.fit(X, y).score(X, y) > 0.9
    True
    """
    return make_pipeline(
        BlockCovariances(block_size=block_size, estimator=estimator),
        TangentSpace(metric=metric),
        LogisticRegression(C=C, max_iter=1000),
    )


def make_shin2017_hybrid(
    fnirs_sfreq,
    *,
    eeg="eeg",
    fnirs="fnirs",
    windows=SHIN2017_WINDOWS,
    tmin=0.0,
    ch_types=None,
    n_components=6,
    cv=5,
):
    """The hybrid EEG+fNIRS meta-classifier of Shin et al. (2017).

    An EEG classifier (CSP log-variance + shrinkage LDA, :func:`make_csp_lda`) and an fNIRS
    classifier (HbO/HbR mean and slope per window + shrinkage LDA,
    :func:`make_hemodynamic_lda`) each see only their modality; their LDA decision values,
    predicted out-of-fold on the training set (``cv``), are combined by a shrinkage-LDA
    meta-classifier (:class:`sklearn.ensemble.StackingClassifier`). Shin et al., IEEE TNSRE
    25(10):1735-1745, 2017; after Fazli et al., NeuroImage 59(1):519-529, 2012.

    Parameters
    ----------
    fnirs_sfreq : float
        fNIRS sampling rate in Hz.
    eeg, fnirs : str, default="eeg", "fnirs"
        Modality names in the batch.
    windows : sequence of (float, float), default=((0, 5), (5, 10), (10, 15))
        fNIRS windows in seconds relative to task onset.
    tmin : float, default=0.0
        Time of the first fNIRS sample in seconds.
    ch_types : list of str, str or None
        ``"hbo"``/``"hbr"`` per fNIRS channel.
    n_components : int, default=6
        CSP filters.
    cv : int or cross-validation generator, default=5
        Folds for the out-of-fold base predictions the meta-classifier learns from.

    Returns
    -------
    stack : StackingClassifier
        Base estimators ``"eeg"`` and ``"fnirs"`` (pipelines), final shrinkage LDA. Input: a
        SliceDict holding both modalities.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> from skpid.baselines import make_shin2017_hybrid
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> eeg = rng.standard_normal((40, 4, 200))
    >>> eeg[y == 1, 0] *= 3  # class 1: more EEG power on channel 0
    >>> fnirs = rng.standard_normal((40, 4, 150))
    >>> fnirs[y == 1, 0] += np.linspace(0, 3, 150)  # class 1: HbO rises
    >>> X = SliceDict(eeg=eeg, fnirs=fnirs)
    >>> hybrid = make_shin2017_hybrid(10.0, ch_types=["hbo", "hbr"] * 2, n_components=2, cv=3)
    >>> hybrid.fit(X, y).score(X, y) > 0.9
    True
    """
    return StackingClassifier(
        estimators=[
            (eeg, make_csp_lda(modality=eeg, n_components=n_components)),
            (
                fnirs,
                make_hemodynamic_lda(
                    fnirs_sfreq, modality=fnirs, windows=windows, tmin=tmin, ch_types=ch_types
                ),
            ),
        ],
        final_estimator=shrinkage_lda(),
        stack_method="decision_function",
        cv=cv,
    )
