"""catalog: books filtered (every filter field optional), ordered by year, and cut to `first`."""


def book(_parent, info, id):
    return info.context["subgraph"].lookup("Book", id=id)


def books(_parent, info, first, order, filter=None):
    found = list(info.context["subgraph"].records("Book"))
    if filter:
        if filter.get("titleContains") is not None:
            found = [b for b in found if filter["titleContains"].lower() in b["title"].lower()]
        if filter.get("minYear") is not None:
            found = [b for b in found if b["year"] >= filter["minYear"]]
        if filter.get("tags") is not None:
            found = [b for b in found if set(filter["tags"]) <= set(b["tags"])]
        if filter.get("range") is not None:
            found = [b for b in found if filter["range"]["from"] <= b["year"] <= filter["range"]["to"]]
    found.sort(key=lambda b: b["year"], reverse=order == "DESC")
    return found if first is None else found[:first]


RESOLVERS = {"Query.book": book, "Query.books": books}
