"""Reference solutions of the exercises (same file names as the templates in minigrad/exercises/).

Each file is the template with ``backward`` written, a comment giving the derivative.
Check them with ``python -m minigrad.exercises check all --solutions``.
"""
