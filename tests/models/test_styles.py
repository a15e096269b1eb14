"""Style tables and how each style-conditioned model grows a style (models/styles.py)."""

import pytest
import torch

from stylegen.models.discriminator import CNNDiscriminator
from stylegen.models.styles import StyleTable, grow_tables, style_tables
from tests.models.test_generator import content, lively, small
from tests.models.test_harmony import small as small_harmony


def table(null: bool) -> StyleTable:
    t = StyleTable(2, 3, null=null)
    with torch.no_grad():
        t.weight.copy_(torch.arange(t.weight.numel(), dtype=torch.float32).view_as(t.weight))
    return t


def test_rows_are_looked_up_by_id_or_mixed_by_weight():
    t = table(null=True)  # rows [0 1 2], [3 4 5], none [6 7 8]
    assert t(torch.tensor([1, 2])).tolist() == [[3, 4, 5], [6, 7, 8]]
    assert t(torch.tensor([[0.5, 0.5]])).tolist() == [[1.5, 2.5, 3.5]]


def test_a_new_row_goes_before_no_style_and_starts_as_it():
    t = table(null=True)
    assert t.grow(1) == range(2, 3) and t.n_styles == 3
    assert t.weight.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [6, 7, 8]]
    plain = table(null=False)  # rows [0 1 2], [3 4 5]: a new row is their mean
    plain.grow(2)
    assert plain.weight.tolist() == [[0, 1, 2], [3, 4, 5], [1.5, 2.5, 3.5], [1.5, 2.5, 3.5]]


def test_tables_of_a_model_grow_together_and_are_found_without_names():
    g = small()
    assert [t.weight.shape[0] for t in style_tables(g)] == [4, 4, 4]  # plan prior, style, output biases
    assert g.add_styles(2) == range(3, 5) and g.n_styles == 5 and g.null_style == 5
    assert [t.weight.shape[0] for t in style_tables(g)] == [6, 6, 6]
    with pytest.raises(ValueError, match="no style tables"):
        grow_tables(torch.nn.Linear(2, 2), 1)


def test_the_generator_scores_old_styles_and_no_style_exactly_as_before():
    g = lively(small())
    T = 12
    c, roll = content(2, T), (torch.rand(2, 2, T, 12) < 0.2).float()
    roll[:, 0] *= roll[:, 1]
    plan = g.encode_plan(roll, torch.arange(T).repeat(2, 1) % 4)
    before = [g.log_prob(roll, c, torch.tensor([s, s]), plan) for s in (0, 2, g.null_style)]
    g.add_styles(1)
    after = [g.log_prob(roll, c, torch.tensor([s, s]), plan) for s in (0, 2, g.null_style)]
    for a, b in zip(before, after):
        assert torch.equal(a, b)
    new = g.log_prob(roll, c, torch.tensor([3, 3]), plan)  # the new style starts as "no style"
    assert torch.equal(new, before[2])


def test_the_discriminator_judges_old_styles_as_before():
    torch.manual_seed(0)
    d = CNNDiscriminator(n_pitches=48, n_styles=2, n_channels=3, channels=4).eval()
    x, s = torch.rand(3, 3, 16, 48), torch.tensor([0, 1, 1])
    a = d(x, s)
    assert d.add_styles(1) == range(2, 3) and d.n_styles == 3
    b = d(x, s)
    assert torch.allclose(a["adv"], b["adv"], atol=1e-6) and b["style_logits"].shape == (3, 3)
    assert torch.allclose(a["style_logits"], b["style_logits"][:, :2], atol=1e-6)
    assert d(x, torch.tensor([2, 2, 2]))["adv"].shape == (3,)
    fresh = CNNDiscriminator(n_pitches=48, n_styles=3, n_channels=3, channels=4)
    fresh.load_state_dict(d.state_dict())  # a grown model is a model of that many styles


def test_the_harmony_model_scores_old_styles_as_before():
    h = small_harmony(n_styles=2)
    torch.manual_seed(1)
    N = 5
    sets = (torch.rand(1, N, 12) < 0.3).float()
    meter, melody = torch.rand(1, N, h.meter_dim), torch.zeros(1, N, 61)
    before = h.log_prob(sets, meter, melody, torch.tensor([1]))
    assert h.add_styles(1) == range(2, 3)
    assert torch.equal(h.log_prob(sets, meter, melody, torch.tensor([1])), before)
