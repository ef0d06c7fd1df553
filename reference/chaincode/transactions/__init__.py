"""The chaincode's transactions, one module per chapter of the protocol, in the order of
``spec/actions.py``: ``accounts`` (genesis, identities, funding), ``catalogue``,
``requests``, ``licences``, ``vendors``, ``developer``, ``bisection``, ``misuse``,
``deadlines``, and the read-only ``queries``. Each module holds one mixin class of
:class:`~reference.chaincode.contract.MarketplaceChaincode`, built on the shared checks
(:mod:`reference.chaincode.shared_checks`) and the escrow (:mod:`reference.chaincode.escrow`).
"""
