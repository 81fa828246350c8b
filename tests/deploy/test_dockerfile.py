"""The Dockerfile, checked statically (no Docker engine on CI)."""

from __future__ import annotations

import pytest

from tests.deploy.dockerfile_checks import (
    check_dockerfile,
    dockerignore_patterns,
    ignored,
    instructions,
    package_inputs,
)
from tests.deploy.stack_files import DOCKERFILE, DOCKERIGNORE


@pytest.fixture
def text() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def one(problems: list[str], *fragments: str) -> None:
    assert any(all(f in problem for f in fragments) for problem in problems), problems


def test_real_dockerfile_passes(text: str) -> None:
    assert check_dockerfile(text) == []


def test_package_inputs_come_from_pyproject() -> None:
    assert package_inputs() == {
        "pyproject.toml",
        "README.md",
        "worker.py",
        "rebalancer",
        "workflows",
        "activities",
    }


def test_instructions_join_continuations() -> None:
    steps = instructions("FROM a:1 AS b\n# note\nRUN x \\\n    && y\nUSER 1\n")
    assert [(s.keyword, s.arguments) for s in steps] == [
        ("FROM", "a:1 AS b"),
        ("RUN", "x && y"),
        ("USER", "1"),
    ]


def test_dockerignore_matching() -> None:
    patterns = dockerignore_patterns(DOCKERIGNORE)
    assert ignored("tests", patterns)
    assert ignored("rebalancer/__pycache__/x.pyc", patterns)
    assert ignored("deploy/paper-credentials.json", patterns)
    assert not ignored("rebalancer", patterns)
    assert not ignored("README.md", patterns)
    assert ignored("a/b", ["a", "!a/c"])
    assert not ignored("a/c", ["a", "!a/c"])


def test_copy_of_a_missing_file(text: str) -> None:
    one(check_dockerfile(text.replace("COPY rebalancer ", "COPY rebalancerr ")), "rebalancerr")


def test_copy_of_an_ignored_path(text: str) -> None:
    broken = text.replace("COPY activities ./activities", "COPY tests ./tests")
    problems = check_dockerfile(broken)
    one(problems, "COPY tests", ".dockerignore excludes it")
    one(problems, "needs activities, which is not copied")


def test_readme_must_be_copied(text: str) -> None:
    broken = text.replace(
        "COPY pyproject.toml README.md worker.py", "COPY pyproject.toml worker.py"
    )
    one(check_dockerfile(broken), "needs README.md")


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (
            "FROM python:3.11.11-slim-bookworm AS build",
            "FROM python:latest AS build",
            "pin a version",
        ),
        ("USER 10001:10001", "USER root", "must not be root"),
        ('ENTRYPOINT ["rebalancer"]', 'ENTRYPOINT ["python"]', "ENTRYPOINT"),
        ('CMD ["worker"]', 'CMD ["wrker"]', "not a rebalancer command"),
        ("HEALTHCHECK ", "# HEALTHCHECK ", "needs a HEALTHCHECK"),
        ("REBALANCER_LOG_FORMAT=json", "REBALANCER_LOGFORMAT=json", "REBALANCER_LOGFORMAT"),
        ("EXPOSE 9464", "EXPOSE 9000", "metrics port 9464"),
    ],
)
def test_dockerfile_problems(text: str, old: str, new: str, fragment: str) -> None:
    assert old in text
    one(check_dockerfile(text.replace(old, new)), fragment)
