"""Sensor maps of forward-model patterns: EEG topomaps and fNIRS channel maps."""

import matplotlib.pyplot as plt
import mne
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ._targets import modality_meta

__all__ = ["plot_patterns"]


def _picked_info(info, name, channels):
    """The modality's mne.Info restricted to ``channels`` (in that order)."""
    _, ch_names, _, _, mne_info = modality_meta(info, name)
    if mne_info is None:
        raise ValueError(
            f"info[{name!r}] has no 'mne_info' with sensor positions; pass an mne.Info with a "
            "montage (raw.info / epochs.info) for this modality."
        )
    if all(c.startswith("ch") and c[2:].isdigit() for c in channels):
        raise ValueError(
            f"The patterns of {name!r} have unnamed columns ({channels[:3]}...); compute them "
            "from a DataFrame named by channel (skpid.inspection.channel_features) so they can "
            "be placed on the sensors."
        )
    unknown = [c for c in channels if c not in mne_info["ch_names"]]
    if unknown:
        raise ValueError(
            f"Channels {unknown[:5]} of the {name!r} patterns are not in its info "
            f"({ch_names[:5]}...); pass the info of the recording the features came from."
        )
    picked = mne.pick_info(mne_info, [mne_info["ch_names"].index(c) for c in channels])
    types = set(picked.get_channel_types())
    if len(types) > 1:
        raise ValueError(
            f"The {name!r} patterns mix channel types {sorted(types)}, whose positions "
            "overlap (fNIRS HbO and HbR share a pair's midpoint). Map one type at a time, "
            "e.g. channel_features(..., chromophore='hbo')."
        )
    return picked, types.pop()


def plot_patterns(patterns, info, *, axes=None, cmap="RdBu_r", sensors=True, contours=4):
    """Draw forward-model patterns on the sensors: one row per block, one column per modality.

    EEG patterns are drawn with :func:`mne.viz.plot_topomap` on the electrode positions;
    fNIRS patterns on the midpoints of the source-detector pairs (mne places HbO/HbR
    channels there). Colours are centred at 0 and shared within a modality, so blocks can
    be compared; red means the feature rises with the block's score.

    Parameters
    ----------
    patterns : dict of str to DataFrame of shape (n_blocks, n_channels)
        Per modality, one pattern per block with columns named by channel, as returned by
        :func:`block_patterns`; ``attrs["units"]`` labels the colour bar.
    info : dict
        Modality name to :class:`mne.Info` with sensor positions, or skpid's metadata dict
        with an ``mne_info`` entry (e.g. ``make_eeg_fnirs(...).info``).
    axes : array of matplotlib Axes of shape (n_blocks, n_modalities) or None
    cmap : str, default="RdBu_r"
    sensors : bool, default=True
        Mark the sensors.
    contours : int, default=4
        Number of contour lines.

    Returns
    -------
    fig : matplotlib Figure

    Examples
    --------
    An EEG pattern on three electrodes of the 10-20 system:

    >>> import mne
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skpid.inspection import plot_patterns
    >>> montage = mne.channels.make_standard_montage("easycap-M1")
    >>> names = ["C3", "Cz", "C4"]
    >>> info = mne.create_info(names, 10.0, "eeg").set_montage(montage)
    >>> patterns = {"eeg": pd.DataFrame([[1.0, 0.0, -1.0]], index=["R"], columns=names)}
    >>> fig = plot_patterns(patterns, {"eeg": info})
    >>> len(fig.axes) >= 1
    True
    """
    if not isinstance(patterns, dict) or not patterns:
        raise TypeError(
            "patterns must be a non-empty dict of modality name to a (blocks x channels) "
            "DataFrame, as skpid.inspection.block_patterns returns."
        )
    for name, frame in patterns.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"patterns[{name!r}] must be a DataFrame (blocks x channels), got "
                f"{type(frame).__name__}."
            )
    modalities = list(patterns)
    blocks = list(dict.fromkeys(b for frame in patterns.values() for b in frame.index))
    for name, frame in patterns.items():
        if list(frame.index) != blocks:
            raise ValueError(
                f"patterns[{name!r}] has blocks {list(frame.index)} but others have {blocks}; "
                "compute all modalities' patterns from the same blocks."
            )
    n_rows, n_cols = len(blocks), len(modalities)
    if axes is None:
        fig, axes = plt.subplots(
            n_rows,
            n_cols,
            figsize=(3.0 * n_cols + 0.6, 2.6 * n_rows + 0.6),
            squeeze=False,
            layout="constrained",
        )
    else:
        axes = np.asarray(axes, dtype=object).reshape(-1)
        if axes.size != n_rows * n_cols:
            raise ValueError(
                f"Got {axes.size} axes for {n_rows} blocks x {n_cols} modalities; pass "
                f"{n_rows * n_cols}."
            )
        axes = axes.reshape(n_rows, n_cols)
        fig = axes[0, 0].figure
    for j, name in enumerate(modalities):
        frame = patterns[name]
        picked, ch_type = _picked_info(info, name, [str(c) for c in frame.columns])
        values = frame.to_numpy(dtype=np.float64)
        vmax = max(float(np.nanmax(np.abs(values))), np.finfo(float).tiny)
        for i, block in enumerate(blocks):
            image, _ = mne.viz.plot_topomap(
                values[i],
                picked,
                ch_type=ch_type,
                axes=axes[i, j],
                cmap=cmap,
                vlim=(-vmax, vmax),
                sensors=sensors,
                contours=contours,
                show=False,
            )
            axes[i, j].set_title(f"{block} | {name}", fontsize=10)
        units = frame.attrs.get("units") or "feature units"
        cbar = fig.colorbar(
            image,
            ax=list(axes[:, j]),
            location="bottom",
            shrink=0.8,
            label=f"{units}\nper SD of block score",
        )
        # plain tick labels: an offset text ("1e-7") would collide with the label
        cbar.locator = MaxNLocator(nbins=4, symmetric=True)
        cbar.formatter = FuncFormatter(lambda v, _: f"{v:.2g}")
        cbar.update_ticks()
    return fig
