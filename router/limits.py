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
    max_selections: int = 20_000


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
    """Depth, aliases and the number of field selections once fragments are expanded.

    Each fragment is measured once and its figures reused wherever it is spread,
    so a document that would expand exponentially is measured in linear time, and
    refused. Runs before validation, so a fragment cycle counts as nothing here
    (validation rejects it).
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    measured: dict[str, tuple[int, int, int]] = {}
    visiting: set[str] = set()

    def measure(selection_set: SelectionSetNode) -> tuple[int, int, int]:
        """(depth, aliases, field selections) of a selection set, fragments expanded."""
        depth = aliases = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                sub_depth = sub_aliases = sub_fields = 0
                if selection.selection_set is not None:
                    sub_depth, sub_aliases, sub_fields = measure(selection.selection_set)
                depth = max(depth, sub_depth + 1)
                aliases += sub_aliases + (selection.alias is not None)
                fields += sub_fields + 1
            else:
                if isinstance(selection, InlineFragmentNode):
                    inner = measure(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    inner = fragment(selection.name.value)
                else:
                    continue
                depth = max(depth, inner[0])
                aliases += inner[1]
                fields += inner[2]
            if fields > limits.max_selections:
                break  # enough to refuse; no need to finish counting
        return depth, aliases, fields

    def fragment(name: str) -> tuple[int, int, int]:
        found = measured.get(name)
        if found is not None:
            return found
        definition = fragments.get(name)
        if definition is None or name in visiting:
            return 0, 0, 0
        visiting.add(name)
        found = measured[name] = measure(definition.selection_set)
        visiting.discard(name)
        return found

    depth, aliases, fields = measure(operation.selection_set)
    if fields > limits.max_selections:
        raise LimitExceeded(
            "MAX_SELECTIONS_EXCEEDED",
            f"the operation selects more than {limits.max_selections} fields once its fragments are expanded",
        )
    if depth > limits.max_depth:
        raise LimitExceeded(
            "MAX_DEPTH_EXCEEDED", f"the operation is {depth} levels deep; the limit is {limits.max_depth}"
        )
    if aliases > limits.max_aliases:
        raise LimitExceeded(
            "MAX_ALIASES_EXCEEDED", f"the operation uses {aliases} aliases; the limit is {limits.max_aliases}"
        )
