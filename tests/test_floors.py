"""The floors of docs/architecture.md: a room imports only from its own floor and those
below (module-level and function-level imports alike), so metrics never reach up into the
evaluation, inference never into training, and so on."""

from __future__ import annotations

import ast
from pathlib import Path

import stylegen

PACKAGE = Path(stylegen.__file__).parent

FLOORS = {
    1: {"stylegen", "errors", "fileio", "device", "shipped"},
    2: {"config", "data"},
    3: {"models", "checkpoint", "audio"},
    4: {"metrics", "inference"},
    5: {"transfer"},
    6: {"evaluation"},
    7: {"training"},
    8: {"web", "commands", "cli", "__main__"},
}
FLOOR = {room: n for n, rooms in FLOORS.items() for room in rooms}
# config checks a recipe's model names with the registry, imported only when it does
ALLOWED = {("config", "stylegen.models.registry"), ("config", "stylegen.models")}


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__init__" else "stylegen"


def imports():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        here = room_of(".".join(rel.parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "stylegen":
                targets = [node.module] if node.module != "stylegen" else [f"stylegen.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "stylegen"]
            else:
                continue
            for t in targets:
                yield str(rel), here, t


def test_every_room_has_a_floor():
    rooms = {room_of(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)) for p in PACKAGE.rglob("*.py")}
    assert rooms <= set(FLOOR), f"rooms without a floor in docs/architecture.md: {sorted(rooms - set(FLOOR))}"


def test_no_room_imports_from_a_floor_above_it():
    up = [f"{where}: {target}" for where, here, target in imports()
          if room_of(target) in FLOOR and FLOOR[room_of(target)] > FLOOR[here] and (here, target) not in ALLOWED]
    assert not up, "imports that run up the floors:\n" + "\n".join(up)


def test_the_floors_are_the_ones_the_architecture_page_draws():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for n, rooms in FLOORS.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {n} |"))
        for room in rooms - {"stylegen", "__main__"}:
            assert f"`{room}" in row, f"floor {n} of docs/architecture.md does not name {room}"
