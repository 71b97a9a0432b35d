"""DynamoDB's item and request limits, as AWS counts them, where moto 5.2.5 counts differently or
not at all.

* Item size: at most 400 KB (MAX_ITEM_BYTES, 400 x 1024: moto's own notes say AWS's limit lies
  between 409 and 410 KB), counted as AWS's "Item sizes and formats" page says: each attribute's
  name (UTF-8 bytes) plus its value; a string or binary its bytes, a number 1 byte per two
  significant digits plus 1, a boolean or null 1 byte, a list or map 3 bytes plus 1 byte and the
  size of each element (a map's element also its name), a set the sum of its elements. moto checks
  a size of its own (numbers as their text, no list or map overhead, 405,000 bytes), which this
  replaces. PutItem -> ValidationException `Item size has exceeded the maximum allowed size`;
  UpdateItem (the item as the update would leave it) -> ValidationException `Item size to update
  has exceeded the maximum allowed size`; in TransactWriteItems -> TransactionCanceledException
  with a `ValidationError` cancellation reason for that action, and nothing written.
* TransactWriteItems: at most 100 actions (moto checks it) and 4 MB (MAX_TRANSACTION_BYTES) for
  all the items it writes together: each Put's item, each Update's item as it would be left, each
  Delete's and ConditionCheck's key (moto does not check) -> ValidationException.
* BatchWriteItem: at most 25 put and delete requests in all (moto does not check) ->
  ValidationException.
"""

from __future__ import annotations

