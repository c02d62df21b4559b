"""The MyST reader finds what Sphinx finds: fences of every kind, at any depth."""

from __future__ import annotations

import textwrap

from tools import myst

CHAPTER = textwrap.dedent(
    """\
    (ch-demo)=
    # Demo

    ```{code-cell} ipython3
    :tags: [remove-cell]

    x = 1
    ```

    ````{prf:definition} Thing
    :label: def-thing

    Text with {prf:ref}`thm-other` and $x$.

    ```python
    y = 2
    ```
    ````

    ::::{tab-set}
    :::{tab-item} PyTorch
    ~~~python
    z = 3
    ~~~
    :::
    ::::

    - a list item

      ```python
      w = 4
      ```

    $$
    a = b
    $$ (eq-demo)

    ```{code-cell} ipython3
    ---
    mystnb:
      figure:
        name: fig-demo
    ---
    print("{prf:ref}`not-a-role`")
    ```
    """
)


def test_top_level_blocks_in_order() -> None:
    kinds = [(b.kind, b.name) for b in myst.blocks(CHAPTER)]
    assert kinds == [
        ("target", "ch-demo"),
        ("heading", ""),
        ("directive", "code-cell"),
        ("directive", "prf:definition"),
        ("directive", "tab-set"),
        ("bullet_list", ""),
        ("math", "eq-demo"),
        ("directive", "code-cell"),
    ]


def test_directive_argument_options_and_body_lines() -> None:
    cell, definition = [b for b in myst.blocks(CHAPTER) if b.kind == "directive"][:2]
    assert (cell.start, cell.end, cell.options) == (4, 8, {"tags": "[remove-cell]"})
    assert cell.body.splitlines() == ["", "x = 1"] and cell.body_line == 6
    assert (definition.argument, definition.options["label"]) == ("Thing", "def-thing")
    yaml_cell = myst.blocks(CHAPTER)[-1]
    assert yaml_cell.options["mystnb"]["figure"]["name"] == "fig-demo"
    assert yaml_cell.body.strip() == 'print("{prf:ref}`not-a-role`")'


def test_walk_finds_code_in_directives_tabs_and_lists_with_their_lines() -> None:
    lines = CHAPTER.splitlines()
    code = [b for b in myst.walk(CHAPTER) if b.kind == "code"]
    assert [b.body for b in code] == ["y = 2", "z = 3", "w = 4"]
    assert [b.fence for b in code] == ["```", "~~~", "```"]
    for block in code:  # body_line is the line the code is on in the chapter
        assert lines[block.body_line - 1].strip() == block.body


def test_roles_inside_directives_but_not_inside_code() -> None:
    found = [(r.name, r.target) for r in myst.roles(CHAPTER)]
    assert found == [("prf:ref", "thm-other")]


def test_role_text_and_target() -> None:
    role = myst.Role("ref", "the rule <thm-chain-rule>")
    assert (role.text, role.target) == ("the rule", "thm-chain-rule")
    assert (myst.Role("eq", "eq-demo").text, myst.Role("eq", "eq-demo").target) == ("", "eq-demo")


def test_a_longer_fence_holds_a_shorter_one() -> None:
    text = "````{solution} ex-1\n```python\nclass A:\n    pass\n```\n````\n"
    (solution, code) = myst.walk(text)
    assert solution.name == "solution" and code.kind == "code" and code.body_line == 3
