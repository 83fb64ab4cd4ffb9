"""Typed contracts for cross-domain writes.

A contract is a `typing.Protocol` whose methods take and return frozen
dataclass DTOs and an `AsyncSession`, so the caller's transaction spans both
domains. The owning domain registers its implementation at start; callers look
it up by the Protocol. Contracts themselves live beside this module, one file
per contract.
"""

from shared.contracts.registry import ContractMissing, ContractRegistry, contracts

__all__ = ["ContractMissing", "ContractRegistry", "contracts"]
