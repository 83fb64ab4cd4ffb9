"""Composition: Federation 2 subgraph SDLs in, a supergraph SDL (link v1.0, join v0.3) out.

Types merge by name across subgraphs. Each subgraph that defines a type gets a
`@join__type` (one per `@key`); a field gets `@join__field`s when not every
subgraph of its type resolves it the same way (it is missing from some, or
external, required, provided, overridden or typed differently). Output enums
take the union of their values, input enums and input objects the
intersection, so that every value a client can send is one every subgraph
accepts. Errors carry the reference composer's codes and name the subgraph,
the type and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graphql import (
    GraphQLError,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    StringValueNode,
    TypeNode,
    print_ast,
    validate_schema,
    value_from_ast_untyped,
)

from router.composition_rules import check_subgraph, key_fields
from router.dnf import conjunction
from router.fieldset import parse_field_set, print_field_set
from router.satisfiability import unsatisfiable
from router.subgraph_schema import Field, SubgraphSchema, SubgraphSchemaError, Type, read_subgraph
from router.supergraph import EXECUTABLE_LOCATIONS, SupergraphError, load_supergraph

ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
# Access directives whose argument is a requirement in disjunctive normal form, by the argument's name.
DNF_ARGUMENTS = {"requiresScopes": "scopes", "policy": "policies"}
BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


@dataclass(frozen=True, slots=True)
class SubgraphSource:
    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class CompositionError:
    code: str
    message: str


@dataclass(slots=True)
class Composition:
    supergraph: str | None = None
    errors: list[CompositionError] = field(default_factory=list)


class _Failed(Exception):
    pass


def graph_enum_name(subgraph: str) -> str:
    """The join__Graph value for a subgraph name, as the reference composers spell it."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", subgraph).upper()
    return f"_{name}" if name[:1].isdigit() else name


def compose(sources: Sequence[SubgraphSource]) -> Composition:
    errors: list[CompositionError] = []
    subgraphs: list[SubgraphSchema] = []
    for source in sources:
        try:
            subgraphs.append(read_subgraph(source.name, source.url, source.sdl))
        except SubgraphSchemaError as exc:
            errors.append(CompositionError(exc.code, exc.message))
    if errors:
        return Composition(errors=errors)
    composer = _Composer(sorted(subgraphs, key=lambda s: s.name))
    try:
        text = composer.run()
    except _Failed:
        return Composition(errors=composer.errors)
    if composer.errors:
        return Composition(errors=composer.errors)
    try:
        supergraph = load_supergraph(text)
    except SupergraphError as exc:  # a composer bug: say so rather than hand out a broken supergraph
        return Composition(errors=[CompositionError("INTERNAL", f"the composed supergraph does not load: {exc}")])
    invalid = validate_schema(supergraph.api_schema)
    if invalid:
        return Composition(errors=[CompositionError("INVALID_GRAPHQL", e.message) for e in invalid])
    problems = unsatisfiable(supergraph)
    if problems:
        return Composition(errors=[CompositionError("SATISFIABILITY_ERROR", p) for p in problems])
    return Composition(supergraph=text)


@dataclass(slots=True)
class _Occurrence:
    subgraph: SubgraphSchema
    graph: str
    type: Type


