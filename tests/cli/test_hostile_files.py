"""Files a user points a command at (settings, credentials, paper accounts) fail in one line
whatever their bytes: nesting past the recursion limit and integers past Python's 4,300
digits used to reach the user as tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.text_files import parse_json, parse_yaml
from tests.cli.test_hostile_cli import cli

DEPTH = 50_000
# Past the recursion limit already (YAML's parser recurses in Python, several frames a level).
YAML_DEPTH = 1_500
HOSTILE_JSON = {
    "nested objects": '{"a":' * DEPTH + "1" + "}" * DEPTH,
    "nested arrays": '{"accounts": ' + "[" * DEPTH + "]" * DEPTH + "}",
    "a 5,000-digit integer": '{"accounts": 1' + "0" * 5000 + "}",
    "truncated": '{"accounts": {"a": ',
    "NaN": '{"accounts": NaN}',
    # Exact numbers (Decimal) refuse an exponent past the context's; a float reads it as inf.
    "a huge exponent": '{"accounts": 1e99999999999999999999}',
}
HOSTILE_YAML = {
    "nested flow lists": "a: " + "[" * YAML_DEPTH + "]" * YAML_DEPTH,
    "a 5,000-digit integer": "a: 1" + "0" * 5000,
    "unclosed list": "a: [1,\n  b",
    "a tab in indentation": "a:\n\t- 1",
}


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _one_line_refusal(code: int, stderr: str, field: str) -> None:
    assert code == 2, stderr[:500]
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr[:2000]
    assert lines[0].startswith(f"rebalancer: error: {field}"), lines[0][:300]
    assert len(lines[0]) < 400


# The nested YAML case is the parser's alone (below): under the harness's tracemalloc its
# recursion takes 20 s, and the command's path to the parser is the other cases'.
# Settings read JSON's numbers as floats (timeouts): a huge exponent is inf there, refused
# by the setting it names rather than by the parser.
SETTINGS_CASES = [
    ("json", case, text) for case, text in sorted(HOSTILE_JSON.items()) if "exponent" not in case
] + [("yaml", case, text) for case, text in sorted(HOSTILE_YAML.items()) if "nested" not in case]


@pytest.mark.parametrize(
    ("suffix", "case", "text"), SETTINGS_CASES, ids=[f"{s} {c}" for s, c, _ in SETTINGS_CASES]
)
def test_a_hostile_settings_file_is_refused_in_one_line(
    suffix: str, case: str, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, f"settings.{suffix}", text)
    monkeypatch.setenv("REBALANCER_CONFIG_FILE", str(path))
    result = cli(["db", "status"])
    _one_line_refusal(result.code, result.stderr, f"REBALANCER_CONFIG_FILE {path}")
    assert f"not valid {suffix.upper()}" in result.stderr


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_a_hostile_credentials_file_is_refused_in_one_line(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "credentials.json", HOSTILE_JSON[case])
    monkeypatch.setenv("REBALANCER_CREDENTIALS_FILE", str(path))
    result = cli(["paper", "account", "add", "alice", "--fund", "USDT=100"])
    _one_line_refusal(result.code, result.stderr, str(path))


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_a_hostile_paper_accounts_file_is_refused_in_one_line(case: str, tmp_path: Path) -> None:
    path = _write(tmp_path, "accounts.json", HOSTILE_JSON[case])
    result = cli(["paper-venue", "--accounts-file", str(path)])
    _one_line_refusal(result.code, result.stderr, "--accounts-file")


NOT_UTF8 = b'{"accounts": "\xff\xfe"}'
FILE_COMMANDS = {
    "settings": ("REBALANCER_CONFIG_FILE", ["db", "status"], "REBALANCER_CONFIG_FILE"),
    "credentials": (
        "REBALANCER_CREDENTIALS_FILE",
        ["paper", "account", "add", "alice", "--fund", "USDT=100"],
        "",
    ),
    "paper accounts": ("", ["paper-venue", "--accounts-file"], "--accounts-file"),
}


@pytest.mark.parametrize("which", sorted(FILE_COMMANDS))
def test_a_file_that_is_not_utf8_is_refused_in_one_line(
    which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "file.json", NOT_UTF8)
    variable, argv, field = FILE_COMMANDS[which]
    if variable:
        monkeypatch.setenv(variable, str(path))
    else:
        argv = [*argv, str(path)]
    result = cli(argv)
    _one_line_refusal(result.code, result.stderr, field or str(path))
    assert "is not UTF-8 text" in result.stderr


PARSERS: dict[str, tuple[Callable[[str, str], object], dict[str, str]]] = {
    "json": (parse_json, HOSTILE_JSON),
    "yaml": (parse_yaml, HOSTILE_YAML),
}


@pytest.mark.parametrize(
    ("parser", "case"),
    [(name, case) for name, (_, cases) in PARSERS.items() for case in sorted(cases)],
)
def test_every_parse_failure_is_invalid_input_naming_the_file(parser: str, case: str) -> None:
    parse, cases = PARSERS[parser]
    with pytest.raises(InvalidInput) as refused:
        parse(cases[case], "the file")
    assert refused.value.field == "the file"
    # The interpreter's own advice (``sys.set_int_max_str_digits``) is not the user's.
    assert "sys." not in refused.value.rule
