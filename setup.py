"""Build hook (the rest of the configuration is in pyproject.toml).

A wheel carries the shipped checkpoints, ``checkpoints/*.pt``, inside the package as
``stylegen/_checkpoints/`` (found by ``stylegen.shipped.shipped_path``), so that
``stylegen.load()`` works after ``pip install .`` as after ``pip install -e .``.  An
editable install reads them from ``checkpoints/`` in place and copies nothing.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithCheckpoints(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for src in sorted((HERE / "checkpoints").glob("*.pt")):
            dst = Path(self.build_lib) / "stylegen" / "_checkpoints" / src.name
            self.mkpath(str(dst.parent))
            self.copy_file(str(src), str(dst))


setup(cmdclass={"build_py": BuildWithCheckpoints})
