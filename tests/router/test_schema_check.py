"""API schema comparison for `roseash check`."""

from __future__ import annotations

from router.schema_check import BREAKING, DANGEROUS, SAFE, compare

OLD = """
type Query { post(id: ID!): Post posts: [Post!]! }
type Post { id: ID! title: String status: Status }
enum Status { DRAFT PUBLISHED }
input PostFilter { status: Status }
"""


def levels(new: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {BREAKING: [], DANGEROUS: [], SAFE: []}
    for change in compare(OLD, new):
        found[change.level].append(change.message)
    return found


def test_identical_schemas_have_no_changes() -> None:
    assert compare(OLD, OLD) == []


def test_removing_a_field_is_breaking() -> None:
    found = levels(OLD.replace("title: String ", ""))
    assert found[BREAKING] == ["Field Post.title was removed."]


def test_added_enum_value_is_dangerous_and_new_fields_are_safe() -> None:
    found = levels(
        OLD.replace("DRAFT PUBLISHED", "DRAFT PUBLISHED ARCHIVED").replace(
            "status: Status }", "status: Status slug: String }", 1
        )
    )
    assert found[BREAKING] == []
    assert found[DANGEROUS] == ["Enum value Status.ARCHIVED was added."]
    assert found[SAFE] == ["Post.slug was added."]


def test_new_required_input_field_is_breaking() -> None:
    found = levels(
        OLD.replace("input PostFilter { status: Status }", "input PostFilter { status: Status author: ID! }")
    )
    assert any("author" in message for message in found[BREAKING])
