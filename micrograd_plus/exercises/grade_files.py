"""The files a class's grading writes: `out` (a CSV), the same name with .json, and `<name>-feedback/`.

They are checked before any notebook runs (a folder where a file goes, a folder that cannot be written, an
earlier run's grades, which a teacher may have edited, unless `force`), and written together at the end
through a staging folder, so a failure leaves no partial set. With `force` the feedback folder is
replaced whole: no feedback of a student who left the class stays in it.

The CSV's columns, in this order, stay stable:
    student, points, out_of        the auto-graded points and what they were out of
    EXERCISE ...                   each exercise's status (passed, failed, not attempted, not submitted, ...)
    EXERCISE points ...            each exercise's points
    WRITTEN ...                    each written answer's status (to grade by hand, not attempted)
    WRITTEN points ...             empty: the written answers' points, for the teacher to fill in
"""

import csv
import io
import json
from pathlib import Path

from ..files import OutputFolder, write_atomically

__all__ = ["GradeFiles"]


class GradeFiles:
    """The output files of `grade(..., out)`, checked now (see the module docstring); write() writes them all."""

    def __init__(self, out: str | Path, force: bool = False):
        self.csv = Path(out)
        self.json = self.csv.with_suffix(".json")
        self.feedback = self.csv.parent / f"{self.csv.stem}-feedback"
        if self.csv.suffix.lower() == ".json":
            raise ValueError(f"--out {self.csv} ends in .json, the name of the details file; give a .csv name")
        if self.csv.is_dir():
            raise ValueError(f"--out {self.csv} is a folder; give the name of the CSV file to write, e.g. grades.csv")
        self.folder = OutputFolder(self.csv.parent, [self.csv.name, self.json.name], "--out", [self.feedback.name])
        earlier = [path for path in (self.csv, self.json, self.feedback) if path.exists()]
        if earlier and not force:
            names = ", ".join(path.name for path in earlier[:-1]) + " and " * (len(earlier) > 1) + earlier[-1].name
            raise FileExistsError(
                f"{names} already exist{'s' if len(earlier) == 1 else ''} in {self.csv.parent} (an earlier run's "
                "grades, perhaps edited by hand), so nothing was graded; pass --force to replace them, or choose "
                "another --out"
            )
        foreign = [p for p in self.feedback.glob("[!.]*") if p.suffix != ".txt" or not p.is_file()]
        if force and foreign:
            kind = "folder" if foreign[0].is_dir() else "file"
            raise ValueError(
                f"--out {self.csv}: --force replaces {self.feedback} whole, but it holds a {kind} named "
                f"{foreign[0].name!r} that grading did not write; move it away first"
            )

    @property
    def paths(self) -> list[Path]:
        """The output paths: the students' code may not read them."""
        return [self.csv, self.json, self.feedback]

    def write(self, grades, assignments: list) -> None:
        """Write the CSV, the JSON and every feedback file of `grades` (a ClassGrades), all or none."""
        with self.folder.writing() as staging:
            csv_text, feedback = _table(grades, assignments)
            write_atomically(staging / self.csv.name, csv_text)
            details = {"seconds": round(grades.seconds, 2), "students": grades.students}
            write_atomically(staging / self.json.name, json.dumps(details, indent=1, ensure_ascii=False) + "\n")
            for student, text in feedback.items():
                write_atomically(staging / self.feedback.name / f"{student}.txt", text)


def _table(grades, assignments: list) -> tuple[str, dict[str, str]]:
    """The CSV's text, and each student's feedback text."""
    names = [check.exercise for check in grades.exercises]
    written_ids = [w.grade_id for a in assignments for w in a.written]
    header = ["student", "points", "out_of", *names, *(f"{name} points" for name in names), *written_ids]
    header += [f"{grade_id} points" for grade_id in written_ids]  # left empty, for the teacher to fill in
    buffer = io.StringIO()
    table = csv.writer(buffer, lineterminator="\n")
    table.writerow(header)
    files = {}
    for student, record in grades.students.items():
        results = {e["exercise"]: e for nb in record["notebooks"].values() for e in nb["exercises"]}
        written = {w["grade_id"]: w for nb in record["notebooks"].values() for w in nb["written"]}
        table.writerow(
            [
                student,
                _number(record["points"]),
                _number(record["out_of"]),
                *(results[name]["status"] for name in names),
                *(_number(results[name]["points"]) for name in names),
                *(written[grade_id]["status"] for grade_id in written_ids),
                *("" for _ in written_ids),
            ]
        )
        files[student] = _feedback(student, record)
    return buffer.getvalue(), files


def _number(points: float) -> str:
    return f"{points:g}"


def _feedback(student: str, record: dict) -> str:
    points, by_hand = f"{_number(record['points'])} of {_number(record['out_of'])}", record["by_hand"]
    if by_hand:  # the written answers' points are the teacher's to give
        points += f" auto-graded points ({_number(by_hand)} more to grade by hand)"
    lines = [f"Feedback for {student}: {points if by_hand else points + ' points'}", ""]
    if record["notes"]:
        lines += [f"note: {note}" for note in record["notes"]] + [""]
    for notebook, result in record["notebooks"].items():
        lines.append(notebook)
        for e in result["exercises"]:
            lines.append(f"  {e['exercise']} ({_number(e['points'])}/{_number(e['out_of'])}): {e['status']}.")
            lines.append(f"    {e['message']}")
        for w in result["written"]:
            points = f"{_number(w['out_of'])} point{'s' if w['out_of'] != 1 else ''}"
            where = f" ({w['message']})" if w.get("message") else ""
            lines.append(f"  written answer {w['grade_id']} ({points}): {w['status']}{where}.")
        lines.extend(f"  note: {note}" for note in result["notes"])
        lines.append("")
    return "\n".join(lines)
