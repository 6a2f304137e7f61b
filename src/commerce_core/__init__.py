"""commerce_core: the business logic of an online shop, behind ports.

The names below are the public API; everything else is private and may change. Import adapters
from :mod:`commerce_core.adapters.memory` and test support from :mod:`commerce_core.testing`.
"""

from commerce_core.domain.events import DomainEvent
from commerce_core.domain.notifications import Notification
from commerce_core.domain.state_machine import TransitionTable
from commerce_core.errors import (
    AllocationError,
    CommerceError,
    ConcurrencyConflictError,
    CurrencyMismatchError,
    InvalidAmountError,
    InvalidQuantityError,
    InvalidTableError,
    InvalidTransitionError,
    NotFoundError,
    UnknownCurrencyError,
)
from commerce_core.money import (
    DEFAULT_ROUNDING,
    Money,
    RoundingLevel,
    RoundingMode,
    RoundingPolicy,
    TaxedMoney,
    allocate,
    allocate_evenly,
    from_minor,
    minor_units,
    money,
    quantize,
    to_minor,
    zero,
)
from commerce_core.ports.clock import Clock
from commerce_core.ports.ids import IdFactory
from commerce_core.ports.notifier import Notifier

# region inventory-import
from commerce_core.domain.inventory import (
    Allocation,
    AllocationStrategy,
    Availability,
    BackInStock,
    BackorderMode,
    BackorderPolicy,
    BackorderSettled,
    IncomingStock,
    Location,
    LowStock,
    MovementKind,
    OutOfStock,
    OwnerKind,
    PreferLocations,
    PriorityOrder,
    RESERVATION_LIFECYCLE,
    Reservation,
    ReservationCommitted,
    ReservationExpired,
    ReservationExtended,
    ReservationLine,
    ReservationReleased,
    ReservationReplaced,
    ReservationState,
    ReservationTtl,
    ReserveOutcome,
    Shortage,
    SingleLocationFirst,
    StockAlert,
    StockLevel,
    StockMovement,
    StockMovementRecorded,
    StockRequest,
    StockReserved,
)
from commerce_core.errors import (
    UnknownSkuError,
    UnknownLocationError,
    ReservationNotFoundError,
    InsufficientStockError,
    ReservationConflictError,
    InvalidReservationError,
    ReservationExpiredError,
)
from commerce_core.ports.inventory import AvailabilityQuery, InventoryStore
from commerce_core.services.inventory import (
    Drift,
    InventoryService,
    ReconciliationReport,
    alert_notification,
)

# endregion inventory-import
# region cart-import
# endregion cart-import
# region promotions-import
# endregion promotions-import
# region orders-import
# endregion orders-import
# region payments-import
from commerce_core.domain.cards import (
    CardBrand,
    CardCheck,
    CardExpiry,
    CardNumber,
    CardSummary,
    brand_of,
    check_card,
    luhn_valid,
    mask_number,
)
from commerce_core.domain.payment import (
    OrderPaymentStatus,
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentStatus,
    PaymentSummary,
    ProviderEvent,
    ProviderEventKind,
    parse_provider_event,
)
from commerce_core.domain.payment_gateway import (
    Approved,
    AuthorizeRequest,
    CaptureRequest,
    ClaimStatus,
    DeclineCode,
    Declined,
    GatewayOutcome,
    GatewayResult,
    IdempotencyClaim,
    PaymentMethod,
    PaymentOperation,
    RefundRequest,
    RequiredAction,
    RequiresAction,
    RetryPolicy,
    TransientFailure,
    VoidRequest,
    idempotency_key,
    result_from_data,
    result_to_data,
)
from commerce_core.domain.transaction_log import (
    LogEntry,
    TransactionRecord,
    chain_is_intact,
    verify_chain,
)
from commerce_core.ports.payments import (
    IdempotencyStore,
    PaymentGateway,
    PaymentRepository,
    ProcessedEventStore,
    TransactionLog,
    WebhookVerifier,
)
from commerce_core.services.payments import (
    PaymentResult,
    PaymentService,
    PaymentWebhookHandler,
    WebhookOutcome,
    WebhookResult,
)
from commerce_core.errors import (
    IdempotencyInProgressError,
    IdempotencyKeyReuseError,
    InvalidCardError,
    InvalidWebhookPayloadError,
    InvalidWebhookSignatureError,
    OverCaptureError,
    OverRefundError,
    PaymentError,
    RawCardDataError,
    TransactionLogCorruptError,
)
# endregion payments-import
# region analytics-import
# endregion analytics-import

