"""docs/cli.md must describe every command and option the scripts have."""

from pathlib import Path

import click

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()


def test_every_issuer_command_and_option_is_documented(script):
    cli = script("issuer").cli
    for name, command in cli.commands.items():
        assert f"### `ape run issuer {name}`" in DOC, name
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "network":
                assert f"`{param.opts[0]}`" in DOC, f"{name} {param.opts[0]}"


def test_every_deploy_option_is_documented(script):
    for param in script("deploy").cli.params:
        if isinstance(param, click.Option) and param.name != "network":
            assert f"`{param.opts[0]}`" in DOC, param.opts[0]


def _section(title: str) -> str:
    """The text of docs/cli.md under the heading `### \\`<title>\\`` (to the next heading)."""
    heading = f"### `{title}`"
    assert heading in DOC, title
    rest = DOC.split(heading, 1)[1]
    return rest.split("\n#", 1)[0]


def test_every_corporate_action_command_and_option_is_documented_in_its_section(script):
    cli = script("corporate-action").cli
    assert "## `ape run corporate-action`" in DOC
    for name, command in cli.commands.items():
        section = _section(f"ape run corporate-action {name}")
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "network":
                assert f"| `{param.opts[0]}` |" in section, f"{name} {param.opts[0]}"
