"""The PIDDecomposer objective: which blocks and parameters each penalty may move."""

import torch

from skpid._multimodal import SIDE_KEY
from skpid.losses import info_nce
from skpid.nn import PIDNetwork, PIDObjective

SHAPES = {"eeg": (4, 100), "fnirs": (4, 20)}
SIZES = {"R": 3, "U_eeg": 2, "U_fnirs": 2}


def _outputs(targets=None):
    torch.manual_seed(0)
    net = PIDNetwork(SHAPES, SIZES, d_model=16, n_tokens=4, targets=targets).train()
    X = {m: torch.randn(16, *s) for m, s in SHAPES.items()}
    given = {m: torch.randn(16, k) for m, k in (targets or {}).items()}
    return net, net(**X, **{SIDE_KEY: {"targets": given}})


def test_decorrelation_moves_the_higher_block_of_each_pair_only():
    _, out = _outputs()
    leaves = {k: v.detach().requires_grad_() for k, v in out.items()}
    penalty = PIDObjective(list(SHAPES), SIZES, d_model=16)._decorrelation(leaves)
    assert penalty > 0
    penalty.backward()
    # R sits at the bottom of the lattice: nothing pushes it off the blocks above
    for m in SHAPES:
        assert leaves[f"R_{m}"].grad is None
        # U_m is moved through its head on the detached representation only
        assert leaves[f"U_{m}"].grad is None
        assert leaves[f"U_{m}_head"].grad.abs().sum() > 0


def test_unique_penalties_reach_the_head_but_not_the_encoder():
    net, out = _outputs()
    assert {f"{b}_{m}_head" for b in "RU" for m in SHAPES} <= set(out)
    torch.testing.assert_close(out["U_eeg_head"], out["U_eeg"])
    out["U_eeg_head"].pow(2).sum().backward()
    assert all(p.grad is None for p in net.unique_encoders.parameters())
    assert all(p.grad is None for p in net.encoders.parameters())
    assert any(p.grad.abs().sum() > 0 for p in net.unique[0].parameters())
    # the copies are a training device: evaluation (transform) does not compute them
    with torch.no_grad():
        evaluated = net.eval()(**{m: torch.randn(2, *s) for m, s in SHAPES.items()})
    assert not any(k.endswith("_head") for k in evaluated)


def test_redundancy_heads_are_moved_off_the_unique_targets():
    _, out = _outputs(targets={"eeg": 4, "fnirs": 1})
    leaves = {k: v.detach().requires_grad_() for k, v in out.items()}
    PIDObjective(list(SHAPES), SIZES, d_model=16)._decorrelation(leaves).backward()
    for m in SHAPES:
        # through the head on the detached representation: the encoder keeps the target
        assert leaves[f"R_{m}"].grad is None
        assert leaves[f"R_{m}_head"].grad.abs().sum() > 0
    # without targets, nothing reaches the redundancy heads
    _, plain = _outputs()
    leaves = {k: v.detach().requires_grad_() for k, v in plain.items()}
    PIDObjective(list(SHAPES), SIZES, d_model=16)._decorrelation(leaves).backward()
    assert all(leaves[f"R_{m}_head"].grad is None for m in SHAPES)


def test_unique_term_is_conditioned_on_the_other_modalities_redundancy():
    net, out_a = _outputs()
    out_b = net(**{m: torch.randn(16, *s) for m, s in SHAPES.items()})
    objective = PIDObjective(list(SHAPES), SIZES, d_model=16)
    leaves_a = {k: v.detach().requires_grad_() for k, v in out_a.items()}
    leaves_b = {k: v.detach() for k, v in out_b.items()}
    conditioned = objective(leaves_a, leaves_b)["unique"]
    # with identical R embeddings on every trial the weights are uniform: the plain loss
    for out in (leaves_a, leaves_b):
        for m in SHAPES:
            out[f"R_{m}"] = torch.ones_like(out[f"R_{m}"])
    plain = objective(leaves_a, leaves_b)["unique"]
    expected = torch.stack(
        [info_nce(leaves_a[f"U_{m}"], leaves_b[f"U_{m}"], 0.1) for m in SHAPES]
    ).mean()
    torch.testing.assert_close(plain, expected)
    assert abs(conditioned.item() - plain.item()) > 1e-3
    # the condition is a weight, never a target: no gradient reaches the R embeddings
    leaves_a = {k: v.detach().requires_grad_() for k, v in out_a.items()}
    objective(leaves_a, leaves_b)["unique"].backward()
    assert all(leaves_a[f"R_{m}"].grad is None for m in SHAPES)
    assert leaves_a["U_eeg"].grad.abs().sum() > 0


def test_reconstruction_trains_both_paths_but_not_its_target():
    net, out_a = _outputs()
    out_b = net(**{m: torch.randn(16, *s) for m, s in SHAPES.items()})
    frozen = {k: v.clone() for k, v in net.recon_targets.state_dict().items()}
    PIDObjective(list(SHAPES), SIZES, d_model=16)(out_a, out_b)["reconstruction"].backward()
    # U_m and the other modality's R_n predict modality m; the target is a frozen copy
    for path in (net.unique_encoders, net.encoders, net.redundant, net.decoders):
        assert any(p.grad.abs().sum() > 0 for p in path.parameters())
    assert all(p.grad is None for p in net.recon_targets.parameters())
    # the decoder of m reads R of the other modality only
    net.zero_grad()
    out_a = net(**{m: torch.randn(16, *s) for m, s in SHAPES.items()})
    out_a["Yhat_eeg"].pow(2).sum().backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in net.redundant[0].parameters())
    assert any(p.grad.abs().sum() > 0 for p in net.redundant[1].parameters())
    net.train()(**{m: torch.randn(16, *s) for m, s in SHAPES.items()})  # no statistics move
    for k, v in net.recon_targets.state_dict().items():
        torch.testing.assert_close(v, frozen[k])
