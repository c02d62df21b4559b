"""The book's code comes from vjpgrad: chapters include package code, never copy it.

Runs against the SOURCE tree (no build needed):

    .venv/bin/python -m pytest tests/chapters/test_code_from_package.py

For every chapter ``book/*.md`` this extracts the Python code (``{code-cell}``
cells and fenced ``python``/``{code-block}`` blocks, also inside directives such
as ``{solution}`` or ``{tab-item}``) and fails when

1. a ``def NAME`` or ``class NAME`` redefines a name the package defines
   (a top-level function or class of ``code/vjpgrad/*.py`` anywhere in the
   chapter, or a package method name as a method of a class in the chapter;
   dunder methods such as ``__init__`` are exempt);
2. a function body in the chapter is identical, ignoring whitespace, comments
   and docstrings, to the body of a package function of at least
   ``MIN_STATEMENTS`` statements (a renamed copy is still a copy);
3. a ``{literalinclude}`` of ``../code/...`` names a file that does not exist,
   or a ``:pyobject:`` that is not defined in that file.

Show package code with ``{literalinclude}`` and ``:pyobject:`` instead of
retyping it. The tests at the bottom run the checker on synthetic chapters to
show that it does fail on a copy.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tools import myst
from tools.config import BOOK_DIR, PACKAGE_DIR, REPO_ROOT

MIN_STATEMENTS = 3

# Fenced blocks whose content is Python (language of ``` fences, or argument of
# ```{code-cell} / ```{code-block} / ```{code}). An empty language counts too.
PYTHON_LANGUAGES = {"", "python", "python3", "py", "ipython", "ipython3"}
CODE_DIRECTIVES = {"code-cell", "code-block", "code", "sourcecode"}


# --------------------------------------------------------------------------
# The package side: what is defined where
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageFunction:
    qualname: str  # e.g. "primitives.matmul_vjp" or "tensor.Tensor.backward"
    location: str  # e.g. "code/vjpgrad/primitives.py:42"
    body_key: str  # normalised body, see body_key()
    statements: int


@dataclass
class PackageIndex:
    # top-level function/class names -> where they are defined
    top_level: dict[str, list[str]] = field(default_factory=dict)
    # non-dunder method names -> where they are defined
    methods: dict[str, list[str]] = field(default_factory=dict)
    # every function (top level, method or nested) with its normalised body
    functions: list[PackageFunction] = field(default_factory=list)

    def long_bodies(self) -> dict[str, list[PackageFunction]]:
        """Functions of at least MIN_STATEMENTS statements, by normalised body."""
        by_body: dict[str, list[PackageFunction]] = {}
        for function in self.functions:
            if function.statements >= MIN_STATEMENTS:
                by_body.setdefault(function.body_key, []).append(function)
        return by_body


def strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[1:]
    return body


def body_key(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """The body as an AST dump: blind to whitespace, comments, docstring, quoting."""
    body = strip_docstring(node.body)
    return ast.dump(ast.Module(body=body, type_ignores=[]), include_attributes=False)


def count_statements(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Statements in the body at any depth, the docstring not counted."""
    return sum(
        1
        for stmt in strip_docstring(node.body)
        for sub in ast.walk(stmt)
        if isinstance(sub, ast.stmt)
    )


def is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def defined_objects(tree: ast.Module) -> set[str]:
    """Names a ``:pyobject:`` option can point to: ``name`` and ``Class.method``."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(f"{node.name}.{item.name}")
    return names


def index_functions(node: ast.AST, prefix: str, rel: str, index: PackageIndex) -> None:
    """Add every function under NODE (of file REL) to INDEX, nested ones too."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qualname = f"{prefix}.{child.name}"
            index.functions.append(
                PackageFunction(
                    qualname=qualname,
                    location=f"{rel}:{child.lineno}",
                    body_key=body_key(child),
                    statements=count_statements(child),
                )
            )
            index_functions(child, qualname, rel, index)
        elif isinstance(child, ast.ClassDef):
            index_functions(child, f"{prefix}.{child.name}", rel, index)
        else:
            index_functions(child, prefix, rel, index)


