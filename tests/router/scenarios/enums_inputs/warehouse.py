"""warehouse: stock by size; the filter's onlyInStock (not in the supergraph) defaults to true."""


def stock_for(_parent, info, size):
    return [r for r in info.context["subgraph"].records("Shirt") if r["size"] == size]


def stocked_shirts(_parent, info, filter=None):
    filter = filter or {}
    found = []
    for record in info.context["subgraph"].records("Shirt"):
        if filter.get("size") is not None and record["size"] != filter["size"]:
            continue
        if filter.get("color") is not None and record["color"] != filter["color"].upper():
            continue
        if filter.get("onlyInStock", True) and record["stock"] == 0:
            continue
        found.append(record)
    return found


RESOLVERS = {"Query.stockFor": stock_for, "Query.stockedShirts": stocked_shirts}
