"""The core's write API. Importing it installs the domain validators on the unit of work."""

from desktop.core.services import validation as _validation  # noqa: F401  (registers validators)
from desktop.core.services.errors import FieldProblem, NotFound, ServiceError, ValidationFailed
from desktop.core.services.uow import Change, UnitOfWork

__all__ = ["Change", "FieldProblem", "NotFound", "ServiceError", "UnitOfWork", "ValidationFailed"]
