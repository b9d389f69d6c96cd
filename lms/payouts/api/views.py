"""Wallet and withdrawal endpoints: authenticate, authorise, call a selector or a service."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.core.pagination import PageNumberPagination
from lms.core.permissions import ADMIN, IsAdmin, IsInstructor, has_role
from lms.core.schema import currency_parameter, domain_errors
from lms.core.serializers import currency_query_param
from lms.payouts import selectors, services
from lms.payouts.api import serializers as s
from lms.payouts.filters import WithdrawalFilter
from lms.payouts.models import PayoutMethod, Withdrawal


def _paginated(
    request: Request,
    view: APIView,
    queryset: QuerySet[Any],
    serializer: type[BaseSerializer[Any]],
    context: dict[str, Any] | None = None,
) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True, context=context or {}).data)


def _shown_to(user: Any) -> dict[str, Any]:
    """Admins also see where a withdrawal's transfer stands and its last error."""
    return {"for_admin": has_role(user, ADMIN)}


class WalletView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(responses=s.WalletOverviewSerializer)
    def get(self, request: Request) -> Response:
        overview = selectors.wallet_overview(user=current_user(request))
        return Response(s.WalletOverviewSerializer(overview).data)


# The books' currency filter: the sell-list, plus any currency dropped from it since, in
# which balances and withdrawals are still kept (docs/payouts.md, "A dropped currency").
BOOKS_CURRENCY = (
    "An ISO 4217 code the platform sells in; one dropped from that list since is accepted "
    "too, for the balances and withdrawals still kept in it."
)


def _books_currency(request: Request) -> str | None:
    """`?currency=` of the books' lists: one the platform sells in, or one dropped since in
    which a wallet the caller's list shows is kept (`selectors.keeps_books_in`); anything
    else 400 `unsupported_currency`, as a body's currency."""
    try:
        return currency_query_param(request.query_params)
    except ValidationError:
        code = currency_query_param(request.query_params, sold=False)  # a code the books hold
        if code is not None and selectors.keeps_books_in(user=current_user(request), currency=code):
            return code
        raise


class WalletTransactionsView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(
        parameters=[currency_parameter(BOOKS_CURRENCY)],
        responses=s.LedgerLineSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        currency = _books_currency(request)
        lines = selectors.ledger_lines_for(user=current_user(request), currency=currency)
        return _paginated(request, self, lines, s.LedgerLineSerializer)


class WithdrawalListView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Withdrawal.Status.values),
            OpenApiParameter("method", OpenApiTypes.STR, enum=PayoutMethod.values),
            currency_parameter(BOOKS_CURRENCY),
            OpenApiParameter("instructor", OpenApiTypes.UUID, description="admins"),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
        ],
        responses=s.WithdrawalSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        currency = _books_currency(request)
        filtered = WithdrawalFilter(
            request.query_params, queryset=selectors.withdrawals_visible_to(user)
        )
        if not filtered.is_valid():
            raise ValidationError(filtered.errors)
        queryset = filtered.qs
        if currency is not None:
            queryset = queryset.filter(currency=currency)
        if filtered.form.cleaned_data.get("status"):
            # one status is a queue (the admin's `?status=pending`): oldest first
            queryset = queryset.order_by(*selectors.QUEUE_ORDER)
        return _paginated(request, self, queryset, s.WithdrawalSerializer, _shown_to(user))

    @domain_errors({400: ["insufficient_funds", "invalid_amount", "invalid_payout_details"]})
    @extend_schema(request=s.WithdrawalInputSerializer, responses={201: s.WithdrawalSerializer})
    def post(self, request: Request) -> Response:
        user = current_user(request)
        data = s.WithdrawalInputSerializer(data=request.data, context={"user": user})
        data.is_valid(raise_exception=True)
        withdrawal = services.request_withdrawal(
            instructor=user, **data.validated_data, request=request
        )
        return Response(s.WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class WithdrawalDetailView(APIView):
    # Any signed-in caller: someone else's withdrawal (a student asks for one) is 404, not 403.
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.WithdrawalSerializer)
    def get(self, request: Request, pk: str) -> Response:
        user = current_user(request)
        withdrawal = selectors.withdrawal_for_user(user=user, withdrawal_id=pk)
        return Response(s.WithdrawalSerializer(withdrawal, context=_shown_to(user)).data)


class WithdrawalApproveView(APIView):
    permission_classes = [IsAdmin]

    @domain_errors(
        {
            403: ["cannot_review_own_withdrawal"],
            409: ["invalid_withdrawal_state", "payout_in_progress"],
        }
    )
    @extend_schema(request=None, responses=s.WithdrawalSerializer)
    def post(self, request: Request, pk: str) -> Response:
        admin = current_user(request)
        withdrawal = selectors.withdrawal_for_user(user=admin, withdrawal_id=pk)
        withdrawal = services.approve_withdrawal(withdrawal=withdrawal, by=admin, request=request)
        return Response(s.WithdrawalSerializer(withdrawal, context={"for_admin": True}).data)


class WithdrawalRejectView(APIView):
    permission_classes = [IsAdmin]

    @domain_errors(
        {
            403: ["cannot_review_own_withdrawal"],
            409: ["invalid_withdrawal_state", "payout_in_progress"],
        }
    )
    @extend_schema(request=s.WithdrawalRejectInputSerializer, responses=s.WithdrawalSerializer)
    def post(self, request: Request, pk: str) -> Response:
        admin = current_user(request)
        withdrawal = selectors.withdrawal_for_user(user=admin, withdrawal_id=pk)
        data = s.WithdrawalRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.reject_withdrawal(
            withdrawal=withdrawal, by=admin, reason=data.validated_data["reason"], request=request
        )
        return Response(s.WithdrawalSerializer(withdrawal, context={"for_admin": True}).data)


class WithdrawalMarkPaidView(APIView):
    permission_classes = [IsAdmin]

    @domain_errors(
        {
            403: ["cannot_review_own_withdrawal"],
            409: ["invalid_withdrawal_state", "payout_in_progress"],
        }
    )
    @extend_schema(request=s.WithdrawalMarkPaidInputSerializer, responses=s.WithdrawalSerializer)
    def post(self, request: Request, pk: str) -> Response:
        admin = current_user(request)
        withdrawal = selectors.withdrawal_for_user(user=admin, withdrawal_id=pk)
        data = s.WithdrawalMarkPaidInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.mark_withdrawal_paid(
            withdrawal=withdrawal,
            by=admin,
            payout_reference=data.validated_data["payout_reference"],
            request=request,
        )
        return Response(s.WithdrawalSerializer(withdrawal, context={"for_admin": True}).data)
