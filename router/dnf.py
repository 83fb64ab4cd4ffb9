"""Requirements in disjunctive normal form, as @requiresScopes and @policy write them.

[["a", "b"], ["c"]] asks for a and b, or for c.
"""

from __future__ import annotations

from collections.abc import Sequence


def conjunction(requirements: Sequence[Sequence[Sequence[str]]]) -> list[list[str]]:
    """What asks for all of `requirements` at once, the way Apollo's composition merges them (DNF_CONJUNCTION).

    The product of their clauses, each clause sorted and without repeats, and no clause kept
    that contains another (a, or a and b, is just a). An empty requirement asks nothing.
    """
    result: list[list[str]] = [[]]
    for requirement in requirements:
        clauses = [sorted(set(clause)) for clause in requirement] or [[]]
        product: list[list[str]] = []
        for left in result:
            for right in clauses:
                combined = sorted({*left, *right})
                if combined not in product:
                    product.append(combined)
        result = product
    kept: list[list[str]] = []
    for clause in sorted(result, key=len):
        if not any(set(other) <= set(clause) for other in kept):
            kept.append(clause)
    return kept
