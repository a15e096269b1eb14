import math

import numpy as np
import pytest

from stylegen.metrics.strength import (brunner_strength, brunner_total, n_unclassified, source_share,
                                       strength_metrics, target_probability, target_share)

NAN = float("nan")
P = np.array([[0.7, 0.2, 0.1],
              [0.2, 0.5, 0.3],
              [0.1, 0.1, 0.8],
              [NAN, NAN, NAN]])  # the last piece had no notes


def test_target_share_counts_argmax_and_leaves_nan_rows_out():
    assert target_share(P, 1) == pytest.approx(1 / 3)
    assert target_share(P, 2) == pytest.approx(1 / 3)
    assert n_unclassified(P) == 1


def test_target_probability_is_the_mean_over_classified_pieces():
    assert target_probability(P, 1) == pytest.approx((0.2 + 0.5 + 0.1) / 3)


def test_undefined_without_pieces():
    assert math.isnan(target_share(np.zeros((0, 3)), 0))
    assert math.isnan(target_probability(P[3:], 0))
    assert math.isnan(source_share(P[3:], 0, 1))


def test_source_share_restricts_the_classifier_to_the_pair_and_a_tie_is_not_the_source():
    # row 0: 0.7 > 0.2 yes; row 1: 0.2 > 0.5 no; row 2: 0.1 = 0.1 tie -> no
    assert source_share(P, 0, 1) == pytest.approx(1 / 3)
    # folk (2) against classical (1): rows 1 (0.3 < 0.5) no, row 2 yes, row 0 (0.1 < 0.2) no
    assert source_share(P, 2, 1) == pytest.approx(1 / 3)


def test_brunner_strength_with_and_without_the_way_back():
    assert brunner_strength(0.9, 0.3, 0.8) == pytest.approx(((0.9 - 0.3) + (0.8 - 0.3)) / 2)  # 0.55
    assert brunner_strength(0.9, 0.3) == pytest.approx(0.6)
    assert brunner_strength(1.0, 1.0, 1.0) == 0.0  # unchanged
    assert brunner_strength(1.0, 0.0, 1.0) == 1.0  # complete and reversible
    assert brunner_total(0.55, 0.61) == pytest.approx(0.58)


def test_strength_metrics_block():
    p_in = np.array([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1]])
    p_out = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    p_cyc = p_in
    m = strength_metrics(p_out, 1, p_in, 0, p_cyc, (p_in, p_out, p_cyc))
    assert m["target_share"] == 0.5
    assert m["target_prob"] == pytest.approx(0.5)
    assert m["P_source/input"] == 1.0 and m["P_source/output"] == 0.5 and m["P_source/cycle"] == 1.0
    assert m["S"] == pytest.approx(0.5)
    assert m["S_window"] == pytest.approx(0.5)
    ident = strength_metrics(p_in, 1, p_in, 0, p_in)
    assert ident["S"] == 0.0
    assert "S" not in strength_metrics(p_out, 1)  # no source: no S
