"""Torch modules of skpid: per-modality encoders, fusion, heads and critics."""

from ._encoders import MLPEncoder, TemporalConvEncoder, make_encoder
from ._fusion import TokenFusion
from ._heads import GaussianCritic, ProjectionHead, SeparableCritic
from ._network import PIDNetwork
from ._targets import compute_target, haemodynamic_amplitude, peak_band_power, target_kind

__all__ = [
    "GaussianCritic",
    "MLPEncoder",
    "PIDNetwork",
    "ProjectionHead",
    "SeparableCritic",
    "TemporalConvEncoder",
    "TokenFusion",
    "compute_target",
    "haemodynamic_amplitude",
    "make_encoder",
    "peak_band_power",
    "target_kind",
]
