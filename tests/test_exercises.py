"""The gradient exercises and their checker: every solution passes (on every backend), every
blank template reads "not written yet", and wrong backwards are reported with the input, the
element and the size of the error, in one message rather than a traceback."""

import inspect
import os
import re
import shutil
import subprocess
import sys

import numpy
import pytest

import minigrad
from minigrad.autograd import Config
from minigrad.exercises import checker
from minigrad.exercises.checker import check, check_file, check_path, exercises, find, main

EXERCISES = exercises()
IDS = [e.stem for e in EXERCISES]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(argv):
    """The command line in-process: (exit status, output)."""
    import io

    out = io.StringIO()
    return main(argv, stream=out), out.getvalue()


def function_classes(module):
    """The Function subclasses an exercise module defines (those whose backward is written)."""
    return [c for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, minigrad.Function) and c.__module__ == module.__name__]


def function_class(module):
    """The one Function subclass of an exercise module."""
    classes = function_classes(module)
    assert len(classes) == 1, classes
    return classes[0]


def student_copy(tmp_path, exercise, patch=None, append="", folder=checker.SOLUTIONS_DIR):
    """The reference solution (or the exercise's file in ``folder``: the templates' is
    ``checker.PACKAGE_DIR``) copied into a workspace, optionally with ``patch=(old, new)``
    applied to its text and ``append`` added at the end."""
    source = open(os.path.join(folder, exercise.filename), encoding="utf-8").read()
    if patch is not None:
        old, new = patch
        assert old in source, f"{old!r} not in {exercise.filename}"
        source = source.replace(old, new)
    path = tmp_path / exercise.filename
    path.write_text(source + append, encoding="utf-8")
    return str(path)


# ----- the exercises themselves ----------------------------------------------------------------------

def test_there_are_a_dozen_or_more_exercises_numbered_without_gaps():
    assert len(EXERCISES) >= 12
    assert [e.number for e in EXERCISES] == list(range(1, len(EXERCISES) + 1))
    for e in EXERCISES:
        assert os.path.isfile(os.path.join(checker.SOLUTIONS_DIR, e.filename)), f"no solution for {e.stem}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_solution_passes_on_every_backend(exercise, backend):
    result = check(exercise, solutions=True)
    assert result.status == "pass", result.message
    if exercise.template().SECOND_ORDER:
        assert result.second_order == "ok", result.second_order
    else:
        assert result.second_order is None


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_template_is_not_written_yet_and_says_so(exercise):
    template = exercise.template()
    assert template.__doc__.startswith(f"Exercise {exercise.number}: ")
    assert "To derive" in template.__doc__
    path = os.path.join(checker.PACKAGE_DIR, exercise.filename)
    result = check_path(exercise, path)
    assert result.status == "todo"
    assert f"write the backward of {function_class(template).__name__}" in result.message
    text = checker.format_result(result)
    assert "not written yet" in text and "Traceback" not in text


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_solution_writes_only_the_backward_of_its_template(exercise):
    """A solution subclasses each Function of its template and overrides backward alone; its
    inputs and SECOND_ORDER are the template's, and its apply gives the same forward values.
    The inputs are named, float64 where checked, with requires_grad set on some."""
    template, solution = exercise.template(), exercise.solution()
    assert solution.check_inputs is template.check_inputs
    assert solution.SECOND_ORDER is template.SECOND_ORDER
    solved = {c.__name__: c for c in function_classes(solution)}
    for given in function_classes(template):
        cls = solved.pop(given.__name__, None)
        assert cls is not None and cls.__bases__ == (given,), f"{exercise.stem}: no subclass of {given.__name__}"
        own = {name for name in vars(cls) if not name.startswith("__")}
        assert own == {"backward"}, f"{exercise.stem}: {cls.__name__} redefines {sorted(own - {'backward'})}"
    assert not solved, f"{exercise.stem}: classes that the template does not have: {sorted(solved)}"
    inputs = template.check_inputs()
    assert any(x.requires_grad for x in inputs)
    for x in inputs:
        assert x.name
        if x.requires_grad:
            assert x.dtype == numpy.float64
    with minigrad.no_grad():
        out_a = template.apply(*inputs)
        out_b = solution.apply(*inputs)
    for u, v in zip(out_a if isinstance(out_a, tuple) else (out_a,), out_b if isinstance(out_b, tuple) else (out_b,)):
        numpy.testing.assert_array_equal(u.numpy(), v.numpy())


