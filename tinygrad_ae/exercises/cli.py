"""``tinygrad-ae exercise list | start NAME [FILE] | check FILE``.

Layer: with the exercises, below :mod:`tinygrad_ae.cli`, which registers it with
:func:`register` and hands over its ``UsageError`` (this module never imports the
command line: imports point down only).
A wrong answer exits with status 1 (like a failing test); a request that cannot be
graded (unknown exercise, missing file, no function) exits with status 2 and one line.
"""

from __future__ import annotations

import argparse
import functools
import shutil
from pathlib import Path
from typing import Any

__all__ = ["register", "add_arguments", "EXAMPLES", "HELP"]

EXAMPLES = """examples:
  tinygrad-ae exercise list
  tinygrad-ae exercise start tanh            # writes exercise_tanh.py
  tinygrad-ae exercise check exercise_tanh.py
  tinygrad-ae exercise check exercise_tanh.py --picture tanh_graph"""


HELP = "write backward passes yourself, graded with the smallest counterexample"


def register(commands: Any, usage_error: type[Exception]) -> argparse.ArgumentParser:
    """Add the ``exercise`` command to the subparsers ``commands`` of the main parser;
    requests that cannot be graded raise ``usage_error`` (one line, exit status 2)."""
    parser = commands.add_parser("exercise", help=HELP)
    add_arguments(parser, usage_error)
    return parser


def add_arguments(parser: argparse.ArgumentParser, usage_error: type[Exception]) -> None:
    """Give ``parser`` (the ``exercise`` command's) its description, examples, actions and
    options; requests that cannot be graded raise ``usage_error``. The command line calls
    this only when the exercise command runs (:mod:`tinygrad_ae.cli` imports no exercise
    module for its other commands)."""
    parser.description = HELP
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    actions = parser.add_subparsers(dest="action", metavar="ACTION",
                                    parser_class=type(parser))
    actions.add_parser("list", help="the exercises, in order")
    start = actions.add_parser("start", help="write the template of an exercise to a file")
    start.add_argument("name", help="the exercise (see 'tinygrad-ae exercise list')")
    start.add_argument("file", nargs="?", default=None,
                       help="where to write it (default: exercise_NAME.py)")
    check = actions.add_parser("check", help="grade your file")
    check.add_argument("file", help="a file started with 'tinygrad-ae exercise start'")
    check.add_argument("--name", default=None,
                       help="the exercise, if the file has no '# tinygrad-ae exercise:' line")
    check.add_argument("--picture", default=None,
                       help="where to draw a wrong answer's graph, without suffix "
                            "(default: FILE_graph beside the file)")
    check.add_argument("--no-picture", action="store_true", help="draw nothing")
    check.add_argument("--examples", type=int, default=60,
                       help="random cases to try before giving up (default 60)")
    parser.set_defaults(run=functools.partial(run, usage_error=usage_error))


def run(args: argparse.Namespace, usage_error: type[Exception] = ValueError) -> int:
    """Carry out one ``exercise`` action; return the exit status."""
    from tinygrad_ae import exercises

    try:
        if args.action == "list":
            for number, exercise in enumerate(exercises.list_exercises(), start=1):
                print(f"{number}. {exercise.name:<10} {exercise.title}")
            print("start one with: tinygrad-ae exercise start NAME")
            return 0
        if args.action == "start":
            return _start(args, exercises)
        if args.action == "check":
            return _check(args, exercises)
    except (exercises.ExerciseError, _Refused) as err:
        raise usage_error(str(err)) from None
    raise usage_error("choose an action: list, start NAME [FILE] or check FILE")


class _Refused(Exception):
    """A request refused before grading (a file in the way, a bad option)."""


def _start(args: argparse.Namespace, exercises: Any) -> int:
    from tinygrad_ae._files import write_atomically

    text = exercises.template(args.name)
    path = Path(args.file or f"exercise_{args.name}.py")
    if path.exists():
        raise _Refused(f"{path} already exists; choose another file name so your work is "
                         f"not overwritten")
    if not path.resolve().parent.is_dir():
        raise _Refused(f"cannot write {path}: the folder {path.parent} does not exist")
    write_atomically(path, text.encode("utf-8"), may_replace=lambda _: False)  # made meanwhile
    exercise = exercises.get(args.name)
    print(f"wrote {path}: fill in {exercise.function}{exercise.signature}, then run\n"
          f"  tinygrad-ae exercise check {path}")
    return 0


def _check(args: argparse.Namespace, exercises: Any) -> int:
    if args.examples < 1:
        raise _Refused(f"--examples must be at least 1, got {args.examples}")
    path = Path(args.file)
    picture = None if args.no_picture else Path(
        args.picture or path.with_name(f"{path.stem}_graph"))
    result = exercises.grade_file(path, name=args.name, picture=picture,
                                  max_examples=args.examples)
    print(result.feedback)
    if result.picture is not None:
        if result.picture.suffix == ".dot" and shutil.which("dot") is None:
            print(f"  (Graphviz's dot program is not installed, so the graph was written as "
                  f"DOT source to {result.picture}; install Graphviz to get a picture)")
        elif "Picture:" not in result.feedback:
            print(f"  Picture: {result.picture}")
    return 0 if result.passed else 1
