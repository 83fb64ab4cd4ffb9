"""news: the first `limit` headlines (all of them without a limit)."""


def headlines(_parent, info, limit=None):
    records = info.context["subgraph"].records("Headline")
    return records if limit is None else records[:limit]


RESOLVERS = {"Query.headlines": headlines}
