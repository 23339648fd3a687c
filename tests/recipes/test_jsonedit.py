"""Round-trip JSON edits: the text around the change stays byte for byte, or nothing changes."""

from __future__ import annotations

import pytest

from healing_guard.recipes.jsonedit import JsonEditError, set_member
from healing_guard.recipes.python_deps import add_to_setup_cfg


@pytest.mark.parametrize(
    ("text", "path", "key", "value", "expected"),
    [
        # sorted keys: the new one in its place, here before the first
        (
            '{\n  "deps": {\n    "b": "1",\n    "c": "2"\n  }\n}\n',
            ("deps",),
            "a",
            "*",
            '{\n  "deps": {\n    "a": "*",\n    "b": "1",\n    "c": "2"\n  }\n}\n',
        ),
        # unsorted keys: at the end
        (
            '{\n  "deps": {\n    "z": "1",\n    "b": "2"\n  }\n}\n',
            ("deps",),
            "a",
            "*",
            '{\n  "deps": {\n    "z": "1",\n    "b": "2",\n    "a": "*"\n  }\n}\n',
        ),
        # an empty object
        ('{\n  "deps": {}\n}\n', ("deps",), "a", "*", '{\n  "deps": {\n    "a": "*"\n  }\n}\n'),
        # a value replaced, the rest untouched (escapes, unicode, a brace inside a string)
        (
            '{"name": "x}\\"{", "jest": {"testTimeout": 5000, "e": "é"}}',
            ("jest",),
            "testTimeout",
            10000,
            '{"name": "x}\\"{", "jest": {"testTimeout": 10000, "e": "é"}}',
        ),
        # missing parents are created
        (
            '{\n\t"name": "x"\n}\n',
            ("jest",),
            "testTimeout",
            10000,
            '{\n\t"name": "x",\n\t"jest": {\n\t\t"testTimeout": 10000\n\t}\n}\n',
        ),
    ],
)
def test_set_member_keeps_the_rest_of_the_text(
    text: str, path: tuple[str, ...], key: str, value: object, expected: str
) -> None:
    assert set_member(text, path, key, value) == expected


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('{"deps": {"a": 1,}}', ("deps",)),  # not JSON (a trailing comma)
        ("[1, 2]", ()),  # not an object
        ('{"deps": "1.0"}', ("deps",)),  # the path is not an object
        ("// comment\n{}", ()),  # JSON with comments is not JSON
    ],
)
def test_what_is_not_edited(text: str, path: tuple[str, ...]) -> None:
    with pytest.raises(JsonEditError):
        set_member(text, path, "a", "*")


def test_setup_cfg_single_line_install_requires_and_no_key() -> None:
    text = "[metadata]\nname = x\n\n[options]\ninstall_requires = requests\nzip_safe = no\n"
    assert add_to_setup_cfg(text, "PyYAML") == (
        "[metadata]\nname = x\n\n[options]\ninstall_requires = requests\n    PyYAML\nzip_safe = no\n"
    )
    assert add_to_setup_cfg("[options]\npackages = find:\n", "PyYAML") is None
    with pytest.raises(ValueError, match="does not parse"):
        add_to_setup_cfg("[options\ninstall_requires =\n", "PyYAML")
