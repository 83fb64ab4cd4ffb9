"""content: `item(id)` finds an article or a video."""


def item(_parent, info, id):
    subgraph = info.context["subgraph"]
    return subgraph.lookup("Article", id=id) or subgraph.lookup("Video", id=id)


RESOLVERS = {"Query.item": item}
