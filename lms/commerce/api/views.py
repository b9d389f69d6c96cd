"""Commerce endpoints: authenticate, authorise, call a selector or a service, serialise."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.current import current_user
from lms.catalog.selectors import course_for_editing
from lms.core.errors import Conflict, Invalid
from lms.core.pagination import PageNumberPagination
from lms.core.permissions import IsInstructor
from lms.core.schema import domain_errors

from .. import selectors, services
from ..errors import CommerceError, WebhookFailed
from ..models import Coupon, OrderStatus
from ..providers import SignatureError
from ..providers.stripe import verify_webhook
from ..receipts import receipt_pdf
from ..sellables import sellable_kinds
from . import serializers as s

logger = logging.getLogger(__name__)


def _cart_response(request: Request, code: int = status.HTTP_200_OK) -> Response:
    view = selectors.cart_view(user=current_user(request))
    return Response(s.CartSerializer(view, context={"request": request}).data, status=code)


# --- cart -------------------------------------------------------------------------------------


class CartView(APIView):
    @extend_schema(responses=s.CartSerializer)
    def get(self, request: Request) -> Response:
        return _cart_response(request)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        services.clear_cart(user=current_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartItemsView(APIView):
    @domain_errors(
        {
            400: ["course_is_free", "course_not_available", "own_course", "unsupported_currency"],
            409: ["already_in_cart", "already_enrolled", "currency_mismatch"],
        }
    )
    @extend_schema(request=s.CartItemInputSerializer, responses={201: s.CartItemSerializer})
    def post(self, request: Request) -> Response:
        data = s.CartItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.add_to_cart(
            user=current_user(request), course_ref=data.validated_data["course_id"]
        )
        course = item.course
        row = {
            "id": item.pk,
            "course_id": course.pk,
            "course__slug": course.slug,
            "course__title": course.title,
            "course__price": course.price,
            "course__currency": course.currency,
            "course__thumbnail": course.thumbnail.name or None,
        }
        return Response(
            s.CartItemSerializer(row, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CartItemDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, item_id: UUID) -> Response:
        services.remove_cart_item(user=current_user(request), item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartCouponView(APIView):
    @domain_errors(
        {
            400: [
                "cart_empty",
                "coupon_invalid",
                "coupon_not_started",
                "coupon_expired",
                "coupon_exhausted",
                "coupon_not_applicable",
                "coupon_currency_mismatch",
            ],
            409: ["currency_mismatch"],
        }
    )
    @extend_schema(request=s.CouponCodeInputSerializer, responses=s.CartSerializer)
    def post(self, request: Request) -> Response:
        data = s.CouponCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.apply_coupon(user=current_user(request), code=data.validated_data["code"])
        return _cart_response(request)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        services.remove_coupon(user=current_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- wishlist ---------------------------------------------------------------------------------


class WishlistView(APIView):
    @extend_schema(responses=s.WishlistItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            selectors.wishlist_of(user=current_user(request)), request, view=self
        )
        return paginator.get_paginated_response(
            s.WishlistItemSerializer(page, many=True, context={"request": request}).data
        )

    @domain_errors({409: ["already_in_wishlist"]})
    @extend_schema(request=s.WishlistInputSerializer, responses={201: s.WishlistItemSerializer})
    def post(self, request: Request) -> Response:
        data = s.WishlistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.add_to_wishlist(
            user=current_user(request), course_ref=data.validated_data["course_id"]
        )
        return Response(
            s.WishlistItemSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class WishlistItemView(APIView):
    @extend_schema(responses=s.WishlistItemSerializer)
    def get(self, request: Request, course: str) -> Response:
        item = selectors.wishlist_item(user=current_user(request), course_ref=course)
        return Response(s.WishlistItemSerializer(item, context={"request": request}).data)

    @domain_errors({409: ["already_in_wishlist"]})
    @extend_schema(
        request=None,
        responses={201: s.WishlistItemSerializer},
        operation_id="v1_wishlist_add_course",
    )
    def post(self, request: Request, course: str) -> Response:
        item = services.add_to_wishlist(user=current_user(request), course_ref=course)
        return Response(
            s.WishlistItemSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, course: str) -> Response:
        services.remove_from_wishlist(user=current_user(request), course_ref=course)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- coupons ----------------------------------------------------------------------------------


class CouponListView(APIView):
    permission_classes = [IsInstructor]

    @extend_schema(responses=s.CouponSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        queryset = selectors.coupons_visible_to(user=current_user(request))
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.CouponSerializer(page, many=True).data)

    @domain_errors({400: ["invalid_coupon", "not_your_course"], 409: ["coupon_code_taken"]})
    @extend_schema(request=s.CouponInputSerializer, responses={201: s.CouponSerializer})
    def post(self, request: Request) -> Response:
        data = s.CouponInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        coupon = services.create_coupon(
            by=current_user(request), data=dict(data.validated_data), request=request
        )
        return Response(s.CouponSerializer(coupon).data, status=status.HTTP_201_CREATED)


class CouponDetailView(APIView):
    # Any signed-in caller: a coupon they did not create is 404 (never 403 for another's).
    permission_classes = [IsAuthenticated]

    def _coupon(self, request: Request, coupon_id: UUID) -> Coupon:
        return selectors.coupon_for_user(user=current_user(request), coupon_id=coupon_id)

    @extend_schema(responses=s.CouponSerializer)
    def get(self, request: Request, coupon_id: UUID) -> Response:
        return Response(s.CouponSerializer(self._coupon(request, coupon_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, coupon_id: UUID) -> Response:
        """Switch the coupon off: it is no longer redeemed, and it is not erased (orders that
        used it keep naming it); its owner still reads it here with `is_active: false`."""
        services.deactivate_coupon(
            coupon=self._coupon(request, coupon_id), by=current_user(request), request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- orders -----------------------------------------------------------------------------------


class OrderListView(APIView):
    @extend_schema(responses=s.OrderSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = PageNumberPagination()
        queryset = selectors.orders_visible_to(user=current_user(request))
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.OrderSerializer(page or [], many=True).data)

    @domain_errors(
        {
            400: ["cart_empty", "unsupported_currency"],
            409: ["currency_mismatch", "already_enrolled", "course_not_available"],
        }
    )
    @extend_schema(request=s.OrderInputSerializer, responses={201: s.OrderSerializer})
    def post(self, request: Request) -> Response:
        data = s.OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = current_user(request)
        order = services.place_order(
            user=user, billing_address=data.validated_data.get("billing_address"), request=request
        )
        order = selectors.order_for_user(user=user, order_id=order.pk)
        return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderCreateFromCartView(OrderListView):
    """Alias of `POST /orders/` (API.md)."""

    http_method_names = ["post", "options"]


class OrderDetailView(APIView):
    @extend_schema(responses=s.OrderSerializer)
    def get(self, request: Request, order_id: UUID) -> Response:
        order = selectors.order_for_user(user=current_user(request), order_id=order_id)
        return Response(s.OrderSerializer(order).data)


class OrderReceiptView(APIView):
    @domain_errors({409: ["receipt_unavailable"]})
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, order_id: UUID) -> HttpResponse:
        order = selectors.owned_order(user=current_user(request), order_id=order_id)
        if order.paid_at is None or order.status not in (
            OrderStatus.PAID,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        ):
            raise Conflict("This order was never paid.", code=CommerceError.RECEIPT_UNAVAILABLE)
        response = HttpResponse(receipt_pdf(order=order), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="receipt-{order.number}.pdf"'
        return response


class OrderRefundView(APIView):
    @domain_errors(
        {
            # 400: items named that are not in the order; the booking codes come from the
            # booking kind's refund rule (lms/tutoring/sellable.py)
            400: ["invalid_order_state"],
            403: ["refund_window_closed", "too_much_progress", "booking_refund_not_allowed"],
            409: [
                "already_refunded",
                "invalid_order_state",
                "refund_in_progress",
                "refund_failed",
                "invalid_booking_state",
            ],
        }
    )
    @extend_schema(request=s.RefundInputSerializer, responses=s.RefundSerializer)
    def post(self, request: Request, order_id: UUID) -> Response:
        user = current_user(request)
        order = selectors.order_for_user(user=user, order_id=order_id)
        data = s.RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # the API's `course_ids` (its name since commerce sold courses only): any item's reference
        references = [str(value) for value in data.validated_data.get("course_ids") or []]
        refund = services.request_refund(
            order_id=order.pk,
            by=user,
            reference_ids=references or None,
            reason=data.validated_data["reason"],
            request=request,
        )
        refund.order = selectors.order_for_user(user=user, order_id=order.pk)
        return Response(s.RefundSerializer(refund).data)


# --- payments ---------------------------------------------------------------------------------


class CheckoutView(APIView):
    @domain_errors(
        {
            400: [
                "ambiguous_checkout",
                "below_minimum_charge",
                "booking_checkout_unavailable",
                "unknown_sellable_kind",
                "unsupported_currency",
            ],
            409: ["order_not_payable", "coupon_exhausted"],
            502: ["payment_provider_error"],
        }
    )
    @extend_schema(request=s.CheckoutInputSerializer, responses=s.CheckoutSerializer)
    def post(self, request: Request) -> Response:
        data = s.CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_id = data.validated_data.get("order_id")
        if not order_id:
            # A booking is sold by tutoring through the sellable-kinds registry; until that
            # app registers the "booking" kind, there is nothing to pay.
            if "booking" not in sellable_kinds:
                raise Invalid(
                    "Bookings cannot be paid yet.",
                    code=CommerceError.BOOKING_CHECKOUT_UNAVAILABLE,
                )
            order_id = services.place_item_order(
                user=current_user(request),
                kind="booking",
                reference_id=data.validated_data["booking_id"],
                request=request,
            ).pk
        payment = services.checkout_order(
            order_id=order_id,
            by=current_user(request),
            hosted=data.validated_data["mode"] == "hosted",
            request=request,
        )
        return Response(s.CheckoutSerializer(payment).data)


class PaymentDetailView(APIView):
    @extend_schema(responses=s.PaymentSerializer)
    def get(self, request: Request, payment_id: UUID) -> Response:
        payment = selectors.payment_for_owner(user=current_user(request), payment_id=payment_id)
        return Response(s.PaymentSerializer(payment).data)


class SimulatePaymentView(APIView):
    @domain_errors({409: ["simulation_unavailable", "order_not_payable"]})
    @extend_schema(request=s.SimulateInputSerializer, responses=s.PaymentSerializer)
    def post(self, request: Request, payment_id: UUID) -> Response:
        user = current_user(request)
        payment = selectors.payment_for_owner(user=user, payment_id=payment_id)
        data = s.SimulateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.simulate_payment(payment=payment, outcome=data.validated_data["outcome"])
        payment = selectors.payment_for_owner(user=user, payment_id=payment.pk)
        return Response(s.PaymentSerializer(payment).data)


class StripeWebhookView(APIView):
    """Stripe's deliveries: signature checked, recorded once by event id, handled once."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @domain_errors({400: ["invalid_signature"], 503: ["webhook_processing_failed"]})
    @extend_schema(request=OpenApiTypes.OBJECT, responses=s.WebhookAckSerializer)
    def post(self, request: Request) -> Response:
        payload = request.body
        try:
            event = verify_webhook(
                payload=payload, signature=request.META.get("HTTP_STRIPE_SIGNATURE", "")
            )
        except SignatureError as exc:
            logger.warning("commerce.webhook_bad_signature", extra={"error": str(exc)})
            raise Invalid(
                "The signature is invalid.", code=CommerceError.INVALID_SIGNATURE
            ) from None
        event_id = services.record_provider_event(
            provider="stripe", event_id=str(event["id"]), type=str(event["type"]), payload=event
        )
        try:
            outcome = services.process_provider_event(provider="stripe", event_id=event_id)
        except Exception as exc:
            raise WebhookFailed() from exc
        return Response({"received": True, "outcome": outcome})


# --- revenue shares ---------------------------------------------------------------------------


class RevenueSharesView(APIView):
    pagination_class = None  # answered whole (lms.core.schema)
    permission_classes = [IsInstructor]

    @extend_schema(responses=s.RevenueShareSerializer(many=True))
    def get(self, request: Request, course: str) -> Response:
        found = course_for_editing(user=current_user(request), ref=course)
        rows = selectors.revenue_shares_of(course_id=found.pk)
        return Response(s.RevenueShareSerializer(rows, many=True).data)

    @domain_errors({400: ["invalid_shares", "not_your_course"]})
    @extend_schema(
        request=s.RevenueSharesInputSerializer, responses=s.RevenueShareSerializer(many=True)
    )
    def put(self, request: Request, course: str) -> Response:
        user = current_user(request)
        found = course_for_editing(user=user, ref=course)
        data = s.RevenueSharesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shares = [(row["instructor_id"], row["percent"]) for row in data.validated_data["shares"]]
        rows = services.set_revenue_shares(course=found, by=user, shares=shares, request=request)
        return Response(s.RevenueShareSerializer(rows, many=True).data)
