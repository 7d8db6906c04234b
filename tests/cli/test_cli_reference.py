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
