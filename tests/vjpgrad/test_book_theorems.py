"""Chapter 4 (book/vjp.md) derives the VJP of every primitive vjpgrad registers.

For each built-in primitive NAME (a key of vjpgrad.PRIMITIVES, class Name) the
chapter must have

* a ``{prf:theorem}`` labelled ``thm-vjp-NAME``, so that the VJP of any
  primitive can be cited by a predictable permalink;
* the class itself, included from the package (``{literalinclude}`` of
  ``primitives.py`` with ``:pyobject: Name``);
* an executed code cell that applies the class, ``f(Name, ...)``, as
  ``vjp(Name, x)`` and the chapter's ``assert_vjp_matches(Name, ...)`` do.

A primitive added to the package without its theorem fails here, and so does a
``thm-vjp-*`` theorem whose name is no longer a primitive (other than the
special cases the chapter derives on the way, listed in SPECIAL_CASES).
Reads the chapter's source only: no build needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vjpgrad import PRIMITIVES, primitives

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "vjp.md"

# thm-vjp-* theorems that are not one registered primitive: special cases of one
# (dot and matvec are matmul with 1-D operands) or the VJP of broadcasting
SPECIAL_CASES = {"dot", "matvec", "unbroadcast"}

FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<directive>[\w:-]+)\}")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class Directive:
    name: str  # e.g. "prf:theorem", "literalinclude", "code-cell"
    argument: str  # the rest of the opening line
    options: dict[str, str]
    body: str  # the content after the options


def directives(text: str) -> list[Directive]:
    """Every fenced MyST directive of `text`, nested ones included."""
    lines = text.splitlines()
    found: list[Directive] = []
    i = 0
    while i < len(lines):
        opening = FENCE_OPEN.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening.group("fence")
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip() == fence),
            len(lines),
        )
        options: dict[str, str] = {}
        k = i + 1
        while k < end and (option := OPTION.match(lines[k])):
            options[option.group("key")] = option.group("value")
            k += 1
        body = "\n".join(lines[k:end])
        argument = lines[i][opening.end() :].strip()
        found.append(Directive(opening.group("directive"), argument, options, body))
        found += directives(body)  # a directive inside a solution, say
        i = end + 1
    return found


def theorem_names(text: str) -> set[str]:
    """NAME for every {prf:theorem} labelled thm-vjp-NAME."""
    return {
        d.options["label"].removeprefix("thm-vjp-")
        for d in directives(text)
        if d.name == "prf:theorem" and d.options.get("label", "").startswith("thm-vjp-")
    }


def included_objects(text: str) -> set[str]:
    """The :pyobject: of every literalinclude of vjpgrad's primitives.py."""
    return {
        d.options["pyobject"]
        for d in directives(text)
        if d.name == "literalinclude"
        and d.argument.endswith("code/vjpgrad/primitives.py")
        and "pyobject" in d.options
    }


def applied_classes(text: str) -> set[str]:
    """Names passed first to a call in an executed code cell: ``vjp(Sum, x)``."""
    return {
        match.group(1)
        for d in directives(text)
        if d.name == "code-cell"
        for match in re.finditer(r"\w\(\s*([A-Z]\w*)\s*,", d.body)
    }


def problems(text: str, registered: dict[str, str]) -> list[str]:
    """What the chapter lacks, for primitives `registered` as name -> class name."""
    found: list[str] = []
    theorems = theorem_names(text)
    included = included_objects(text)
    applied = applied_classes(text)
    for name, cls in sorted(registered.items()):
        if name not in theorems:
            found.append(f"{name}: no {{prf:theorem}} labelled thm-vjp-{name}")
        if cls not in included:
            found.append(f"{name}: {cls} is not included (:pyobject: {cls})")
        if cls not in applied:
            found.append(f"{name}: no executed cell checks it, as vjp({cls}, ...)")
    for name in sorted(theorems - set(registered) - SPECIAL_CASES):
        found.append(f"thm-vjp-{name}: {name} is not a registered primitive")
    return found


def builtins() -> dict[str, str]:
    """vjpgrad's own primitives (not ones a user registered): name -> class name."""
    return {
        name: cls.__name__
        for name, cls in PRIMITIVES.items()
        if cls.__module__ == primitives.__name__
    }


# --------------------------------------------------------------------------
# The real chapter
# --------------------------------------------------------------------------


def test_every_registered_primitive_has_its_theorem_code_and_check() -> None:
    assert len(builtins()) >= 20, "fewer primitives than vjpgrad 0.2 registers"
    assert problems(CHAPTER.read_text(encoding="utf-8"), builtins()) == []


def test_the_chapter_labels_are_found() -> None:
    """Guards the parser: the theorems the chapter has always had are seen."""
    names = theorem_names(CHAPTER.read_text(encoding="utf-8"))
    assert {"add", "unbroadcast", "dot", "matvec", "matmul", "sum"} <= names


# --------------------------------------------------------------------------
# The checker on synthetic chapters
# --------------------------------------------------------------------------

COMPLETE = """
```{prf:theorem} VJP of exp
:label: thm-vjp-exp

Text.
```

```{literalinclude} ../code/vjpgrad/primitives.py
:language: python
:pyobject: Exp
```

```{code-cell} ipython3
(grad_x,) = vjp(Exp, x)[1](g)
```

````{prf:theorem} VJP of log
:label: thm-vjp-log

```{math}
g / x
```
````

```{literalinclude} ../code/vjpgrad/primitives.py
:pyobject: Log
```

```{code-cell} ipython3
:tags: [hide-input]

assert_vjp_matches(Log, np.log, [x], g)
```
"""

REGISTERED = {"exp": "Exp", "log": "Log"}


def test_a_complete_chapter_passes() -> None:
    assert problems(COMPLETE, REGISTERED) == []


def test_a_primitive_without_its_theorem_fails() -> None:
    text = COMPLETE.replace(":label: thm-vjp-log", ":label: thm-log")
    assert problems(text, REGISTERED) == ["log: no {prf:theorem} labelled thm-vjp-log"]


def test_a_label_on_something_other_than_a_theorem_does_not_count() -> None:
    text = COMPLETE.replace("{prf:theorem} VJP of log", "{prf:lemma} VJP of log")
    assert problems(text, REGISTERED) == ["log: no {prf:theorem} labelled thm-vjp-log"]


def test_a_newly_registered_primitive_fails_until_the_chapter_has_it() -> None:
    assert problems(COMPLETE, {**REGISTERED, "tanh": "Tanh"}) == [
        "tanh: no {prf:theorem} labelled thm-vjp-tanh",
        "tanh: Tanh is not included (:pyobject: Tanh)",
        "tanh: no executed cell checks it, as vjp(Tanh, ...)",
    ]


def test_a_missing_include_or_check_fails() -> None:
    no_include = COMPLETE.replace(":pyobject: Log", ":pyobject: log_vjp")
    assert problems(no_include, REGISTERED) == ["log: Log is not included (:pyobject: Log)"]
    # an import or a mention in prose is not a check
    no_check = COMPLETE.replace(
        "assert_vjp_matches(Log, np.log, [x], g)",
        "from vjpgrad.primitives import (Exp, Log,\n    Sum)",
    )
    assert problems(no_check + "\nvjp(Log, x) in prose\n", REGISTERED) == [
        "log: no executed cell checks it, as vjp(Log, ...)"
    ]


def test_a_theorem_for_a_primitive_that_is_gone_fails() -> None:
    assert problems(COMPLETE, {"exp": "Exp"}) == ["thm-vjp-log: log is not a registered primitive"]
