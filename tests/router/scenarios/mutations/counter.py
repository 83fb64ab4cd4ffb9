"""counter: mutations append to the journal that every subgraph of the scenario shares."""

import asyncio


def record(state, entry, value):
    """Append to the shared journal and return the Step for this call."""
    journal = state.setdefault("journal", [])
    journal.append(entry)
    return {"seq": len(journal), "value": value, "journal": list(journal)}


def reset(_parent, info):
    info.context["state"].clear()
    return {"seq": 0, "value": 0, "journal": []}


def increment(_parent, info, by):
    state = info.context["state"]
    state["count"] = state.get("count", 0) + by
    return record(state, f"counter+{by}", state["count"])


async def slow_increment(_parent, info, by):
    # Slower than journal's note: a router that ran mutation fields in parallel would let
    # the note land first.
    await asyncio.sleep(0.2)
    return increment(_parent, info, by)


def count(_parent, info):
    return info.context["state"].get("count", 0)


def tally(note, info):
    """How many journal entries there were when this note was written."""
    return info.context["state"].get("notes", {}).get(note["id"], 0)


RESOLVERS = {
    "Mutation.reset": reset,
    "Mutation.increment": increment,
    "Mutation.slowIncrement": slow_increment,
    "Query.count": count,
    "Note.tally": tally,
}
