"""Practise backpropagation: you compute each step of the backward pass before it is shown.

    chainrule practice 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814
    chainrule practice --random --level 2 --seed 7
    chainrule practice --random                  # level 1, a new exercise each time

At every step, for each input x of the node being visited, type two numbers: the local
derivative ∂node/∂x, then x's gradient after the step (x.grad + upstream × local). An answer is
a number (-1.5, 2e-3) or a simple fraction (3/4, -1 / 2) and is right within 1% (--rel), or
closer where a likely slip gives a number that near (the prompt then says how many digits). A
wrong answer names the slip it looks like and gets a hint from the op table (the rule and its
quantities, not the answer); a second wrong answer shows the step. Type s to be shown the answer,
q to stop. The score comes at the end.

--random makes a seeded exercise: level 1 sums and products, level 2 with an activation (tanh,
sigmoid, relu), level 3 with a value used twice (fan-out). The same --level and --seed give the
same exercise. Answers are read line by line, so a script can pipe them in.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TextIO

from engine.cli.common import add_notation_argument, fail

PROG = "chainrule practice"
_fail = partial(fail, PROG)
ROOT_NAME = "out"
_QUIT = {"q", "quit", "exit"}
_SHOW = {"s", "show", "?"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression", nargs="?", help="e.g. 'tanh(x1*w1 + x2*w2 + b)' (quote it); or --random"
    )
    parser.add_argument(
        "assignments", nargs="*", metavar="NAME=VALUE", help="a value for every name, e.g. x1=2"
    )
    parser.add_argument("--random", action="store_true", help="practise a generated exercise")
    parser.add_argument(
        "--level", type=int, choices=(1, 2, 3), default=1, help="exercise level (default 1)"
    )
    parser.add_argument("--seed", type=int, default=None, help="exercise seed (default: random)")
    parser.add_argument(
        "--rel", type=float, default=0.01, help="relative tolerance of a right answer (0.01 = 1%%)"
    )
    add_notation_argument(parser)


def _root(args: argparse.Namespace, out: TextIO):
    """The Value to practise on: a parsed expression or a generated exercise."""
    if args.random:
        if args.expression is not None:
            raise ValueError("give an expression or --random, not both")
        from engine.step.exercises import LEVELS, exercise

        ex = exercise(args.level, args.seed)
        print(f"exercise (level {ex.level}: {LEVELS[ex.level]}; seed {ex.seed}):", file=out)
        print(f"  {ex.text.replace(chr(10), chr(10) + '  ')}", file=out)
        print(f"  with {ex.assignments()}", file=out)
        return ex.root
    if args.expression is None:
        raise ValueError("give an expression and its values (e.g. 'x*y' x=2 y=3), or --random")
    from engine.cli.expr import build, parse_assignments

    root, _ = build(args.expression, parse_assignments(list(args.assignments)))
    if not root.label:
        root.label = ROOT_NAME
    print(f"practise the backward pass of {root.label} = {args.expression}", file=out)
    return root


def session(practice, read_line, out: TextIO) -> int:
    """Ask every question of `practice`, reading answers with `read_line` (None at the end)."""
    from engine.step.answers import AnswerError

    print(
        "type each number (e.g. -1.5 or 3/4); s shows the answer, q stops.\n",
        file=out,
    )
    print(practice.stepper.forward_trace(), file=out)
    shown_step = None
    while not practice.done:
        question = practice.question
        lines = practice.prompt.splitlines()
        if question.step is not shown_step:
            print("\n" + "\n".join(lines), file=out)
            shown_step = question.step
        else:
            print(lines[-1], file=out)
        out.flush()
        line = read_line()
        if line is None:
            print("\n(end of input)", file=out)
            break
        text = line.strip()
        if not text:
            continue
        if text.lower() in _QUIT:
            break
        try:
            feedback = practice.reveal() if text.lower() in _SHOW else practice.answer(text)
        except AnswerError as exc:
            print(f"  {exc}", file=out)
            continue
        print("  " + str(feedback).replace("\n", "\n  "), file=out)
    print(f"\n{practice.score}", file=out)
    return 0


def read_line() -> str | None:
    """One line of standard input, None at its end."""
    line = sys.stdin.readline()
    return None if line == "" else line


def run(args: argparse.Namespace) -> int:
    from engine.cli.expr import ExpressionError
    from engine.step.practice import Practice

    try:
        if not 0.0 <= args.rel < 1.0:
            raise ValueError(f"--rel must be from 0 to 1 (0.01 is 1%), got {args.rel}")
        root = _root(args, sys.stdout)
        practice = Practice(root, rel=args.rel, notation=args.notation)
    except ExpressionError as exc:
        return _fail(exc, exc.pointer())
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)
    try:
        return session(practice, read_line, sys.stdout)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # a local derivative that is not finite (sqrt at 0)
