"""``stylegen data RECIPE [key=value ...]``: read every source, fill the cache, print a table."""

from __future__ import annotations

import argparse

from stylegen.config import load_recipe
from stylegen.data.dataset import prepare
from stylegen.data.report import format_data_report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("overrides", nargs="*", default=[], metavar="key=value",
                   help="dotted overrides, e.g. data.val_fraction=0.2 styles.pop.sources.0.path=DIR")
    p.add_argument("--no-cache", action="store_true", help="read every file again and do not write the cache")
    p.add_argument("--show-skipped", action="store_true", help="list every skipped file with its reason")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    # the model section is not used here: leave out the model-name check (it imports torch)
    recipe = load_recipe(args.recipe, args.overrides, check_models=False)
    corpus = prepare(recipe, progress=not args.quiet, use_cache=not args.no_cache)
    print(format_data_report(corpus, recipe, show_skipped=args.show_skipped))
    return 0
