"""Gradient exercises: write the backward of an op, the checker compares it with finite differences.

    python -m minigrad.exercises start            # copy the templates to ./minigrad-exercises
    python -m minigrad.exercises list             # the exercises
    python -m minigrad.exercises show 1           # read exercise 1 (the math to derive)
    python -m minigrad.exercises check 1          # check your ./minigrad-exercises/ex01_sigmoid.py
    python -m minigrad.exercises check all --dir DIR
    python minigrad-exercises/ex01_sigmoid.py     # the same check, from the file itself

Each exercise is one file, ``exNN_name.py``: a :class:`~minigrad.Function` subclass whose
``forward`` is given and whose ``backward`` raises ``NotImplementedError`` until you write
it, a docstring with the task and the derivative to work out, ``apply`` (what is
differentiated) and ``check_inputs()`` (float64 inputs, away from kinks). The files in this
folder are the templates; ``start`` copies them into a workspace, where you edit them (the
installed package is never modified). The reference solutions are in
``minigrad/exercises/solutions/`` under the same names: ``check all --solutions`` checks
them. See docs/teaching.md.
"""

from minigrad.exercises.checker import (
    DEFAULT_WORKSPACE, Exercise, Result, UsageError, check, check_file, check_path, exercises, find,
    format_result, main,
)

__all__ = [
    "DEFAULT_WORKSPACE", "Exercise", "Result", "UsageError", "check", "check_file", "check_path", "exercises",
    "find", "format_result", "main",
]