class _Composer:
    def __init__(self, subgraphs: list[SubgraphSchema]) -> None:
        self.subgraphs = subgraphs
        self.errors: list[CompositionError] = []
        self.graphs = {s.name: graph_enum_name(s.name) for s in subgraphs}
        self.uses_inaccessible = False
        self.uses_tag = False
        self.used_access: set[str] = set()  # authenticated, requiresScopes, policy, cost, listSize
        newest = max((s.federation_version or (2, 0) for s in subgraphs), default=(2, 0))
        # The join version follows what the subgraphs' federation version can express:
        # progressive override labels arrived with 2.7 (join v0.4), @context with 2.8 (v0.5).
        self.join_version = "v0.5" if newest >= (2, 8) else "v0.4" if newest >= (2, 7) else "v0.3"

    def error(self, code: str, message: str) -> None:
        self.errors.append(CompositionError(code, message))

    # -- gathering ------------------------------------------------------------

    def _occurrences(self) -> dict[str, list[_Occurrence]]:
        by_name: dict[str, list[_Occurrence]] = {}
        for subgraph in self.subgraphs:
            for item in subgraph.types.values():
                operation = subgraph.root_of(item.name)
                name = ROOT_NAMES[operation] if operation else item.name
                by_name.setdefault(name, []).append(_Occurrence(subgraph, self.graphs[subgraph.name], item))
            # Every subgraph has a query root, if only for _service; composition records it.
            query = subgraph.roots.get("query", "Query")
            if query not in subgraph.types:
                empty = Type(query, "object")
                by_name.setdefault("Query", []).append(_Occurrence(subgraph, self.graphs[subgraph.name], empty))
        return by_name

    def run(self) -> str:
        for subgraph in self.subgraphs:
            check_subgraph(subgraph, self.error)
        self._check_imports()
        self.composed = self._composed_directives()
        if self.errors:
            raise _Failed
        occurrences = self._occurrences()
        for name, found in occurrences.items():
            kinds = {"interface" if o.type.interface_object else o.type.kind for o in found}
            if len(kinds) > 1:
                where = ", ".join(f"{o.type.kind} in {o.subgraph.name}" for o in found)
                self.error("TYPE_KIND_MISMATCH", f'Type "{name}" has mismatched kind: it is defined as {where}')
        for name, found in occurrences.items():
            if all(o.type.interface_object for o in found):
                self.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in which it is defined '
                    "(there must be a subgraph defining it as an interface)",
                )
        self._check_inaccessible_references(occurrences)
        self._check_entity_interfaces(occurrences)
        self._check_transitive_auth(occurrences)
        for name, found in occurrences.items():
            if all(o.type.extension for o in found) and not any(o.type.keys for o in found):
                for occurrence in found:
                    self.error(
                        "EXTENSION_WITH_NO_BASE",
                        f'[{occurrence.subgraph.name}] Type "{name}" is an extension type, but there is no type '
                        f'definition for "{name}" in any subgraph.',
                    )
        if self.errors:
            raise _Failed
        self.input_usage, self.output_usage = self._usage(occurrences)
        blocks: list[str] = []
        order = {"object": 0, "interface": 1, "union": 2, "enum": 3, "input": 4, "scalar": 5}
        names = sorted(occurrences, key=lambda n: (n not in ROOT_NAMES.values(), order[occurrences[n][0].type.kind]))
        self.interface_objects = self._interface_object_fields(occurrences)
        for name in names:
            found = occurrences[name]
            kind = "interface" if any(o.type.interface_object for o in found) else found[0].type.kind
            if kind == "scalar" and name in BUILT_IN_SCALARS:
                continue
            block = getattr(self, f"_{kind}")(name, found)
            if block:
                blocks.append(block)
        if not any(o.type.fields for o in occurrences.get("Query", ())):
            self.error("NO_QUERIES", "No queries found in any subgraph: a supergraph must have a query root type.")
            raise _Failed
        roots = [r for r in ("Query", "Mutation", "Subscription") if r in occurrences]
        return self._document(roots, blocks)

    def _check_imports(self) -> None:
        seen: dict[str, tuple[str, str]] = {}
        for subgraph in self.subgraphs:
            for element, local in subgraph.federation_imports.items():
                first = seen.setdefault(element, (local, subgraph.name))
                if first[0] != local:
                    self.error(
                        "LINK_IMPORT_NAME_MISMATCH",
                        f'The import name "{element}" is imported with mismatched name between subgraphs: it is '
                        f'imported as "{first[0]}" in subgraph "{first[1]}" and "{local}" in subgraph '
                        f'"{subgraph.name}"',
                    )

    def _composed_directives(self) -> dict[str, tuple[str, str]]:
        """Directives kept in the supergraph through @composeDirective: name -> (feature URL, definition)."""
        composed: dict[str, tuple[str, str]] = {}
        for subgraph in self.subgraphs:
            for name in subgraph.compose_directives:
                definition = subgraph.directive_definitions.get(name)
                if definition is None:
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Could not find matching directive definition for argument to @composeDirective "@{name}" '
                        f'in subgraph "{subgraph.name}".',
                    )
                elif name not in subgraph.feature_links:
                    self.error(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Directive "@{name}" in subgraph "{subgraph.name}" cannot be composed because it is not a '
                        "member of a core feature",
                    )
                else:
                    composed.setdefault(name, (subgraph.feature_links[name], print_ast(definition)))
        return composed

    def _carried(self, directives: Iterable[object]) -> list[str]:
        return _unique(print_ast(d) for d in directives if d.name.value in self.composed)  # type: ignore[attr-defined]

    def _check_inaccessible_references(self, occurrences: dict[str, list[_Occurrence]]) -> None:
        hidden = {name for name, found in occurrences.items() if any(o.type.inaccessible for o in found)}
        for name, found in occurrences.items():
            if name in hidden:
                continue
            for occurrence in found:
                for field_name, item in occurrence.type.fields.items():
                    if item.inaccessible:
                        continue
                    target = _named(item.type)
                    if target in hidden:
                        self.error(
                            "REFERENCED_INACCESSIBLE",
                            f'Type "{target}" is @inaccessible but is referenced by "{name}.{field_name}", which is in '
                            "the API schema.",
                        )

    def _check_transitive_auth(self, occurrences: dict[str, list[_Occurrence]]) -> None:
        """A field that @requires protected data must be at least as protected as that data."""
        for name, found in occurrences.items():
            for occurrence in found:
                for field_name, item in occurrence.type.fields.items():
                    if not item.requires:
                        continue
                    try:
                        selection = parse_field_set(item.requires)
                    except GraphQLError:
                        continue  # reported by the @requires rule
                    own = {d.spec_name for d in item.access} | {d.spec_name for d in occurrence.type.access}
                    for node in selection.selections:
                        required = getattr(getattr(node, "name", None), "value", None)
                        needed = {
                            d.spec_name
                            for other in found
                            if other is not occurrence and required in other.type.fields
                            for d in other.type.fields[required].access
                            if d.spec_name in ("authenticated", "requiresScopes", "policy")
                        }
                        if needed - own:
                            self.error(
                                "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
                                f'[{occurrence.subgraph.name}] Field "{name}.{field_name}" does not specify necessary '
                                "@authenticated, @requiresScopes and/or @policy auth requirements to access the "
                                f'transitive field "{name}.{required}" data from @requires selection set.',
                            )

    def _check_entity_interfaces(self, occurrences: dict[str, list[_Occurrence]]) -> None:
        """A subgraph that resolves an interface by key must know every type implementing it."""
        for name, found in occurrences.items():
            implementations = [t for t, others in occurrences.items() if any(name in o.type.interfaces for o in others)]
            for occurrence in found:
                if occurrence.type.kind != "interface" or occurrence.type.interface_object:
                    continue
                for fields, resolvable in occurrence.type.keys:
                    missing = [t for t in implementations if t not in occurrence.subgraph.types]
                    if resolvable and missing:
                        self.error(
                            "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                            f'[{occurrence.subgraph.name}] Interface type "{name}" has a resolvable key '
                            f'(@key(fields: "{fields}")) in subgraph "{occurrence.subgraph.name}" but that subgraph is '
                            f'missing some of the supergraph implementation types of "{name}". Subgraph '
                            f'"{occurrence.subgraph.name}" should define type "{missing[0]}" (and have it implement '
                            f'"{name}").',
                        )

    def _usage(self, occurrences: dict[str, list[_Occurrence]]) -> tuple[set[str], set[str]]:
        """Which named types appear in input positions, and which in output positions."""
        inputs: set[str] = set()
        outputs: set[str] = set()
        for found in occurrences.values():
            for occurrence in found:
                for item in occurrence.type.fields.values():
                    target = _named(item.type)
                    (inputs if occurrence.type.kind == "input" else outputs).add(target)
                    for argument in item.arguments:
                        inputs.add(_named(argument.type))
        return inputs, outputs

    def _interface_object_fields(self, occurrences: dict[str, list[_Occurrence]]) -> dict[str, dict[str, list[str]]]:
        """{interface: {field: [graphs of @interfaceObject that add it]}}: fields implementations inherit."""
        added: dict[str, dict[str, list[str]]] = {}
        for name, found in occurrences.items():
            for occurrence in found:
                if occurrence.type.interface_object:
                    for field_name in occurrence.type.fields:
                        added.setdefault(name, {}).setdefault(field_name, []).append(occurrence.graph)
        return added

    # -- types ------------------------------------------------------------------

    def _join_types(self, found: list[_Occurrence]) -> list[str]:
        directives: list[str] = []
        for occurrence in found:
            item = occurrence.type
            extras = ""
            if item.extension:
                extras += ", extension: true"
            if item.interface_object:
                extras += ", isInterfaceObject: true"
            if item.keys:
                for fields, resolvable in item.keys:
                    resolvable_text = "" if resolvable else ", resolvable: false"
                    directives.append(
                        f"@join__type(graph: {occurrence.graph}, key: {_string(fields)}{extras}{resolvable_text})"
                    )
            else:
                directives.append(f"@join__type(graph: {occurrence.graph}{extras})")
        return directives

    def _description(self, found: Iterable[str | None]) -> str:
        texts = [t for t in found if t]
        if not texts:
            return ""
        chosen = max(set(texts), key=lambda t: (texts.count(t), -texts.index(t)))
        return print_ast_description(chosen)

    def _markers(self, elements: Sequence[Type | Field]) -> list[str]:
        """@deprecated, @inaccessible and @tag of one element as its subgraphs define it, merged."""
        markers: list[str] = []
        deprecated = next((e.deprecated for e in elements if isinstance(e, Field) and e.deprecated is not None), None)
        if deprecated is not None:
            markers.append(print_ast(deprecated))
        if any(e.inaccessible for e in elements):
            self.uses_inaccessible = True
            markers.append("@inaccessible")
        for tag in _unique(t for e in elements for t in e.tags):
            self.uses_tag = True
            markers.append(f"@tag(name: {_string(tag)})")
        return markers

    def _type_markers(self, found: list[_Occurrence]) -> list[str]:
        markers = self._markers([o.type for o in found])
        markers += self._access([d for o in found for d in o.type.access])
        markers += self._carried(d for o in found for d in o.type.others)
        return markers

    def _access(self, directives: list) -> list[str]:
        """Access-control and cost directives, carried into the supergraph once each.

        Where subgraphs ask different @requiresScopes (or @policy) of one element, the
        supergraph asks for all of them: one directive with their conjunction.
        """
        printed: list[str] = []
        requirements: dict[str, list[list[list[str]]]] = {}
        for directive in directives:
            self.used_access.add(directive.spec_name)
            node = directive.node
            argument = DNF_ARGUMENTS.get(directive.spec_name)
            if argument is not None:
                values = requirements.setdefault(directive.spec_name, [])
                value = next((a.value for a in node.arguments or () if a.name.value == argument), None)
                requirement = value_from_ast_untyped(value) if value is not None else []
                if requirement in values:
                    continue
                values.append(requirement)
                if len(values) > 1:
                    merged = _string_lists(conjunction(values))
                    first = next(i for i, text in enumerate(printed) if text.startswith(f"@{directive.spec_name}("))
                    printed[first] = f"@{directive.spec_name}({argument}: {merged})"
                    continue
            if directive.spec_name == "listSize":
                # Written without arguments that only repeat their defaults, as the reference does.
                node = node.__class__(
                    name=node.name,
                    arguments=tuple(
                        a
                        for a in node.arguments or ()
                        if not (a.name.value == "requireOneSlicingArgument" and print_ast(a.value) == "true")
                    ),
                )
            text = "@" + directive.spec_name + print_ast(node)[len(node.name.value) + 1 :]
            if text not in printed:
                printed.append(text)
        return printed

    def _object(self, name: str, found: list[_Occurrence], kind: str = "type") -> str:
        implements = _unique(i for o in found for i in o.type.interfaces if not (o.type.interface_object))
        directives = self._join_types(found)
        for occurrence in found:
            for interface in occurrence.type.interfaces:
                directives.append(f"@join__implements(graph: {occurrence.graph}, interface: {_string(interface)})")
        directives += self._type_markers(found)
        field_names = _unique(f for o in found for f in o.type.fields)
        inherited: dict[str, list[str]] = {}
        if kind == "type":
            for interface in implements:
                for field_name in self.interface_objects.get(interface, {}):
                    inherited.setdefault(field_name, [])
        lines: list[str] = []
        for field_name in field_names:
            line = self._field(name, field_name, found)
            if line:
                lines.append(line)
        for field_name in inherited:
            if field_name not in field_names:
                lines.append(self._inherited_field(name, field_name, implements))
        head = f"{self._description(o.type.description for o in found)}{kind} {name}"
        if implements:
            head += " implements " + " & ".join(implements)
        return _block(head, directives, lines)

    def _interface(self, name: str, found: list[_Occurrence]) -> str:
        return self._object(name, found, "interface")

    def _inherited_field(self, type_name: str, field_name: str, interfaces: list[str]) -> str:
        for interface in interfaces:
            for subgraph in self.subgraphs:
                item = subgraph.types.get(interface)
                if item is not None and item.interface_object and field_name in item.fields:
                    definition = item.fields[field_name]
                    return (
                        f"  {field_name}{_arguments(definition.arguments)}: {print_ast(definition.type)} @join__field"
                    )
        raise AssertionError(f"{type_name}.{field_name} has no @interfaceObject source")

    def _field(self, type_name: str, field_name: str, found: list[_Occurrence]) -> str:
        defining = [(o, o.type.fields[field_name]) for o in found if field_name in o.type.fields]
        supergraph_type = self._merge_output_types(type_name, field_name, defining)
        overridden = {f.override for _, f in defining if f.override}
        # A progressive override (with a label) keeps the source's definition, tagged with the same label.
        labels = {f.override: f.override_label for _, f in defining if f.override and f.override_label}
        self._check_sharing(type_name, field_name, defining, overridden)
        joins: list[str] = []
        needs_joins = len(defining) != len(found)
        # When any subgraph's type differs from the supergraph's, every join says its own.
        typed = any(print_ast(f.type) != supergraph_type for _, f in defining)
        for occurrence, item in defining:
            if occurrence.subgraph.name in overridden and occurrence.subgraph.name not in labels:
                needs_joins = True
                continue  # the override moved it away from this subgraph
            parts = [f"graph: {occurrence.graph}"]
            if item.requires:
                parts.append(f"requires: {_string(_normal_field_set(item.requires))}")
                needs_joins = True
            if item.provides:
                parts.append(f"provides: {_string(_normal_field_set(item.provides))}")
                needs_joins = True
            if typed:
                parts.append(f"type: {_string(print_ast(item.type))}")
                needs_joins = True
            if item.external:
                parts.append("external: true")
                needs_joins = True
            if item.override:
                parts.append(f"override: {_string(item.override)}")
                needs_joins = True
            label = item.override_label or labels.get(occurrence.subgraph.name)
            if label:
                parts.append(f"overrideLabel: {_string(label)}")
                needs_joins = True
            joins.append(f"@join__field({', '.join(parts)})")
        fields = [f for _, f in defining]
        markers = self._markers(fields)
        markers += self._access([d for f in fields for d in f.access])
        markers += self._carried(d for f in fields for d in f.others)
        arguments = self._merge_arguments(type_name, field_name, defining)
        description = self._description(f.description for f in fields)
        directives = (joins if needs_joins else []) + markers
        tail = (" " + " ".join(directives)) if directives else ""
        return f"{_indented(description)}  {field_name}{arguments}: {supergraph_type}{tail}"

    def _check_sharing(
        self, type_name: str, field_name: str, defining: list[tuple[_Occurrence, Field]], overridden: set[str]
    ) -> None:
        if defining and defining[0][0].type.kind != "object":
            return
        if all(f.external for _, f in defining):
            names = ", ".join(f'"{o.subgraph.name}"' for o, _ in defining)
            self.error(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{type_name}.{field_name}" is marked @external on all the subgraphs in which it is listed '
                f"(subgraph {names}).",
            )
            return
        for occurrence, item in defining:
            if item.override and any(o.subgraph.name == item.override and f.override for o, f in defining):
                self.error(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{type_name}.{field_name}" on subgraph "{occurrence.subgraph.name}" is also marked with '
                    f'directive @override in subgraph "{item.override}". Only one @override directive is allowed '
                    "per field.",
                )
        for occurrence, item in defining:
            if not item.external:
                continue
            declared = {a.name.value for a in item.arguments}
            for owner, other in defining:
                if other.external:
                    continue
                for argument in other.arguments:
                    if argument.name.value not in declared:
                        coordinate = f"{type_name}.{field_name}({argument.name.value}:)"
                        self.error(
                            "EXTERNAL_ARGUMENT_MISSING",
                            f'Field "{type_name}.{field_name}" is missing argument "{coordinate}" in some subgraphs '
                            f'where it is marked @external: argument "{coordinate}" is declared in subgraph '
                            f'"{owner.subgraph.name}" but not in subgraph "{occurrence.subgraph.name}" (where '
                            f'"{type_name}.{field_name}" is @external)',
                        )
        resolving = [(o, f) for o, f in defining if not f.external and o.subgraph.name not in overridden]
        if len(resolving) < 2:
            return
        unshared = [
            o.subgraph.name
            for o, f in resolving
            if not (
                f.shareable or o.subgraph.federation_version is None or field_name in key_fields(o.subgraph, o.type)
            )
        ]
        if unshared:
            names = " and ".join(f'"{o.subgraph.name}"' for o, _ in resolving)
            which = "all of them" if len(unshared) == len(resolving) else f'subgraph "{unshared[0]}"'
            self.error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{type_name}.{field_name}" is resolved from multiple subgraphs: it is resolved '
                f"from subgraphs {names} and defined as non-shareable in {which}",
            )

    def _merge_output_types(self, type_name: str, field_name: str, defining: list[tuple[_Occurrence, Field]]) -> str:
        printed = [print_ast(f.type) for _, f in defining if not f.external] or [print_ast(f.type) for _, f in defining]
        every = [print_ast(f.type) for _, f in defining]
        if len({_strip_nonnull(p) for p in every}) > 1:
            where = " but ".join(f'type "{print_ast(f.type)}" in subgraph "{o.subgraph.name}"' for o, f in defining)
            self.error(
                "FIELD_TYPE_MISMATCH",
                f'Type of field "{type_name}.{field_name}" is incompatible across subgraphs: it has {where}',
            )
            if any(f.external for _, f in defining):
                self.error(
                    "EXTERNAL_TYPE_MISMATCH",
                    f'Type of field "{type_name}.{field_name}" is incompatible across subgraphs (where marked '
                    f"@external): it has {where}",
                )
            return printed[0]
        if len(set(printed)) == 1:
            return printed[0]
        # Shareable fields may differ in nullability: the supergraph promises the weakest.
        return _weakest(printed)

    def _merge_arguments(self, type_name: str, field_name: str, defining: list[tuple[_Occurrence, Field]]) -> str:
        pairs = [(o, f) for o, f in defining if not f.external] or list(defining)
        if not any(f.arguments for _, f in pairs):
            return ""
        owners = [o.subgraph.name for o, _ in pairs]
        coordinate = f"{type_name}.{field_name}"
        kept = []
        for argument_name in _unique(a.name.value for _, f in pairs for a in f.arguments):
            present = [next((a for a in f.arguments if a.name.value == argument_name), None) for _, f in pairs]
            if any(p is None for p in present):
                required = [
                    o
                    for o, p in zip(owners, present, strict=True)
                    if p is not None and isinstance(p.type, NonNullTypeNode)
                ]
                missing = [o for o, p in zip(owners, present, strict=True) if p is None]
                if required:
                    self.error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f'Argument "{coordinate}({argument_name}:)" is required in some subgraphs but does not appear '
                        f'in all subgraphs: it is required in subgraph "{required[0]}" but does not appear in '
                        f'subgraph "{missing[0]}"',
                    )
                continue  # arguments are intersected: only those every subgraph accepts
            arguments = [p for p in present if p is not None]
            types = [print_ast(a.type) for a in arguments]
            if len({_strip_nonnull(t) for t in types}) > 1:
                where = " but ".join(f'type "{t}" in subgraph "{o}"' for t, o in zip(types, owners, strict=True))
                self.error(
                    "FIELD_ARGUMENT_TYPE_MISMATCH",
                    f'Type of argument "{coordinate}({argument_name}:)" is incompatible across subgraphs: '
                    f"it has {where}",
                )
            if len({print_ast(a.default_value) if a.default_value else None for a in arguments}) > 1:
                self.error(
                    "FIELD_ARGUMENT_DEFAULT_MISMATCH",
                    f'Argument "{coordinate}({argument_name}:)" has incompatible default values across subgraphs',
                )
            kept.append(arguments[0])
        return _arguments(kept)

    def _union(self, name: str, found: list[_Occurrence]) -> str:
        directives = self._join_types(found)
        for occurrence in found:
            for member in occurrence.type.members:
                directives.append(f"@join__unionMember(graph: {occurrence.graph}, member: {_string(member)})")
        directives += self._type_markers(found)
        members = _unique(m for o in found for m in o.type.members)
        head = f"{self._description(o.type.description for o in found)}union {name}"
        return f"{head} {' '.join(directives)} = {' | '.join(members)}"

    def _enum(self, name: str, found: list[_Occurrence]) -> str:
        per_graph = [list(o.type.values) for o in found]
        all_values = _unique(v for values in per_graph for v in values)
        used_as_input = name in self.input_usage
        used_as_output = name in self.output_usage
        if used_as_input and used_as_output:
            values = all_values
            if any(set(v) != set(all_values) for v in per_graph):
                self.error(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{name}" is used as both input and output type, '
                    "but its values are not consistent across subgraphs",
                )
        elif used_as_input:
            values = [v for v in all_values if all(v in values for values in per_graph)]
            if not values:
                self.error(
                    "EMPTY_MERGED_ENUM_TYPE",
                    f'None of the values of enum type "{name}" are defined consistently in all the subgraphs defining '
                    "that type. As only values common to all subgraphs are merged, this would result in an empty type.",
                )
        else:
            values = all_values
        lines = []
        for value in values:
            joins = [f"@join__enumValue(graph: {o.graph})" for o in found if value in o.type.values]
            sources = [o.type.values[value] for o in found if value in o.type.values]
            description = _indented(self._description(s.description for s in sources))
            lines.append(f"{description}  {value} {' '.join(joins + self._markers(sources))}")
        head = f"{self._description(o.type.description for o in found)}enum {name}"
        return _block(head, self._join_types(found) + self._type_markers(found), lines)

    def _input(self, name: str, found: list[_Occurrence]) -> str:
        field_names = _unique(f for o in found for f in o.type.fields)
        lines = []
        for field_name in field_names:
            present = [o.type.fields.get(field_name) for o in found]
            if any(p is None for p in present):
                missing = [o.subgraph.name for o, p in zip(found, present, strict=True) if p is None]
                required = [p for p in present if p is not None and isinstance(p.type, NonNullTypeNode)]
                if required:
                    self.error(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f'Input object field "{name}.{field_name}" is required in some subgraphs '
                        f"but does not appear in all subgraphs: it is missing in {', '.join(missing)}",
                    )
                continue
            items = [p for p in present if p is not None]
            types = [print_ast(i.type) for i in items]
            if len({_strip_nonnull(t) for t in types}) > 1:
                where = " but ".join(
                    f'type "{t}" in subgraph "{o.subgraph.name}"' for t, o in zip(types, found, strict=True)
                )
                self.error(
                    "FIELD_TYPE_MISMATCH",
                    f'Type of field "{name}.{field_name}" is incompatible across subgraphs: it has {where}',
                )
            defaults = [print_ast(i.default_value) if i.default_value is not None else None for i in items]
            if len(set(defaults)) > 1:
                where = " but ".join(
                    f'default value {d} in subgraph "{o.subgraph.name}"' for d, o in zip(defaults, found, strict=True)
                )
                self.error(
                    "INPUT_FIELD_DEFAULT_MISMATCH",
                    f'Input field "{name}.{field_name}" has incompatible default values across subgraphs: '
                    f"it has {where}",
                )
            supergraph_type = _strongest(types)
            default = next((i.default_value for i in items if i.default_value is not None), None)
            default_text = f" = {print_ast(default)}" if default is not None else ""
            markers = self._markers(items)
            tail = (" " + " ".join(markers)) if markers else ""
            description = _indented(self._description(i.description for i in items))
            lines.append(f"{description}  {field_name}: {supergraph_type}{default_text}{tail}")
        if not lines:
            self.error(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{name}" are consistently defined '
                "in all the subgraphs defining that type.",
            )
        head = f"{self._description(o.type.description for o in found)}input {name}"
        return _block(head, self._join_types(found) + self._type_markers(found), lines)

    def _scalar(self, name: str, found: list[_Occurrence]) -> str:
        directives = self._join_types(found) + self._type_markers(found)
        specified_by = next((o.type.specified_by for o in found if o.type.specified_by is not None), None)
        if specified_by is not None:
            directives.append(print_ast(specified_by))
        return f"{self._description(o.type.description for o in found)}scalar {name} {' '.join(directives)}"

    def _executable_directives(self) -> list[str]:
        """Directives clients may use in operations, kept when every subgraph defines them."""
        kept: list[str] = []
        first = self.subgraphs[0]
        for name, definition in first.directive_definitions.items():
            if name in self.composed or not {loc.value for loc in definition.locations} <= EXECUTABLE_LOCATIONS:
                continue
            if all(name in s.directive_definitions for s in self.subgraphs):
                kept.append(print_ast(definition))
        return kept

    # -- document ---------------------------------------------------------------

    def _document(self, roots: list[str], blocks: list[str]) -> str:
        links = [
            '@link(url: "https://specs.apollo.dev/link/v1.0")',
            f'@link(url: "https://specs.apollo.dev/join/{self.join_version}", for: EXECUTION)',
        ]
        cost = self.used_access & {"cost", "listSize"}
        if cost:
            imports = ', import: ["@listSize"]' if "listSize" in cost else ""
            links.append(f'@link(url: "https://specs.apollo.dev/cost/v0.1"{imports})')
        for feature in ("authenticated", "requiresScopes", "policy"):
            if feature in self.used_access:
                links.append(f'@link(url: "https://specs.apollo.dev/{feature}/v0.1", for: SECURITY)')
        for name, (url, _) in self.composed.items():
            links.append(f'@link(url: {_string(url)}, import: ["@{name}"])')
        if self.uses_inaccessible:
            links.append('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)')
        if self.uses_tag:
            links.append('@link(url: "https://specs.apollo.dev/tag/v0.3")')
        operations = "\n".join(f"  {r.lower()}: {r}" for r in roots)
        parts = [f"schema {' '.join(links)} {{\n{operations}\n}}", _join_definitions(self.join_version)]
        if cost:
            parts.append(COST_DEFINITIONS)
        parts += [
            ACCESS_DEFINITIONS[feature]
            for feature in ("authenticated", "requiresScopes", "policy")
            if feature in self.used_access
        ]
        parts += [definition for _, definition in self.composed.values()]
        parts += self._executable_directives()
        if self.uses_inaccessible:
            parts.append(INACCESSIBLE_DEFINITION)
        if self.uses_tag:
            parts.append(TAG_DEFINITION)
        graphs = "\n".join(
            f"  {self.graphs[s.name]} @join__graph(name: {_string(s.name)}, url: {_string(s.url)})"
            for s in self.subgraphs
        )
        parts.append(f"enum join__Graph {{\n{graphs}\n}}")
        parts += blocks
        return "\n\n".join(parts) + "\n"


