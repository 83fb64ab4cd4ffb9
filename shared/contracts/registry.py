"""The registry that maps a contract Protocol to the domain object implementing it."""

from __future__ import annotations

from typing import Any, TypeVar, cast

T = TypeVar("T")


class ContractMissing(LookupError):
    pass


class ContractRegistry:
    def __init__(self) -> None:
        self._implementations: dict[type[Any], object] = {}

    def register(self, contract: type[T], implementation: T) -> None:
        """Register the one implementation of `contract`.

        The Protocol must be `@runtime_checkable`, so a missing method is
        caught here, at start, rather than at the first checkout.
        """
        if not getattr(contract, "_is_runtime_protocol", False):
            raise TypeError(f"{contract.__qualname__} must be a @runtime_checkable Protocol")
        if not isinstance(implementation, contract):
            raise TypeError(f"{type(implementation).__qualname__} does not implement {contract.__qualname__}")
        current = self._implementations.get(contract)
        if current is not None and current is not implementation:
            raise ValueError(f"{contract.__qualname__} already has an implementation: {type(current).__qualname__}")
        self._implementations[contract] = implementation

    def get(self, contract: type[T]) -> T:
        try:
            return cast(T, self._implementations[contract])
        except KeyError:
            raise ContractMissing(
                f"no implementation registered for {contract.__qualname__}; is the domain that owns it installed?"
            ) from None

    def unregister(self, contract: type[Any]) -> None:
        self._implementations.pop(contract, None)


contracts = ContractRegistry()
