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
# endregion inventory-import
# region cart-import
from commerce_core.domain.catalog import (
    DEFAULT_PRICE_LIST,
    CatalogItem,
    ItemPrice,
    QuantityRule,
)
from commerce_core.domain.pricing import (
    Adjustment,
    AdjustmentNote,
    AdjustmentResult,
    AdjustmentStage,
    LineBreakdown,
    NoteStatus,
    PriceBreakdown,
    PriceableCart,
    PricingContext,
    PricingLine,
    ShippingBreakdown,
    TaxLine,
    TaxSummaryRow,
    price_cart,
)
from commerce_core.domain.shipping import (
    FlatRate,
    FreeAbove,
    PerItem,
    ShipmentSummary,
    ShippingMethod,
    ShippingQuote,
    ShippingRateTable,
    ShippingRule,
    WeightBand,
    WeightBands,
)
from commerce_core.domain.tax import (
    Destination,
    Jurisdiction,
    TaxComponent,
    TaxExemption,
    TaxRate,
    TaxResolution,
    TaxTable,
)
from commerce_core.errors import (
    CartLimitError,
    CartNotActiveError,
    InvalidCatalogItemError,
    InvalidTaxRateError,
    PriceNotFoundError,
    PricingError,
    QuantityRuleError,
    RecoveryTokenError,
    ShippingUnavailableError,
    StockUnavailableError,
    UnknownJurisdictionError,
    UnknownSkuError,
)
from commerce_core.ports.catalog import (
    Catalog,
)
from commerce_core.ports.shipping import (
    ShippingRateProvider,
)
from commerce_core.ports.tax import (
    TaxProvider,
)
from commerce_core.domain.cart import (
    CART_LIFECYCLE,
    Cart,
    CartLimits,
    CartLine,
    CartOwner,
    CartStatus,
    MergeResult,
    MergeStrategy,
    OwnerKind,
    PriceChange,
)
from commerce_core.ports.cart import (
    CartRepository,
)
from commerce_core.services.cart import (
    CartPolicy,
    CartService,
    RecoveryNotice,
)
# endregion cart-import
# region promotions-import

