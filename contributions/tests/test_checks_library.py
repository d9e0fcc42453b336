"""The checks as a library: each check on passing and failing Markdown (with the line a
writer must look at), the score's weighting, and code blocks with a fake runner."""

from __future__ import annotations

import shutil

import pytest

from contributions.checks import WEIGHTS, CheckContext, CheckResult, run_checks, score
from contributions.checks.code_blocks import output_check, syntax_check
from contributions.checks.katex import check as katex_check
from contributions.checks.links import check as links_check
from contributions.checks.math_delimiters import check as math_check
from contributions.checks.ml_terms import check as spelling_check
from contributions.checks.ml_terms import suggestion
from contributions.checks.readability import check as readability_check
from contributions.checks.source import parse
from contributions.checks.structure import check as structure_check
from tests.servers import IN_CI

BARE = CheckContext(node_binary=None)

# KaTeX runs on Node; `make test` needs Node for the editor's tests, so CI always has it
# (there the test fails rather than skips when Node is missing).
needs_node = pytest.mark.skipif(
    shutil.which("node") is None and not IN_CI, reason="KaTeX runs on Node, not installed here"
)


def lines(result: CheckResult) -> list[int | None]:
    return [detail["line"] for detail in result.details]


# --- structure ---------------------------------------------------------------------------


def test_a_well_ordered_outline_passes():
    text = "# Title\n\nIntro.\n\n## One\n\nText.\n\n### One point one\n\nMore.\n"
    result = structure_check(parse(text), BARE)
    assert result.status == "pass"
    assert "3 heading" in result.summary


def test_a_second_h1_and_a_skipped_level_fail_on_their_lines():
    text = "# Title\n\nText.\n\n# Another title\n\nText.\n\n#### Too deep\n\nText.\n"
    result = structure_check(parse(text), BARE)
    assert result.status == "fail"
    assert lines(result) == [5, 9]
    assert "second title" in result.details[0]["message"]
    assert "use level 2" in result.details[1]["message"]


def test_an_empty_section_is_a_warning_but_a_parent_of_subsections_is_not_empty():
    text = "## Parent\n\n### Child\n\nText.\n\n## Empty\n\n## Last\n\nText.\n"
    result = structure_check(parse(text), BARE)
    assert result.status == "warn"
    assert lines(result) == [7]
    assert "“Empty” has no text" in result.details[0]["message"]


def test_duplicate_heading_anchors_fail():
    text = "## Setup\n\nA.\n\n## Setup\n\nB.\n"
    result = structure_check(parse(text), BARE)
    assert result.status == "fail"
    assert lines(result) == [5]
    assert "#setup" in result.details[0]["message"]


# --- links -------------------------------------------------------------------------------


def _anchors(documents: dict[str, set[str]]):
    return lambda slug: documents.get(slug)


def test_links_to_headings_and_other_documents_resolve():
    text = (
        "## Intro\n\nSee [below](#details), [the guide](/docs/guide/#setup), [it](../guide/)\n"
        "and [the web](https://example.org/#x).\n\n## Details\n\nText.\n"
    )
    context = CheckContext(document_slug="mine", anchors_of=_anchors({"guide": {"setup"}}))
    result = links_check(parse(text), context)
    assert result.status == "pass", result.details
    assert result.summary == "4 links checked; all resolve."


def test_broken_anchors_and_unknown_documents_fail_with_their_lines():
    text = (
        "## Intro\n\nSee [nothing](#missing).\n\nAnd\n[a guide](/docs/guide/#nope) and "
        "[gone](../no-such-doc/).\n"
    )
    context = CheckContext(document_slug="mine", anchors_of=_anchors({"guide": {"setup"}}))
    result = links_check(parse(text), context)
    assert result.status == "fail"
    assert lines(result) == [3, 6, 6]
    assert "#missing is not a heading" in result.details[0]["message"]
    assert "has no heading #nope" in result.details[1]["message"]
    assert "no document “no-such-doc”" in result.details[2]["message"]


def test_an_anchor_to_a_labelled_equation_resolves():
    text = "$$\na+b\n$$ (eq1)\n\nSee [the sum](#eq1).\n"
    assert links_check(parse(text), BARE).status == "pass"


