"""``python -m securities_rails.bridge validator|relayer|reconcile ...`` (see process.py)."""

from securities_rails.bridge.process import cli

if __name__ == "__main__":
    cli(prog_name="python -m securities_rails.bridge")
