"""The error codes of payouts, in one place."""

from enum import StrEnum


class PayoutError(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID_SPLITS = "invalid_splits"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    SALE_NOT_CREDITED = "sale_not_credited"
    ALREADY_REVERSED = "already_reversed"
    INVALID_WITHDRAWAL_STATE = "invalid_withdrawal_state"
    CANNOT_REVIEW_OWN_WITHDRAWAL = "cannot_review_own_withdrawal"
    INVALID_PAYOUT_DETAILS = "invalid_payout_details"
    PAYOUT_IN_PROGRESS = "payout_in_progress"
