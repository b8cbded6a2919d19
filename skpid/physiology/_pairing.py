"""Matching HbO and HbR channels of the same source-detector pair."""

import re
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

__all__ = ["HaemoglobinPairs", "pair_haemoglobin"]

_SEP = r"[\s_\-.:/()\[\]]"
# chromophore labels in use (mne "hbo"/"hbr"; "HbO2", "O2Hb", "HHb" in other software)
_HBO = r"hbo2?|o2hb|oxyhb|oxy"
_HBR = r"hbr|hhb|deoxyhb|deoxy"
_TOKEN = re.compile(rf"(?:^|(?<={_SEP}))({_HBR}|{_HBO})(?=$|{_SEP})", re.IGNORECASE)
_SUFFIX = re.compile(r"(hbo|hbr|hhb)$", re.IGNORECASE)  # "S1_D1hbo"
_WAVELENGTH = re.compile(r"_?\d{3,4}(nm)?$", re.IGNORECASE)  # "S1_D1_760"


class HaemoglobinPairs(NamedTuple):
    """HbO/HbR channel pairs of one recording (see :func:`pair_haemoglobin`).

    Attributes
    ----------
    hbo, hbr : ndarray of int, shape (n_pairs,)
        Channel indices; ``hbo[k]`` and ``hbr[k]`` are the same source-detector pair.
    unpaired : list of str
        Names of the channels in no pair (an HbO or HbR without its partner, or a channel
        of another kind), in channel order.
    names : list of str
        Name of each pair: its HbO channel's name without the chromophore label
        (``"S1_D1"``), or ``"pair<k>"`` when pairing by order.
    """

    hbo: np.ndarray
    hbr: np.ndarray
    unpaired: list
    names: list


def _chromophore(name):
    """('hbo' | 'hbr' | None, pair key) of a channel name."""
    found = _TOKEN.findall(name)
    if len(found) == 1:
        kind = "hbr" if re.fullmatch(_HBR, found[0], re.IGNORECASE) else "hbo"
        key = _TOKEN.sub(" ", name)
    else:
        match = _SUFFIX.search(name) if not found else None
        if match is None:
            return None, re.sub(rf"{_SEP}+", "_", name.strip()).strip("_")
        kind = "hbo" if match.group(1).lower() == "hbo" else "hbr"
        key = name[: match.start()]
    return kind, re.sub(rf"{_SEP}+", "_", key.strip()).strip("_")


def _from_info(info):
    if hasattr(info, "get_channel_types") and "ch_names" in info:  # mne.Info
        return list(info["ch_names"]), list(info.get_channel_types())
    if "ch_names" not in info:
        raise ValueError(
            "The info dict has no 'ch_names'; pass the info of one modality as given by "
            "skpid.io.from_epochs (info['fnirs']), an mne.Info, or ch_names/ch_types."
        )
    return list(info["ch_names"]), (list(info["ch_types"]) if "ch_types" in info else None)


