"""Run a query plan: send the fetches, and merge their answers into one tree by path.

Execution only moves JSON. Root fetches merge at the top; entity fetches
gather the objects at their path, send one deduplicated representation per
distinct object, and merge each answer back into every object it came from.
Subgraph errors are re-pathed onto the client's response paths.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import orjson

from router.fetcher import Fetcher, SubgraphError
from router.plan import Fetch, QueryPlan
from router.selection import INTERNAL_PREFIX, FieldItem, FragmentItem, Selection

# A response path as (parent, key) pairs back to the root: cheap to extend for every
# object, turned into a list only when an error needs it.
ResponsePath = tuple[Any, str | int] | None

logger = logging.getLogger("roseash.router")


def path_list(path: ResponsePath) -> list[str | int]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


class Execution:
    """One request's run of a plan."""

    def __init__(
        self,
        plan: QueryPlan,
        fetcher: Fetcher,
        urls: Mapping[str, str],
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
    ) -> None:
        self.plan = plan
        self.fetcher = fetcher
        self.urls = urls
        self.variables = variables
        self.headers = headers
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []

    async def run(self) -> None:
        for stage in self.plan.stages:
            await self._run_stage(stage)

    async def _run_stage(self, stage: list[Fetch]) -> None:
        tasks: dict[int, asyncio.Task[None]] = {}
        by_id = {fetch.id: fetch for fetch in stage}

        async def run_after(fetch: Fetch) -> None:
            dependencies = [tasks[d] for d in fetch.depends_on if d in tasks]
            if dependencies:
                await asyncio.gather(*dependencies)
            try:
                await self._run_fetch(fetch)
            except Exception:
                # An answer we could not use must cost this fetch's fields, not the whole response.
                logger.exception("could not use the answer of subgraph %s", fetch.service)
                self.errors.append(
                    {
                        "message": f"subgraph {fetch.service}: its answer could not be used",
                        "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "service": fetch.service},
                    }
                )

        # Every task exists before any runs, so each can wait on its dependencies by id.
        for fetch_id in sorted(by_id):
            tasks[fetch_id] = asyncio.ensure_future(run_after(by_id[fetch_id]))
        await asyncio.gather(*tasks.values())

    async def _run_fetch(self, fetch: Fetch) -> None:
        variables = {name: self.variables[name] for name in fetch.variable_names if name in self.variables}
        if not fetch.entity:
            response = await self._send(fetch, variables)
            if response is None:
                return
            data = response.get("data")
            if isinstance(data, dict):
                merge(self.data, data)
            for error in _errors(response, fetch):
                path = error.get("path")
                valid = isinstance(path, list) and all(type(p) in (str, int) for p in path)
                self.errors.append(_subgraph_error(error, fetch, path if valid else None))
            return
        origins: list[list[tuple[dict[str, Any], ResponsePath]]] = []
        representations: list[dict[str, Any]] = []
        index: dict[Any, int] = {}
        flat = fetch.flat_keys
        for obj, path in self._objects(fetch):
            signature: Any
            if flat is not None:
                # The common case, scalar key fields only: no nested extraction, a tuple for identity.
                values = [obj.get(name, _MISSING) for name in flat]
                if _MISSING in values:
                    continue
                representation = {"__typename": fetch.target_type, **dict(zip(flat, values, strict=True))}
                signature = tuple(values)
                try:
                    hash(signature)
                except TypeError:  # a list or object among the key values
                    signature = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
            else:
                found = _representation(obj, fetch)
                if found is None:
                    continue
                representation = found
                signature = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
            position = index.get(signature)
            if position is None:
                position = index[signature] = len(representations)
                representations.append(representation)
                origins.append([])
            origins[position].append((obj, path))
        if not representations:
            return
        variables["representations"] = representations
        response = await self._send(fetch, variables)
        if response is None:
            return
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if isinstance(entities, list):
            for position, entity in enumerate(entities[: len(origins)]):
                if isinstance(entity, dict):
                    for obj, _ in origins[position]:
                        merge(obj, entity)
                        if fetch.refines_typename and "__typename" in entity:
                            obj["__typename"] = entity["__typename"]
        for error in _errors(response, fetch):
            path = error.get("path")
            if (
                isinstance(path, list)
                and len(path) >= 2
                and path[0] == "_entities"
                and type(path[1]) is int
                and 0 <= path[1] < len(origins)
                and all(type(p) in (str, int) for p in path[2:])
            ):
                for _, origin in origins[path[1]]:
                    self.errors.append(_subgraph_error(error, fetch, [*path_list(origin), *path[2:]]))
            else:
                self.errors.append(_subgraph_error(error, fetch, None))

    async def _send(self, fetch: Fetch, variables: dict[str, Any]) -> dict[str, Any] | None:
        body: dict[str, Any] = {"query": fetch.document}
        if variables:
            body["variables"] = variables
        try:
            return await self.fetcher.post(
                self.urls[fetch.graph], body, self.headers, share=fetch.operation_type == "query"
            )
        except SubgraphError as exc:
            self.errors.append(
                {
                    "message": f"subgraph {fetch.service}: {exc}",
                    "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "service": fetch.service},
                }
            )
            return None

    def _objects(self, fetch: Fetch) -> list[tuple[dict[str, Any], ResponsePath]]:
        found: list[tuple[dict[str, Any], ResponsePath]] = []
        for steps, type_filter in fetch.locations:
            current: list[tuple[dict[str, Any], ResponsePath]] = [(self.data, None)]
            for key, types in steps:
                following: list[tuple[dict[str, Any], ResponsePath]] = []
                append = following.append
                for obj, path in current:
                    value = obj.get(key)
                    if type(value) is dict:
                        if types is None or value.get("__typename") in types:
                            append((value, (path, key)))
                    elif type(value) is list:
                        _flatten(value, (path, key), types, following)
                current = following
            if type_filter is None:
                found.extend(current)
            else:
                found.extend((obj, path) for obj, path in current if obj.get("__typename") in type_filter)
        return found


