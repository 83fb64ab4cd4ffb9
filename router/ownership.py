"""Which subgraph can resolve which type and field: the join metadata, asked the planner's questions."""

from __future__ import annotations

from functools import cached_property

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from router.fieldset import FieldSet
from router.supergraph import FieldJoin, Supergraph


def override_active(label: str | None) -> bool:
    """Progressive override: a label turns the override on only when it says so.

    `percent(N)` rolls out gradually; with no request context to decide by we
    follow the reference planners' default and treat only `percent(100)` as on.
    """
    if label is None:
        return True
    return label.replace(" ", "") == "percent(100)"


class Ownership:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.types = supergraph.types
        self.schema = supergraph.schema
        self.graph_order = list(supergraph.graphs)

    def type_graphs(self, type_name: str) -> list[str]:
        meta = self.types.get(type_name)
        if meta is None:
            return []
        seen: list[str] = []
        for join in meta.joins:
            if join.graph not in seen:
                seen.append(join.graph)
        return seen

    def in_graph(self, type_name: str, graph: str) -> bool:
        meta = self.types.get(type_name)
        return meta is not None and any(join.graph == graph for join in meta.joins)

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        meta = self.types.get(type_name)
        return meta is not None and any(j.graph == graph and j.is_interface_object for j in meta.joins)

    def _field_joins(self, type_name: str, field_name: str) -> list[FieldJoin] | None:
        meta = self.types.get(type_name)
        if meta is None:
            return None
        field_meta = meta.fields.get(field_name)
        if field_meta is None or not field_meta.joins:
            return None
        return field_meta.joins

    def field_graphs(self, type_name: str, field_name: str) -> list[str]:
        """Subgraphs that resolve `type.field` on their own (not external, not overridden)."""
        joins = self._field_joins(type_name, field_name)
        if joins is None:
            return self.type_graphs(type_name)
        graphs: list[str] = []
        for join in joins:
            if join.graph is None:
                continue  # on an implementation: the field comes from an @interfaceObject, not from this type
            if join.external or join.used_overridden:
                continue
            if join.override is not None and not override_active(join.override_label):
                continue
            if join.override is None and join.override_label is not None and override_active(join.override_label):
                continue  # the other side of an active progressive override
            if join.graph not in graphs:
                graphs.append(join.graph)
        return graphs

    def resolves(self, type_name: str, field_name: str, graph: str) -> bool:
        return graph in self.field_graphs(type_name, field_name)

    def _join_for(self, type_name: str, field_name: str, graph: str) -> FieldJoin | None:
        for join in self._field_joins(type_name, field_name) or ():
            if join.graph == graph and not join.external:
                return join
        return None

    def requires(self, type_name: str, field_name: str, graph: str) -> FieldSet | None:
        join = self._join_for(type_name, field_name, graph)
        return join.requires if join is not None else None

    def provides(self, type_name: str, field_name: str, graph: str) -> FieldSet | None:
        join = self._join_for(type_name, field_name, graph)
        return join.provides if join is not None else None

    def keys(self, type_name: str, graph: str) -> list[FieldSet]:
        meta = self.types.get(type_name)
        if meta is None:
            return []
        return [j.key for j in meta.joins if j.graph == graph and j.key is not None and j.resolvable]

    def interface_owner(self, interface: str) -> str | None:
        """A graph that knows `interface` as a real interface with a key: it can tell each object's type."""
        meta = self.types.get(interface)
        for join in meta.joins if meta is not None else ():
            if not join.is_interface_object and join.key is not None and join.resolvable:
                return join.graph
        return None

    def all_keys(self, type_name: str, graph: str) -> list[FieldSet]:
        meta = self.types.get(type_name)
        if meta is None:
            return []
        return [j.key for j in meta.joins if j.graph == graph and j.key is not None]

    def interfaces_of(self, type_name: str) -> list[str]:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            return [i.name for i in named.interfaces]
        return []

    def entity_target(self, type_name: str, graph: str) -> str | None:
        """The type `graph` resolves entities of `type_name` as: itself, or an @interfaceObject."""
        if self.keys(type_name, graph):
            return type_name
        for interface in self.interfaces_of(type_name):
            if self.is_interface_object(interface, graph) and self.keys(interface, graph):
                return interface
        return None

    def field_owner_type(self, type_name: str, field_name: str, graph: str) -> str | None:
        """The type in `graph` that resolves `type.field`: the type, or an interface object of it."""
        if self.in_graph(type_name, graph) and self.resolves(type_name, field_name, graph):
            return type_name
        for interface in self.interfaces_of(type_name):
            if self.is_interface_object(interface, graph) and self.resolves(interface, field_name, graph):
                return interface
        return None

    def possible_types(self, type_name: str) -> list[str]:
        named = self.supergraph.api_schema.get_type(type_name) or self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType):
            return [named.name]
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            schema = self.supergraph.api_schema if self.supergraph.api_schema.get_type(type_name) else self.schema
            return [t.name for t in schema.get_possible_types(named)]
        return []

    def possible_types_in_graph(self, abstract: str, graph: str) -> list[str]:
        """Object types `graph` itself can return where `abstract` is expected."""
        meta = self.types.get(abstract)
        if meta is None:
            return []
        if meta.kind == "union":
            members = meta.members.get(graph)
            if members is None and not meta.members:
                members = set(self.possible_types(abstract)) if self.in_graph(abstract, graph) else set()
            return [t for t in self.possible_types(abstract) if t in (members or set())]
        found: list[str] = []
        for candidate in self.possible_types(abstract):
            implements = self.types[candidate].implements if candidate in self.types else {}
            if abstract in implements.get(graph, set()) or (not implements and self.in_graph(candidate, graph)):
                found.append(candidate)
        return found

    @cached_property
    def root_types(self) -> dict[str, str]:
        roots: dict[str, str] = {}
        for operation, named in (
            ("query", self.schema.query_type),
            ("mutation", self.schema.mutation_type),
            ("subscription", self.schema.subscription_type),
        ):
            if named is not None:
                roots[operation] = named.name
        return roots