def pair_haemoglobin(ch_names=None, ch_types=None):
    """Pair each HbO channel with the HbR channel of the same source-detector pair.

    Channels may come in any order (interleaved as mne stores them, all HbO then all HbR,
    or shuffled). The chromophore of a channel is its type when ``ch_types`` is given
    (``"hbo"``/``"hbr"``, as mne's channel types), else a label in its name: mne's
    ``"S1_D1 hbo"``/``"S1_D1 hbr"``, or ``HbO``/``HbO2``/``O2Hb``/``oxy`` and
    ``HbR``/``HHb``/``deoxy`` separated from the rest of the name (``"S1-D1_HbO2"``,
    ``"HHb S1D1"``). Two channels pair when their names without that label (and, with
    ``ch_types``, without a trailing wavelength such as ``" 760"``) match, case and
    separators aside. Without names, the k-th HbO channel pairs with the k-th HbR one.

    Parameters
    ----------
    ch_names : list of str, mapping or mne.Info, optional
        Channel names; or the info of one modality (a dict with ``ch_names`` and
        ``ch_types`` from :func:`skpid.io.from_epochs`, or an :class:`mne.Info`), from
        which both are read.
    ch_types : list of str, optional
        Channel types (``"hbo"``, ``"hbr"``, others ignored).

    Returns
    -------
    pairs : HaemoglobinPairs
        ``hbo`` and ``hbr`` index arrays, in the order of the HbO channels, the
        ``unpaired`` channel names and the pair ``names``.

    Raises
    ------
    ValueError
        When no pair is found (the message shows the names and what they should look
        like), when a pair name occurs twice for one chromophore, or when ``ch_names`` and
        ``ch_types`` differ in length.
    """
    if isinstance(ch_names, Mapping):
        if ch_types is not None:
            raise ValueError("Pass either an info (with its ch_types) or ch_types, not both.")
        ch_names, ch_types = _from_info(ch_names)
    if ch_names is None and ch_types is None:
        raise ValueError("pair_haemoglobin needs ch_names, ch_types or an info.")
    if ch_names is not None:
        if isinstance(ch_names, str):
            raise TypeError("ch_names must be a list of channel names, not one string.")
        ch_names = [str(n) for n in ch_names]
    if ch_types is not None:
        if isinstance(ch_types, str):
            raise TypeError("ch_types must be a list of channel types, not one string.")
        ch_types = [str(t).lower() for t in ch_types]
        if ch_names is not None and len(ch_types) != len(ch_names):
            raise ValueError(
                f"ch_names has {len(ch_names)} channels but ch_types {len(ch_types)}; pass "
                "one type per channel."
            )
    n = len(ch_names) if ch_names is not None else len(ch_types)
    names = ch_names if ch_names is not None else [f"ch{i}" for i in range(n)]

    kinds, keys, display = [], [], []
    for i in range(n):
        kind, key = _chromophore(names[i]) if ch_names is not None else (None, None)
        if ch_types is not None:
            kind = ch_types[i] if ch_types[i] in ("hbo", "hbr") else None
            if ch_names is not None:  # "S1_D1 760" typed hbo: the wavelength is no key
                key = _WAVELENGTH.sub("", key)
        display.append(key)
        key = key.lower() if key is not None else None
        kinds.append(kind)
        keys.append(key)
    if ch_names is None:  # by order of appearance within each chromophore
        count = {"hbo": 0, "hbr": 0}
        for i, kind in enumerate(kinds):
            if kind is not None:
                keys[i] = display[i] = f"pair{count[kind]}"
                count[kind] += 1

    index = {"hbo": {}, "hbr": {}}
    for i, (kind, key) in enumerate(zip(kinds, keys, strict=True)):
        if kind is None:
            continue
        if key in index[kind]:
            raise ValueError(
                f"Channels {names[index[kind][key]]!r} and {names[i]!r} are both {kind} of "
                f"pair {key!r}; every source-detector pair may have one channel of each."
            )
        index[kind][key] = i
    paired = [k for k in index["hbo"] if k in index["hbr"]]
    if not paired:
        shown = names[:6] + (["..."] if len(names) > 6 else [])
        raise ValueError(
            f"No HbO/HbR channel pair found among {shown}. Name the channels as mne does "
            "('S1_D1 hbo' and 'S1_D1 hbr', the same source-detector name with each "
            "chromophore) or pass ch_types ('hbo'/'hbr'); convert light intensities or "
            "optical densities ('S1_D1 760') to haemoglobin first "
            "(mne.preprocessing.nirs.beer_lambert_law)."
        )
    hbo = np.array([index["hbo"][k] for k in paired], dtype=int)
    hbr = np.array([index["hbr"][k] for k in paired], dtype=int)
    used = set(hbo) | set(hbr)
    unpaired = [names[i] for i in range(n) if i not in used]
    return HaemoglobinPairs(hbo, hbr, unpaired, [display[i] for i in hbo])
