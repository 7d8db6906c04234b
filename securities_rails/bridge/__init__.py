"""The bridge's off-chain processes: validators attest messages, the relayer delivers them, the
reconciler checks that home custody backs the remote mirror supply.

Modules: ``messages`` (the message, its EIP-712 id, signatures, refunds), ``deployment`` (the
deployment file), ``endpoint`` (one endpoint on its chain, through ``securities_rails.chain.rpc``),
``store`` (cursors, messages, signatures, submissions in SQLite or PostgreSQL), ``metrics``
(Prometheus and JSON-lines logs), ``validator``, ``relayer``, ``reconciler``, ``process`` (the
command line); ``deploy``, ``governance`` and ``operations`` serve ``ape run bridge``. Importing
the package imports none of them.
"""
