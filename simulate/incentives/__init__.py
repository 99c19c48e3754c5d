"""Payment: base schemes now; metrics and bonus/penalty rules build on this."""

from simulate.incentives.base_payment import BasePayment

__all__ = ["BasePayment"]
