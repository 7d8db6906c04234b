"""The one place that talks to chains: contract handles, deployment, transactions, reverts.

Everything above this package (registry, token and rules services, the CLI scripts) goes through
it; nothing here imports from those layers.
"""
