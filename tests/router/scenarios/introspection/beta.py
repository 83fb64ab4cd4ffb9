"""beta: a gadget labelled as asked, pointing at a widget when given its id."""


def gadget(_parent, _info, input=None):
    input = input or {"label": "untitled"}
    widget = {"@ref": "Widget", "id": input["widgetId"]} if input.get("widgetId") else None
    return {"label": input["label"], "widget": widget}


RESOLVERS = {"Query.gadget": gadget}
