"""Recipes: typed loading, dotted overrides, and one clear error naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stylegen.config import Recipe, SourceConfig, apply_override, check_paths, load_recipe, recipe_from_dict
from stylegen.errors import RecipeError, StylegenError
from tests.conftest import TINY

MINIMAL = {"styles": {"pop": {"sources": [{"path": "pop"}]}, "jazz": {"sources": [{"glob": "jazz/**/*.mid"}]}}}


def write_recipe(tmp_path: Path, data: dict | str, name: str = "x.yaml") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def error_of(data: dict, *overrides: str, source: str = "recipes/x.yaml") -> str:
    with pytest.raises(RecipeError) as e:
        recipe_from_dict(data, source, overrides)
    return str(e.value)


# --------------------------------------------------------------------------- loading


def test_minimal_recipe_gets_defaults():
    r = recipe_from_dict(MINIMAL, "recipes/mini.yaml")
    assert isinstance(r, Recipe)
    assert r.name == "mini"  # from the file name when the recipe has none
    assert r.style_names == ["pop", "jazz"]  # YAML order is the style index order
    assert r.styles["pop"].sources == [SourceConfig(path="pop")]
    assert (r.roll.resolution, r.roll.lowest_pitch, r.roll.n_pitches) == (4, 24, 84)
    assert r.optim.betas == (0.5, 0.999) and isinstance(r.optim.betas, tuple)
    assert r.source_file == "recipes/mini.yaml"


def test_ints_are_accepted_for_floats_but_not_the_reverse():
    r = recipe_from_dict(MINIMAL, "x.yaml", ["optim.lr_g=1", "optim.grad_clip=2"])
    assert r.optim.lr_g == 1.0 and isinstance(r.optim.lr_g, float)
    assert error_of(MINIMAL, "schedule.steps=10.5") == "recipes/x.yaml: schedule.steps: expected int, got 10.5"


def test_bools_are_not_ints():
    assert error_of(MINIMAL, "seed=true") == "recipes/x.yaml: seed: expected int, got True"


def test_to_dict_round_trips():
    r = recipe_from_dict(MINIMAL, "recipes/mini.yaml", ["optim.betas=[0.9, 0.99]", "data.val_fraction=0.2"])
    again = recipe_from_dict(r.to_dict(), "recipes/mini.yaml")
    assert again == r
    assert "source_file" not in r.to_dict()
    yaml.safe_dump(r.to_dict())  # plain data only


def test_load_recipe_reads_a_file(tmp_path):
    p = write_recipe(tmp_path, MINIMAL)
    r = load_recipe(p, check_data=False)
    assert r.source_file == str(p) and r.name == "x"


# --------------------------------------------------------------------------- errors name file and key


def test_wrong_type_names_file_and_dotted_key(tmp_path):
    p = write_recipe(tmp_path, {**MINIMAL, "model": {"generator": {"hidden_size": "big"}}})
    with pytest.raises(RecipeError) as e:
        load_recipe(p, check_data=False)
    assert str(e.value) == f"{p}: model.generator.hidden_size: expected int, got 'big'"


def test_unknown_key_lists_the_known_ones():
    msg = error_of({**MINIMAL, "optim": {"lr": 1e-3}})
    assert msg.startswith("recipes/x.yaml: optim.lr: unknown key (known here: lr_g, lr_d,")


def test_unknown_top_level_key():
    assert error_of({**MINIMAL, "epochs": 3}).startswith("recipes/x.yaml: epochs: unknown key")


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "styles: missing required key"),
        ({"styles": {"pop": {}}}, "styles.pop.sources: missing required key"),
        ({"styles": None}, "styles: expected a mapping, got None"),
        ({"styles": {}}, "styles: at least one style is needed"),
        ({"styles": {"pop": {"sources": []}}}, "styles.pop.sources: at least one source is needed"),
        ({"styles": {"pop": {"sources": "pop"}}}, "styles.pop.sources: expected a list, got 'pop'"),
        ({"styles": {"pop": {"sources": ["pop"]}}}, "styles.pop.sources[0]: expected a mapping, got 'pop'"),
        ({"styles": {"hip-hop": {"sources": [{"path": "h"}]}}},
         "styles.hip-hop: style names must be simple words (letters, digits, _)"),
    ],
)
def test_structure_errors(data, message):
    assert error_of(data) == f"recipes/x.yaml: {message}"


def test_bad_literal_lists_the_choices():
    assert error_of(MINIMAL, "loss.adversarial=wgan") == (
        "recipes/x.yaml: loss.adversarial: expected 'hinge' | 'lsgan' | 'nonsaturating', got 'wgan'")


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.val_fraction=0.5", "data.test_fraction=0.5"],
         "data.test_fraction: val_fraction + test_fraction must leave pieces for training"),
        (["data.val_fraction=1.0"], "data.val_fraction: must be in [0, 1), got 1.0"),
        (["roll.lowest_pitch=60", "roll.n_pitches=69"],
         "roll.n_pitches: lowest_pitch + n_pitches must be at most 128, got 129"),
        (["roll.lowest_pitch=128"], "roll.lowest_pitch: must be a MIDI pitch 0..127, got 128"),
        (["roll.resolution=0"], "roll.resolution: must be between 1 and 96, got 0"),
        (["data.min_beats=16", "data.max_beats=16"], "data.max_beats: need 1 <= min_beats < max_beats"),
        (["data.transpose=13"], "data.transpose: must be 0..12 semitones, got 13"),
        (["data.window_bars=0"], "data.window_bars: must be at least 1"),
        (["data.workers=-1"], "data.workers: must be >= 0 (0 = one per core)"),
        (["optim.lr_g=0"], "optim.lr_g: must be positive"),
        (["device=tpu"], "device: expected auto, cpu, cuda, cuda:N or mps, got 'tpu'"),
        (["styles.pop.sources=[{path: a, glob: '*.mid'}]"], "styles.pop.sources[0]: give exactly one of path, glob or muspy"),
        (["styles.pop.sources=[{muspy: LakhMIDIDataset}]"],
         "styles.pop.sources[0].root: a muspy source needs the dataset's root folder"),
        (["styles.pop.sources=[{path: a, root: r}]"], "styles.pop.sources[0].root: root is only for muspy sources"),
    ],
)
def test_impossible_values_and_combinations(overrides, message):
    assert error_of(MINIMAL, *overrides) == f"recipes/x.yaml: {message}"


def test_unknown_model_name_is_caught_by_validation():
    msg = error_of(MINIMAL, "model.generator.name=transformer")
    assert msg.startswith("recipes/x.yaml: model.generator.name: unknown generator 'transformer' (known: ")
    # commands that only read data may leave out this check (it imports torch and every model)
    r = recipe_from_dict(MINIMAL, "x.yaml", ["model.generator.name=transformer"], check_models=False)
    assert r.model.generator.name == "transformer"
    with pytest.raises(RecipeError, match="hidden_size: expected int"):  # everything else is still checked
        recipe_from_dict(MINIMAL, "x.yaml", ["model.generator.hidden_size=big"], check_models=False)


# --------------------------------------------------------------------------- overrides


def test_dotted_overrides_set_nested_values():
    r = recipe_from_dict(MINIMAL, "x.yaml", ["optim.lr_g=1e-4", "optim.betas=[0.9, 0.99]", "data.hop_bars=1",
                                              "logging.audio=false", "name=exp1"])
    assert r.optim.lr_g == 1e-4
    assert r.optim.betas == (0.9, 0.99)
    assert r.data.hop_bars == 1 and r.logging.audio is False and r.name == "exp1"


@pytest.mark.parametrize("text, value", [("1e-4", 1e-4), ("1E-4", 1e-4), ("2.5e+3", 2500.0), ("1e4", 1e4),
                                         (".5", 0.5), ("+3", 3.0)])
def test_scientific_notation_is_a_float(text, value):
    # PyYAML follows YAML 1.1, where "1e-4" (no dot) is a string
    assert recipe_from_dict(MINIMAL, "x.yaml", [f"optim.lr_d={text}"]).optim.lr_d == value


def test_scientific_notation_in_a_file(tmp_path):
    p = write_recipe(tmp_path, "styles: {pop: {sources: [{path: pop}]}}\noptim:\n  lr_g: 1e-4\n")
    assert load_recipe(p, check_data=False).optim.lr_g == 1e-4


def test_overrides_replace_lists_and_add_styles():
    r = recipe_from_dict(MINIMAL, "x.yaml", ["styles.folk.sources=[{path: folk}, {glob: 'more/*.mid'}]"])
    assert r.style_names == ["pop", "jazz", "folk"]
    assert r.styles["folk"].sources == [SourceConfig(path="folk"), SourceConfig(glob="more/*.mid")]


def test_an_override_reaches_into_a_list_item():
    data = {"styles": {"pop": {"sources": [{"path": "pop"}, {"path": "more"}]}}}
    r = recipe_from_dict(data, "x.yaml", ["styles.pop.sources.1.path=elsewhere"])
    assert r.styles["pop"].sources == [SourceConfig(path="pop"), SourceConfig(path="elsewhere")]
    r = recipe_from_dict(data, "x.yaml", ["styles.pop.sources[0].path=/abs/pop"])  # as errors spell it
    assert r.styles["pop"].sources[0] == SourceConfig(path="/abs/pop")
    r = recipe_from_dict(data, "x.yaml", ["styles.pop.sources.0={glob: 'pop/*.mid'}"])  # a whole item
    assert r.styles["pop"].sources[0] == SourceConfig(glob="pop/*.mid")
    assert data == {"styles": {"pop": {"sources": [{"path": "pop"}, {"path": "more"}]}}}  # untouched


def test_an_override_one_past_the_end_adds_an_item_or_a_style():
    r = recipe_from_dict(MINIMAL, "x.yaml", ["styles.pop.sources.1.path=extra", "styles.folk.sources.0.path=folk"])
    assert r.styles["pop"].sources == [SourceConfig(path="pop"), SourceConfig(path="extra")]
    assert r.styles["folk"].sources == [SourceConfig(path="folk")]


@pytest.mark.parametrize(
    "override, message",
    [
        ("styles.pop.sources.3.path=x", "styles.pop.sources[3]: no such item: the list has 1 item (index 1 adds one)"),
        ("styles.pop.sources.0.paht=x", "styles.pop.sources[0].paht: unknown key (known here: path, glob, muspy, root)"),
        ("styles.pop.sources.0.path=5", "styles.pop.sources[0].path: expected str, got 5"),
        ("styles.pop.sources.first.path=x", "styles.pop.sources: is a list: name an item by its index, "
                                            "e.g. styles.pop.sources.0"),
        ("seed.0=1", "seed: is not a list, cannot take item 0"),
        ("styles.pop.sources[0]x.path=1", "styles.pop.sources[0]x.path: an override must look like key.sub=value"),
    ],
)
def test_a_bad_list_override_names_the_key(override, message):
    assert error_of({**MINIMAL, "seed": 3}, override) == f"recipes/x.yaml: {message}"


def test_the_tiny_recipe_sources_can_be_moved_from_the_command_line(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    r = load_recipe(TINY, [f"styles.a.sources.0.path={tmp_path / 'one'}", f"styles.b.sources.0.path={tmp_path / 'two'}"])
    assert r.resolve(r.styles["a"].sources[0].path) == tmp_path / "one"


def test_overrides_go_through_the_same_validation_as_the_file(tmp_path):
    from_file = write_recipe(tmp_path, {**MINIMAL, "model": {"generator": {"hidden_size": "big"}}})
    with pytest.raises(RecipeError) as e_file:
        load_recipe(from_file, check_data=False)
    with pytest.raises(RecipeError) as e_override:
        load_recipe(write_recipe(tmp_path, MINIMAL), ["model.generator.hidden_size=big"], check_data=False)
    assert str(e_file.value) == str(e_override.value)


@pytest.mark.parametrize(
    "override, message",
    [
        ("optim.lr_g", "optim.lr_g: an override must look like key.sub=value"),
        ("=3", "=3: an override must look like key.sub=value"),
        ("optim..lr_g=3", "optim..lr_g: an override must look like key.sub=value"),
        ("optim.lr_g=[1, 2", "optim.lr_g: cannot parse override value '[1, 2'"),
        ("optim.lr_g=fast", "optim.lr_g: expected float, got 'fast'"),
        ("optim.lr_gg=0.1", "optim.lr_gg: unknown key"),
        ("seed.x=1", "seed: is not a mapping, cannot set a sub-key"),
    ],
)
def test_bad_overrides(override, message):
    assert error_of({**MINIMAL, "seed": 3}, override).startswith(f"recipes/x.yaml: {message}")


def test_apply_override_does_not_touch_the_callers_data():
    data = {"optim": {"lr_g": 0.1}}
    recipe_from_dict({**MINIMAL, **data}, "x.yaml", ["optim.lr_g=0.2"])
    assert data == {"optim": {"lr_g": 0.1}}
    d = {}
    apply_override(d, "a.b.c=[1, {x: 2}]")
    assert d == {"a": {"b": {"c": [1, {"x": 2}]}}}


# --------------------------------------------------------------------------- files and paths


def test_missing_recipe_file(tmp_path):
    with pytest.raises(RecipeError, match=r"nope\.yaml: no such recipe file$"):
        load_recipe(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "text, message",
    [
        ("styles: [unclosed\n", r"x\.yaml: not valid YAML \(line 2\): "),
        ("a: b: c\n", r"x\.yaml: not valid YAML \(line 1\): mapping values are not allowed here"),
        ("- just\n- a list\n", r"x\.yaml: a recipe must be a YAML mapping, got list"),
        ("", r"x\.yaml: styles: missing required key"),
    ],
)
def test_not_a_yaml_recipe(tmp_path, text, message):
    with pytest.raises(RecipeError, match=message):
        load_recipe(write_recipe(tmp_path, text), check_data=False)


def test_binary_file_is_not_a_recipe(tmp_path):
    p = tmp_path / "song.mid"
    p.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0\xff\xfe")
    with pytest.raises(RecipeError, match=r"song\.mid: not valid YAML"):
        load_recipe(p)


def test_missing_data_folder_is_reported_when_paths_are_checked(tmp_path):
    p = write_recipe(tmp_path, {**MINIMAL, "data_root": str(tmp_path / "data")})
    load_recipe(p, check_data=False)  # structure alone is fine
    with pytest.raises(RecipeError) as e:
        load_recipe(p)
    assert str(e.value) == f"{p}: styles.pop.sources[0].path: no such file or folder: {tmp_path / 'data' / 'pop'}"
    (tmp_path / "data" / "pop").mkdir(parents=True)
    load_recipe(p)  # the glob source needs only data_root to exist


def test_missing_data_root_for_a_glob(tmp_path):
    data = {"styles": {"jazz": {"sources": [{"glob": "*.mid"}]}}, "data_root": str(tmp_path / "none")}
    with pytest.raises(RecipeError, match=r"data_root: no such folder: .*none$"):
        load_recipe(write_recipe(tmp_path, data))


def test_missing_muspy_root(tmp_path):
    data = {"styles": {"x": {"sources": [{"muspy": "LakhMIDIDataset", "root": "lmd"}]}}, "data_root": str(tmp_path)}
    with pytest.raises(RecipeError, match=r"styles\.x\.sources\[0\]\.root: no such folder: .*lmd$"):
        load_recipe(write_recipe(tmp_path, data))


def test_data_paths_resolve_against_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_DATA", str(tmp_path))
    r = recipe_from_dict({**MINIMAL, "data_root": "$MY_DATA/midi"}, "x.yaml")
    assert r.resolve("pop") == tmp_path / "midi" / "pop"
    assert r.resolve("/abs/folder") == Path("/abs/folder")
    assert r.resolve("~/x") == Path.home() / "x"
    r = recipe_from_dict(MINIMAL, "x.yaml", [f"data_root={tmp_path}"])
    assert r.resolve("pop") == tmp_path / "pop"
    check_paths(recipe_from_dict({"styles": {"s": {"sources": [{"path": str(tmp_path)}]}}}, "x.yaml"))


def test_recipe_errors_are_stylegen_errors():
    assert issubclass(RecipeError, StylegenError)


def test_tiny_recipe_loads_without_its_data():
    r = load_recipe(TINY, check_data=False)
    assert r.name == "tiny" and r.style_names == ["a", "b"]


def test_a_stored_recipe_with_a_removed_option_is_read_and_the_option_named():
    from stylegen.config import stored_recipe

    data = load_recipe(Path(__file__).resolve().parents[1] / "recipes" / "pop2classical.yaml", check_data=False).to_dict()
    data["model"]["generator"]["mixture"] = 4  # an option a later stylegen removed
    data["schedule"]["d_steps"] = 1
    recipe, dropped = stored_recipe(data, "old.pt (its recipe)")
    assert sorted(dropped) == ["model.generator.mixture", "schedule.d_steps"]
    assert recipe.model.generator.hidden_size == 192 and "mixture" in data["model"]["generator"]  # input kept
    data["model"]["generator"]["hidden_size"] = "big"  # anything else is still refused, by key
    with pytest.raises(RecipeError, match="model.generator.hidden_size: expected int"):
        stored_recipe(data, "old.pt (its recipe)")
