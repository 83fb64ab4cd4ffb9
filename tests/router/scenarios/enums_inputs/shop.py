"""shop: shirts by size and colour; the colour filter matches case-insensitively."""


def matching(records, size=None, color=None):
    return [
        r for r in records if (size is None or r["size"] == size) and (color is None or r["color"] == color.upper())
    ]


def shirts(_parent, info, filter=None):
    filter = filter or {}
    return matching(info.context["subgraph"].records("Shirt"), filter.get("size"), filter.get("color"))


def shirts_by_size(_parent, info, size):
    return matching(info.context["subgraph"].records("Shirt"), size)


RESOLVERS = {"Query.shirts": shirts, "Query.shirtsBySize": shirts_by_size}
