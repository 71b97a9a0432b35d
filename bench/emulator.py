"""One change to moto (the emulator, not the code under test) that makes a 100,000-item run possible.

moto's DynamoDB TransactWriteItems deep-copies the WHOLE table, once per item in the
transaction, to be able to roll back: with 101,000 items each transaction costs tens of seconds
and gigabytes, and the run would take hours. This backs up only the items the transaction
touches and restores exactly those when it fails, which is the same all-or-nothing behaviour.
Requests, responses and errors are unchanged, so every count the benchmark reports is unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from unittest import mock

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table


def _deepcopy_except_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


# `copy` as moto's backend module sees it during a transaction: everything but tables is copied
_COPY_WITHOUT_TABLES = SimpleNamespace(deepcopy=_deepcopy_except_tables, copy=copy.copy)

_Backup = tuple[Table, DynamoType, DynamoType | None, Any]


def _backups(backend: Any, transact_items: list[dict[str, Any]]) -> list[_Backup]:
    backups: list[_Backup] = []
    for entry in transact_items:
        if len(entry) != 1:
            continue  # moto refuses it before writing anything
        ((_operation, request),) = entry.items()
        table = backend.tables.get(request.get("TableName"))
        attributes = request.get("Key") or request.get("Item") or {}
        if table is None or table.hash_key_attr not in attributes:
            continue
        hash_value = DynamoType(attributes[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in attributes:
                continue
            range_value = DynamoType(attributes[table.range_key_attr])
        current = table.get_item(hash_value, range_value)
        backups.append((table, hash_value, range_value, copy.deepcopy(current)))
    return backups


def _restore(backups: list[_Backup]) -> None:
    for table, hash_value, range_value, item in reversed(backups):
        if item is None:
            table.delete_item(hash_value, range_value)
        elif range_value is None:
            table.items[hash_value] = item
        else:
            table.items[hash_value][range_value] = item


@contextmanager
def item_level_transaction_backups() -> Iterator[None]:
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = _backups(backend, transact_items)
        try:
            with mock.patch.object(dynamodb_models, "copy", _COPY_WITHOUT_TABLES):
                original(backend, transact_items)
        except Exception:
            _restore(backups)
            raise

    with mock.patch.object(dynamodb_models.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield
