"""The README stays true: its commands run as written (and print what it shows), its pictures
exist, and its configuration reference names every variable."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def manage_commands() -> list[str]:
    """Every `.venv/bin/python manage.py …` line of the README's shell blocks."""
    return [
        line.strip()
        for block in shell_blocks()
        for line in block.splitlines()
        if line.strip().startswith(".venv/bin/python manage.py")
    ]


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = command.split()
    args[0] = sys.executable  # .venv/bin/python, whichever environment runs the tests
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_the_two_commands_come_first():
    first = shell_blocks()[0].split("\n")
    assert first[0].startswith("make run")
    assert first[1].startswith("make test")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.slow
def test_the_readme_commands_run_as_written(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_DEBUG": "true",
        "DSR_OUTBOX_PRINT": "false",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    commands = manage_commands()
    assert any("dsr_totp officer@demo.example" in c for c in commands)
    demo = subprocess.run(
        [sys.executable, "manage.py", "dsr_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "officer@demo.example" in demo.stdout
    for command in commands:
        result = run(command, env)
        assert result.returncode == 0, (command, result.stderr[-2000:])
        if "dsr_totp" in command:
            assert re.fullmatch(r"\d{6}", result.stdout.strip()), result.stdout
        if "dsr_deadline" in command:
            shown = README.split(command, 1)[1].splitlines()[1]
            assert json.loads(result.stdout) == json.loads(shown)


def test_every_picture_exists():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert len(pictures) >= 7
    for picture in pictures:
        assert (ROOT / picture).is_file(), picture


def test_the_configuration_reference_names_every_variable():
    example = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    reference = README.split("### Every variable", 1)[1].split("\n## ", 1)[0]
    missing = sorted(name for name in names if f"`{name}`" not in reference)
    assert not missing, missing


def test_the_worked_connector_example_is_a_working_connector():
    import httpx

    from connectors.base import Capability, ConnectorUnavailable, SubjectIdentity

    source = re.search(r"```python\n(# newsletter\.py\n.*?)```", README, flags=re.S)
    assert source is not None
    namespace: dict[str, object] = {}
    exec(compile(source.group(1), "newsletter.py", "exec"), namespace)  # noqa: S102
    connector_class = namespace["NewsletterConnector"]
    backend = connector_class("newsletter", {"url": "http://127.0.0.1:9", "token": "t"})  # type: ignore[operator]
    assert Capability.OBJECT in backend.capabilities
    # Nothing listens on port 9: a retry later, in our own words.
    with pytest.raises(ConnectorUnavailable, match="ConnectError"):
        backend.locate(SubjectIdentity(email="erika@example.org"))
    assert httpx  # the example's one dependency is the portal's own