# --- math --------------------------------------------------------------------------------


def test_balanced_math_and_prices_pass():
    text = "The loss $L = x^2$ costs $5 to compute.\n\n$$\n\\sum_i x_i\n$$\n\nCode `a $b` too.\n"
    result = math_check(parse(text), BARE)
    assert result.status == "pass", result.details


def test_an_unclosed_dollar_and_an_unclosed_display_block_fail_on_their_lines():
    text = "Intro.\n\nThe value $x is\nnot closed.\n\n$$\nE = mc^2\n"
    result = math_check(parse(text), BARE)
    assert result.status == "fail"
    assert lines(result) == [3, 6]


def test_unbalanced_backslash_delimiters_fail():
    text = "A formula \\(a + b and nothing closes it.\n"
    result = math_check(parse(text), BARE)
    assert result.status == "fail"
    assert "1 \\( but 0 \\)" in result.details[0]["message"]


@needs_node
def test_katex_refuses_bad_tex_on_its_line():
    text = "Fine: $\\frac{a}{b}$.\n\nBroken:\n$\\frac{a}{b$ and $\\notacommand$.\n"
    result = katex_check(parse(text), CheckContext(node_binary="node"))
    assert result.status == "fail"
    assert lines(result) == [4, 4]
    assert "Undefined control sequence" in result.details[1]["message"]
    assert "\u0332" not in result.details[1]["message"]


@needs_node
def test_katex_passes_good_tex():
    result = katex_check(parse("$$\n\\int_0^1 x\\,dx\n$$\n"), CheckContext(node_binary="node"))
    assert result.status == "pass"


def test_katex_without_node_is_not_run_and_says_why():
    result = katex_check(parse("$x$\n"), CheckContext(node_binary="no-such-node-binary"))
    assert result.status == "not_run"
    assert "Node.js is not installed" in result.summary


# --- readability -------------------------------------------------------------------------

EASY = " ".join(["The cat sat on the mat. It was a good day."] * 15)
HARD = " ".join(
    [
        "Notwithstanding considerable methodological heterogeneity, comprehensive "
        "characterization of regularization-induced generalization improvements necessitates "
        "sophisticated, multidimensional, probabilistically-grounded experimental infrastructure."
    ]
    * 8
)


def test_plain_prose_passes_readability():
    result = readability_check(parse(EASY + "\n\n```python\n" + HARD + "\n```\n"), BARE)
    assert result.status == "pass", result.summary


def test_dense_prose_warns_and_points_at_the_hardest_paragraph():
    result = readability_check(parse(f"{EASY}\n\n{HARD}\n"), BARE)
    assert result.status == "warn"
    assert lines(result)[0] == 3
    assert "Hard to read" in result.summary


def test_too_little_prose_is_not_measured():
    result = readability_check(parse("Short text.\n"), BARE)
    assert result.status == "not_run"


# --- ML terms ----------------------------------------------------------------------------


def test_ml_terms_spelled_the_usual_way_pass():
    text = (
        "# PyTorch and TensorFlow\n\nSoftmax, backpropagation, ReLU and Adam. `pytorch` is code.\n"
    )
    assert spelling_check(parse(text), BARE).status == "pass"


def test_misspelled_ml_terms_are_flagged_with_the_spelling_to_use():
    text = "Intro.\n\nWe use pytorch and Tensorflow,\nwith back-propogation and relu.\n"
    result = spelling_check(parse(text), BARE)
    assert result.status == "warn"
    assert [d["message"] for d in result.details] == [
        "“pytorch”: write “PyTorch”.",
        "“Tensorflow”: write “TensorFlow”.",
        "“back-propogation”: write “backpropagation”.",
        "“relu”: write “ReLU”.",
    ]
    assert lines(result) == [3, 3, 4, 4]


def test_lower_case_terms_may_start_a_sentence_and_plurals_follow_their_term():
    assert suggestion("Dropout") is None
    assert suggestion("hyperparameters") is None
    assert suggestion("hyper-parameters") == "hyperparameters"
    assert suggestion("SoftMax") == "softmax"


