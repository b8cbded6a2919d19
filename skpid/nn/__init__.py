"""Torch modules of skpid: per-modality encoders, fusion, heads and critics."""

from ._encoders import (
    FilterBankEncoder,
    MLPEncoder,
    ModalityEncoder,
    PolyphaseConv1d,
    TemporalConvEncoder,
    make_encoder,
    modality_kind,
    token_summary,
)
from ._fusion import TokenFusion
from ._heads import BatchCentering, GaussianCritic, ProjectionHead, SeparableCritic
from ._network import PIDNetwork
from ._targets import (
    compute_coupling_delay,
    compute_coupling_profile,
    compute_target,
    coupling_delay,
    coupling_profile,
    haemodynamic_amplitude,
    peak_band_power,
)

__all__ = [
    "BatchCentering",
    "FilterBankEncoder",
    "GaussianCritic",
    "MLPEncoder",
    "ModalityEncoder",
    "PIDNetwork",
    "PolyphaseConv1d",
    "ProjectionHead",
    "SeparableCritic",
    "TemporalConvEncoder",
    "TokenFusion",
    "compute_coupling_delay",
    "compute_coupling_profile",
    "compute_target",
    "coupling_delay",
    "coupling_profile",
    "haemodynamic_amplitude",
    "make_encoder",
    "modality_kind",
    "peak_band_power",
    "token_summary",
]
