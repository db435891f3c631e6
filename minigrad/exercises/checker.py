"""The exercise checker behind ``python -m minigrad.exercises``.

An exercise is a file ``exNN_name.py`` (the templates sit next to this module; the
reference solutions, with the same names, in ``solutions/``). A template defines a
Function subclass whose ``backward`` the student writes, ``apply(*inputs)`` (what is
differentiated), ``check_inputs()`` (float64 inputs away from kinks) and
``SECOND_ORDER`` (whether second derivatives are tried as a bonus). A solution imports
its template, subclasses each of its Functions to write only ``backward``, and gives
``apply`` on those subclasses (``check_inputs`` and ``SECOND_ORDER`` imported as they
are); ``start`` copies the templates, which are whole files, into the workspace.

Checking a student's file takes these steps, and stops at the first that fails, with
one message (no traceback unless asked for):

1. the file loads and has ``apply``;
2. its forward gives the values of the template's forward, on the
   *packaged* ``check_inputs()`` (so that editing the inputs cannot make a wrong
   backward pass);
3. ``gradcheck(apply, inputs)``: the backward against central differences. The
   templates' ``NotImplementedError`` reads "not written yet"; a wrong value reads as
   GradcheckError's message (which input, which element, both values, the error);
   a gradient that is None, not a Tensor, or of the wrong shape, or an exception in
   ``backward``, is named with the line of the student's file where it happened;
4. if the exercise sets ``SECOND_ORDER``: ``gradgradcheck`` as a bonus, reported but
   never failing the exercise.
"""

import argparse
import dataclasses
import importlib
import inspect
import os
import re
import shutil
import sys
import traceback
import types

import numpy

import minigrad
from minigrad import backend as _backend
from minigrad.autograd import Config
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.tensor import Tensor

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SOLUTIONS_DIR = os.path.join(PACKAGE_DIR, "solutions")
DEFAULT_WORKSPACE = "minigrad-exercises"
_FILE_NAME = re.compile(r"^ex(\d\d)_(\w+)\.py$")


class UsageError(Exception):
    """A command line that cannot be carried out (reported in one line, exit status 2)."""


# ----- the list of exercises ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Exercise:
    number: int
    name: str  # "sigmoid"

    @property
    def stem(self):
        return f"ex{self.number:02d}_{self.name}"

    @property
    def filename(self):
        return self.stem + ".py"

    def template(self):
        """The packaged template module (its forward, check_inputs and SECOND_ORDER are the reference)."""
        return importlib.import_module(f"minigrad.exercises.{self.stem}")

    def solution(self):
        return importlib.import_module(f"minigrad.exercises.solutions.{self.stem}")

    @property
    def title(self):
        """The first line of the exercise's docstring, without "Exercise N: "."""
        first = (self.template().__doc__ or self.name).strip().splitlines()[0]
        title = first.split(": ", 1)[1] if first.startswith("Exercise") and ": " in first else first
        return title.rstrip(".")


def exercises():
    """Every exercise, in order of number."""
    found = []
    for filename in os.listdir(PACKAGE_DIR):
        match = _FILE_NAME.match(filename)
        if match:
            found.append(Exercise(int(match.group(1)), match.group(2)))
    return sorted(found, key=lambda e: e.number)


def find(spec):
    """The exercise named by ``spec``: a number ("1", "01"), a stem ("ex01", "ex01_sigmoid",
    "ex01_sigmoid.py") or a name ("sigmoid")."""
    text = os.path.basename(str(spec)).strip().lower()
    text = text[:-3] if text.endswith(".py") else text
    text = text[2:] if text.startswith("ex") and text[2:3].isdigit() else text
    for exercise in exercises():
        number = text.split("_", 1)[0]
        if (number.isdigit() and int(number) == exercise.number) or text == exercise.name:
            return exercise
    known = ", ".join(f"{e.number} ({e.name})" for e in exercises())
    raise UsageError(f"no exercise {spec!r}; the exercises are: {known}")