# --- code blocks -------------------------------------------------------------------------


def test_python_blocks_that_parse_pass():
    text = "```python\nx = 1\n```\n\n```js\nnot python(\n```\n"
    assert syntax_check(parse(text), BARE).status == "pass"


def test_a_syntax_error_is_reported_on_the_documents_line():
    text = "# Code\n\n```python\nx = 1\ny = (\n```\n"
    result = syntax_check(parse(text), BARE)
    assert result.status == "fail"
    assert lines(result) == [5]


RUNNABLE = "Intro.\n\n```python run\nprint('hi')\nprint(2)\n```\n\n```output\nhi\n2   \n\n```\n"


def test_runnable_blocks_without_a_runner_are_not_run():
    result = output_check(parse(RUNNABLE), CheckContext(not_run_reason="runs elsewhere."))
    assert result.status == "not_run"
    assert "runs elsewhere." in result.summary


def test_printed_output_matching_the_output_block_passes_ignoring_trailing_whitespace():
    sent = []

    def runner(code):
        sent.append(code)
        return {"status": "ok", "stdout": "hi\n2\n"}

    result = output_check(parse(RUNNABLE), CheckContext(run_code=runner))
    assert result.status == "pass"
    assert sent == ["print('hi')\nprint(2)\n"]


def test_different_output_fails_on_the_line_of_the_output_that_differs():
    context = CheckContext(run_code=lambda code: {"status": "ok", "stdout": "hi\n3\n"})
    result = output_check(parse(RUNNABLE), context)
    assert result.status == "fail"
    assert lines(result) == [10]
    assert "expected “2”, printed “3”" in result.details[0]["message"]


def test_an_error_points_at_the_line_that_raised():
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 2, in <module>\n'
        "ZeroDivisionError: division by zero\n"
    )
    context = CheckContext(run_code=lambda code: {"status": "error", "stderr": stderr})
    result = output_check(parse(RUNNABLE), context)
    assert result.status == "fail"
    assert lines(result) == [5]
    assert "ZeroDivisionError" in result.details[0]["message"]


def test_a_timeout_fails_and_a_block_that_does_not_parse_is_not_sent():
    text = "```python run\nwhile True: pass\n```\n\n```python run\nbroken(\n```\n"
    sent = []

    def runner(code):
        sent.append(code)
        return {"status": "timeout"}

    result = output_check(parse(text), CheckContext(run_code=runner))
    assert result.status == "fail"
    assert sent == ["while True: pass\n"]
    assert "time limit" in result.details[0]["message"]
    assert "does not parse" in result.details[1]["message"]


# --- the report and the score ------------------------------------------------------------


def _result(name: str, status: str) -> CheckResult:
    return CheckResult(name, name, status, "")


def test_the_score_weighs_pass_full_warn_half_fail_nothing_and_leaves_not_run_out():
    assert sum(WEIGHTS.values()) == 100
    every = [_result(name, "pass") for name in WEIGHTS]
    assert score(every) == 100
    one_fail = [_result(n, "fail" if n == "structure" else "pass") for n in WEIGHTS]
    assert score(one_fail) == 100 - WEIGHTS["structure"]
    one_warn = [_result(n, "warn" if n == "links" else "pass") for n in WEIGHTS]
    assert score(one_warn) == round(100 - WEIGHTS["links"] / 2)
    skipped = [_result(n, "not_run" if n == "katex" else "pass") for n in WEIGHTS]
    assert score(skipped) == 100
    half = [_result("structure", "fail"), _result("links", "pass"), _result("katex", "not_run")]
    expected = round(100 * WEIGHTS["links"] / (WEIGHTS["structure"] + WEIGHTS["links"]))
    assert score(half) == expected
    assert score([_result("katex", "not_run")]) is None


def test_run_checks_reports_every_check_in_order_with_the_score():
    report = run_checks("# Title\n\nSome text.\n", context=BARE)
    assert [result.name for result in report.results] == list(WEIGHTS)
    assert report.score == 100
    assert report.as_dict()["results"][0]["status"] == "pass"
