"""Every shipped recipe loads and validates; its data paths too where the data is on this machine."""

from __future__ import annotations

import pytest

from stylegen.config import check_paths, load_recipe
from tests.conftest import REPO, SHARED_DATA, TINY

RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


def test_recipes_are_shipped():
    names = [p.name for p in RECIPES]
    assert "pop2classical.yaml" in names
    assert "tiny.yaml" not in names  # the tests' own recipe lives with the tests
    assert TINY.is_file() and TINY.parent == REPO / "tests" / "recipes"


def test_the_tests_recipe_says_how_to_run_it():
    first = TINY.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# stylegen data tests/recipes/tiny.yaml data_root=PATH"


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_validates(path, monkeypatch):
    monkeypatch.chdir(REPO)  # data_root is relative to where stylegen runs: the project root
    recipe = load_recipe(path.relative_to(REPO), check_data=False)
    assert recipe.styles and recipe.name
    # it opens with a comment that gives the command running it
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# stylegen ") and f"recipes/{path.name}" in first


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_data_paths_exist(path, monkeypatch):
    monkeypatch.chdir(REPO)
    recipe = load_recipe(path.relative_to(REPO), check_data=False)
    root = recipe.resolve(".").resolve()
    shared = root == SHARED_DATA.resolve() or SHARED_DATA.resolve() in root.parents
    if shared and not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not on this machine")
    check_paths(recipe)  # a shipped recipe over any other folder must find it


def test_pop2classical_styles_and_sources():
    r = load_recipe(REPO / "recipes" / "pop2classical.yaml", check_data=False)
    assert r.style_names == ["pop", "classical", "chorale", "folk"]
    assert r.data_root == "../shared/data"
    assert [s.path for s in r.styles["classical"].sources] == ["piano-midi"]
    assert [s.path for s in r.styles["chorale"].sources] == ["bach-chorales"]
    assert [s.path for s in r.styles["pop"].sources] == ["pop909"]
    assert [s.path for s in r.styles["folk"].sources] == ["nottingham"]


def test_tiny_recipe_over_its_corpus(tiny_corpus, tmp_path):
    load_recipe(TINY, [f"data_root={tiny_corpus}"])  # with its data: paths checked