import base64
import binascii
import copy
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from moto.dynamodb.exceptions import (
    ItemSizeTooLarge,
    ItemSizeToUpdateTooLarge,
    MockValidationException,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict
from moto.dynamodb.parsing.executors import UpdateExpressionExecutor
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.parsing.validators import UpdateExpressionValidator
from moto.dynamodb.responses import DynamoHandler

MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
MAX_BATCH_WRITE_REQUESTS = 25
# the overhead AWS counts for a list or map, and for each of its elements
DOCUMENT_BYTES = 3
ELEMENT_BYTES = 1


def _number_bytes(text: str) -> int:
    try:
        digits = Decimal(text).normalize().as_tuple().digits
    except InvalidOperation:
        return len(text.encode())
    significant = len("".join(map(str, digits)).strip("0")) or 1
    return math.ceil(significant / 2) + 1


def _binary_bytes(value: Any) -> int:
    if isinstance(value, bytes):
        return len(value)
    try:
        return len(base64.b64decode(str(value), validate=True))
    except binascii.Error:
        return len(str(value).encode())


def value_bytes(value: dict[str, Any]) -> int:
    """The size AWS counts for one attribute value in DynamoDB JSON (`{"S": "..."}`, `{"M": {...}}`)."""
    [(kind, data)] = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_bytes(str(data))
    if kind == "B":
        return _binary_bytes(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in data)
    if kind == "NS":
        return sum(_number_bytes(str(v)) for v in data)
    if kind == "BS":
        return sum(_binary_bytes(v) for v in data)
    if kind == "L":
        return DOCUMENT_BYTES + sum(ELEMENT_BYTES + value_bytes(v) for v in data)
    if kind == "M":
        return DOCUMENT_BYTES + sum(ELEMENT_BYTES + len(k.encode()) + value_bytes(v) for k, v in data.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def item_bytes(attributes: dict[str, Any]) -> int:
    """The size AWS counts for an item: each attribute's name and value."""
    return sum(len(name.encode()) + value_bytes(value) for name, value in attributes.items())


def _plain(item: Item) -> dict[str, Any]:
    return {name: value.to_regular_json() for name, value in item.attrs.items()}


def _updated_item_bytes(
    backend: DynamoDBBackend,
    table_name: str,
    key: dict[str, Any],
    update_expression: str | None,
    names: dict[str, Any] | None,
    values: dict[str, Any] | None,
) -> int | None:
    """The size of the item as this update would leave it, worked out on a copy; None when the
    update is one moto will refuse anyway (its own error is then the answer)."""
    if not update_expression:
        return None
    try:
        table = backend.get_table(table_name)
        hash_value, range_value = backend.get_keys_value(table, key)
        current = table.get_item(hash_value, range_value)
        item = copy.deepcopy(current) if current is not None else Item(hash_value, range_value, attrs=dict(key))
        validated = UpdateExpressionValidator(
            UpdateExpressionParser.make(update_expression),
            expression_attribute_names=names,
            expression_attribute_values=values,
            item=item,
            table=table,
        ).validate()
        validated.normalize()
        UpdateExpressionExecutor(validated, item, names).execute()
    except Exception:  # moto answers this update with its own error
        return None
    return item_bytes(_plain(item))


def _put_item(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_item(self: DynamoDBBackend, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if item_bytes(item_attrs) > MAX_ITEM_BYTES:
            raise ItemSizeTooLarge()
        return original(self, table_name, item_attrs, *args, **kwargs)

    return put_item


def _update_item(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_item(
        self: DynamoDBBackend,
        table_name: str,
        key: dict[str, Any],
        update_expression: str,
        expression_attribute_names: dict[str, Any],
        expression_attribute_values: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        size = _updated_item_bytes(
            self, table_name, key, update_expression, expression_attribute_names, expression_attribute_values
        )
        if size is not None and size > MAX_ITEM_BYTES:
            raise ItemSizeToUpdateTooLarge()
        return original(
            self,
            table_name,
            key,
            update_expression,
            expression_attribute_names,
            expression_attribute_values,
            *args,
            **kwargs,
        )

    return update_item


def _action_bytes(backend: DynamoDBBackend, kind: str, action: dict[str, Any]) -> int:
    if kind == "Put":
        return item_bytes(action["Item"])
    if kind == "Update":
        size = _updated_item_bytes(
            backend,
            action["TableName"],
            action["Key"],
            action.get("UpdateExpression"),
            action.get("ExpressionAttributeNames"),
            action.get("ExpressionAttributeValues"),
        )
        if size is not None:
            return size
    return item_bytes(action.get("Key") or {})


def _transact_write_items(original: Callable[..., Any]) -> Callable[..., Any]:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        # an entry with no or several actions is moto's to refuse
        sizes = [_action_bytes(self, *next(iter(entry.items()))) if len(entry) == 1 else 0 for entry in transact_items]
        too_large = [size > MAX_ITEM_BYTES for size in sizes]
        if any(too_large):
            raise TransactionCanceledException(
                [
                    ("ValidationError", ItemSizeTooLarge.item_size_too_large_msg, None) if large else (None, None, None)
                    for large in too_large
                ]
            )
        if sum(sizes) > MAX_TRANSACTION_BYTES:
            raise MockValidationException(
                f"Transaction request cannot include items whose aggregate size exceeds "
                f"{MAX_TRANSACTION_BYTES} bytes: {sum(sizes)} bytes"
            )
        return original(self, transact_items)

    return transact_write_items


def _batch_write_item(original: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
    def batch_write_item(self: DynamoHandler) -> Any:
        requests = {table: len(entries) for table, entries in self.body.get("RequestItems", {}).items()}
        if sum(requests.values()) > MAX_BATCH_WRITE_REQUESTS:
            raise MockValidationException(
                f"1 validation error detected: Value '{requests}' at 'requestItems' failed to satisfy constraint: "
                f"Map value must satisfy constraint: [Member must have length less than or equal to "
                f"{MAX_BATCH_WRITE_REQUESTS}, Member must have length greater than or equal to 1]"
            )
        return original(self)

    return batch_write_item


def apply() -> None:
    # moto's own estimate of an item's size gives way to AWS's count above
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment,method-assign]
    DynamoDBBackend.put_item = _put_item(DynamoDBBackend.put_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _update_item(DynamoDBBackend.update_item)  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _transact_write_items(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
    DynamoHandler.batch_write_item = _batch_write_item(DynamoHandler.batch_write_item)  # type: ignore[method-assign]
