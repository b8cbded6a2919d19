"""Small helpers shared across skpid's packages (private: no public API promise).

One place for what several packages need and none owns: the structures (subsets of
modalities) of the hierarchical models, mne's template montages and the check of an
mne ``Raw``.
"""

import itertools
from collections.abc import Sequence

__all__ = [
    "all_subsets",
    "candidate_structures",
    "check_raw",
    "standard_montage",
    "structure_name",
]


def structure_name(subset, names):
    """Name of a structure: its modality names joined by ``"+"`` (``"eeg+fnirs"``).

    Parameters
    ----------
    subset : sequence of int
        Indices into ``names``.
    names : list of str
        Modality names.

    Returns
    -------
    name : str
    """
    return "+".join(names[m] for m in subset)


def all_subsets(n_modalities):
    """Every non-empty subset of modalities, largest first (global, partial, specific)."""
    return [
        s
        for k in range(n_modalities, 0, -1)
        for s in itertools.combinations(range(n_modalities), k)
    ]


def candidate_structures(structure, names):
    """Candidate structures of a hierarchical model as sorted index tuples, largest first.

    Parameters
    ----------
    structure : str or sequence
        A str (``"auto"``, ``"hierarchical"``): every non-empty subset. A sequence of
        subsets, each a name such as ``"eeg+fnirs"`` or a tuple of modality names.
    names : list of str
        Modality names of the data.

    Returns
    -------
    subsets : list of tuple of int

    Raises
    ------
    ValueError
        An empty list, an entry that is not a subset, unknown modality names, or a
        subset given twice.
    """
    if isinstance(structure, str):
        return all_subsets(len(names))
    if len(structure) == 0:
        raise ValueError(
            "structure is an empty list; name at least one subset of modalities, or "
            "use structure='auto'."
        )
    subsets = []
    for item in structure:
        members = item.split("+") if isinstance(item, str) else item
        if isinstance(members, str) or not isinstance(members, Sequence) or not members:
            raise ValueError(
                f"structure entry {item!r} is not a subset of modalities; write it as "
                f"'{names[0]}+{names[1]}' or a tuple of modality names."
            )
        unknown = [m for m in members if m not in names]
        if unknown:
            raise ValueError(
                f"structure entry {item!r} names modalities {unknown} that are not in "
                f"the data; the modalities are {names}."
            )
        subset = tuple(sorted({names.index(m) for m in members}))
        if subset in subsets:
            raise ValueError(f"structure lists {item!r} twice; give each subset once.")
        subsets.append(subset)
    return sorted(subsets, key=lambda s: (-len(s), s))


def standard_montage(kind="1005"):
    """mne's template 10-05/10-20 montage (``colin27_*`` from mne 1.13, ``standard_*`` before).

    Parameters
    ----------
    kind : {"1005", "1020"}, default="1005"

    Returns
    -------
    montage : mne.channels.DigMontage
    """
    import mne

    builtin = mne.channels.get_builtin_montages()
    name = f"colin27_{kind}" if f"colin27_{kind}" in builtin else f"standard_{kind}"
    return mne.channels.make_standard_montage(name)


def check_raw(raw):
    """Refuse anything but an mne ``Raw``, with the fix in the message.

    Raises
    ------
    TypeError
        ``raw`` is not an :class:`mne.io.BaseRaw`.
    """
    import mne

    if not isinstance(raw, mne.io.BaseRaw):
        raise TypeError(
            f"raw must be an mne.io.Raw instance, got {type(raw).__name__}. Read your "
            "recording with mne.io.read_raw_* (or build one with mne.io.RawArray) first."
        )
    return raw