def _string_lists(value: list[list[str]]) -> str:
    return print_ast(
        ListValueNode(
            values=tuple(ListValueNode(values=tuple(StringValueNode(value=s) for s in clause)) for clause in value)
        )
    )


def _join_definitions(version: str) -> str:
    field_arguments = "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
    field_arguments += "external: Boolean, override: String, usedOverridden: Boolean"
    extra = ""
    if version in ("v0.4", "v0.5"):
        field_arguments += ", overrideLabel: String"
    if version == "v0.5":
        field_arguments += ", contextArguments: [join__ContextArgument!]"
        extra = (
            "\n\ninput join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n"
            "  selection: join__FieldValue!\n}\n\nscalar join__FieldValue"
        )
    field_directive = (
        f"directive @join__field({field_arguments}) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION"
    )
    return JOIN_DEFINITIONS.replace("@@JOIN_FIELD@@", field_directive) + extra


COST_DEFINITIONS = """directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | \
INPUT_FIELD_DEFINITION | OBJECT | SCALAR

directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], \
requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"""

ACCESS_DEFINITIONS = {
    "authenticated": "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": (
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | "
        "INTERFACE | SCALAR | ENUM\n\nscalar requiresScopes__Scope"
    ),
    "policy": (
        "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | "
        "ENUM\n\nscalar policy__Policy"
    ),
}

