"""Reference solutions of the exercises (same file names as the templates in minigrad/exercises/).

Each file holds only what the template leaves to write: it imports its template
(``from minigrad.exercises import ex01_sigmoid as exercise``), subclasses each of its
Functions to override ``backward`` alone, the derivation in comments next to the code,
and gives ``apply`` on those subclasses; ``check_inputs`` and ``SECOND_ORDER`` are the
template's, imported as they are.

Check them with ``python -m minigrad.exercises check all --solutions``.
"""
