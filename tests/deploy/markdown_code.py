"""Code in the Markdown docs: fenced blocks by language, inline spans, and shell commands."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

FENCE = re.compile(r"^[ \t]*```(\w*)[ \t]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)?)`(?!`)")
COMPOSE_PREFIX = re.compile(r"^docker compose (?:-f \S+ )+(?:exec|run --rm) (?:-T )?\S+ ")


def fenced(path: Path, *languages: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        _dedent(match.group(2)) for match in FENCE.finditer(text) if match.group(1) in languages
    ]


def inline(path: Path) -> list[str]:
    """Inline code spans outside fenced blocks, whitespace collapsed."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return [" ".join(match.group(1).split()) for match in INLINE.finditer(text)]


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def shell_lines(block: str) -> list[str]:
    """Command lines of a shell block: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")
    ]


def argv(line: str) -> list[str]:
    """A command line's words: leading VAR=value assignments and pipes after it removed."""
    words = shlex.split(line.split(" | ")[0], comments=True)
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words.pop(0)
    return words


def commands_of(program: str, texts: list[str]) -> list[list[str]]:
    """``program``'s argument lists, from shell lines and inline spans, also when run through
    ``docker compose -f ... exec <service>``."""
    found = []
    for text in texts:
        for line in shell_lines(text):
            stripped = COMPOSE_PREFIX.sub("", line)
            words = argv(stripped)
            if words[:1] == [program]:
                found.append(words)
    return found