JOIN_DEFINITIONS = """directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

@@JOIN_FIELD@@

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | \
ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  \"\"\"`SECURITY` features provide metadata necessary to securely resolve fields.\"\"\"
  SECURITY
  \"\"\"`EXECUTION` features provide metadata necessary for operation execution.\"\"\"
  EXECUTION
}"""

INACCESSIBLE_DEFINITION = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | "
    "ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
    "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA"
)


def print_ast_description(text: str) -> str:
    escaped = text.replace('"""', '\\"""')
    return f'"""\n{escaped}\n"""\n'


def _indented(description: str) -> str:
    """A member's description, indented to sit above it inside its type."""
    return "".join(f"  {line}\n" for line in description.splitlines())


def _block(head: str, directives: list[str], lines: list[str]) -> str:
    joined = (" " + " ".join(directives)) if directives else ""
    return f"{head}{joined} {{\n" + "\n".join(lines) + "\n}"


def _arguments(arguments: list) -> str:
    if not arguments:
        return ""
    return "(" + ", ".join(print_ast(a) for a in arguments) + ")"


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _normal_field_set(text: str) -> str:
    return print_field_set(parse_field_set(text))


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, NonNullTypeNode | ListTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _strip_nonnull(printed: str) -> str:
    return printed.replace("!", "")


def _weakest(printed: list[str]) -> str:
    """The type that promises least: nullable wherever any subgraph is nullable."""
    result = list(printed[0])
    for other in printed[1:]:
        result = _combine(result, list(other), weakest=True)
    return "".join(result)


def _strongest(printed: list[str]) -> str:
    """For inputs: non-null wherever any subgraph requires it."""
    if len(set(printed)) == 1:
        return printed[0]
    result = list(printed[0])
    for other in printed[1:]:
        result = _combine(result, list(other), weakest=False)
    return "".join(result)


def _combine(a: list[str], b: list[str], *, weakest: bool) -> list[str]:
    out: list[str] = []
    i = j = 0
    while i < len(a) or j < len(b):
        ca = a[i] if i < len(a) else ""
        cb = b[j] if j < len(b) else ""
        if ca == cb:
            out.append(ca)
            i += 1
            j += 1
        elif ca == "!":
            if not weakest:
                out.append("!")
            i += 1
        elif cb == "!":
            if not weakest:
                out.append("!")
            j += 1
        else:
            out.append(ca)
            i += 1
            j += 1
    return out


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
