"""journal: notes go into the journal every subgraph of the scenario shares."""


def note(_parent, info, text):
    state = info.context["state"]
    journal = state.setdefault("journal", [])
    journal.append(f"note:{text}")
    return {"seq": len(journal), "value": len(journal), "journal": list(journal)}


def add_note(_parent, info, text):
    state = info.context["state"]
    journal = state.setdefault("journal", [])
    journal.append(f"note:{text}")
    note_id = f"n{len(journal)}"
    state.setdefault("notes", {})[note_id] = len(journal)
    return {"id": note_id, "text": text}


def notes(_parent, info):
    return [e for e in info.context["state"].get("journal", []) if e.startswith("note:")]


RESOLVERS = {"Mutation.note": note, "Mutation.addNote": add_note, "Query.notes": notes}