def test_exercise_forwards_are_the_library_functions():
    """The forwards that students are given compute what they claim (against minigrad.functional)."""
    import minigrad.functional as F

    def solution(number):
        return EXERCISES[number - 1].solution()

    x, w, b = solution(11).check_inputs()
    numpy.testing.assert_allclose(solution(11).apply(x, w, b).numpy(), F.conv2d(x, w, b, padding=1).numpy())
    x, labels = solution(8).check_inputs()
    assert solution(8).apply(x, labels).item() == pytest.approx(F.cross_entropy(x, labels).item(), rel=1e-12)
    x, t = solution(9).check_inputs()
    assert solution(9).apply(x, t).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, t).item(), rel=1e-12)
    mu, logvar = solution(14).check_inputs()
    assert solution(14).apply(mu, logvar).item() == pytest.approx(F.gaussian_kl(mu, logvar).item(), rel=1e-12)
    x, = solution(10).check_inputs()
    numpy.testing.assert_array_equal(solution(10).apply(x).numpy(), F.max_pool2d(x, 2).numpy())
    # the contractive penalty: the mean squared Frobenius norm of each example's Jacobian
    x, w, b = solution(15).check_inputs()
    xs, ws, bs = x.numpy(), w.numpy(), b.numpy()
    norms = []
    for row in xs:
        h = 1 / (1 + numpy.exp(-(ws @ row + bs)))
        norms.append((((h * (1 - h))[:, None] * ws) ** 2).sum())
    assert solution(15).apply(x, w, b).item() == pytest.approx(numpy.mean(norms), rel=1e-12)


# ----- wrong answers are reported precisely ---------------------------------------------------------

DOUBLE_FIRST_GRADIENT = """

_solved_backward = {cls}.backward


def _doubled(self, *grads):  # a deliberate mistake: the first input's gradient times 2
    result = _solved_backward(self, *grads)
    if isinstance(result, tuple):
        return (result[0] * 2,) + tuple(result[1:])
    return result * 2


{cls}.backward = _doubled
"""


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_a_factor_two_error_is_reported_with_input_element_and_ratio(exercise, tmp_path):
    cls = function_class(exercise.solution()).__name__
    path = student_copy(tmp_path, exercise, append=DOUBLE_FIRST_GRADIENT.format(cls=cls))
    result = check_path(exercise, path)
    assert result.status == "fail"
    first = exercise.template().check_inputs()[0]
    assert f"input 0 ({first.name!r})" in result.message
    assert "at element (" in result.message
    assert "analytical:" in result.message and "numerical:" in result.message
    assert "here analytical / numerical = 2:" in result.message
    assert "Traceback" not in checker.format_result(result)
    assert Config.backward_hook is None  # the checker's hook is gone


def test_missing_mean_factor_is_hinted(tmp_path):
    exercise = find("aae_generator")
    path = student_copy(tmp_path, exercise, patch=("(minigrad.sigmoid(d) - 1) / d.size", "(minigrad.sigmoid(d) - 1)"))
    result = check_path(exercise, path)
    assert result.status == "fail"
    assert "input 0 ('d')" in result.message and "here analytical / numerical = 8:" in result.message


def test_a_numpy_array_instead_of_a_tensor_is_named(tmp_path):
    exercise = find(2)
    path = student_copy(tmp_path, exercise, patch=("return gy * (1 - y * y)", "return (gy * (1 - y * y)).data"))
    result = check_path(exercise, path)
    assert result.status == "fail"
    # numpy.ndarray, or cupy.ndarray under MINIGRAD_BACKEND=cupy
    assert re.search(r"Tanh\.backward returned a \w+\.ndarray for input 0 \('x'\)", result.message)
    assert "minigrad.Tensor(array)" in result.message


def test_none_for_an_input_that_needs_a_gradient_is_named(tmp_path):
    exercise = find("reparameterize")
    path = student_copy(tmp_path, exercise, patch=("return gz, gz *", "return None, gz *"))
    result = check_path(exercise, path)
    assert result.status == "fail"
    assert "Reparameterize.backward returned None for input 0 ('mu'), which needs a gradient" in result.message


