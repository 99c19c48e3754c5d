"""Payment: base schemes now; metrics and bonus/penalty rules build on this."""

from simulate.incentives.base_payment import PAYMENT_COMPONENTS, BasePayment

__all__ = ["PAYMENT_COMPONENTS", "BasePayment"]
