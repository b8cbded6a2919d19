"""PID atoms from mutual informations and a union information.

For two sources, a union information ``I_cup`` with ``max(I1, I2) <= I_cup <= I12`` fixes
every atom through the consistency equations of Williams & Beer (2010):
``I1 = R + U1``, ``I2 = R + U2``, ``I12 = R + U1 + U2 + S`` and ``I_cup = R + U1 + U2``.
BROJA (Bertschinger et al. 2014) takes ``I_cup = min_Q I_Q(Y; X1, X2)`` over the
distributions Q with the (X1, Y) and (X2, Y) marginals of P; MMI takes ``max(I1, I2)``.
"""


def union_bounds(mi):
    """Bounds of the union information, ``max(I1, I2) <= union <= min(I1 + I2, I12)``."""
    low = max(mi["I1"], mi["I2"])
    return low, max(low, min(mi["I1"] + mi["I2"], mi["I12"]))


def atoms_from_union(mi):
    """Return ``R, U1, U2, S`` (and the MIs) from ``mi = {I1, I2, I12, union}``, in bits."""
    union = mi["union"]
    atoms = {
        "R": mi["I1"] + mi["I2"] - union,
        "U1": union - mi["I2"],
        "U2": union - mi["I1"],
        "S": mi["I12"] - union,
        "I1": mi["I1"],
        "I2": mi["I2"],
        "I12": mi["I12"],
        "union": union,
    }
    return {key: float(value) for key, value in atoms.items()}