def index_package(package_dir: Path, root: Path = REPO_ROOT) -> PackageIndex:
    index = PackageIndex()
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        module = path.relative_to(package_dir).with_suffix("").as_posix().replace("/", ".")
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                index.top_level.setdefault(node.name, []).append(f"{rel}:{node.lineno}")
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not is_dunder(
                        item.name
                    ):
                        index.methods.setdefault(item.name, []).append(
                            f"{rel}:{item.lineno} ({node.name}.{item.name})"
                        )
        index_functions(tree, module, rel, index)
    return index


# --------------------------------------------------------------------------
# The book side: code blocks and literalincludes in MyST Markdown
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeBlock:
    line: int  # the line before the code's first line, so that line + n is its line n
    source: str


@dataclass(frozen=True)
class Include:
    line: int
    path: str
    options: dict[str, str]


def parse_markdown(text: str) -> tuple[list[CodeBlock], list[Include]]:
    """Python code blocks and literalincludes of a MyST document, nested ones too."""
    code: list[CodeBlock] = []
    includes: list[Include] = []
    for block in myst.walk(text):
        language = block.argument.split()[0].lower() if block.argument else ""
        if block.kind == "directive" and block.name == "literalinclude":
            includes.append(Include(block.start, block.argument, block.options))
        elif (block.kind == "directive" and block.name in CODE_DIRECTIVES) or (
            block.kind == "code" and not block.fence.startswith(":")
        ):
            if block.kind == "code":
                language = block.name.lower()
            if language in PYTHON_LANGUAGES:
                code.append(CodeBlock(block.body_line - 1, block.body))
    return code, includes


def python_source(block: str) -> str:
    """Cell source with IPython magics and shell escapes blanked (line numbers kept)."""
    return "\n".join("" if re.match(r"^\s*[%!]", line) else line for line in block.splitlines())


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


# The methods a primitive defines (a subclass of vjpgrad.Node): a chapter that writes
# a primitive of its own implements them, which copies nothing.
PRIMITIVE_INTERFACE = {"save"}


def subclasses_node(cls: ast.ClassDef) -> bool:
    """Whether the class derives from vjpgrad's Node (``Node`` or ``vjpgrad.Node``)."""
    return any(ast.unparse(base).split(".")[-1] == "Node" for base in cls.bases)


def check_code_block(chapter: str, block: CodeBlock, index: PackageIndex) -> list[str]:
    problems: list[str] = []
    source = python_source(block.source)
    where = f"{chapter}, code block at line {block.line}"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # Not parseable: still catch the definitions with a regular expression.
        for match in re.finditer(r"^\s*(?:async\s+)?(def|class)\s+(\w+)", source, re.M):
            kind, name = match.groups()
            if name in index.top_level:
                problems.append(
                    f"{where}: `{kind} {name}` redefines vjpgrad's `{name}` "
                    f"({', '.join(index.top_level[name])}); include it with "
                    "{literalinclude} and :pyobject: instead of copying it"
                )
        return problems

    by_body = index.long_bodies()

    def visit(node: ast.AST, in_class: bool, primitive: bool = False) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                kind = "class" if isinstance(child, ast.ClassDef) else "def"
                line = block.line + child.lineno  # fence line + line inside block
                if primitive and child.name in PRIMITIVE_INTERFACE:
                    pass  # a primitive of the chapter's own implements the interface
                elif child.name in index.top_level:
                    problems.append(
                        f"{chapter}, line {line}: `{kind} {child.name}` redefines vjpgrad's "
                        f"`{child.name}` ({', '.join(index.top_level[child.name])}); include "
                        "it with {literalinclude} and :pyobject: instead of copying it"
                    )
                elif in_class and kind == "def" and child.name in index.methods:
                    problems.append(
                        f"{chapter}, line {line}: method `{child.name}` redefines vjpgrad's "
                        f"method ({', '.join(index.methods[child.name])}); use the package's "
                        "class instead of a copy of it"
                    )
                if kind == "def":
                    for twin in by_body.get(body_key(child), []):
                        problems.append(
                            f"{chapter}, line {line}: the body of `{child.name}` is a copy of "
                            f"vjpgrad's `{twin.qualname}` ({twin.location}); call or "
                            "{literalinclude} the package function instead"
                        )
                visit(
                    child,
                    in_class=isinstance(child, ast.ClassDef),
                    primitive=isinstance(child, ast.ClassDef) and subclasses_node(child),
                )
            else:
                visit(child, in_class, primitive)

    visit(tree, in_class=False)
    return problems


