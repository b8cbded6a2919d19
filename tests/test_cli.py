"""Tests of the ``skpid`` command."""

import pytest

from skpid.cli import main


def test_simulate_prints_a_summary(capsys):
    assert main(["simulate", "--n-subjects", "2", "--n-trials", "6", "--no-placement"]) == 0
    out = capsys.readouterr().out
    assert "12 trials from 2 subjects" in out
    assert "32 channels (eeg) x 1000 samples, 100 Hz" in out
    assert "40 channels (hbo/hbr) x 200 samples, 10 Hz" in out
    assert "U_eeg" in out and "S " in out


def test_demo_fits_prints_tables_and_saves_the_heatmap(tmp_path, capsys):
    args = ["demo", "--n-subjects", "3", "--n-trials", "24", "--n-test-subjects", "1"]
    args += ["--max-epochs", "1", "--verbose", "0", "--output", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "scored on the 1 held-out subjects" in out
    # the default (no priors), the priors, and the priors' own features alone
    for title in (
        "PIDDecomposer (default: no priors): cross-subject",
        "PIDDecomposer + physiological priors: cross-subject",
        "The priors' own features alone",
    ):
        assert title in out
    for row in ("band_power", "coupling_delay", "EEG band power + sLDA", "pyriemann"):
        assert row in out
    assert (tmp_path / "recovery.png").stat().st_size > 10_000


def test_unknown_command_exits():
    with pytest.raises(SystemExit):
        main(["nope"])
