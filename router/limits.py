"""Limits on what one operation may ask: size, tokens, depth and aliases.

They are checked once per operation text (the result is cached with the plan),
before any subgraph is called, and each refusal says which limit and by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 256 * 1024
    max_tokens: int = 15_000
    max_depth: int = 25
    max_aliases: int = 200


class LimitExceeded(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_size(query: str, limits: Limits) -> None:
    size = len(query.encode())
    if size > limits.max_bytes:
        raise LimitExceeded(
            "MAX_DOCUMENT_SIZE_EXCEEDED",
            f"the document is {size} bytes; the limit is {limits.max_bytes}",
        )


def check_shape(document: DocumentNode, operation: OperationDefinitionNode, limits: Limits) -> None:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    aliases = 0

    def depth(selection_set: SelectionSetNode, level: int, seen: frozenset[str]) -> int:
        nonlocal aliases
        deepest = level
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if selection.selection_set is not None:
                    deepest = max(deepest, depth(selection.selection_set, level + 1, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, depth(selection.selection_set, level, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    deepest = max(deepest, depth(fragment.selection_set, level, seen | {name}))
        return deepest

    measured = depth(operation.selection_set, 1, frozenset())
    if measured > limits.max_depth:
        raise LimitExceeded(
            "MAX_DEPTH_EXCEEDED", f"the operation is {measured} levels deep; the limit is {limits.max_depth}"
        )
    if aliases > limits.max_aliases:
        raise LimitExceeded(
            "MAX_ALIASES_EXCEEDED", f"the operation uses {aliases} aliases; the limit is {limits.max_aliases}"
        )