# ----- checking one file -------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    """The outcome of checking one exercise file.

    status: "pass", "fail" (a wrong gradient or a failing backward), "todo" (not written
    yet), "missing" (no file), "broken" (the file does not load or its forward changed).
    second_order: None when not tried, else "ok" or a one-line note.
    """

    exercise: Exercise
    path: str
    status: str
    message: str
    second_order: str = None

    @property
    def passed(self):
        return self.status == "pass"


class _BadGradient(Exception):
    """A backward returned something that cannot be a gradient."""


def _load(path, exercise):
    """Execute the student's file as a fresh module (no bytecode cache: an edit made in the
    same second as the last check is always seen)."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    module = types.ModuleType(f"minigrad_exercise_{exercise.stem}")
    module.__file__ = path
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def _where(exc, path):
    """' (line N of file: code)' for the innermost frame of ``exc`` in ``path``, or ''."""
    target = os.path.abspath(path)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename) == target:
            code = f": {frame.line.strip()}" if frame.line else ""
            return f" (line {frame.lineno} of {os.path.basename(path)}{code})"
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f" (line {exc.lineno} of {os.path.basename(path)})"
    return ""


def _describe(exc, path):
    if isinstance(exc, SyntaxError):
        code = f": {exc.text.strip()}" if exc.text else ""
        return f"SyntaxError: {exc.msg} (line {exc.lineno} of {os.path.basename(path)}{code})"
    return f"{type(exc).__name__}: {exc}{_where(exc, path)}"


def _factor_hint(exc):
    """A note when the analytic value is a simple multiple of the numerical one (2, 1/2, −1, N ...),
    the sign of a forgotten or extra constant factor."""
    a, n = exc.analytical, exc.numerical
    if not n or not a or abs(n) < 1e-8:
        return ""
    ratio = a / n
    for value in (ratio, 1 / ratio):
        whole = round(value)
        if whole not in (0, 1) and abs(value - whole) < 1e-3 * max(1, abs(whole)):
            return (f"\nhere analytical / numerical = {ratio:.4g}: is a constant factor missing or extra "
                    "(a 2 from a square, a 1/N from a mean, a sign)?")
    return ""


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _input_label(function, index):
    x = function.inputs[index]
    return f"input {index}" + (f" ({x.name!r})" if x.name else "")


def _guard(module_name):
    """A backward hook that refuses gradients that are not Tensors, or None where one is needed,
    for the Functions defined in the student's file (before the engine uses them)."""

    def hook(function, grad_outputs, grad_inputs):
        if type(function).__module__ != module_name:
            return
        for index, (x, g) in enumerate(zip(function.inputs, grad_inputs)):
            if g is None:
                if x.requires_grad:
                    raise _BadGradient(
                        f"{function.name}.backward returned None for {_input_label(function, index)}, which "
                        f"needs a gradient (shape {x.shape})"
                    )
            elif not isinstance(g, Tensor):
                raise _BadGradient(
                    f"{function.name}.backward returned a {type(g).__module__}.{type(g).__name__} for "
                    f"{_input_label(function, index)}; return a minigrad Tensor (compute it with minigrad ops, "
                    "or wrap an array: minigrad.Tensor(array))"
                )

    return hook


