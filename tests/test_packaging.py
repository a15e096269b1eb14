"""A wheel (``pip install .``) carries the shipped checkpoints, and the library finds them there.

The wheel is built from a copy of the project in a temporary folder (the working tree gets
no build/ or egg-info), without build isolation and without dependencies: nothing is
downloaded and torch is not installed again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stylegen.shipped import INSTALLED, shipped_path
from tests.conftest import REPO

SHIPPED = sorted(p.name for p in (REPO / "checkpoints").glob("*.pt"))
BUILD_FILES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_FILES:
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "stylegen", src / "stylegen", ignore=ignore)
    shutil.copytree(REPO / "checkpoints", src / "checkpoints", ignore=ignore)
    dist = tmp_path_factory.mktemp("dist")
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(dist), str(src)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    (whl,) = dist.glob("stylegen-*.whl")
    return whl


def test_the_shipped_checkpoints_are_in_the_project():
    assert {"pop2classical.pt", "classifier.pt"} <= set(SHIPPED)


def test_the_wheel_carries_every_shipped_checkpoint_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in SHIPPED:
            inside = f"stylegen/{INSTALLED}/{name}"
            assert inside in names, f"{name} is not in {wheel.name}"
            assert z.read(inside) == (REPO / "checkpoints" / name).read_bytes()
    assert not any(n.startswith(("checkpoints/", "tests/")) for n in names)  # nothing outside the package


def test_the_library_finds_the_checkpoints_inside_the_installed_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)  # what pip install puts in site-packages
    code = ("import stylegen, stylegen.shipped as s, stylegen.transfer as t, stylegen.metrics.style_classifier as c; "
            "print(stylegen.__file__); print(s.shipped_path('pop2classical.pt')); "
            "print(t.default_checkpoint()); print(c.default_classifier_path())")
    env = {**os.environ, "PYTHONPATH": str(site)}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    package, shipped, generator, classifier = (Path(line) for line in p.stdout.splitlines()[-4:])
    assert package == site / "stylegen" / "__init__.py"  # the wheel's copy, not the working tree
    inside = site / "stylegen" / INSTALLED
    assert shipped == inside / "pop2classical.pt"
    assert generator == inside / "pop2classical.pt" and generator.is_file()
    assert classifier == inside / "classifier.pt" and classifier.is_file()


def test_shipped_path_prefers_the_package_copy(tmp_path):
    package = tmp_path / "site" / "stylegen"
    (package / INSTALLED).mkdir(parents=True)
    assert shipped_path("x.pt", package) == tmp_path / "site" / "checkpoints" / "x.pt"  # a checkout's place
    (package / INSTALLED / "x.pt").write_bytes(b"weights")
    assert shipped_path("x.pt", package) == package / INSTALLED / "x.pt"


def test_a_source_checkout_reads_checkpoints_in_place():
    assert shipped_path("pop2classical.pt") == REPO / "checkpoints" / "pop2classical.pt"
