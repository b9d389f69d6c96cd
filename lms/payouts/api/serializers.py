"""Input validation and output shapes of the wallet and withdrawal endpoints.

Money leaves as a decimal string in its currency's minor unit with the currency beside it.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from lms.accounts.models import InstructorProfile
from lms.core.errors import Invalid
from lms.core.money import Money, parse_amount
from lms.core.serializers import (
    AmountField,
    AmountInputField,
    CurrencyInputField,
)
from lms.payouts.errors import PayoutError
from lms.payouts.models import (
    LedgerEntry,
    PayoutMethod,
    Withdrawal,
)
from lms.payouts.selectors import WalletOverview, default_wallet_currency, has_wallet

# --- wallet ---------------------------------------------------------------------------------------


class WalletSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField(read_only=True)
    available = AmountField()
    pending = AmountField()
    held = AmountField()
    debt = AmountField()
    total_earned = AmountField()
    # When pending money next becomes available, and how much of it (null: nothing pending)
    next_release_at = serializers.DateTimeField(read_only=True, allow_null=True)
    next_release_amount = AmountField(allow_null=True)


class WalletOverviewSerializer(WalletSerializer):
    """The primary wallet's figures at the top level, and every wallet in `wallets`."""

    wallets = WalletSerializer(many=True, read_only=True)

    def to_representation(self, instance: WalletOverview) -> dict[str, Any]:
        return {
            **WalletSerializer(instance.primary).data,
            "wallets": WalletSerializer(instance.wallets, many=True).data,
        }


class LedgerReferenceSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(source="reference_type")
    id = serializers.CharField(source="reference_id")


class LedgerLineSerializer(serializers.ModelSerializer[LedgerEntry]):
    """One leg on the instructor's accounts: positive in the instructor's favour."""

    transaction_id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(source="transaction.kind", read_only=True)
    amount = AmountField()
    reference = LedgerReferenceSerializer(source="transaction", read_only=True)
    memo = serializers.CharField(source="transaction.memo", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "transaction_id",
            "kind",
            "account",
            "amount",
            "currency",
            "reference",
            "memo",
            "created_at",
        ]
        read_only_fields = fields


# --- withdrawals -------------------------------------------------------------------------------


class _StrictSerializer(serializers.Serializer[Any]):
    """Refuses keys it does not know, so nothing unvalidated is stored."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise ValidationError(
                {
                    key: [ErrorDetail("Unexpected field.", code="unexpected_field")]
                    for key in unknown
                }
            )
        return attrs


class PaypalDetailsSerializer(_StrictSerializer):
    email = serializers.EmailField()


class WiseDetailsSerializer(_StrictSerializer):
    email = serializers.EmailField(required=False)
    account_id = serializers.RegexField(r"^[0-9A-Za-z-]{4,64}$", required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs.get("email") and not attrs.get("account_id"):
            raise ValidationError(
                "Give the Wise account's email or its account id.",
                code=PayoutError.INVALID_PAYOUT_DETAILS,
            )
        return attrs


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: country, two check digits, then the account; mod 97 of the rearranged
    number (letters as 10..35) is 1."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def aba_routing_is_valid(routing: str) -> bool:
    """A US ABA routing number: nine digits with the 3-7-1 weighted checksum."""
    if not re.fullmatch(r"[0-9]{9}", routing):
        return False
    weights = (3, 7, 1) * 3
    return (
        sum(int(digit) * weight for digit, weight in zip(routing, weights, strict=True)) % 10 == 0
    )


class BankDetailsSerializer(_StrictSerializer):
    account_holder = serializers.CharField(max_length=200)
    country = serializers.RegexField(r"^[A-Za-z]{2}$")
    iban = serializers.CharField(max_length=42, required=False)
    account_number = serializers.RegexField(r"^[0-9]{4,17}$", required=False)
    routing_number = serializers.RegexField(r"^[0-9]{6,11}$", required=False)

    def validate_country(self, value: str) -> str:
        return value.upper()

    def validate_iban(self, value: str) -> str:
        iban = re.sub(r"\s+", "", value).upper()
        if not iban_is_valid(iban):
            raise ValidationError(
                "Not a valid IBAN (its check digits do not match).", code="invalid_iban"
            )
        return iban

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        has_iban = bool(attrs.get("iban"))
        has_account = bool(attrs.get("account_number") or attrs.get("routing_number"))
        if has_iban == has_account:
            raise ValidationError(
                "Give either an IBAN or an account number with its routing number.",
                code=PayoutError.INVALID_PAYOUT_DETAILS,
            )
        if has_account:
            if not attrs.get("account_number") or not attrs.get("routing_number"):
                raise ValidationError(
                    "An account number needs its routing number.",
                    code=PayoutError.INVALID_PAYOUT_DETAILS,
                )
            if attrs["country"] == "US" and not aba_routing_is_valid(attrs["routing_number"]):
                raise ValidationError(
                    {
                        "routing_number": [
                            ErrorDetail(
                                "Not a valid ABA routing number.", code="invalid_routing_number"
                            )
                        ]
                    }
                )
        return attrs


class StripeDetailsSerializer(_StrictSerializer):
    account_id = serializers.RegexField(r"^acct_[0-9A-Za-z]{6,64}$")


DETAILS_SERIALIZERS: dict[str, type[_StrictSerializer]] = {
    PayoutMethod.PAYPAL: PaypalDetailsSerializer,
    PayoutMethod.WISE: WiseDetailsSerializer,
    PayoutMethod.BANK: BankDetailsSerializer,
    PayoutMethod.STRIPE: StripeDetailsSerializer,
}


# Codes a method's details answer in their own right (documented in docs/payouts.md); any
# other fault in `details` (a key the method does not take or lacks, a value of the wrong
# form) is `invalid_payout_details`: which keys a method takes is a rule over `method` and
# `details` together, which the OpenAPI 3.0 document cannot state.
_OWN_DETAIL_CODES = frozenset(
    {PayoutError.INVALID_PAYOUT_DETAILS, "invalid_iban", "invalid_routing_number"}
)


class WalletCurrencyField(CurrencyInputField):
    """A currency the platform sells in (`CurrencyInputField`), or one the instructor
    (`context["user"]`) has a wallet in: a balance earned in a currency dropped from
    SUPPORTED_CURRENCIES since stays withdrawable. Any other: 400 `unsupported_currency`."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return super().to_internal_value(data)
        except ValidationError:
            code = data.upper() if isinstance(data, str) and data.isascii() else ""
            if code and has_wallet(user=self.context["user"], currency=code):
                return code
            raise