def test_a_gradient_of_the_wrong_shape_is_named_with_a_hint(tmp_path):
    exercise = find("matmul")
    path = student_copy(tmp_path, exercise, patch=(
        "ga = minigrad.sum_to(gy @ minigrad.swapaxes(b, -1, -2), a.shape)", "ga = gy @ minigrad.swapaxes(b, -1, -2)"))
    result = check_path(exercise, path)
    assert result.status == "fail"
    assert "returned a gradient of shape (2, 5, 3, 4) for input 0 of shape (2, 1, 3, 4)" in result.message
    assert "minigrad.sum_to" in result.message


def test_the_wrong_number_of_gradients_is_named(tmp_path):
    exercise = find("layer_norm")
    path = student_copy(tmp_path, exercise, patch=(
        "return gx, (gy * x_hat).sum(axis=0), gy.sum(axis=0)", "return gx, gy.sum(axis=0)"))
    result = check_path(exercise, path)
    assert result.status == "fail" and "LayerNorm.backward returned 2 gradients for 3 inputs" in result.message


def test_an_exception_in_backward_names_the_line_of_the_students_file(tmp_path):
    exercise = find("softmax")
    path = student_copy(tmp_path, exercise, patch=("y = self.outputs[0]()", "y = self.output"))
    line = open(path, encoding="utf-8").read().split("\n").index("        y = self.output") + 1
    result = check_path(exercise, path)
    assert result.status == "fail"
    assert "the backward raised AttributeError" in result.message
    assert f"line {line} of ex06_softmax.py: y = self.output" in result.message
    assert "Traceback" not in result.message
    # on request, the traceback is there
    assert "Traceback" in check_path(exercise, path, show_traceback=True).message


def test_a_syntax_error_is_reported_with_its_line(tmp_path):
    exercise = find(14)
    path = student_copy(tmp_path, exercise, patch=("n = mu.shape[0]", "n = mu.shape[0] +"))
    result = check_path(exercise, path)
    assert result.status == "broken"
    assert "does not load: SyntaxError" in result.message and "n = mu.shape[0] +" in result.message


def test_a_changed_forward_is_refused(tmp_path):
    exercise = find("log_softmax")
    path = student_copy(tmp_path, exercise, patch=("return z - xp.log", "return 1 + z - xp.log"),
                        folder=checker.PACKAGE_DIR)
    result = check_path(exercise, path)
    assert result.status == "broken" and "restore forward() from the template" in result.message
    # in a solution-style file too (a subclass of the packaged template's Function)
    path = student_copy(tmp_path, exercise, append="\n\nLogSoftmax.forward = lambda self, x: x\n")
    result = check_path(exercise, path)
    assert result.status == "broken" and "restore forward() from the template" in result.message


def test_edited_check_inputs_cannot_hide_a_wrong_gradient(tmp_path):
    """The checker uses the packaged inputs: moving the student's inputs to where a wrong
    gradient happens to be right (x = 0 for a relu-like mistake) changes nothing."""
    exercise = find("sigmoid")
    path = student_copy(tmp_path, exercise, patch=("return gy * y * (1 - y)", "return gy * 0.25"))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n\ndef check_inputs():\n    x = minigrad.zeros(3, dtype='float64', requires_grad=True)\n"
                     "    return (x,)\n")
    assert check_path(exercise, path).status == "fail"


def test_a_missing_file_or_apply_is_reported(tmp_path):
    exercise = find(1)
    result = check(exercise, directory=str(tmp_path))
    assert result.status == "missing" and "python -m minigrad.exercises start" in result.message
    path = student_copy(tmp_path, exercise, patch=("def apply(x):", "def applied(x):"))
    result = check_path(exercise, path)
    assert result.status == "broken" and "no apply() function" in result.message


def test_a_backward_on_arrays_passes_but_misses_the_second_order_bonus(tmp_path):
    exercise = find("softplus")
    on_arrays = ("xp = minigrad.get_array_module(x.data)\n"
                 "        return gy * minigrad.Tensor(1 / (1 + xp.exp(-x.data)))")
    path = student_copy(tmp_path, exercise, patch=("return gy * minigrad.sigmoid(x)", on_arrays))
    result = check_path(exercise, path)
    assert result.passed
    assert result.second_order.startswith("not yet") and ".data arrays" in result.second_order
    assert "(second order: not yet)" in checker.format_result(result)


