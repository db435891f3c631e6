"""The README's Python example runs as printed (so the front page cannot go stale)."""

import re
from pathlib import Path

import numpy

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_its_gradient_is_right():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README.md has no python example"
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    x = namespace["x"].numpy()
    sigmoid = 1 / (1 + numpy.exp(-x))
    # d/dx [x³ σ(x)] = 3x² σ + x³ σ (1 − σ)
    expected = 3 * x ** 2 * sigmoid + x ** 3 * sigmoid * (1 - sigmoid)
    numpy.testing.assert_allclose(namespace["x"].grad.numpy(), expected, rtol=1e-12)


def test_readme_commands_match_ci():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    test_command = 'pip install -e ".[test]" && python -m pytest'
    assert test_command in text and test_command in ci
    assert "pip install . && autoencoders train ae --out runs/ae" in text