class WithdrawalInputSerializer(serializers.Serializer[Any]):
    """`{amount, method, details, currency?}`; without details, the profile's payout details.

    Details that do not fit the method answer 400 `invalid_payout_details` on
    `details.<key>` (`details` when the profile's stored details were used), or
    `invalid_iban` / `invalid_routing_number` on those keys (docs/payouts.md)."""

    amount = AmountInputField()
    method = serializers.ChoiceField(choices=PayoutMethod.choices)
    details = serializers.DictField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=dict,
        help_text=(
            "The method's payout details (empty or left out: the profile's "
            "`payout_details`). paypal: `email`; wise: `email` or `account_id`; bank: "
            "`account_holder`, `country` and `iban`, or `account_number` with "
            "`routing_number`; stripe: `account_id` (`acct_...`). Details that do not fit "
            "the method: 400 `invalid_payout_details` (`invalid_iban`, "
            "`invalid_routing_number` for those values)."
        ),
    )
    currency = WalletCurrencyField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """`{amount: Money, method, details}`, what `services.request_withdrawal` takes."""
        user = self.context["user"]
        currency = attrs.get("currency") or default_wallet_currency(user=user)
        try:
            # The books' rule (`sold=False`): the wallet's currency may have been dropped from
            # the sell-list since; the service refuses one the instructor has no wallet in.
            parse_amount(attrs["amount"], currency, allow_zero=False, sold=False)
        except Invalid as exc:
            raise ValidationError(
                {"amount": [ErrorDetail(str(exc.detail), code=exc.code)]}
            ) from None
        given = attrs.get("details")
        details = given or _profile_payout_details(user)
        checked = DETAILS_SERIALIZERS[attrs["method"]](data=details)
        if not checked.is_valid():
            if not given:  # stored state: nothing in this request names a faulty key
                raise ValidationError(
                    {
                        "details": ErrorDetail(
                            f"Your profile's payout details do not fit the method "
                            f"{attrs['method']!r}: give `details`, or update "
                            "`profile.payout_details`.",
                            code=PayoutError.INVALID_PAYOUT_DETAILS,
                        )
                    }
                )
            raise ValidationError({"details": _as_detail_faults(checked.errors)})
        return {
            "amount": Money(attrs["amount"], currency),  # exact: checked just above
            "method": attrs["method"],
            "details": dict(checked.validated_data),
        }


def _as_detail_faults(errors: Any) -> dict[str, list[ErrorDetail]]:
    """The method serializer's errors, each key keeping its messages, each code that is not
    one of the details' own (`_OWN_DETAIL_CODES`) read as `invalid_payout_details`."""
    return {
        key: [
            ErrorDetail(
                str(message),
                code=message.code
                if getattr(message, "code", None) in _OWN_DETAIL_CODES
                else PayoutError.INVALID_PAYOUT_DETAILS,
            )
            for message in messages
        ]
        for key, messages in errors.items()
    }


def _profile_payout_details(user: Any) -> dict[str, Any]:
    details = (
        InstructorProfile.objects.filter(user=user).values_list("payout_details", flat=True).first()
    )
    return dict(details or {})


class InstructorSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")


# Where the payout provider's transfer stands, its calls and last error: for admins only.
ADMIN_ONLY_FIELDS = ("transfer_status", "attempts", "last_error")


class WithdrawalSerializer(serializers.ModelSerializer[Withdrawal]):
    """A withdrawal; `transfer_status`, `attempts` and `last_error` only with the context
    `{"for_admin": True}` (one component in the schema, the admin's fields marked so and not
    required: `optional_in_schema`, lms.core.schema)."""

    optional_in_schema = ADMIN_ONLY_FIELDS

    instructor = InstructorSummarySerializer(read_only=True)
    amount = AmountField()
    reviewed_by = serializers.UUIDField(source="reviewed_by_id", read_only=True, allow_null=True)
    transfer_status = serializers.CharField(
        read_only=True, help_text="Admins only: blank (none tried), sending, failed or sent."
    )
    attempts = serializers.IntegerField(read_only=True, help_text="Admins only: transfer calls.")
    last_error = serializers.CharField(read_only=True, help_text="Admins only.")

    def to_representation(self, instance: Withdrawal) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if not self.context.get("for_admin"):
            for name in ADMIN_ONLY_FIELDS:
                del data[name]
        return data

    class Meta:
        model = Withdrawal
        fields = [
            "id",
            "instructor",
            "amount",
            "currency",
            "method",
            "details",
            "status",
            "reason",
            "payout_reference",
            "reviewed_by",
            "created_at",
            "approved_at",
            "rejected_at",
            "paid_at",
            *ADMIN_ONLY_FIELDS,
        ]
        read_only_fields = fields


class WithdrawalRejectInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


class WithdrawalMarkPaidInputSerializer(serializers.Serializer[Any]):
    payout_reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
