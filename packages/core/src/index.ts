export { createFlashSale } from './engine.js';
export type {
  FlashSale,
  FlashSaleOptions,
  HoldAttempt,
  HoldCreated,
  HoldInput,
  HoldRefusalCode,
  OrderCreated,
  OrderInput,
  PaymentApplied,
  PaymentInput,
  Product,
  ProductInput,
  ReleaseSummary,
  RestockInput,
  VerifyReport,
  // Hold lifecycle.
  HoldExtended,
  HoldReleased,
  HoldState,
  HoldTokenInput,
  OrderState,
  OrderTokenInput,
  // Drops.
  HoldRefusal,
  UpdateProductInput,
  // Events for the merchant.
  MerchantEventPage,
  ReadEventsInput,
  RedeliverEventsInput,
} from './api.js';
export { EVENT_DELIVERY_DEFAULTS, retryDelay } from './event-delivery.js';
export type { DeliveryAttemptReport, EventDelivery, EventDeliveryOptions, EventSink } from './event-delivery.js';
export { MERCHANT_EVENT_TYPES, merchantEventJson, toMerchantEvent } from './merchant-events.js';
export type {
  HoldReleasedData,
  MerchantEvent,
  MerchantEventJson,
  MerchantEventType,
  OrderEventData,
  ProductRestockedData,
  ProductSoldOutData,
  StoredMerchantEvent,
} from './merchant-events.js';
export { ENGINE_DEFAULTS, type EngineSettings } from './options.js';
export { ERROR_CODES, errorMessage, FlashSaleError, flashSaleError } from './errors.js';
export type { ErrorCode, InputIssue, RefusalDetails } from './errors.js';
export type { FlashSaleEvent, EventListener, ReleaseCause } from './events.js';
export type { EpochMs, HoldRecord, HoldStatus, OrderRecord, OrderStatus, PaymentStatus, ProductRecord, SaleStatus } from './domain.js';
export { HOLD_STATUSES, ORDER_STATUSES } from './domain.js';
export type {
  ApplyPaymentRequest,
  AuditSnapshot,
  ClaimedEventDelivery,
  ClaimEventDeliveriesRequest,
  EventDeliveryBacklog,
  EventDeliverySettlement,
  CreateOrderOutcome,
  CreateOrderRequest,
  FlashSaleStore,
  PaymentEffect,
  PaymentOutcome,
  ProductAudit,
  ReleaseCounts,
  ReserveOutcome,
  ReserveRequest,
  CallbackPoolLike,
  SharedDatabase,
  SqlPoolLike,
  StoreCapabilities,
  // Hold lifecycle.
  ExtendHoldOutcome,
  ExtendHoldRequest,
  GetHoldRequest,
  GetOrderRequest,
  HoldReading,
  OrderReading,
  ReleaseHoldOutcome,
  ReleaseHoldRequest,
  // Drops.
  CreateProductRequest,
  ProductChanges,
  UpdateProductOutcome,
  UpdateProductRequest,
  // Events for the merchant.
  RestockRequest,
} from './store.js';
export type { IdempotencyKey, IdempotencyScope, Replayable, StoredReplay } from './idempotency.js';
export { readStoredAnswer, storedAnswer, type OutcomeOfScope, type ReadAnswer } from './stored-answer.js';
export { decideOrder, decidePayment, isRemembered } from './rules.js';
export type { OrderDecision, PaymentAction } from './rules.js';
// Hold lifecycle.
export { decideExtend, decideRelease, holdAsSeen, orderAsSeen } from './rules.js';
export type { ExtendDecision, HoldLifetime, ReleaseDecision } from './rules.js';
export { findViolations } from './audit.js';
export type { Violation } from './audit.js';
export { DECIMAL_PRICE, formatCents, MAX_PRICE_CENTS, parseCents } from './money.js';
export { INPUT_LIMITS, isBuyerId, isoInstant, parseInstant } from './validation.js';
export { digestsEqual, generateHoldToken, hashToken } from './tokens.js';
export { HoldCoalescer, type HoldCoalescerOptions } from './hold-coalescer.js';
export { CommitGroup, commitInArrivalOrder, type CommitBatch, type CommitGroupOptions, type GroupProgress, type UnitSettlement } from './commit-group.js';
export { buyersToCount, holdOf, idempotencyKeyId, planReservations, reservationOutcome } from './reservation-plan.js';
export type { PlannedProduct, ReservationDecision, ReservationPlan } from './reservation-plan.js';
export { applyProductChanges, buyerUnitsKey, isValidSaleWindow, saleStatusAt, saleWindowRefusal, type SaleWindow } from './drops.js';
export { seededRandom } from './seeded-random.js';