__version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
    # errors
    "CommerceError",
    "CurrencyMismatchError",
    "InvalidAmountError",
    "UnknownCurrencyError",
    "AllocationError",
    "InvalidQuantityError",
    "NotFoundError",
    "ConcurrencyConflictError",
    "InvalidTransitionError",
    "InvalidTableError",
    # money
    "Money",
    "money",
    "zero",
    "minor_units",
    "to_minor",
    "from_minor",
    "RoundingMode",
    "RoundingLevel",
    "RoundingPolicy",
    "DEFAULT_ROUNDING",
    "quantize",
    "allocate",
    "allocate_evenly",
    "TaxedMoney",
    # cross-cutting ports and values
    "Clock",
    "IdFactory",
    "Notifier",
    "Notification",
    "DomainEvent",
    "TransitionTable",
    # region inventory-all
    "UnknownSkuError",
    "UnknownLocationError",
    "ReservationNotFoundError",
    "InsufficientStockError",
    "ReservationConflictError",
    "InvalidReservationError",
    "ReservationExpiredError",
    "Allocation",
    "AllocationStrategy",
    "Availability",
    "BackInStock",
    "BackorderMode",
    "BackorderPolicy",
    "BackorderSettled",
    "IncomingStock",
    "Location",
    "LowStock",
    "MovementKind",
    "OutOfStock",
    "OwnerKind",
    "PreferLocations",
    "PriorityOrder",
    "RESERVATION_LIFECYCLE",
    "Reservation",
    "ReservationCommitted",
    "ReservationExpired",
    "ReservationExtended",
    "ReservationLine",
    "ReservationReleased",
    "ReservationReplaced",
    "ReservationState",
    "ReservationTtl",
    "ReserveOutcome",
    "Shortage",
    "SingleLocationFirst",
    "StockAlert",
    "StockLevel",
    "StockMovement",
    "StockMovementRecorded",
    "StockRequest",
    "StockReserved",
    "AvailabilityQuery",
    "InventoryStore",
    "InventoryService",
    "ReconciliationReport",
    "Drift",
    "alert_notification",
    # endregion inventory-all
    # region cart-all
    # endregion cart-all
    # region promotions-all
    # endregion promotions-all
    # region orders-all
    # endregion orders-all
    # region payments-all
    "CardBrand",
    "CardCheck",
    "CardExpiry",
    "CardNumber",
    "CardSummary",
    "brand_of",
    "check_card",
    "luhn_valid",
    "mask_number",
    "OrderPaymentStatus",
    "PAYMENT_TRANSITIONS",
    "Payment",
    "PaymentStatus",
    "PaymentSummary",
    "ProviderEvent",
    "ProviderEventKind",
    "parse_provider_event",
    "Approved",
    "AuthorizeRequest",
    "CaptureRequest",
    "ClaimStatus",
    "DeclineCode",
    "Declined",
    "GatewayOutcome",
    "GatewayResult",
    "IdempotencyClaim",
    "PaymentMethod",
    "PaymentOperation",
    "RefundRequest",
    "RequiredAction",
    "RequiresAction",
    "RetryPolicy",
    "TransientFailure",
    "VoidRequest",
    "idempotency_key",
    "result_from_data",
    "result_to_data",
    "LogEntry",
    "TransactionRecord",
    "chain_is_intact",
    "verify_chain",
    "IdempotencyStore",
    "PaymentGateway",
    "PaymentRepository",
    "ProcessedEventStore",
    "TransactionLog",
    "WebhookVerifier",
    "PaymentResult",
    "PaymentService",
    "PaymentWebhookHandler",
    "WebhookOutcome",
    "WebhookResult",
    "IdempotencyInProgressError",
    "IdempotencyKeyReuseError",
    "InvalidCardError",
    "InvalidWebhookPayloadError",
    "InvalidWebhookSignatureError",
    "OverCaptureError",
    "OverRefundError",
    "PaymentError",
    "RawCardDataError",
    "TransactionLogCorruptError",
    # endregion payments-all
    # region analytics-all
    # endregion analytics-all
]
