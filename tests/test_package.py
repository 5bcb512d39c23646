"""The package's shape: one documented module per topic, nothing private used by notebooks, and a wheel
that carries only what the notebooks import (plus the weights)."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

import course_utils

PACKAGE = Path(course_utils.__file__).resolve().parent
REPO_ROOT = PACKAGE.parent
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_every_module_is_on_the_map_in_the_package_docstring():
    documented = set(re.findall(r"^``(\w+)``", course_utils.__doc__, flags=re.MULTILINE))
    top_level = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | {"errata"}
    assert documented == top_level, "update the map at the top of course_utils/__init__.py (and the README)"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_rooms_not_closets(path):
    """One module per topic: no module of a few lines (a package face excepted)."""
    if path.name != "__init__.py":
        assert len(path.read_text().splitlines()) >= 55, f"{path.name} is tiny: merge it into its topic's module"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_call_no_private_helpers(path):
    modules = "|".join(p.stem for p in PACKAGE.glob("*.py")) + "|errata|reproductions|article_gan_fixed"
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    private = re.findall(rf"\b(?:{modules})\._\w+", code)
    assert not private, f"{path.name} calls {private}: make them public, with a docstring and a test"


@pytest.mark.slow
def test_the_wheel_carries_the_package_and_its_weights_only(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path),
                             str(REPO_ROOT)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("course_utils-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    outside = [n for n in names if not (n.startswith("course_utils/") or ".dist-info/" in n)]
    assert not outside, f"the wheel carries more than the package: {outside}"
    for needed in ("weights/mnist_classifier.weights.h5", "weights/pretrained.json", "errata/catalogue.py"):
        assert f"course_utils/{needed}" in names
    shipped = {n.removeprefix("course_utils/") for n in names if n.endswith(".py")}
    assert shipped == {str(p.relative_to(PACKAGE)) for p in MODULES}, "the wheel and the package differ"
