"""The ledger as a network of processes: an etcd cluster (Raft) that orders, orderer
nodes that cut blocks through it, and the launcher that starts and stops them.

* ``etcd.EtcdCluster`` — a local etcd 3.4 cluster on 127.0.0.1 ports;
* ``ordering.EtcdOrderer`` / ``ordering.EtcdOrderingService`` — ordering on etcd's log,
  with Fabric's block cutter, one leader at a time and a compare-and-swap per block;
* ``ordering.etcd_ordering`` — an ordering factory for ``reference.ledger.Network``.

Imports nothing of the project outside ``reference/``.
"""
