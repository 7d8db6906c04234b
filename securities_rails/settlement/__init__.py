"""Settlement: delivery versus payment on one chain (DvPEscrow) and across two (hashed timelocks).

- ``deploy``: the escrow (behind a proxy), the hashed-timelock escrow and cash tokens, recorded
  in the deployment record; the escrows registered as system accounts of the investor registry.
- ``trades``: instruct, affirm, settle, cancel, reclaim, each checked against the chain first.
- ``views``: a trade as the chain has it, and the list of trades.
- ``messages``: ISO 20022 sese.023 in, sese.024 and sese.025 out.
- ``htlc``: the cross-chain exchange of a security on one chain against cash on another.
"""
