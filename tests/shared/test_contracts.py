from dataclasses import FrozenInstanceError, dataclass
from typing import Protocol, runtime_checkable

import pytest

from shared.contracts import ContractMissing, ContractRegistry


@dataclass(frozen=True, slots=True)
class StockRequest:
    product_id: str
    quantity: int


@runtime_checkable
class StockReservations(Protocol):
    async def reserve(self, request: StockRequest) -> bool: ...


class NotAContract(Protocol):
    async def reserve(self, request: StockRequest) -> bool: ...


class Market:
    async def reserve(self, request: StockRequest) -> bool:
        return request.quantity <= 3


class Impostor:
    async def hold(self, request: StockRequest) -> bool:
        return True


async def test_registered_implementation_is_found_by_its_protocol() -> None:
    registry = ContractRegistry()
    market = Market()
    registry.register(StockReservations, market)
    assert registry.get(StockReservations) is market
    assert await registry.get(StockReservations).reserve(StockRequest("p1", 2)) is True


def test_missing_implementation_names_the_contract() -> None:
    with pytest.raises(ContractMissing, match="StockReservations"):
        ContractRegistry().get(StockReservations)


def test_an_object_missing_a_method_is_refused_at_registration() -> None:
    with pytest.raises(TypeError, match="Impostor does not implement StockReservations"):
        ContractRegistry().register(StockReservations, Impostor())  # type: ignore[arg-type]


def test_protocols_must_be_runtime_checkable() -> None:
    with pytest.raises(TypeError, match="runtime_checkable"):
        ContractRegistry().register(NotAContract, Market())


def test_a_second_implementation_is_refused() -> None:
    registry = ContractRegistry()
    registry.register(StockReservations, Market())
    with pytest.raises(ValueError, match="already has an implementation"):
        registry.register(StockReservations, Market())
    registry.unregister(StockReservations)
    registry.register(StockReservations, Market())


def test_dtos_are_frozen() -> None:
    request = StockRequest("p1", 1)
    with pytest.raises(FrozenInstanceError):
        request.quantity = 5  # type: ignore[misc]