def check_include(chapter: str, chapter_dir: Path, include: Include) -> list[str]:
    target = (chapter_dir / include.path).resolve()
    code_dir = (REPO_ROOT / "code").resolve()
    if not include.path.startswith("../code/") and not target.is_relative_to(code_dir):
        return []
    where = f"{chapter}, line {include.line}: {{literalinclude}} {include.path}"
    if not target.is_file():
        return [f"{where}: no such file ({target})"]
    pyobject = include.options.get("pyobject")
    if pyobject is None:
        return []
    defined = defined_objects(ast.parse(target.read_text(), filename=str(target)))
    if pyobject not in defined:
        return [f"{where}: :pyobject: {pyobject} is not defined in that file"]
    return []


def check_chapter(
    chapter: str, text: str, index: PackageIndex, chapter_dir: Path = BOOK_DIR
) -> list[str]:
    """Every problem found in one chapter's Markdown, as readable messages."""
    code, includes = parse_markdown(text)
    problems: list[str] = []
    for block in code:
        problems += check_code_block(chapter, block, index)
    for include in includes:
        problems += check_include(chapter, chapter_dir, include)
    return problems


# --------------------------------------------------------------------------
# Tests on the real book
# --------------------------------------------------------------------------

CHAPTERS = sorted(BOOK_DIR.glob("*.md"))


@pytest.fixture(scope="module")
def package_index() -> PackageIndex:
    if not PACKAGE_DIR.is_dir():
        pytest.fail(f"no package sources at {PACKAGE_DIR}")
    return index_package(PACKAGE_DIR)


def test_package_index_finds_the_vjp_functions(package_index: PackageIndex) -> None:
    """Guard against a checker that silently finds nothing to compare with."""
    assert package_index.top_level, f"no functions or classes found in {PACKAGE_DIR}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_code_comes_from_the_package(chapter: Path, package_index: PackageIndex) -> None:
    name = chapter.relative_to(REPO_ROOT).as_posix()
    problems = check_chapter(name, chapter.read_text(), package_index, chapter.parent)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# Tests of the checker itself, on synthetic chapters (never the real ones)
# --------------------------------------------------------------------------

FAKE_PACKAGE = '''
"""A fake vjpgrad for testing the checker."""
import numpy as np


def unbroadcast(g, shape):
    """Sum g down to shape."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def exp_vjp(g, out, x):
    return (g * out,)


class Node:
    def save(self, out, *inputs):
        """Keep what the VJPs read."""


class Exp(Node):
    def save(self, out, x):
        self.out = out


class Tensor:
    def __init__(self, value):
        self.value = value

    def backward(self, gradient=None):
        if gradient is None:
            gradient = np.ones_like(self.value)
        self.grad = gradient
        return self
'''

CELL_HEADER = "```{code-cell} ipython3\n"


def fake_index(tmp_path: Path) -> PackageIndex:
    package = tmp_path / "code" / "vjpgrad"
    package.mkdir(parents=True)
    (package / "primitives.py").write_text(FAKE_PACKAGE)
    return index_package(package, tmp_path)


def fake_chapter(tmp_path: Path, markdown: str) -> tuple[str, Path]:
    book = tmp_path / "book"
    book.mkdir(exist_ok=True)
    return textwrap.dedent(markdown), book


def test_checker_accepts_code_that_uses_the_package(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        # A clean chapter

        ```{code-cell} ipython3
        :tags: [remove-cell]

        try:
            import vjpgrad
        except ImportError:
            %pip install --quiet vjpgrad
        ```

        ```{code-cell} ipython3
        from vjpgrad.primitives import exp_vjp, unbroadcast

        def f(x):
            return np.exp(x).sum()
        ```
        """,
    )
    assert check_chapter("book/clean.md", text, index, book) == []


def test_checker_rejects_a_redefined_package_function(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        Some prose.

        ```{code-cell} ipython3
        def exp_vjp(g, out, x):
            return (g * np.exp(x),)
        ```
        """,
    )
    problems = check_chapter("book/scratch.md", text, index, book)
    assert len(problems) == 1, problems
    assert "book/scratch.md" in problems[0] and "`def exp_vjp`" in problems[0]
    assert "line 5" in problems[0]  # the line of the `def` in the chapter


