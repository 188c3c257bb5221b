"""release: student copies from the authors' notebooks, and the staleness check."""

import nbformat
import pytest

from crmlab.exercises.cli import release_main
from crmlab.exercises.release import (
    ReleaseError,
    blank_out,
    release,
    stale_copies,
    student_notebook,
)

v4 = nbformat.v4


def _source_notebook():
    solved = v4.new_code_cell(
        "n_customers = orders['customer_id'].nunique()\nn_customers",
        metadata={"tags": ["solution"]},
        execution_count=3,
        outputs=[v4.new_output("execute_result", {"text/plain": "4"}, execution_count=3)],
    )
    return v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# 90 · Example exercises"),
            v4.new_code_cell("from crmlab.exercises import lesson, ____\nex = lesson('90_example')",
                             metadata={"tags": ["parameters"]}),  # fmt: skip
            solved,
            v4.new_code_cell("ex.q1.check(n_customers)"),
            v4.new_code_cell(
                "def repeat(days):\n    # BEGIN SOLUTION\n    unique = days.nunique()\n"
                "    return unique - 1\n    # END SOLUTION",
                metadata={"tags": ["solution"]},
            ),
            v4.new_code_cell('ex.quiz("q4", answer="b")', metadata={"tags": ["solution"]}),
            v4.new_markdown_cell("They have no orders to average.", metadata={"tags": ["solution"]}),
            v4.new_code_cell("assert ex.q1.check(n_customers).passed", metadata={"tags": ["remove"]}),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                  "language_info": {"name": "python", "version": "3.11.7"}},  # fmt: skip
    )


@pytest.fixture
def folders(tmp_path):
    source, out = tmp_path / "exercises" / "source", tmp_path / "exercises"
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / "90_example.ipynb")
    return source, out


def test_blank_out_rules():
    assert blank_out("x = compute()\ny = x + 1\nprint(y)") == "x = ____\ny = ____"
    assert blank_out("total += amount") == "total += ____"
    assert blank_out("rfm: pd.DataFrame = (orders\n    .groupby('c')\n    .agg(n=('a', 'sum')))") == (
        "rfm: pd.DataFrame = ____"
    )
    assert blank_out("orders.head()") == "____"
    assert blank_out('ex.quiz("q4", answer="b")') == "ex.quiz('q4')"
    assert blank_out("a = 1\n# BEGIN SOLUTION\nb = secret()\n# END SOLUTION\nc = b") == (
        "a = 1\nb = ____\nc = b"
    )


@pytest.mark.parametrize(
    ("source", "match"),
    [("# BEGIN SOLUTION\nx = 1", "without a matching"),
     ("x = 1\n# END SOLUTION", "without # BEGIN SOLUTION"),
     ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
     ("# BEGIN SOLUTION\nx = = 1\n# END SOLUTION", "does not parse")],
)  # fmt: skip
def test_malformed_markers_are_reported(source, match):
    with pytest.raises(ReleaseError, match=match):
        blank_out(source)


def test_student_notebook_drops_solutions_and_self_tests():
    source = _source_notebook()
    student = student_notebook(source, "90_example.ipynb")
    assert [c.source for c in student.cells] == [
        "# 90 · Example exercises",
        "from crmlab.exercises import lesson, ____\nex = lesson('90_example')",
        "n_customers = ____",
        "ex.q1.check(n_customers)",
        "def repeat(days):\n    unique = ____\n    return ____",
        "ex.quiz('q4')",
        "*Write your answer here.*",
    ]
    assert [c.id for c in student.cells] == [c.id for c in source.cells[:-1]]  # stable ids
    assert student.cells[1].metadata == {"tags": ["parameters"]}
    assert all(c.metadata == {} for c in student.cells[2:])
    code = [c for c in student.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert student.metadata["language_info"] == {"name": "python"}
    text = nbformat.writes(student)
    for secret in ("nunique", "unique - 1", 'answer="b"', "no orders to average", "assert"):
        assert secret not in text
    nbformat.validate(student)


def test_release_writes_then_is_idempotent_and_stale_copies_are_found(folders):
    source, out = folders
    assert release(source, out) == [out / "90_example.ipynb"]
    assert release(source, out) == []
    assert stale_copies(source, out) == []
    first = (out / "90_example.ipynb").read_text()
    assert release_main(["--source", str(source), "--out", str(out), "--check"]) == 0

    notebook = nbformat.read(source / "90_example.ipynb", as_version=4)
    notebook.cells[0].source = "# 90 · Example exercises (revised)"
    nbformat.write(notebook, source / "90_example.ipynb")
    problems = stale_copies(source, out)
    assert len(problems) == 1 and "90_example.ipynb is out of date with" in problems[0]
    assert release_main(["--source", str(source), "--out", str(out), "--check"]) == 1
    assert release_main(["--source", str(source), "--out", str(out)]) == 0
    assert stale_copies(source, out) == []
    assert (out / "90_example.ipynb").read_text() != first

    (out / "91_orphan.ipynb").write_text(first)
    nbformat.write(notebook, source / "92_new.ipynb")
    assert [p.split(" ")[0].rsplit("/", 1)[1] for p in stale_copies(source, out)] == [
        "92_new.ipynb", "91_orphan.ipynb"]


def test_release_reports_a_bad_source(folders, capsys):
    source, out = folders
    notebook = nbformat.read(source / "90_example.ipynb", as_version=4)
    notebook.cells[2].source = "# BEGIN SOLUTION\nx = 1"
    nbformat.write(notebook, source / "90_example.ipynb")
    assert release_main(["--source", str(source), "--out", str(out)]) == 1
    assert "Cannot release: 90_example.ipynb, cell" in capsys.readouterr().out
