"""The catalogue: ``register_dataset``, ``register_model``, ``register_vendor`` (the chapter
of the same name in ``spec/actions.py``).
"""

from __future__ import annotations

from reference.chaincode.arguments import (
    MAX_COUNT,
    MAX_TIME,
    malformed,
)
from reference.chaincode.call import Call
from reference.chaincode.codes import MarketCode, Rejected
from reference.chaincode.escrow import Escrow
from reference.chaincode.records import (
    DatasetRecord,
    Licence,
    ModelRecord,
    OfferRecord,
    dataset_key,
    model_key,
    offer_key,
)
from reference.chaincode.rules import (
    misuse_compensation,
)
from reference.chaincode.shared_checks import SharedChecks

X25519_KEY_BYTES = 32


class CatalogueTransactions(SharedChecks, Escrow):
    """The catalogue: ``register_dataset``, ``register_model``, ``register_vendor``."""

    def register_dataset(self, call: Call) -> None:
        args = call.args
        dataset = args.identifier("dataset")
        commitment = args.digest("commitment")
        train_rows_root = args.digest("train_rows_root")
        train_rows = args.integer("train_rows", MAX_COUNT)
        feature_count = args.integer("feature_count", MAX_COUNT)
        price = args.integer("price")
        misuse_value = args.integer("misuse_value")
        purposes = args.text_list("purposes")
        expiry = args.integer("expiry", MAX_TIME)
        max_uses = args.integer("max_uses", MAX_COUNT)
        args.done()
        if train_rows < 1 or not 1 <= feature_count <= 1024:
            raise malformed("train_rows", "a dataset needs at least one row and 1-1024 features")
        self.signer(call, "data_owner")
        if call.state.dataset(dataset) is not None:
            raise Rejected(MarketCode.DATASET_EXISTS, f"dataset {dataset!r} exists")
        if not purposes or max_uses < 1:
            raise Rejected(MarketCode.INVALID_LICENCE,
                           "a licence needs at least one purpose and at least one use")
        for name, amount in (("price", price), ("misuse value", misuse_value)):
            if amount < 0:
                raise Rejected(MarketCode.NEGATIVE_AMOUNT, f"{name} {amount} is negative")
        audit_probability = self.rules(call).audit_probability
        if misuse_compensation(misuse_value, audit_probability) is None:
            raise Rejected(MarketCode.MISUSE_VALUE_INDIVISIBLE,
                           f"misuse value {misuse_value} divided by the audit probability "
                           f"{audit_probability} is not a whole number of tokens")
        record = DatasetRecord(dataset, call.creator.name, commitment, train_rows_root,
                               train_rows, feature_count, price, misuse_value,
                               Licence(sorted(set(purposes)), expiry, max_uses))
        call.state.put_json(dataset_key(dataset), record.to_json_value())
        call.summary.update({"dataset": dataset})

    def register_model(self, call: Call) -> None:
        model = call.args.identifier("model")
        commitment = call.args.digest("commitment")
        call.args.done()
        self.signer(call, "developer")
        if call.state.model(model) is not None:
            raise Rejected(MarketCode.MODEL_EXISTS, f"model {model!r} exists")
        record = ModelRecord(model, call.creator.name, commitment)
        call.state.put_json(model_key(model), record.to_json_value())
        call.summary.update({"model": model})

    def register_vendor(self, call: Call) -> None:
        fee = call.args.integer("fee")
        cost = call.args.integer("cost")
        capacity = call.args.integer("capacity", MAX_COUNT)
        exchange_key = call.args.hex_bytes("exchange_public_key", X25519_KEY_BYTES)
        call.args.done()
        self.signer(call, "vendor")
        vendor = call.creator.name
        if call.state.offer(vendor) is not None:
            raise Rejected(MarketCode.VENDOR_EXISTS, f"{vendor} has an offer already")
        if capacity < 1:
            raise Rejected(MarketCode.INVALID_CAPACITY, f"capacity {capacity} is below one job")
        for name, amount in (("fee", fee), ("cost", cost)):
            if amount < 0:
                raise Rejected(MarketCode.NEGATIVE_AMOUNT, f"{name} {amount} is negative")
        record = OfferRecord(vendor, fee, cost, capacity, exchange_key.hex())
        call.state.put_json(offer_key(vendor), record.to_json_value())
        call.summary.update({"vendor": vendor})