from commerce_core.domain.coupons import (
    CODE_ALPHABET,
    Coupon,
    RedeemOutcome,
    generate_codes,
    normalize_code,
)
from commerce_core.domain.promotions import (
    Selector,
    PromotionLine,
    PromotionInput,
    NotAppliedReason,
    ConditionCheck,
    Condition,
    AllOf,
    AnyOf,
    MinSubtotal,
    MinQuantity,
    Contains,
    ContainsNone,
    CustomerGroup,
    NthOrder,
    first_order,
    DateWindow,
    Channel,
    CurrencyIs,
    ShippingDestination,
    Benefit,
    BenefitView,
    Award,
    Gift,
    Hint,
    PercentOff,
    AmountOffEachUnit,
    AmountOffOrder,
    FixedUnitPrice,
    BuyXGetY,
    RewardOrder,
    NForPriceOfM,
    BundlePart,
    BundlePrice,
    Tier,
    TierBasis,
    Tiered,
    ShippingOff,
    FreeGift,
    Limits,
    Stacking,
    Promotion,
    PromotionBook,
    PromotionResult,
    AppliedPromotion,
    NotApplied,
    UpsellHint,
    CodeRejection,
    apply_promotions,
    BacktestReport,
    backtest,
)
from commerce_core.errors import (
    CodeGenerationError,
    ConflictingPromotionError,
    DuplicateCouponCodeError,
    EmptyTargetError,
    InvalidCouponCodeError,
    InvalidPercentageError,
    NegativeAmountError,
    PromotionDefinitionError,
    UnknownCouponError,
    UnknownPromotionError,
)
from commerce_core.ports.promotions import (
    CouponUsage,
    CustomerHistory,
    RandomSource,
)
from commerce_core.services.promotions import (
    CouponRedemption,
    PromotionEngine,
    generate_coupons,
)
# endregion promotions-import
# region orders-import
# endregion orders-import
# region payments-import
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
    # endregion inventory-all
    # region cart-all
    "DEFAULT_PRICE_LIST",
    "CatalogItem",
    "ItemPrice",
    "QuantityRule",
    "Adjustment",
    "AdjustmentNote",
    "AdjustmentResult",
    "AdjustmentStage",
    "LineBreakdown",
    "NoteStatus",
    "PriceBreakdown",
    "PriceableCart",
    "PricingContext",
    "PricingLine",
    "ShippingBreakdown",
    "TaxLine",
    "TaxSummaryRow",
    "price_cart",
    "FlatRate",
    "FreeAbove",
    "PerItem",
    "ShipmentSummary",
    "ShippingMethod",
    "ShippingQuote",
    "ShippingRateTable",
    "ShippingRule",
    "WeightBand",
    "WeightBands",
    "Destination",
    "Jurisdiction",
    "TaxComponent",
    "TaxExemption",
    "TaxRate",
    "TaxResolution",
    "TaxTable",
    "CartLimitError",
    "CartNotActiveError",
    "InvalidCatalogItemError",
    "InvalidTaxRateError",
    "PriceNotFoundError",
    "PricingError",
    "QuantityRuleError",
    "RecoveryTokenError",
    "ShippingUnavailableError",
    "StockUnavailableError",
    "UnknownJurisdictionError",
    "UnknownSkuError",
    "Catalog",
    "ShippingRateProvider",
    "TaxProvider",
    "CART_LIFECYCLE",
    "Cart",
    "CartLimits",
    "CartLine",
    "CartOwner",
    "CartStatus",
    "MergeResult",
    "MergeStrategy",
    "OwnerKind",
    "PriceChange",
    "CartRepository",
    "CartPolicy",
    "CartService",
    "RecoveryNotice",
    # endregion cart-all
    # region promotions-all
    "CodeGenerationError",
    "ConflictingPromotionError",
    "DuplicateCouponCodeError",
    "EmptyTargetError",
    "InvalidCouponCodeError",
    "InvalidPercentageError",
    "NegativeAmountError",
    "PromotionDefinitionError",
    "UnknownCouponError",
    "UnknownPromotionError",
    "CODE_ALPHABET",
    "Coupon",
    "RedeemOutcome",
    "generate_codes",
    "normalize_code",
    "Selector",
    "PromotionLine",
    "PromotionInput",
    "NotAppliedReason",
    "ConditionCheck",
    "Condition",
    "AllOf",
    "AnyOf",
    "MinSubtotal",
    "MinQuantity",
    "Contains",
    "ContainsNone",
    "CustomerGroup",
    "NthOrder",
    "first_order",
    "DateWindow",
    "Channel",
    "CurrencyIs",
    "ShippingDestination",
    "Benefit",
    "BenefitView",
    "Award",
    "Gift",
    "Hint",
    "PercentOff",
    "AmountOffEachUnit",
    "AmountOffOrder",
    "FixedUnitPrice",
    "BuyXGetY",
    "RewardOrder",
    "NForPriceOfM",
    "BundlePart",
    "BundlePrice",
    "Tier",
    "TierBasis",
    "Tiered",
    "ShippingOff",
    "FreeGift",
    "Limits",
    "Stacking",
    "Promotion",
    "PromotionBook",
    "PromotionResult",
    "AppliedPromotion",
    "NotApplied",
    "UpsellHint",
    "CodeRejection",
    "apply_promotions",
    "BacktestReport",
    "backtest",
    "CouponUsage",
    "CustomerHistory",
    "RandomSource",
    "CouponRedemption",
    "PromotionEngine",
    "generate_coupons",
    # endregion promotions-all
    # region orders-all
    # endregion orders-all
    # region payments-all
    # endregion payments-all
    # region analytics-all
    # endregion analytics-all
]