def test_checker_rejects_a_renamed_copy_despite_comments_and_spacing(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        '''
        ```python
        def sum_to_shape(g, shape):
            """My own version (it is not)."""
            while g.ndim   >  len(shape):   # drop leading axes
                g = g.sum(axis = 0)
            for axis, size in enumerate(shape):
                if size == 1:
                    g = g.sum(axis=axis, keepdims=True)
            return g
        ```
        ''',
    )
    problems = check_chapter("book/scratch.md", text, index, book)
    assert len(problems) == 1, problems
    assert "`sum_to_shape`" in problems[0] and "primitives.unbroadcast" in problems[0]


def test_checker_ignores_short_bodies_and_dunders(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        ```{code-cell} ipython3
        def my_exp_vjp(g, out, x):
            return (g * out,)

        class Point:
            def __init__(self, value):
                self.value = value
        ```
        """,
    )
    assert check_chapter("book/scratch.md", text, index, book) == []


def test_checker_rejects_a_copied_method(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        ```{code-cell} ipython3
        class MyTensor:
            def backward(self, gradient=None):
                self.grad = gradient
        ```
        """,
    )
    problems = check_chapter("book/scratch.md", text, index, book)
    assert len(problems) == 1 and "method `backward`" in problems[0], problems


def test_checker_accepts_a_primitive_of_the_chapters_own(tmp_path: Path) -> None:
    """A Node subclass written in the chapter implements `save`: it copies nothing.
    The same method in a class that is not a primitive is still a copy."""
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        ```{code-cell} ipython3
        class Sin(vjpgrad.Node):
            def save(self, out, x):
                self.x = x
        ```
        """,
    )
    assert check_chapter("book/scratch.md", text, index, book) == []
    text, book = fake_chapter(
        tmp_path,
        """
        ```{code-cell} ipython3
        class Recorder:
            def save(self, out, x):
                self.x = x
        ```
        """,
    )
    problems = check_chapter("book/scratch.md", text, index, book)
    assert len(problems) == 1 and "method `save`" in problems[0], problems


def test_checker_looks_inside_directives_and_skips_other_languages(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        ````{solution} ex-one
        :label: sol-one
        :class: dropdown

        ```python
        class Tensor:
            pass
        ```
        ````

        ```text
        def exp_vjp(g, out, x): this is not Python code
        ```
        """,
    )
    problems = check_chapter("book/scratch.md", text, index, book)
    assert len(problems) == 1 and "`class Tensor`" in problems[0], problems


def test_checker_checks_literalincludes(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    text, book = fake_chapter(
        tmp_path,
        """
        ```{literalinclude} ../code/vjpgrad/primitives.py
        :language: python
        :pyobject: exp_vjp
        ```

        ```{literalinclude} ../code/vjpgrad/primitives.py
        :pyobject: Tensor.backward
        ```

        ```{literalinclude} ../code/vjpgrad/primitives.py
        :pyobject: log_vjp
        ```

        ```{literalinclude} ../code/vjpgrad/missing.py
        :pyobject: exp_vjp
        ```
        """,
    )
    problems = check_chapter("book/scratch.md", text, index, book)
    assert len(problems) == 2, problems
    assert ":pyobject: log_vjp is not defined" in problems[0]
    assert "missing.py: no such file" in problems[1]


def test_checker_catches_a_copy_of_a_real_package_function(
    tmp_path: Path, package_index: PackageIndex
) -> None:
    """Paste the longest real package function, renamed, into a scratch chapter."""
    longest = None
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.FunctionDef)
                and count_statements(node) >= MIN_STATEMENTS
                and (longest is None or count_statements(node) > count_statements(longest[0]))
            ):
                longest = (node, source)
    assert longest is not None, "found no package function long enough to copy"
    node, source = longest
    copy = textwrap.dedent(ast.get_source_segment(source, node, padded=True))
    copy = re.sub(rf"\bdef {node.name}\b", "def renamed_copy", copy, count=1)
    text = f"# Scratch\n\n{CELL_HEADER}import numpy as np\n\n{copy}\n```\n"
    problems = check_chapter("book/scratch.md", text, package_index, tmp_path)
    assert any("`renamed_copy`" in p and node.name in p for p in problems), problems
