"""Federation field sets (`@key(fields:)`, `@requires`, `@provides`) as parsed selection sets."""

from __future__ import annotations

from functools import lru_cache

from graphql import OperationDefinitionNode, SelectionSetNode, parse, print_ast

FieldSet = SelectionSetNode


@lru_cache(maxsize=1024)
def parse_field_set(text: str) -> FieldSet:
    document = parse(f"{{ {text} }}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def print_field_set(field_set: FieldSet) -> str:
    return " ".join(print_ast(s).replace("\n", " ") for s in field_set.selections)