# ----- the command line ------------------------------------------------------------------------------

def test_find_accepts_numbers_stems_and_names():
    assert find("1") == find("01") == find("ex01") == find("ex01_sigmoid.py") == find("sigmoid") == EXERCISES[0]
    with pytest.raises(checker.UsageError, match="no exercise 'nope'"):
        find("nope")


def test_list_show_and_usage_errors(tmp_path):
    status, text = run(["list", "--dir", str(tmp_path / "none")])
    assert status == 0 and all(e.name in text for e in EXERCISES) and "start" in text
    status, text = run(["show", "6", "--dir", str(tmp_path)])
    assert status == 0 and "Exercise 6: softmax" in text and "def backward" not in text
    status, text = run(["show", "softmax", "--solution"])
    assert status == 0 and "def backward" in text and "gy * y" in text
    status, text = run(["check", "nope", "--solutions"])
    assert status == 2 and text.startswith("error: no exercise 'nope'")
    status, text = run(["check", "1", "--dir", str(tmp_path / "none")])
    assert status == 2 and "no workspace" in text and "start" in text


def test_start_copies_templates_and_never_overwrites(tmp_path):
    workspace = tmp_path / "ws"
    status, text = run(["start", str(workspace)])
    assert status == 0 and f"{len(EXERCISES)} exercise file(s) copied" in text
    assert sorted(os.listdir(workspace)) == sorted(e.filename for e in EXERCISES)
    mine = workspace / EXERCISES[0].filename
    mine.write_text("# my work\n", encoding="utf-8")
    (workspace / EXERCISES[1].filename).unlink()
    status, text = run(["start", str(workspace)])
    assert "1 exercise file(s) copied" in text and f"{len(EXERCISES) - 1} existing file(s) kept" in text
    assert mine.read_text(encoding="utf-8") == "# my work\n"


def test_check_in_a_workspace_reports_each_state_and_a_summary(tmp_path):
    workspace = tmp_path / "ws"
    run(["start", str(workspace)])
    shutil.copyfile(os.path.join(checker.SOLUTIONS_DIR, EXERCISES[0].filename), workspace / EXERCISES[0].filename)
    status, text = run(["check", "1", "--dir", str(workspace)])
    assert status == 0 and "ok" in text and "matches central differences" in text
    status, text = run(["check", "2", "--dir", str(workspace)])
    assert status == 1 and "not written yet" in text and "write the backward of Tanh" in text
    status, text = run(["check", "all", "--dir", str(workspace), "--no-second-order"])
    assert status == 1
    assert f"{len(EXERCISES)} exercises: 1 done, {len(EXERCISES) - 1} not written yet" in text
    assert "Traceback" not in text


def test_check_all_solutions_passes():
    status, text = run(["check", "all", "--solutions"])
    assert status == 0 and f"{len(EXERCISES)} exercises: {len(EXERCISES)} done" in text


def test_check_file_is_what_running_an_exercise_file_does(tmp_path):
    import io

    path = student_copy(tmp_path, EXERCISES[0])
    out = io.StringIO()
    assert check_file(path, stream=out) == 0 and "ok" in out.getvalue()
    template = tmp_path / "blank" / EXERCISES[0].filename
    template.parent.mkdir()
    shutil.copyfile(os.path.join(checker.PACKAGE_DIR, EXERCISES[0].filename), template)
    out = io.StringIO()
    assert check_file(str(template), stream=out) == 1 and "not written yet" in out.getvalue()


def test_the_module_and_a_template_run_as_scripts(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "minigrad.exercises", "check", "1", "--solutions"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "sigmoid" in done.stdout
    template = tmp_path / EXERCISES[0].filename
    shutil.copyfile(os.path.join(checker.PACKAGE_DIR, EXERCISES[0].filename), template)
    done = subprocess.run([sys.executable, str(template)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60)
    assert done.returncode == 1
    assert "not written yet" in done.stdout and "Traceback" not in done.stdout + done.stderr
