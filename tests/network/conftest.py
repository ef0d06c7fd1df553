"""Fixtures for the multi-process ledger: a 3-member etcd cluster on 127.0.0.1, always
stopped by the fixture that started it."""

from __future__ import annotations

import shutil

import pytest

from reference.network.etcd import EtcdCluster


@pytest.fixture
def etcd_cluster(tmp_path):
    if shutil.which("etcd") is None:
        pytest.skip("etcd is not installed (Debian package etcd-server)")
    cluster = EtcdCluster.start(tmp_path, members=3)
    try:
        yield cluster
    finally:
        cluster.stop()
