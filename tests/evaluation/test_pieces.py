"""Real pieces of a recipe's split, as evaluation reads them."""

from pathlib import Path

from stylegen.config import load_recipe
from stylegen.data.dataset import prepare
from stylegen.evaluation.pieces import recipe_pieces
from tests.midifiles import Track, chord_piece, scale_piece, write_midi

ROOT = Path(__file__).resolve().parents[2]


def test_pieces_read_through_a_warm_cache_keep_their_meter_tempo_and_keys(tmp_path):
    """The cache stores keys relative to the data folder: the pieces must still be found and
    read again from their files (meter, tempo map, keys), as they are without a cache."""
    data = tmp_path / "data"
    for i in range(4):
        write_midi(data / "a" / f"a{i}.mid", [Track(scale_piece(4, base=48 + i), name="Melody")],
                   time_signature=(3, 4), tempo_bpm=72)
        write_midi(data / "b" / f"b{i}.mid", [Track(chord_piece(4, root=55 + i))], time_signature=(3, 4),
                   tempo_bpm=72)
    recipe = load_recipe(ROOT / "tests" / "recipes" / "tiny.yaml",
                         [f"data_root={data}", f"data.cache_dir={tmp_path / 'cache'}"])
    cold = recipe_pieces(recipe, "a", "val", 4, progress=False)
    prepare(recipe)  # writes the cache
    names, scores, total, how = recipe_pieces(recipe, "a", "val", 4, progress=False)
    assert how == "the data cache" and total == cold[2] == 1 and names == cold[0]
    for warm, read in zip(scores, cold[1]):
        assert warm.time_signatures == read.time_signatures == [(0, 3, 4)]
        assert warm.tempos == read.tempos and round(warm.tempos[0][1]) == 72
        assert warm.key_signatures == read.key_signatures