def check_path(exercise, path, second_order=True, show_traceback=False):
    """Check the student's file ``path`` for ``exercise``; returns a :class:`Result`."""
    if not os.path.isfile(path):
        folder = os.path.dirname(path) or "."
        return Result(exercise, path, "missing",
                      f"there is no file {path}. Create the workspace with `python -m minigrad.exercises start "
                      f"{folder}` (it adds missing templates and never overwrites your files).")

    def broken(text, exc=None):
        if exc is not None and show_traceback:
            text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return Result(exercise, path, "broken", text)

    def failed(status, text, exc=None):
        if exc is not None and show_traceback:
            text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return Result(exercise, path, status, text)

    try:
        student = _load(path, exercise)
    except Exception as exc:  # a SyntaxError, an import error ... in the student's file
        return broken(f"{path} does not load: {_describe(exc, path)}", exc)
    apply = getattr(student, "apply", None)
    if not callable(apply):
        return broken(f"{path} has no apply() function; copy it back from "
                      f"`python -m minigrad.exercises show {exercise.number}` or the template")

    template = exercise.template()
    inputs = template.check_inputs()

    # 2. the forward must be the one given (the exercise is the backward)
    try:
        with minigrad.no_grad():
            got = _as_tuple(apply(*inputs))
    except Exception as exc:
        return broken(f"the forward raised {_describe(exc, path)}. The exercise is the backward: restore "
                      "forward() from the template.", exc)
    with minigrad.no_grad():
        want = _as_tuple(template.apply(*inputs))  # the forward alone: the template's backward is not run
    if len(got) != len(want) or not all(isinstance(g, Tensor) for g in got):
        return broken(f"apply() must return {len(want)} Tensor(s), as in the template; it returned "
                      f"{', '.join(type(g).__name__ for g in got)}")
    for k, (g, w) in enumerate(zip(got, want)):
        g_host, w_host = _host(g), _host(w)
        if g_host.shape != w_host.shape or not numpy.allclose(g_host, w_host, rtol=1e-9, atol=1e-12):
            detail = (f"shape {g_host.shape} instead of {w_host.shape}" if g_host.shape != w_host.shape else
                      f"largest difference {numpy.abs(g_host - w_host).max():.3g}")
            return broken(f"the forward's output {k} differs from the original forward ({detail}). The "
                          "exercise is the backward: restore forward() from the template.")

    # 3. the gradient against central differences
    hook = _guard(student.__name__)
    previous = Config.backward_hook
    Config.backward_hook = hook
    try:
        gradcheck(apply, inputs)
    except NotImplementedError as exc:
        return failed("todo", str(exc) or f"{exercise.stem}: backward raised NotImplementedError")
    except GradcheckError as exc:
        return failed("fail", f"the gradient is wrong.\n{exc}{_factor_hint(exc)}", exc)
    except _BadGradient as exc:
        return failed("fail", f"{exc}{_where(exc, path)}", exc)
    except Exception as exc:
        where = _where(exc, path)
        if where:
            return failed("fail", f"the backward raised {type(exc).__name__}: {exc}{where}", exc)
        hint = ""
        if "returned a gradient of shape" in str(exc):
            hint = ("\na gradient has the shape of its input; for an input that was broadcast, sum the "
                    "gradient over the broadcast axes (minigrad.sum_to)")
        return failed("fail", f"the backward failed: {exc}{hint}", exc)
    finally:
        Config.backward_hook = previous
    sizes = [x.size for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    message = f"the gradient matches central differences ({sum(sizes)} elements in {len(sizes)} input(s))"

    # 4. second derivatives, a bonus
    note = None
    if second_order and getattr(template, "SECOND_ORDER", False):
        try:
            gradgradcheck(apply, inputs)
            note = "ok"
        except GradcheckError as exc:
            name = inputs[exc.input_index].name or f"input {exc.input_index}"
            note = (f"not yet: your gradient is right, but its own derivative is not (for {name!r}, element "
                    f"{exc.index}: {exc.analytical:.6g} instead of {exc.numerical:.6g}). Compute it with "
                    "minigrad ops on Tensors, not on .data arrays, so that it can be differentiated too.")
        except Exception as exc:
            note = f"not yet: differentiating your backward raised {_describe(exc, path)}"
    return Result(exercise, path, "pass", message, note)


def _host(tensor):
    return numpy.asarray(_backend.to_numpy(tensor.data), dtype=numpy.float64)


def check(exercise, directory=None, solutions=False, second_order=True, show_traceback=False):
    """Check ``exercise`` (an Exercise or a spec for :func:`find`) in the student's workspace
    ``directory`` (default ``./minigrad-exercises``), or the reference solution."""
    if not isinstance(exercise, Exercise):
        exercise = find(exercise)
    folder = SOLUTIONS_DIR if solutions else (directory or DEFAULT_WORKSPACE)
    return check_path(exercise, os.path.join(folder, exercise.filename), second_order, show_traceback)


# ----- reporting -------------------------------------------------------------------------------

_LABELS = {"pass": "ok", "fail": "WRONG", "todo": "not written yet", "missing": "missing", "broken": "BROKEN"}


def format_result(result, verbose=True):
    """A report of one result: the verdict line, then (if ``verbose`` or failing) the details."""
    exercise = result.exercise
    head = f"[{exercise.number:02d}] {exercise.name:<18} {_LABELS[result.status]}"
    if result.status == "pass":
        bonus = "" if result.second_order is None else (
            "  (+ second order)" if result.second_order == "ok" else "  (second order: not yet)")
        lines = [head + bonus]
        if verbose:
            lines.append("     " + result.message)
            if result.second_order not in (None, "ok"):
                lines.append("     bonus, second order: " + result.second_order)
            elif result.second_order == "ok":
                lines.append("     bonus: its second derivatives are right too (gradgradcheck)")
        return "\n".join(lines)
    if result.status == "todo" and not verbose:
        return head
    details = result.message if result.status != "todo" else f"{result.message}\nyour file: {result.path}"
    return head + "\n" + "\n".join("     " + line for line in details.splitlines())


def check_file(path, stream=None):
    """Check one exercise file (the exercise is read from its name); print the report; return
    the exit status (0 if it passes). The templates call this under ``__main__``."""
    out = sys.stdout if stream is None else stream
    try:
        exercise = find(os.path.basename(path))
    except UsageError as exc:
        print(f"error: {exc}", file=out)
        return 2
    result = check_path(exercise, path)
    print(format_result(result), file=out)
    return 0 if result.passed else 1


# ----- the command line ---------------------------------------------------------------------------

_EPILOG = """\
Start here:
  python -m minigrad.exercises start            copy the templates to ./minigrad-exercises
  python -m minigrad.exercises show 1           read exercise 1
  (edit minigrad-exercises/ex01_sigmoid.py: write Sigmoid.backward)
  python -m minigrad.exercises check 1          check it against finite differences
  python -m minigrad.exercises check all        check every exercise
"""


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m minigrad.exercises", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write the backward of an op; the checker compares it with central differences.",
        epilog=_EPILOG,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("list", help="list the exercises (and their state, if the workspace exists)") \
        .add_argument("--dir", default=DEFAULT_WORKSPACE, help=f"the workspace (default ./{DEFAULT_WORKSPACE})")
    show = commands.add_parser("show", help="print an exercise's statement")
    show.add_argument("exercise", help="a number (1), or a name (sigmoid)")
    show.add_argument("--solution", action="store_true", help="print the reference backward too (teachers)")
    show.add_argument("--dir", default=DEFAULT_WORKSPACE, help=f"the workspace (default ./{DEFAULT_WORKSPACE})")
    start = commands.add_parser("start", help="copy the templates into a workspace folder")
    start.add_argument("dir", nargs="?", default=DEFAULT_WORKSPACE,
                       help=f"the workspace folder (default ./{DEFAULT_WORKSPACE}); existing files are kept")
    check_cmd = commands.add_parser("check", help="check exercises: numbers, names, or 'all'")
    check_cmd.add_argument("exercises", nargs="+", help="numbers (1 2), names (sigmoid), or all")
    check_cmd.add_argument("--dir", default=None, help=f"the workspace (default ./{DEFAULT_WORKSPACE})")
    check_cmd.add_argument("--solutions", action="store_true", help="check the reference solutions instead")
    check_cmd.add_argument("--no-second-order", action="store_true", help="skip the second-order bonus")
    check_cmd.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    return parser


def _selected(specs):
    if any(spec.lower() == "all" for spec in specs):
        return exercises()
    return list(dict.fromkeys(find(spec) for spec in specs))


def _cmd_list(args, out):
    workspace = os.path.isdir(args.dir)
    for exercise in exercises():
        state = ""
        if workspace:
            state = "" if os.path.isfile(os.path.join(args.dir, exercise.filename)) else "  (missing)"
        print(f"{exercise.number:>3}  {exercise.name:<18} {exercise.title}{state}", file=out)
    if workspace:
        where = "" if os.path.normpath(args.dir) == os.path.normpath(DEFAULT_WORKSPACE) else f" --dir {args.dir}"
        print(f"\nworkspace: {args.dir}   check it with: python -m minigrad.exercises check all{where}", file=out)
    else:
        print(f"\nno workspace at {args.dir} yet: python -m minigrad.exercises start", file=out)
    return 0


def _cmd_show(args, out):
    exercise = find(args.exercise)
    print(f"{exercise.filename}\n", file=out)
    print(inspect.cleandoc(exercise.template().__doc__ or ""), file=out)
    path = os.path.join(args.dir, exercise.filename)
    if os.path.isfile(path):
        print(f"\nyour file: {path}", file=out)
    else:
        print(f"\n(your copy will be {path}: python -m minigrad.exercises start)", file=out)
    if args.solution:
        solution = exercise.solution()
        classes = [c for _, c in inspect.getmembers(solution, inspect.isclass)
                   if issubclass(c, minigrad.Function) and c.__module__ == solution.__name__]
        print("\nreference solution:\n", file=out)
        for cls in classes:
            print(inspect.getsource(cls.backward), file=out)
    return 0


def _cmd_start(args, out):
    os.makedirs(args.dir, exist_ok=True)
    created, kept = [], []
    for exercise in exercises():
        target = os.path.join(args.dir, exercise.filename)
        if os.path.exists(target):
            kept.append(exercise.filename)
        else:
            shutil.copyfile(os.path.join(PACKAGE_DIR, exercise.filename), target)
            created.append(exercise.filename)
    print(f"workspace {args.dir}: {len(created)} exercise file(s) copied"
          + (f", {len(kept)} existing file(s) kept as they are" if kept else ""), file=out)
    default = os.path.normpath(args.dir) == os.path.normpath(DEFAULT_WORKSPACE)
    where = "" if default else f" --dir {args.dir}"
    print(f"next: python -m minigrad.exercises show 1, edit {os.path.join(args.dir, exercises()[0].filename)}, "
          f"then python -m minigrad.exercises check 1{where}", file=out)
    print("(to start an exercise over, delete its file and run start again)", file=out)
    return 0


def _cmd_check(args, out):
    chosen = _selected(args.exercises)
    if not args.solutions:
        folder = args.dir or DEFAULT_WORKSPACE
        if not os.path.isdir(folder):
            command = "python -m minigrad.exercises start" + (f" {args.dir}" if args.dir else "")
            hint = "" if args.dir else " (or pass --dir DIR)"
            raise UsageError(f"no workspace at {folder}: run `{command}` first{hint}")
    verbose = len(chosen) == 1
    results = []
    for exercise in chosen:
        result = check(exercise, args.dir, args.solutions, not args.no_second_order, args.traceback)
        results.append(result)
        print(format_result(result, verbose=verbose), file=out)
    if len(results) > 1:
        counts = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        words = {"pass": "done", "fail": "wrong", "todo": "not written yet", "broken": "broken",
                 "missing": "missing"}
        parts = [f"{counts[s]} {words[s]}" for s in ("pass", "fail", "broken", "todo", "missing") if s in counts]
        print(f"\n{len(results)} exercises: " + ", ".join(parts), file=out)
    return 0 if all(r.passed for r in results) else 1


def main(argv=None, stream=None):
    """The command line; returns the exit status (0: everything checked passes, 1: something
    does not, 2: a usage error). Output goes to ``stream`` (default ``sys.stdout``)."""
    out = sys.stdout if stream is None else stream
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(out)
        return 2
    try:
        return {"list": _cmd_list, "show": _cmd_show, "start": _cmd_start, "check": _cmd_check}[args.command](
            args, out)
    except UsageError as exc:
        print(f"error: {exc}", file=out)
        return 2
