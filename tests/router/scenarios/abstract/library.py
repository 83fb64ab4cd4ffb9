"""library: media by id, and a search over titles, authors, directors and names."""


def media_item(_parent, info, id):
    subgraph = info.context["subgraph"]
    return subgraph.lookup("Book", id=id) or subgraph.lookup("Movie", id=id)


def search(_parent, info, term):
    subgraph = info.context["subgraph"]
    term = term.lower()
    found = []
    for typename in ("Book", "Movie", "Person"):
        for record in subgraph.records(typename):
            if any(term in str(value).lower() for key, value in record.items() if key != "id"):
                found.append(record)
    return found


RESOLVERS = {"Query.mediaItem": media_item, "Query.search": search}