def _flatten(
    value: Any,
    path: ResponsePath,
    types: frozenset[str] | None,
    into: list[tuple[dict[str, Any], ResponsePath]],
) -> None:
    for position, item in enumerate(value):
        if type(item) is dict:
            if types is None or item.get("__typename") in types:
                into.append((item, (path, position)))
        elif type(item) is list:
            _flatten(item, (path, position), types, into)


def _representation(obj: dict[str, Any], fetch: Fetch) -> dict[str, Any] | None:
    fields = _extract(obj, fetch.representation)
    if fields is None:
        return None
    return {"__typename": fetch.target_type, **fields}


def _extract(obj: dict[str, Any], selection: Selection) -> dict[str, Any] | None:
    """The values `selection` names, taken from `obj`; None when a key field is missing."""
    out: dict[str, Any] = {}
    for item in selection.items.values():
        if isinstance(item, FragmentItem):
            if item.type_condition is None or obj.get("__typename") == item.type_condition:
                nested = _extract(obj, item.selection)
                if nested is None:
                    return None
                out.update(nested)
            continue
        assert isinstance(item, FieldItem)
        if item.name == "__typename":
            continue
        value = obj.get(INTERNAL_PREFIX + item.name, _MISSING)
        if value is _MISSING:
            value = obj.get(item.name, _MISSING)
            if value is _MISSING:
                return None
        if item.selection is not None and value is not None:
            value = _extract_value(value, item.selection)
            if value is _MISSING:
                return None
        out[item.name] = value
    return out


_MISSING = object()


def _extract_value(value: Any, selection: Selection) -> Any:
    if isinstance(value, list):
        items = [_extract_value(v, selection) if v is not None else None for v in value]
        return _MISSING if any(i is _MISSING for i in items) else items
    if isinstance(value, dict):
        nested = _extract(value, selection)
        if nested is None:
            return _MISSING
        if "__typename" in value and any(
            isinstance(i, FragmentItem) or (isinstance(i, FieldItem) and i.name == "__typename")
            for i in selection.items.values()
        ):
            nested = {"__typename": value["__typename"], **nested}
        return nested
    return value


def merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        existing = target.get(key, _MISSING)
        if existing is _MISSING or existing is None:
            target[key] = value
        elif isinstance(existing, dict) and isinstance(value, dict):
            merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for position, (old, new) in enumerate(zip(existing, value, strict=True)):
                if isinstance(old, dict) and isinstance(new, dict):
                    merge(old, new)
                else:
                    existing[position] = new
        elif key != "__typename":
            target[key] = value


def _errors(response: dict[str, Any], fetch: Fetch) -> list[dict[str, Any]]:
    """The response's errors as dicts; anything malformed becomes one error that says so."""
    errors = response.get("errors")
    if errors is None:
        return []
    if not isinstance(errors, list):
        return [{"message": f"subgraph {fetch.service} answered with malformed errors"}]
    return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]


def _subgraph_error(error: dict[str, Any], fetch: Fetch, path: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"message": str(error.get("message", "subgraph error"))}
    if path:
        out["path"] = path
    given = error.get("extensions")
    extensions = dict(given) if isinstance(given, dict) else {}
    extensions.setdefault("service", fetch.service)
    out["extensions"] = extensions
    return out
