"""Compare two API schemas: breaking, dangerous and safe changes, for `roseash check` and CI."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    is_non_null_type,
)

BREAKING, DANGEROUS, SAFE = "breaking", "dangerous", "safe"


@dataclass(frozen=True, slots=True)
class Change:
    level: str
    message: str


def compare(old_sdl: str, new_sdl: str) -> list[Change]:
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    changes = [Change(BREAKING, c.description) for c in find_breaking_changes(old, new)]
    changes += [Change(DANGEROUS, c.description) for c in find_dangerous_changes(old, new)]
    changes += [Change(SAFE, message) for message in _additions(old, new)]
    return changes


def _additions(old: GraphQLSchema, new: GraphQLSchema) -> list[str]:
    """What was added without risk: types, output fields, optional input fields (graphql-core lists the rest)."""
    found: list[str] = []
    for name, new_type in new.type_map.items():
        if name.startswith("__"):
            continue
        old_type = old.type_map.get(name)
        if old_type is None:
            found.append(f"{name} was added.")
            continue
        if isinstance(new_type, GraphQLObjectType | GraphQLInterfaceType) and isinstance(
            old_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            found += [f"{name}.{f} was added." for f in new_type.fields if f not in old_type.fields]
        elif isinstance(new_type, GraphQLInputObjectType) and isinstance(old_type, GraphQLInputObjectType):
            found += [
                f"{name}.{f} was added (optional)."
                for f, definition in new_type.fields.items()
                if f not in old_type.fields and not is_non_null_type(definition.type)
            ]
        elif isinstance(new_type, GraphQLEnumType) and isinstance(old_type, GraphQLEnumType):
            continue  # added enum values are dangerous: graphql-core reports them
    return found
